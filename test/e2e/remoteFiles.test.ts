/**
 * Run as Batch Job in the real VS Code with berth.engine.remoteFiles "upload" (the local engine
 * treated as remote): the job's container mounts volumes only, and its predictions.csv lands in
 * the workspace's output/ all the same.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import {
  berthActive,
  explorerMenu,
  runCommand,
  startVSCode,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
  endSampleRun,
  sampleWorkspace,
  testEngine,
} from './harness';

const FOLDER = `iris-upload-e2e${process.pid}`;
const CONTAINER = `berth-serve-batch-${FOLDER}`;
const TAG = `${FOLDER}:dev`;

describe('e2e: Run as Batch Job with the files uploaded', { timeout: 300_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('upload', FOLDER);
    vscode = await startVSCode('remote-files', {
      workspace,
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off', 'berth.engine.remoteFiles': 'upload' },
    });
  });
  after(async () => {
    await endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [CONTAINER] });
    // the volumes Berth made for this workspace (labelled with it)
    for (const v of await engine.listVolumes({ filters: { label: [`berth.project=${workspace}`] } }))
      await engine.removeVolume(v.name).catch(() => undefined);
  });

  test('right-click a script → it runs on volumes, and its output comes back to output/', async () => {
    const page = vscode.page;
    await berthActive(page);
    await runCommand(page, 'View: Show Explorer');
    const row = page.getByRole('treeitem', { name: 'predict_batch.py', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Run as Batch Job');
    await waitForNotification(page, /Batch job/, 150_000);
    await waitForNotification(page, /Batch job .* finished: exit 0/);
    const predictions = fs
      .readFileSync(path.join(workspace, 'output', 'predictions.csv'), 'utf8')
      .trim()
      .split(/\r?\n/);
    assert.equal(predictions.length, 151);
    assert.equal(predictions[0], 'species,predicted');
    const details = (await engine.inspectContainerJson(CONTAINER)) as { Mounts: { Type: string; Destination: string }[] };
    assert.deepEqual(details.Mounts.map((m) => m.Type).sort(), ['volume', 'volume', 'volume']);
    assert.deepEqual(details.Mounts.map((m) => m.Destination).sort(), ['/input', '/output', '/workspace']);
    await vscode.screenshot('batch-job-uploaded');
  });
});
