/**
 * Debug in Container in the real VS Code: a breakpoint set in the sample's serve.py (the cursor on
 * the line, Debug: Toggle Breakpoint), Berth: Debug in Container — first with the sample's own
 * base image, which has no debugpy (the message says how to add it), then on Berth's debugpy image
 * from the Explorer: the debug toolbar, the editor stopped at the line, the Variables view with a
 * local's value; stopping the session removes the container. Then Debug: Start Debugging on a
 * launch.json configuration whose preLaunchTask is Berth's build task: the task builds the image,
 * and the session starts after it and stops at the same breakpoint.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Engine } from '../../src/core/engine/engine';
import { NotFoundError } from '../../src/core/engine/errors';
import {
  berthActive,
  endSampleRun,
  eventually,
  explorerMenu,
  normalize,
  openFile,
  runCommand,
  sampleWorkspace,
  startVSCode,
  terminalText,
  testEngine,
  UI_TIMEOUT,
  waitForNotification,
  waitOrDescribe,
  type VSCode,
} from './harness';

const FOLDER = `iris-debug-e2e${process.pid}`;
const CONTAINER = `berth-serve-debug-${FOLDER}`;
const TAG = `${FOLDER}:dev`;
const DEBUGPY_IMAGE = process.env.BERTH_DEBUGPY_IMAGE ?? 'berth-python-debugpy:latest';
/** The statement in serve.py's main() the breakpoint goes on: host and port are set by then. */
const STATEMENT = 'server = ThreadingHTTPServer((host, port), Handler)';

/** Put the cursor on a line of the active editor (Go to Line). */
async function goToLine(page: Page, line: number): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(`:${line}`);
  await input.press('Enter');
  await eventually(
    () => page.locator('.editor-group-container.active .line-numbers.active-line-number').first().innerText(),
    (t) => t.trim() === String(line),
    `the cursor on line ${line}`,
  );
}

/** Run the palette's command whose label is `title` exactly ("Debug: Select and Start Debugging" also contains it). */
async function paletteExact(page: Page, title: string): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(`>${title}`);
  const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) });
  await waitOrDescribe(page, row.first());
  await row.first().click();
}

/** What Berth wrote to its log in this window (its LogOutputChannel's file under VS Code's logs). */
function berthLog(logsDir: string): string {
  const files = (fs.readdirSync(logsDir, { recursive: true }) as string[]).filter((f) => path.basename(f) === 'Berth.log');
  return files.map((f) => fs.readFileSync(path.join(logsDir, f), 'utf8')).join('\n');
}

/** The Variables view's rows as name → value, read as a person reads them ("port = 8000"). */
async function variables(page: Page): Promise<Map<string, string>> {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*variables\s*$/i }) }).first();
  const rows = await pane.locator('.monaco-list-row').allInnerTexts();
  const pairs = rows
    .map((row) => /^(\S+?)\s*[=:]\s(.*)$/.exec(normalize(row).replace(/\s+/g, ' ')))
    .filter((m): m is RegExpExecArray => m !== null);
  return new Map(pairs.map((m) => [m[1] ?? '', m[2] ?? '']));
}

