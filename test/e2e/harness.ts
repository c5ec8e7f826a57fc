/**
 * The e2e tier: the packaged berth.vsix installed into a real VS Code (code-server), driven by
 * Playwright through Debian's Chromium. Tests assert on what a user sees; every scenario saves a
 * screenshot into artifacts/e2e/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { launchCodeServer, REPO_ROOT, type CodeServer, type LaunchOptions } from '../../scripts/vscode/codeServer';
import { contextDirName, resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';

export const VSIX = path.join(REPO_ROOT, 'berth.vsix');
export const ARTIFACTS = path.resolve(process.env.BERTH_E2E_ARTIFACTS ?? path.join(REPO_ROOT, 'artifacts', 'e2e'));
export const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
/** How long to wait for anything the user would wait for (workbench, view, engine state). */
export const UI_TIMEOUT = 20_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-breakpad',
];

/**
 * The extension under test: berth.vsix (what users install), or BERTH_E2E_EXTENSION — another .vsix
 * or an unpacked extension folder (package.json, dist/, media/).
 */
export function extensionUnderTest(): { vsixPath: string } | { extensionDir: string } {
  const override = process.env.BERTH_E2E_EXTENSION;
  if (override) {
    const target = path.resolve(override);
    if (!fs.existsSync(target)) throw new Error(`BERTH_E2E_EXTENSION=${override} does not exist`);
    return fs.statSync(target).isDirectory() ? { extensionDir: target } : { vsixPath: target };
  }
  if (!fs.existsSync(VSIX)) {
    throw new Error(`${path.relative(process.cwd(), VSIX)} is missing: run \`npm run package\` first (npm test does)`);
  }
  const vsixTime = fs.statSync(VSIX).mtimeMs;
  const newer = newestSource(path.join(REPO_ROOT, 'src'));
  if (newer && newer.mtimeMs > vsixTime && !warnedStale) {
    warnedStale = true;
    console.warn(
      `warning: berth.vsix is older than ${path.relative(REPO_ROOT, newer.file)}; run \`npm run package\` to test the current sources`,
    );
  }
  return { vsixPath: VSIX };
}
let warnedStale = false;

function newestSource(dir: string): { file: string; mtimeMs: number } | undefined {
  let newest: { file: string; mtimeMs: number } | undefined;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { mtimeMs } = fs.statSync(file);
    if (!newest || mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest;
}

/** What the engine itself says, to compare the UI with (resolved as the docker CLI would). */
export async function engineFacts(): Promise<{ version: string; apiVersion: string; host: string }> {
  const endpoint = resolveEndpoint({
    env: process.env,
    homeDir: os.homedir(),
    platform: process.platform,
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
  });
  const engine = await Engine.connect(endpoint, { timeoutMs: 10_000, env: process.env });
  return { version: engine.serverVersion.version, apiVersion: engine.apiVersion, host: endpoint.host };
}

/** The engine the tests check and clean up with, resolved from the environment as the docker CLI does. */
export function testEngine(): Promise<Engine> {
  return Engine.connect(
    resolveEndpoint({ env: process.env, homeDir: '/nonexistent', platform: process.platform, readFile: () => undefined }),
  );
}

/** A copy of the sample project in a temp folder (…/berth-e2e-<scenario>-XXXXXX/<folder>); the folder's name makes Berth's image tag. */
export function sampleWorkspace(scenario: string, folder: string): string {
  const workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `berth-e2e-${scenario}-`)), folder);
  fs.cpSync(path.join(REPO_ROOT, 'examples', 'iris-classifier'), workspace, { recursive: true });
  return workspace;
}

/**
 * The end of a sample-workspace scenario: VS Code closed; the named containers, every container
 * Berth made for this workspace (labelled with it), the image Berth built for it and the temp
 * folder removed.
 */
export async function endSampleRun(
  vscode: VSCode | undefined,
  engine: Engine,
  workspace: string,
  made: { readonly tag: string; readonly containers?: readonly string[] },
): Promise<void> {
  await vscode?.close();
  const berths = await engine.listContainers({ all: true, filters: { label: [`berth.project=${workspace}`] } });
  for (const id of [...(made.containers ?? []), ...berths.map((c) => c.id)])
    await engine.removeContainer(id, { force: true }).catch(() => undefined);
  await engine.removeImage(made.tag, { force: true }).catch(() => undefined);
  fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
}

