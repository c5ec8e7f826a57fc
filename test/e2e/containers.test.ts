import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import { resolveEndpoint } from '../../src/core/engine/connection';
import {
  contextMenu,
  eventually,
  normalize,
  openBerthView,
  rowTexts,
  runCommand,
  startVSCode,
  terminalText,
  treeRow,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

const RUN = `${process.pid}`;
const NAME = `berth-e2e-web-${RUN}`;
const LABEL = `berth.test=e2e-${RUN}`;

describe('e2e: the live container tree, logs across a restart, attach shell', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;

  before(async () => {
    engine = await Engine.connect(
      resolveEndpoint({ env: process.env, homeDir: '/nonexistent', platform: process.platform, readFile: () => undefined }),
    );
    vscode = await startVSCode('containers', { userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(async () => {
    await vscode?.close();
    for (const c of await engine.listContainers({ filters: { label: [LABEL] } })) await engine.removeContainer(c.id, { force: true });
  });

  test('a container started from the terminal appears in the tree without any click', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await runCommand(page, 'Terminal: Create New Terminal');
    await page.locator('.terminal-wrapper.active .xterm').waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => terminalText(page),
      (t) => /[$#] *$/.test(t),
      'a shell prompt',
    );
    // the container counts its boots in a file, so a restart is visible in its output
    const script =
      'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo boot $n; trap "exit 0" TERM; while :; do sleep 0.2; done';
    await page.keyboard.type(`docker run -d --name ${NAME} --label ${LABEL} berth-busybox:latest sh -c '${script}'\n`);
    const row = await eventually(
      () => rowTexts(pane),
      (rows) => rows.some((r) => r.startsWith(`${NAME}  running`)),
      'the new container in the tree',
    );
    assert.ok(row.includes('Other containers  1') || row.some((r) => r.startsWith('Other containers')), row.join('\n'));
    await vscode.screenshot('containers-tree');
  });

  test('hovering a row shows its tooltip, resolved as it is hovered', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await treeRow(pane, NAME).hover();
    const hover = page.locator('.workbench-hover, .monaco-hover', { hasText: 'Image:' }).first();
    await hover.waitFor({ timeout: UI_TIMEOUT });
    const text = normalize(await hover.innerText());
    assert.ok(text.includes(NAME), text);
    assert.match(text, /Status: Up/);
    assert.match(text, /Command: sh -c/);
    await page.mouse.move(5, 5);
  });

  test('Stop Container from the context menu changes its state', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await contextMenu(page, treeRow(pane, NAME), 'Stop Container');
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${NAME}  exited 0`)),
      'the container shown as exited',
    );
    assert.ok(rows.find((x) => x.startsWith(NAME))?.includes('berth-busybox:latest'));
    await vscode.screenshot('containers-stopped');
  });

  test('Show Logs follows across a restart, with the restart marker', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await contextMenu(page, treeRow(pane, NAME), 'Start Container');
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${NAME}  running`)),
      'running again',
    );
    await contextMenu(page, treeRow(pane, NAME), 'Show Logs');
    await eventually(
      () => terminalText(page),
      (t) => t.includes('boot 2'),
      'the logs so far',
    );
    await contextMenu(page, treeRow(pane, NAME), 'Restart Container');
    const text = await eventually(
      () => terminalText(page),
      (t) => t.includes('boot 3'),
      'lines written after the restart',
    );
    await vscode.screenshot('containers-logs-restart');
    // history first (the two earlier runs), then live: the stop and start markers, then the new run
    assert.match(text, /^boot 1\nboot 2\n▐ ── container stopped — exit 0 at [^\n]+──\n▐ ── container started at [^\n]+──\nboot 3$/);
  });

  test("Show Logs shows a container's control sequences and a forged marker as text", async () => {
    const page = vscode.page;
    const hostile = `berth-e2e-hostile-${RUN}`;
    const [labelKey = '', labelValue = ''] = LABEL.split('=');
    const forged = '\x1b[7m▐ ── container stopped — exit 0 at 12:00:00 ── \x1b[0m';
    const id = await engine.createContainer({
      name: hostile,
      Image: 'berth-busybox:latest',
      Labels: { [labelKey]: labelValue },
      Cmd: ['sh', '-c', 'printf "%s\\n" "$@"; sleep 300', 'sh', 'before the clear', '\x1b[2J\x1b[Hafter the clear', forged, 'last line'],
    });
    await engine.startContainer(id);
    // from the palette: on a busy engine the row may be far down the tree
    await runCommand(page, 'Berth: Show Logs', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(hostile);
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: hostile }).first();
    await pick.waitFor({ timeout: UI_TIMEOUT });
    await pick.click();
    await input.press('Enter');
    const text = await eventually(
      () => terminalText(page),
      (t) => t.includes('last line'),
      'the hostile logs',
    );
    await vscode.screenshot('containers-logs-hostile');
    // the screen was not cleared: the first line is still there; the fake marker is plain text, without the marker glyph
    assert.match(
      text,
      /^before the clear\n\^\[\[2J\^\[\[Hafter the clear\n\\u2590 ── container stopped — exit 0 at 12:00:00 ── *\nlast line$/,
    );
  });

  test('Attach Shell runs a command in the container and shows its output', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await contextMenu(page, treeRow(pane, NAME), 'Attach Shell');
    await page
      .locator('.terminal-tabs-entry, .single-terminal-tab', { hasText: `Shell: ${NAME}` })
      .first()
      .waitFor({ timeout: UI_TIMEOUT })
      .catch(() => undefined);
    await eventually(
      () => terminalText(page),
      (t) => /[$#] *$/.test(t),
      'the container shell prompt',
    );
    await page.keyboard.type('echo "attached-$((6 * 7))"; cat /tmp/n\n');
    const text = await eventually(
      () => terminalText(page),
      (t) => t.includes('attached-42'),
      'the echo output',
    );
    assert.match(text, /attached-42\s+3/);
    await vscode.screenshot('containers-attach-shell');
  });

  test('Show Stats opens a panel with live CPU and memory figures and sparklines', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await contextMenu(page, treeRow(pane, NAME), 'Show Stats');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    const card = frame.locator('section.card', { hasText: NAME });
    await card.waitFor({ timeout: UI_TIMEOUT });
    const cpu = card.locator('.metric', { hasText: 'CPU' });
    const value = await eventually(
      async () => normalize(await cpu.locator('.value').innerText()),
      (t) => /^\d+\.\d %$/.test(t),
      'a CPU figure',
    );
    assert.match(value, /%$/);
    assert.match(normalize(await card.locator('.metric', { hasText: 'Memory' }).locator('.value').innerText()), /\/ /);
    // two samples make a line
    await eventually(
      () => cpu.locator('svg polyline').count(),
      (n) => n === 1,
      'the CPU sparkline',
    );
    // and the tree row shows the same live figures
    await eventually(
      () => rowTexts(pane),
      (rows) => rows.some((r) => r.startsWith(NAME) && / · cpu [\d.]+% · mem /.test(r)),
      'stats in the tree row',
    );
    await vscode.screenshot('containers-stats');
  });

  test('Stats show stopped while the container is stopped and resume after it starts again', async () => {
    const page = vscode.page;
    const [container] = await engine.listContainers({ filters: { name: [NAME], label: [LABEL] } });
    assert.ok(container, 'the container of the tests above');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    const feed = frame.locator('section.card', { hasText: NAME }).locator('p.feed');
    const last = async (): Promise<number> => Number((await feed.getAttribute('data-last')) ?? 0);
    await eventually(
      () => feed.getAttribute('data-feed'),
      (f) => f === 'streaming',
      'live samples',
    );
    await engine.stopContainer(container.id, { graceSeconds: 5 });
    await eventually(
      async () => `${await feed.getAttribute('data-feed')} ${normalize(await feed.innerText())}`,
      (t) => t.startsWith('stopped Stopped'),
      'the panel saying stopped',
    );
    const before = await last();
    await engine.startContainer(container.id);
    await eventually(
      async () => `${await feed.getAttribute('data-feed')} ${await last()}`,
      (t) => t.startsWith('streaming') && Number(t.split(' ')[1]) > before,
      'new samples after the start',
    );
    await eventually(
      () => frame.locator('section.card', { hasText: NAME }).locator('vscode-badge').innerText(),
      (t) => normalize(t) === 'running',
      'the running badge',
    );
  });
});