describe('e2e: Debug in Container on the sample', { timeout: 420_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;
  let line: number;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('debug', FOLDER);
    line =
      fs
        .readFileSync(path.join(workspace, 'serve.py'), 'utf8')
        .split('\n')
        .findIndex((l) => l.trim() === STATEMENT) + 1;
    assert.ok(line > 0, `serve.py has the line "${STATEMENT}"`);
    // a launch configuration of Berth's debug type, built first by Berth's provided build task
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'launch.json'),
      JSON.stringify(
        {
          version: '0.2.0',
          configurations: [
            {
              type: 'berth-python',
              request: 'attach',
              name: 'serve.py in its container',
              program: '$' + '{workspaceFolder}/serve.py',
              preLaunchTask: 'berth: build serve',
            },
          ],
        },
        null,
        2,
      ),
    );
    vscode = await startVSCode('debug-in-container', { workspace, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [CONTAINER] }));

  test('a breakpoint in serve.py stops under Debug in Container and shows a variable', async () => {
    try {
      await scenario();
    } catch (err) {
      await vscode.screenshot('debug-in-container-failed').catch(() => undefined);
      if (err instanceof Error) err.message += `\nBerth's log:\n${berthLog(vscode.server.logsDir)}`;
      throw err;
    }
  });

  async function scenario(): Promise<void> {
    const page = vscode.page;
    await berthActive(page);
    await openFile(page, 'serve.py');
    await goToLine(page, line);
    await runCommand(page, 'Debug: Toggle Breakpoint');
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    await waitOrDescribe(page, editor.locator('.codicon-debug-breakpoint').first());

    // the sample's base image has no debugpy: the run says so and how to add it
    await runCommand(page, 'Berth: Debug in Container');
    const missing = await waitForNotification(page, /has no debugpy/, 180_000);
    assert.match(
      normalize(await missing.innerText()),
      /The image \S+ has no debugpy: add it to the image \(Debian: apt-get install python3-debugpy; pip: pip install debugpy\)/,
    );
    await containerGone('the failed run’s container removed');
    await missing
      .locator('.codicon-notifications-clear, .codicon-close')
      .first()
      .click()
      .catch(() => undefined);

    // the same sample on the base image with debugpy, started from the Explorer
    const berthYaml = path.join(workspace, 'berth.yaml');
    fs.writeFileSync(berthYaml, fs.readFileSync(berthYaml, 'utf8').replace('BASE: berth-python-numpy:latest', `BASE: ${DEBUGPY_IMAGE}`));
    await runCommand(page, 'View: Show Explorer');
    const row = page.getByRole('treeitem', { name: 'serve.py', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Debug in Container');

    // the debug toolbar, and the editor stopped at the breakpoint's line
    await waitOrDescribe(page, page.locator('.debug-toolbar'), 180_000);
    await waitOrDescribe(page, editor.locator('.debug-top-stack-frame-line').first(), 60_000);
    await eventually(
      () => editor.locator('.line-numbers.active-line-number').first().innerText(),
      (t) => t.trim() === String(line),
      `the editor at line ${line}`,
    );
    assert.equal(await editor.locator('.debug-top-stack-frame-line').count(), 1, 'one line of the editor is where the program stopped');

    // the Variables view: main()'s locals, port read from the environment
    const locals = await eventually(
      () => variables(page),
      (seen) => seen.has('port'),
      'the Variables view showing port',
    );
    assert.equal(locals.get('port'), '8000', JSON.stringify([...locals]));
    assert.equal(locals.get('host'), "'0.0.0.0'");
    const details = await engine.inspectContainerJson(CONTAINER);
    assert.deepEqual(details.Config.Cmd, [
      'python3',
      '-m',
      'debugpy',
      '--listen',
      '0.0.0.0:5678',
      '--wait-for-client',
      '/workspace/serve.py',
    ]);
    assert.ok(details.Mounts.some((m) => m.Destination === '/workspace' && !m.RW));
    const published = details.NetworkSettings.Ports['5678/tcp'] ?? [];
    assert.ok(published.length > 0 && published.every((b) => b.HostIp === '127.0.0.1'), JSON.stringify(published));
    await vscode.screenshot('debug-in-container');

    // stopping the session removes the container
    await stopSession(page);

    // launch.json's configuration: its preLaunchTask (Berth's build task) runs first, then the session
    const built = (await engine.inspectImage(TAG)).id;
    await paletteExact(page, 'Debug: Start Debugging');
    const taskText = await eventually(
      () => terminalText(page),
      (t) => new RegExp(`Berth: built ${TAG.replace('.', '\\.')} \\(\\w{12}\\) in \\d+\\.\\d s\\.`).test(t),
      'the preLaunchTask terminal saying the image was built',
      { timeoutMs: 180_000 },
    );
    assert.match(taskText, new RegExp(`Berth: building ${TAG.replace('.', '\\.')} from Dockerfile \\(profile serve\\)`));
    assert.doesNotMatch(taskText, /exit code/, taskText);
    await waitOrDescribe(page, page.locator('.debug-toolbar'), 180_000);
    await waitOrDescribe(page, editor.locator('.debug-top-stack-frame-line').first(), 60_000);
    await eventually(
      () => variables(page),
      (seen) => seen.get('port') === '8000',
      'the Variables view showing port again',
    );
    // the session runs the image the task built (the same layers: nothing changed in between)
    assert.equal((await engine.inspectImage(TAG)).id, built);
    assert.equal((await engine.inspectContainerJson(CONTAINER)).Image, built);
    await vscode.screenshot('debug-prelaunch-task');
    await stopSession(page);
  }

  /** Stop the debug session from its toolbar; its container goes with it. */
  async function stopSession(page: Page): Promise<void> {
    // the floating toolbar sits over the title bar: a hover left there (the pointer's last place) would take the click
    await page.mouse.move(400, 400);
    await page.keyboard.press('Escape');
    await page.locator('.debug-toolbar .codicon-debug-disconnect, .debug-toolbar .codicon-debug-stop').first().click();
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    await containerGone('the debug container removed when the session ended');
  }

  /** Wait until the debug container is no longer on the engine. */
  async function containerGone(what: string): Promise<void> {
    await eventually(
      () =>
        engine.inspectContainer(CONTAINER).then(
          () => 'there',
          (err: unknown) => (err instanceof NotFoundError ? 'gone' : String(err)),
        ),
      (s) => s === 'gone',
      what,
    );
  }
});