/** A small project in a temp folder (…/berth-e2e-<scenario>-XXXXXX/ml-project), opened as the workspace. */
export function makeWorkspace(scenario: string): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `berth-e2e-${scenario}-`)), 'ml-project');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM berth-python-numpy:latest\nCOPY train.py /app/\nCMD ["python3", "/app/train.py"]\n');
  fs.writeFileSync(path.join(dir, 'train.py'), 'import numpy as np\n\nprint(np.arange(3).sum())\n');
  return dir;
}

export interface VSCode {
  readonly server: CodeServer;
  readonly browser: Browser;
  readonly page: Page;
  /** Save artifacts/e2e/<name>.png and return its path. */
  screenshot(name: string, options?: ScreenshotOptions): Promise<string>;
  /** Close the browser, stop code-server, remove the temp folders. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Extra environment for the extension host (e.g. DOCKER_HOST); undefined removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly workspace?: string;
  readonly userSettings?: LaunchOptions['userSettings'];
  readonly viewport?: { width: number; height: number };
}

/**
 * Start code-server with berth.vsix, open Chromium on the workbench and wait until it is ready.
 * `name` names the scenario: its screenshots are artifacts/e2e/<name>*.png.
 */
export async function startVSCode(name: string, options: StartOptions = {}): Promise<VSCode> {
  const extension = extensionUnderTest();
  // this scenario's screenshots from an earlier run would pass for this run's
  if (fs.existsSync(ARTIFACTS)) {
    for (const file of fs.readdirSync(ARTIFACTS)) if (file.startsWith(name) && file.endsWith('.png')) fs.rmSync(path.join(ARTIFACTS, file));
  }
  const ownWorkspace = options.workspace === undefined;
  const workspace = options.workspace ?? makeWorkspace(name);
  const server = await launchCodeServer({
    workspace,
    ...extension,
    env: { DOCKER_CONTEXT: undefined, ...options.env },
    ...(options.userSettings ? { userSettings: options.userSettings } : {}),
  });
  let browser: Browser | undefined;
  try {
    // Chromium keeps crash reports under XDG_CONFIG_HOME whatever its profile: not in $HOME
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: path.join(server.dataDir, 'chromium-config'),
      XDG_CACHE_HOME: path.join(server.dataDir, 'chromium-cache'),
    };
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, env });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, reducedMotion: 'reduce' });
    const page = await context.newPage();
    await openWorkbench(page, server.url);
    // Berth's status-bar entry shows once the extension is active: its commands and menus are there
    await berthActive(page);
    const b = browser;
    return {
      server,
      browser: b,
      page,
      screenshot: (shot, shotOptions) => screenshot(page, shot, shotOptions),
      close: async () => {
        await b.close().catch(() => undefined);
        await server.stop();
        if (ownWorkspace) fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await server.stop();
    if (ownWorkspace) fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
    throw err;
  }
}

/** Open the workbench and wait until it is there with the explorer showing the folder. */
export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });
  await page.locator('.part.statusbar').waitFor({ timeout: UI_TIMEOUT });
}

/**
 * Run a command from the command palette by its title, e.g. "Berth: Show Engine Info". With
 * `opensPick`, the command opens a quick pick of its own, which may reuse the palette's widget at
 * once: wait for that pick (an input without the palette's '>') instead of a hidden widget.
 */
