import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tarStream from 'tar-stream';
import { Engine } from '../../src/core/engine/engine';
import {
  berthActive,
  eventually,
  explorerMenu,
  normalize,
  openFile,
  runCommand,
  startVSCode,
  UI_TIMEOUT,
  type VSCode,
  endSampleRun,
  sampleWorkspace,
  testEngine,
} from './harness';

const FOLDER = `iris-compare-e2e${process.pid}`;
const TAG = `${FOLDER}:dev`;

const SNAPSHOT_SOURCE = `berth-e2e-snapshot-source-${process.pid}`;
const TEST_LABEL = { 'berth.test': `e2e-${process.pid}` };

/** A code cell as Jupyter saves it: source as a list of lines, outputs as given. */
const codeCell = (n: number, source: string, outputs: unknown[]): unknown => ({
  cell_type: 'code',
  execution_count: n,
  id: `c${n}`,
  metadata: {},
  outputs,
  source: source.split(/(?<=\n)/),
});
const stdout = (text: string): unknown => ({ name: 'stdout', output_type: 'stream', text: [text] });

function notebook(...cells: unknown[]): string {
  return JSON.stringify(
    {
      cells,
      metadata: {
        kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' },
        language_info: { name: 'python', version: '3.12.4' },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}

/** The second cell needs pandas, which the sample image does not have. */
const DIFFERING = notebook(
  codeCell(1, 'import numpy as np\nprint(np.arange(4).sum())', [stdout('6\n')]),
  codeCell(2, 'import pandas as pd\npd.DataFrame({"a": [1, 2]})', [
    { data: { 'text/plain': ['   a\n', '0  1\n', '1  2'] }, execution_count: 2, metadata: {}, output_type: 'execute_result' },
  ]),
);

/** The second cell takes a minute: long enough to watch it run and cancel it. */
const SLOW = notebook(
  codeCell(1, "print('warming up')", [stdout('warming up\n')]),
  codeCell(2, "import time\ntime.sleep(60)\nprint('trained')", [stdout('trained\n')]),
  codeCell(3, "print('done')", [stdout('done\n')]),
);

/** Reads a file that exists only in a running container (written into it after it started). */
const STATE = notebook(codeCell(1, "print(open('/tmp/state.txt').read(), end='')", [stdout('from the running container\n')]));

describe('e2e: Compare Notebook with Container', { timeout: 300_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('compare', FOLDER);
    fs.writeFileSync(path.join(workspace, 'differs.ipynb'), DIFFERING);
    fs.writeFileSync(path.join(workspace, 'slow.ipynb'), SLOW);
    fs.writeFileSync(path.join(workspace, 'state.ipynb'), STATE);
    vscode = await startVSCode('compare', { workspace, viewport: { width: 1600, height: 900 } });
  });
  /** A tar holding one file. */
  async function tarOf(name: string, text: string): Promise<Buffer> {
    const pack = tarStream.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve) => pack.on('end', resolve));
    pack.entry({ name, mode: 0o644 }, text);
    pack.finalize();
    await done;
    return Buffer.concat(chunks);
  }

  // (the container Berth keeps ready for the next comparison is removed by Berth on deactivation,
  // but code-server may be stopped before that finishes: endSampleRun removes it too)
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [SNAPSHOT_SOURCE] }));

  const panel = (): ReturnType<VSCode['page']['frameLocator']> =>
    // Berth's webview (the notebook editor has one of its own, for outputs)
    vscode.page.frameLocator('iframe.webview[src*="extensionId=berth.berth"]').frameLocator('iframe#active-frame');

  test('from the notebook toolbar: the project image is built, every cell matches, a row reveals its cell', async () => {
    const page = vscode.page;
    await berthActive(page);
    await openFile(page, 'train.ipynb');
    const action = page.locator('.notebook-toolbar-container .action-item', { hasText: 'Compare Notebook with Container' }).first();
    const iconAction = page.locator('.notebook-toolbar-container a.action-label[aria-label*="Compare Notebook with Container"]').first();
    await action.or(iconAction).first().waitFor({ timeout: UI_TIMEOUT });
    await page.waitForTimeout(400);
    await action.or(iconAction).first().click();

    const frame = panel();
    await frame.locator('h2', { hasText: 'Notebook vs container: train.ipynb' }).waitFor({ timeout: 180_000 });
    const message = await eventually(
      () => frame.locator('#message').innerText(),
      (t) => /^(Matches|Differs)/.test(normalize(t)),
      'the comparison to finish',
      { timeoutMs: 180_000 },
    );
    assert.match(normalize(message), /^Matches: All 11 code cells ran in the container\./);
    const summary = normalize(await frame.locator('#summary').innerText()).replace(/\s+/g, ' ');
    assert.match(summary, /11 identical/);
    assert.match(summary, /0 differ/);
    assert.match(summary, /0 errors/);
    assert.equal(await frame.locator('#cells vscode-table-row').count(), 11);
    assert.match(normalize(await frame.locator('#image').innerText()), new RegExp(`Image: ${TAG} \\(profile serve\\)`));
    // the environment diff: Python and numpy in the container, the notebook's recorded Python
    const env = normalize(await frame.locator('#environment').innerText());
    assert.match(env, /Python\s+3\.\d+\.\d+\s+3\.11\.2/);
    assert.match(env, /numpy\s+\d+\.\d+\.\d+/);
    await vscode.screenshot('compare-notebook');

    // clicking a row selects that cell in the notebook (notebook cell 12 is the eighth code cell)
    // (on the code cell, not the row's middle: that is where a column's resize handle sits)
    await frame.locator('#cells vscode-table-row[data-index="12"] vscode-table-cell.code').click();
    await eventually(
      () => page.locator('.notebook-editor .monaco-list-row.focused').first().getAttribute('data-index'),
      (i) => i === '12',
      'cell 12 focused in the notebook editor',
    );
    await vscode.screenshot('compare-reveal');
    await frame.locator('#detail h3', { hasText: 'Cell 8' }).waitFor({ timeout: UI_TIMEOUT });
  });

  test('from the Explorer: a notebook needing a package the image lacks is reported at that cell; results export as JSON', async () => {
    const page = vscode.page;
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'View: Show Explorer');
    const row = page.getByRole('treeitem', { name: 'differs.ipynb', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Compare Notebook with Container');

    const frame = panel();
    const message = await eventually(
      () => frame.locator('#message').innerText(),
      (t) => /^(Matches|Differs)/.test(normalize(t)),
      'the comparison to finish',
      { timeoutMs: 180_000 },
    );
    assert.match(normalize(message), /^Differs:/);
    const summary = normalize(await frame.locator('#summary').innerText()).replace(/\s+/g, ' ');
    assert.match(summary, /1 identical/);
    assert.match(summary, /1 errors/);
    const failing = frame.locator('#cells vscode-table-row[data-index="1"]');
    assert.equal(await failing.getAttribute('data-status'), 'error-container');
    assert.match(
      normalize(await failing.innerText()),
      /ModuleNotFoundError: No module named 'pandas'.*pandas is not installed in the image/s,
    );
    // the first differing cell is selected: its side-by-side diff shows both sides
    const diff = normalize(await frame.locator('#detail table.diff').innerText());
    assert.match(diff, /Notebook \(saved\)\s+Container/);
    assert.match(diff, /ModuleNotFoundError/);
    // the panel's style sheet is admitted by its CSP: the diff keeps the outputs' spacing
    const whiteSpace = await frame
      .locator('#detail table.diff td')
      .first()
      .evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { whiteSpace: string } }).getComputedStyle(e).whiteSpace);
    assert.equal(whiteSpace, 'pre-wrap');
    await vscode.screenshot('compare-differs');

    await frame.locator('#export').click();
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: UI_TIMEOUT });
    // the simple file dialog fills in the suggested name once it has listed the folder
    await eventually(
      () => input.inputValue(),
      (v) => v.endsWith('differs.comparison.json'),
      'the suggested file name',
    );
    await input.press('Enter');
    const exported = path.join(workspace, 'differs.comparison.json');
    const report = await eventually(
      () =>
        Promise.resolve(fs.existsSync(exported) ? (JSON.parse(fs.readFileSync(exported, 'utf8')) as Record<string, unknown>) : undefined),
      (r) => r !== undefined,
      'the exported JSON',
    );
    const s = report?.summary as { errors: number; identical: number };
    assert.equal(s.errors, 1);
    assert.equal(s.identical, 1);
    assert.equal(report?.passed, false);
  });

  test('a long comparison shows the running cell and Cancel stops it, removing its container', async () => {
    const page = vscode.page;
    await runCommand(page, 'View: Close All Editors');
    const row = page.getByRole('treeitem', { name: 'slow.ipynb', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Compare Notebook with Container');

    const frame = panel();
    // the second cell is running: its row says so, and so does the progress line
    await frame.locator('#cells vscode-table-row[data-index="1"][data-status="running"]').waitFor({ timeout: 120_000 });
    assert.equal(await frame.locator('#cells vscode-table-row[data-index="0"]').getAttribute('data-status'), 'identical');
    assert.match(normalize(await frame.locator('#phase').innerText()), /^cell 2 of 3…$/);
    const running = await engine.listContainers({ filters: { label: [`berth.compare=${workspace}`], status: ['running'] } });
    assert.ok(running.length >= 1, 'a comparison container runs');
    await vscode.screenshot('compare-running');

    await frame.locator('#cancel').click();
    const message = await eventually(
      () => frame.locator('#message').innerText(),
      (t) => normalize(t).startsWith('Cancelled'),
      'the cancelled run',
    );
    assert.equal(normalize(message), 'Cancelled: The comparison was cancelled; the container was stopped and removed.');
    assert.equal(await frame.locator('#cells vscode-table-row[data-index="1"]').getAttribute('data-status'), 'not-run');
    // nothing of the cancelled run is left; no container is started ahead after a cancel
    assert.deepEqual(await engine.listContainers({ all: true, filters: { label: [`berth.compare=${workspace}`] } }), []);
  });

  test('Change Image…: compared in a snapshot of a running container, which keeps running; the snapshot is removed', async () => {
    const page = vscode.page;
    // a running container with state written into it after it started
    const source = await engine.createContainer({
      Image: TAG,
      name: SNAPSHOT_SOURCE,
      Cmd: ['sleep', '300'],
      Healthcheck: { Test: ['NONE'] },
      Labels: TEST_LABEL,
    });
    await engine.startContainer(source);
    await engine.putArchive(source, '/tmp', await tarOf('state.txt', 'from the running container\n'));
    await runCommand(page, 'View: Close All Editors');
    const row = page.getByRole('treeitem', { name: 'state.ipynb', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Compare Notebook with Container');
    const frame = panel();
    // in the project image the file is not there
    await eventually(
      () => frame.locator('#message').innerText(),
      (t) => normalize(t).startsWith('Differs'),
      'the comparison in the project image',
    );

    await frame.locator('#change-image').click();
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: UI_TIMEOUT });
    // the pick lists the project image, local images and running containers
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Project image' }).waitFor({ timeout: UI_TIMEOUT });
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'berth-python-numpy:latest' })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await input.fill(SNAPSHOT_SOURCE);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: SNAPSHOT_SOURCE }).first().waitFor({ timeout: UI_TIMEOUT });
    await input.press('Enter');

    await eventually(
      () => frame.locator('#image').innerText(),
      (t) => normalize(t) === `Image: snapshot of ${SNAPSHOT_SOURCE}`,
      'the snapshot named in the panel',
    );
    const message = await eventually(
      () => frame.locator('#message').innerText(),
      (t) => normalize(t).startsWith('Matches'),
      'the comparison in the snapshot',
    );
    assert.equal(normalize(message), 'Matches: The code cell ran in the container.');
    assert.equal((await engine.inspectContainerJson(source)).State.Running, true, 'the running container is left alone');
    await eventually(
      async () => (await engine.listImages({ filters: { reference: ['berth-compare-snapshot'] } })).length,
      (n) => n === 0,
      'the snapshot image removed',
    );
  });
});
