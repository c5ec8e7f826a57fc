import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import {
  berthActive,
  eventually,
  explorerMenu,
  normalize,
  runCommand,
  startVSCode,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
  endSampleRun,
  sampleWorkspace,
  testEngine,
} from './harness';

const FOLDER = `iris-batch-e2e${process.pid}`;
const CONTAINER = `berth-serve-batch-${FOLDER}`;
const TAG = `${FOLDER}:dev`;

describe('e2e: Run as Batch Job from the Explorer', { timeout: 240_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('batch', FOLDER);
    vscode = await startVSCode('batch-job', { workspace, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [CONTAINER] }));

  test('right-click a script → it runs to completion, its logs stream, and the result is reported', async () => {
    const page = vscode.page;
    await berthActive(page);
    await runCommand(page, 'View: Show Explorer');
    const row = page.getByRole('treeitem', { name: 'predict_batch.py', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Run as Batch Job');

    // building and running take a while: wait for the report, whatever it says, then check it
    const report = page.locator('.notifications-toasts .notification-toast', { hasText: /Batch job/ }).first();
    await report.waitFor({ timeout: 120_000 });
    const toast = await waitForNotification(page, /Batch job .* finished: exit 0/);
    assert.match(
      normalize(await toast.innerText()),
      new RegExp(`Batch job ${CONTAINER} finished: exit 0 in \\d+\\.\\d s\\. Output: output`),
    );
    const logs = await eventually(
      () => page.locator('.terminal-wrapper.active .xterm-rows').first().innerText(),
      (t) => t.includes('scored 150 flowers'),
      'the job output in the log terminal',
    );
    assert.match(normalize(logs), /scored 150 flowers: \d+ correct/);
    const predictions = fs
      .readFileSync(path.join(workspace, 'output', 'predictions.csv'), 'utf8')
      .trim()
      .split(/\r?\n/);
    assert.equal(predictions.length, 151);
    assert.equal(predictions[0], 'species,predicted');
    const details = await engine.inspectContainerJson(CONTAINER);
    assert.equal(details.State.ExitCode, 0);
    assert.ok(details.Mounts.some((m) => m.Destination === '/input' && !m.RW));
    await vscode.screenshot('batch-job');
  });
});