export async function runCommand(page: Page, title: string, options: { opensPick?: boolean } = {}): Promise<void> {
  // F1 may arrive before the workbench has focus; click an inert spot first
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: UI_TIMEOUT });
  await input.press('Enter');
  if (options.opensPick) {
    const widget = page.locator('.quick-input-widget');
    const deadline = Date.now() + UI_TIMEOUT;
    // the palette's text starts with '>'; the command's own pick does not (seen twice, 100 ms
    // apart, so that a palette clearing itself on its way out does not pass for it)
    const pickShown = async (): Promise<boolean> =>
      (await widget.isVisible()) && !(await input.inputValue().catch(() => '>')).startsWith('>');
    let seen = 0;
    while (seen < 2) {
      if (Date.now() > deadline) throw new Error(`"${title}" opened no quick pick within ${UI_TIMEOUT / 1000} s`);
      await page.waitForTimeout(100);
      seen = (await pickShown()) ? seen + 1 : 0;
    }
    return;
  }
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/** Open a workspace file by name through Quick Open (Ctrl+P), as a user would. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: UI_TIMEOUT });
  await input.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: name }).waitFor({ timeout: UI_TIMEOUT });
}

/** Click Berth in the activity bar; returns a view's pane (header and body), the Engines view by default. */
export async function openBerthView(page: Page, view = 'Engines'): Promise<Locator> {
  const tab = page.getByRole('tab', { name: 'Berth', exact: true });
  await tab.waitFor({ timeout: UI_TIMEOUT });
  // a second click on the active container would close the side bar
  if ((await tab.getAttribute('aria-selected')) !== 'true') await tab.click();
  // (the header is hidden while Engines is the container's only view)
  const header = page.locator(`.pane-header[aria-label="${view} Section"]`);
  await header.waitFor({ state: 'attached', timeout: UI_TIMEOUT });
  if ((await header.getAttribute('aria-expanded')) === 'false' && (await header.isVisible())) await header.click();
  const pane = page.locator('.pane', { has: header });
  await pane.locator('.pane-body').waitFor({ timeout: UI_TIMEOUT });
  return pane;
}

/**
 * The tree rows of a view pane as the user reads them: "label  description". Read in one go in the
 * page: a virtualised tree re-renders its rows while it updates, and a row found before the read
 * may be gone by the time it is read.
 */
export async function rowTexts(pane: Locator): Promise<string[]> {
  type Node = { querySelector(selector: string): { textContent: string | null } | null };
  const texts = await pane.locator('.monaco-list-row[role="treeitem"]').evaluateAll((rows) =>
    rows.map((row) => {
      const node = row as unknown as Node;
      return [node.querySelector('.label-name')?.textContent ?? '', node.querySelector('.label-description')?.textContent ?? ''];
    }),
  );
  return texts.map(([label = '', description = '']) => {
    const l = normalize(label);
    const d = normalize(description);
    return d ? `${l}  ${d}` : l;
  });
}

/** Berth's status-bar entry. */
export function berthStatusItem(page: Page): Locator {
  return page.locator('.part.statusbar .statusbar-item', { hasText: /Docker/ }).first();
}

export async function statusBarText(page: Page): Promise<string> {
  return normalize(await berthStatusItem(page).innerText());
}

/** Wait until a notification toast with this text shows; returns the toast. A timeout says what the window showed instead. */
export async function waitForNotification(page: Page, text: string | RegExp, timeout = UI_TIMEOUT): Promise<Locator> {
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await waitOrDescribe(page, toast, timeout);
  return toast;
}

