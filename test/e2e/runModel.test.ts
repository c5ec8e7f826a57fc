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
  openBerthView,
  rowTexts,
  runCommand,
  startVSCode,
  UI_TIMEOUT,
  type VSCode,
  endSampleRun,
  sampleWorkspace,
  testEngine,
} from './harness';

const FOLDER = `iris-run-e2e${process.pid}`;
const CONTAINER = `berth-serve-${FOLDER}`;
const TAG = `${FOLDER}:dev`;

describe('e2e: Run Model in Container from the Explorer', { timeout: 240_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('run', FOLDER);
    // any free host port: a test must not depend on 8000 being free
    const profile = path.join(workspace, 'berth.yaml');
    fs.writeFileSync(profile, fs.readFileSync(profile, 'utf8').replace("ports: ['8000']", "ports: ['127.0.0.1::8000']"));
    vscode = await startVSCode('run-model', { workspace });
  });
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [CONTAINER] }));

  test('right-click the model → built, run with the model mounted, healthy in the tree, the playground predicts', async () => {
    const page = vscode.page;
    // (a click on the Explorer tab would close the side bar when it is already showing)
    await berthActive(page);
    await runCommand(page, 'View: Show Explorer');
    const folderRow = page.getByRole('treeitem', { name: 'model', exact: true });
    await folderRow.waitFor({ timeout: UI_TIMEOUT });
    await folderRow.click();
    const modelRow = page.getByRole('treeitem', { name: 'iris.npz', exact: true });
    await modelRow.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, modelRow, 'Run Model in Container');

    // the playground opens once the container is healthy
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('h2', { hasText: `Playground: ${CONTAINER}` }).waitFor({ timeout: 120_000 });
    const details = await engine.inspectContainerJson(CONTAINER);
    assert.equal(details.State.Health?.Status, 'healthy');
    assert.ok(details.Config.Env?.includes('MODEL_PATH=/models/iris.npz'), details.Config.Env?.join(' '));
    const mount = details.Mounts.find((m) => m.Destination === '/models/iris.npz');
    assert.equal(mount?.RW, false, 'the model is mounted read-only');
    assert.equal(details.HostConfig.PortBindings?.['8000/tcp']?.[0]?.HostIp, '127.0.0.1');
    assert.equal(details.Config.Labels?.['berth.profile'], 'serve');

    await frame.locator('#send').click();
    const response = await eventually(
      () => frame.locator('#response').innerText(),
      (t) => t.includes('predictions'),
      'a prediction',
    );
    assert.match(normalize(response), /"setosa"[\s\S]*"versicolor"[\s\S]*"virginica"/);
    await vscode.screenshot('run-model-playground');

    const pane = await openBerthView(page, 'Containers');
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${CONTAINER}  healthy`)),
      'the run healthy in the tree',
    );
    assert.ok(rows.includes('Berth runs  1') || rows.some((x) => x.startsWith('Berth runs')), rows.join('\n'));
    await vscode.screenshot('run-model-tree');
  });
});
