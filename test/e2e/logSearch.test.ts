/**
 * Log search in the real VS Code: Berth: Search Container Logs… from the palette, a query and the
 * pickers, results in the Log Search view with container and timestamp, and a click on a result
 * opening that container's log at that time, the line in the log terminal.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { eventually, normalize, openBerthView, rowTexts, runCommand, startVSCode, terminalText, UI_TIMEOUT, type VSCode } from './harness';

const RUN = `${process.pid}`;
const NAME = `berth-e2e-search-${RUN}`;
const LABEL = `berth.test=e2e-${RUN}`;
const NEEDLE = `needle-${RUN}`;

describe('e2e: log search across containers', { timeout: 240_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;

  before(async () => {
    engine = await Engine.connect(
      resolveEndpoint({ env: process.env, homeDir: '/nonexistent', platform: process.platform, readFile: () => undefined }),
    );
    const [labelKey = '', labelValue = ''] = LABEL.split('=');
    // an early line, then (4 s later) the line searched for on stderr, then lines after it
    const id = await engine.createContainer({
      name: NAME,
      Image: 'berth-busybox:latest',
      Labels: { [labelKey]: labelValue },
      StopSignal: 'SIGKILL',
      Cmd: [
        'sh',
        '-c',
        `echo "early line ${RUN}"; sleep 4; echo "disk ERROR ${NEEDLE} at step 7" >&2; echo "after line ${RUN}"; sleep 300`,
      ],
    });
    await engine.startContainer(id);
    vscode = await startVSCode('logSearch', { userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(async () => {
    await vscode?.close();
    for (const c of await engine.listContainers({ all: true, filters: { label: [LABEL] } }))
      await engine.removeContainer(c.id, { force: true });
  });

  test('the Containers view offers the search in its title bar', async () => {
    const pane = await openBerthView(vscode.page, 'Containers');
    await pane.hover();
    await pane.locator('.actions .action-label[aria-label="Search Container Logs…"]').waitFor({ state: 'attached', timeout: UI_TIMEOUT });
  });

  test('from the palette: a query, the pickers, results with container and timestamp; a click opens the log at that line', async () => {
    const page = vscode.page;
    // the needle is written 4 s after the start
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await runCommand(page, 'Berth: Search Container Logs…', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(`/error ${NEEDLE}/i`);
    await input.press('Enter');
    // time range: the first choice, the last 15 minutes
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Last 15 minutes' }).first().waitFor({ timeout: UI_TIMEOUT });
    await input.press('Enter');
    // containers: choose this one
    const choose = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Choose containers or services…' }).first();
    await choose.waitFor({ timeout: UI_TIMEOUT });
    await choose.click();
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: NAME }).first();
    await eventually(
      async () => {
        await input.fill(NAME);
        return row.isVisible();
      },
      (visible) => visible,
      'the container in the pick',
    );
    await row.click();
    await input.press('Enter');
    // streams: stderr only
    const stderr = page.locator('.quick-input-list .monaco-list-row', { hasText: 'stderr only' }).first();
    await stderr.waitFor({ timeout: UI_TIMEOUT });
    await stderr.click();

    // the view's header carries the count ("Log Search - 1 Section"): found by its start
    await openBerthView(page, 'Containers');
    const pane = page.locator('.pane', { has: page.locator('.pane-header[aria-label^="Log Search"]') });
    await pane.locator('.pane-body').waitFor({ timeout: UI_TIMEOUT });
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.includes(NEEDLE)),
      'the result in the Log Search view',
    );
    const containerRow = rows.find((r) => r.startsWith(NAME));
    assert.equal(containerRow, `${NAME}  1 match`, rows.join('\n'));
    const result = rows.find((r) => r.includes(NEEDLE)) ?? '';
    assert.match(
      result,
      new RegExp(`^(\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  disk ERROR ${NEEDLE} at step 7$`),
      rows.join('\n'),
    );
    const message = await eventually(
      async () => normalize(await pane.locator('.message').first().innerText()),
      (m) => m.includes('1 match in 1 container') && !m.includes('searching'),
      'the count in the view',
    );
    assert.match(message, new RegExp(`"/error ${NEEDLE}/i" in ${NAME}, last 15 min, stderr only`));
    const highlight = await pane.locator('.monaco-list-row .label-name .highlight').first().innerText();
    assert.equal(normalize(highlight), `ERROR ${NEEDLE}`, 'the match is highlighted');
    await vscode.screenshot('logSearch-results');

    await pane.locator('.monaco-list-row', { hasText: NEEDLE }).first().click();
    const text = await eventually(
      () => terminalText(page),
      (t) => t.includes(NEEDLE) && t.includes(`after line ${RUN}`),
      'the log terminal at the result',
    );
    assert.match(text, new RegExp(`\\d\\d:\\d\\d:\\d\\d\\.\\d+Z .*disk ERROR ${NEEDLE} at step 7`), 'the line with its timestamp');
    assert.ok(!text.includes(`early line ${RUN}`), `the log opens at the result's time, not at the start:\n${text}`);
    await vscode.screenshot('logSearch-opened');
  });
});