/** Wait for `locator` to be visible; on timeout the error also carries what the workbench showed (see describeWorkbench). */
export async function waitOrDescribe(page: Page, locator: Locator, timeout = UI_TIMEOUT): Promise<void> {
  try {
    await locator.waitFor({ timeout });
  } catch (err) {
    const seen = await describeWorkbench(page).catch((e: unknown) => `(the workbench could not be read: ${String(e)})`);
    // a new error: the reporter prints the stack, which holds the message it was made with
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${seen}`, { cause: err });
  }
}

/**
 * What the window shows that a wait may have missed: the toasts, the notification center's list
 * (a toast may have gone there already), the quick input, a context menu and a dialog.
 */
export async function describeWorkbench(page: Page): Promise<string> {
  const texts = async (selector: string): Promise<string[]> =>
    (
      await page
        .locator(selector)
        .allInnerTexts()
        .catch(() => [] as string[])
    )
      .map(normalize)
      .filter((t) => t !== '');
  const quick = page.locator('.quick-input-widget');
  const quickShown = await quick.isVisible().catch(() => false);
  const parts = [
    `toasts: ${JSON.stringify(await texts('.notifications-toasts .notification-toast'))}`,
    `notification center: ${JSON.stringify(await texts('.notifications-center .notification-list-item'))}`,
    `quick input: ${
      quickShown
        ? JSON.stringify({
            title: normalize(
              await quick
                .locator('.quick-input-title')
                .innerText()
                .catch(() => ''),
            ),
            value: await quick
              .locator('.quick-input-box input')
              .inputValue()
              .catch(() => ''),
            rows: await texts('.quick-input-list .monaco-list-row'),
            message: normalize(
              await quick
                .locator('.quick-input-message')
                .innerText()
                .catch(() => ''),
            ),
          })
        : 'hidden'
    }`,
    `context menu: ${JSON.stringify(await texts('.context-view .action-item'))}`,
    `dialog: ${JSON.stringify(await texts('.monaco-dialog-box'))}`,
    `status bar: ${JSON.stringify(
      normalize(
        await page
          .locator('.part.statusbar')
          .innerText()
          .catch(() => ''),
      ),
    )}`,
  ];
  return `the workbench showed:\n  ${parts.join('\n  ')}`;
}

/** Text of the active terminal (the DOM renderer is forced in the settings, so rows are text). */
export async function terminalText(page: Page): Promise<string> {
  const rows = page.locator('.terminal-wrapper.active .xterm-rows').first();
  return normalize(await rows.innerText().catch(() => ''));
}

/** Text of the visible editor, lines joined with \n. */
export async function editorText(page: Page): Promise<string> {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
  const texts = await lines.allInnerTexts();
  return texts.map(normalize).join('\n');
}

export interface ScreenshotOptions {
  /** Leave the pointer where it is (to show a hover); by default it moves away first. */
  readonly keepPointer?: boolean;
}

export async function screenshot(page: Page, name: string, options: ScreenshotOptions = {}): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  if (!options.keepPointer) await page.mouse.move(640, 5);
  // let the last repaint (progress bars, hover fade-outs) settle
  await page.waitForTimeout(300);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Every row of a tree view, also those scrolled out of sight: VS Code renders only the rows in
 * view, so this scrolls the list from the top to the bottom with the mouse wheel, collecting rows.
 */
export async function allRowTexts(pane: Locator): Promise<string[]> {
  const page = pane.page();
  const list = pane.locator('.monaco-list').first();
  await list.hover();
  await page.mouse.wheel(0, -1_000_000);
  const seen: string[] = [];
  for (let stale = 0, i = 0; stale < 2 && i < 200; i++) {
    const before = seen.length;
    for (const row of await rowTexts(pane)) if (!seen.includes(row)) seen.push(row);
    stale = seen.length === before ? stale + 1 : 0;
    await page.mouse.wheel(0, 120);
    await page.waitForTimeout(50);
  }
  await page.mouse.wheel(0, -1_000_000);
  return seen;
}

/**
 * Poll until fn returns a value that check accepts and that stays the same for `stableMs` (the UI
 * may pass through a state on its way to another); the last value is in the error if it never does.
 */
export async function eventually<T>(
  fn: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  { timeoutMs = UI_TIMEOUT, stableMs = 0 }: { timeoutMs?: number; stableMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  let since: number | undefined;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      const same = JSON.stringify(value) === JSON.stringify(last);
      last = value;
      if (!check(value)) since = undefined;
      else if (since === undefined || !same) since = Date.now();
      if (since !== undefined && Date.now() - since >= stableMs) return value;
    } catch (err) {
      lastError = err;
      since = undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const seen = last === undefined ? String(lastError) : JSON.stringify(last);
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${seen}`);
}

/** Monaco and the workbench render spaces as NBSP; tests compare plain text. */
export function normalize(text: string): string {
  return text.replace(/\u00a0/g, ' ').trim();
}

/** Right-click a row and choose a context-menu entry, as a person would. */
export async function contextMenu(page: Page, row: Locator, item: string): Promise<void> {
  await row.click({ button: 'right' });
  const entry = page.locator('.context-view .action-item', { hasText: item }).first();
  await entry.waitFor({ timeout: UI_TIMEOUT });
  // the workbench ignores a click that lands right after a menu opens (it guards against the
  // right-click's own release selecting an entry): pause as a person would
  await page.waitForTimeout(400);
  await clickMenuEntry(page, entry);
}

/**
 * Choose a context-menu entry as a keyboard user would: point at it, check that the menu has
 * focused that very entry (a menu still laying itself out on a busy machine may have moved
 * another one under the pointer), then press Enter. Pressing Enter rather than clicking also
 * avoids the workbench taking a click as the right-click's own release and ignoring it.
 */
async function clickMenuEntry(page: Page, entry: Locator): Promise<void> {
  const menu = page.locator('.context-view .monaco-menu').first();
  const wanted = normalize(await entry.innerText());
  const focused = page.locator('.context-view .action-item.focused').first();
  for (let attempt = 1; ; attempt++) {
    await entry.hover();
    const onIt = await eventually(
      async () => normalize(await focused.innerText({ timeout: 500 }).catch(() => '')),
      (t) => t === wanted,
      `the menu entry "${wanted}" focused`,
      { timeoutMs: 3000 },
    ).then(
      () => true,
      () => false,
    );
    if (onIt) {
      await page.keyboard.press('Enter');
      await menu.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
      return;
    }
    if (attempt === 3) throw new Error(`the context menu never focused "${wanted}"\n${await describeWorkbench(page)}`);
    await page.mouse.move(0, 0);
  }
}

/** A tree row of a view pane by its label. */
export function treeRow(pane: Locator, label: string): Locator {
  return pane.locator('.monaco-list-row[role="treeitem"]', { has: pane.page().locator('.label-name', { hasText: label }) }).first();
}

/** Wait until Berth is active (its status-bar entry shows the engine), so its menus are registered. */
export async function berthActive(page: Page): Promise<void> {
  await eventually(
    () => statusBarText(page),
    (t) => t.startsWith('Docker'),
    'Berth in the status bar',
  );
}

/** Right-click an Explorer row and choose an entry; retried, since the menu may open before the entry is registered. */
export async function explorerMenu(page: Page, row: Locator, item: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    const entry = page.locator('.context-view .action-item', { hasText: item }).first();
    try {
      await entry.waitFor({ timeout: 5000 });
      await page.waitForTimeout(400);
      await clickMenuEntry(page, entry);
      return;
    } catch (err) {
      await page.keyboard.press('Escape');
      if (attempt === 3) throw err;
      await page.waitForTimeout(1000);
    }
  }
}

/** Filter the Containers view (Berth: Filter Containers…) to what matches `text`. */
export async function filterTree(page: Page, text: string): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill('>Berth: Filter Containers');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Filter Containers' }).first().waitFor({ timeout: UI_TIMEOUT });
  await input.press('Enter');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Filter containers' }).waitFor({ timeout: UI_TIMEOUT });
  await input.fill(text);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/** Choose `item` in the open quick pick titled `title`. */
export async function pickItem(page: Page, title: string, item: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: UI_TIMEOUT });
  await input.fill(item);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: item }).first().waitFor({ timeout: UI_TIMEOUT });
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/** Run a Berth command from the palette and choose `item` (a container) in the quick pick it opens. */
export async function paletteOn(page: Page, command: string, pickTitle: string, item: string): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: command }).first().waitFor({ timeout: UI_TIMEOUT });
  await input.press('Enter');
  await pickItem(page, pickTitle, item);
}

/** A docker context as the docker CLI stores it (meta.json under DOCKER_CONFIG/contexts/meta). */
export function writeDockerContext(config: string, name: string, host: string): void {
  const dir = path.join(config, 'contexts', 'meta', contextDirName(name));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'meta.json'),
    JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
  );
}

/**
 * Accept the save dialog an export opened (VS Code's simple file dialog, a quick input) once it
 * suggests `name`, and read back the JSON written to `folder`.
 */
export async function saveExportedJson(page: Page, folder: string, name: string): Promise<Record<string, unknown>> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await eventually(
    () => input.inputValue(),
    (v) => v.endsWith(name),
    'the suggested file name',
  );
  await input.press('Enter');
  const exported = path.join(folder, name);
  const doc = await eventually(
    () => Promise.resolve(fs.existsSync(exported) ? (JSON.parse(fs.readFileSync(exported, 'utf8')) as Record<string, unknown>) : undefined),
    (r) => r !== undefined,
    'the exported JSON',
  );
  return doc ?? {};
}
