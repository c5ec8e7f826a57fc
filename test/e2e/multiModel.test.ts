/**
 * Run Model in Container on two model files selected in the Explorer: "one container serving all"
 * starts one server with both models mounted and named in MODELS; its playground opens, and a
 * request to the second model's route answers with that model's output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import {
  berthActive,
  endSampleRun,
  eventually,
  explorerMenu,
  normalize,
  runCommand,
  sampleWorkspace,
  startVSCode,
  testEngine,
  waitOrDescribe,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

const FOLDER = `iris-multi-e2e${process.pid}`;
const CONTAINER = `berth-serve-${FOLDER}-models`;
const PER_MODEL = [`berth-serve-${FOLDER}-iris`, `berth-serve-${FOLDER}-iris-v2`];
const TAG = `${FOLDER}:dev`;
/** A versicolor the two versions call differently: versicolor to iris.npz, virginica to iris-v2.npz. */
const FLOWER = '{"features": [6.7, 3.1, 4.7, 1.5]}';

describe('e2e: Run Model in Container on two selected models', { timeout: 300_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('multi', FOLDER);
    // any free host port: a test must not depend on 8000 being free
    const profile = path.join(workspace, 'berth.yaml');
    fs.writeFileSync(profile, fs.readFileSync(profile, 'utf8').replace("ports: ['8000']", "ports: ['127.0.0.1::8000']"));
    vscode = await startVSCode('multi-model', { workspace });
  });
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [CONTAINER, ...PER_MODEL] }));

  /** Select both model files in the Explorer, choose Run Model in Container, then `choice`. */
  async function runBoth(choice: string): Promise<void> {
    const page = vscode.page;
    // (a click on the Explorer tab would close the side bar when it is already showing)
    await berthActive(page);
    await runCommand(page, 'View: Show Explorer');
    const first = page.getByRole('treeitem', { name: 'iris.npz', exact: true });
    const second = page.getByRole('treeitem', { name: 'iris-v2.npz', exact: true });
    if (!(await first.isVisible())) {
      const folderRow = page.getByRole('treeitem', { name: 'model', exact: true });
      await folderRow.waitFor({ timeout: UI_TIMEOUT });
      await folderRow.click();
    }
    await first.waitFor({ timeout: UI_TIMEOUT });
    await first.click();
    await second.click({ modifiers: ['Control'] });
    await eventually(
      () => page.locator('.explorer-folders-view .monaco-list-row.selected').count(),
      (n) => n === 2,
      'both model files selected',
    );
    await explorerMenu(page, second, 'Run Model in Container');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: choice }).first();
    await waitOrDescribe(page, row);
    assert.equal(await page.locator('.quick-input-list .monaco-list-row').count(), 2, 'two ways offered');
    await vscode.screenshot('multi-model-choice');
    await row.click();
  }

  test('select iris.npz and iris-v2.npz → one container serving both → the playground asks the second model', async () => {
    const page = vscode.page;
    await runBoth('One container serving all 2 models');

    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('h2', { hasText: `Playground: ${CONTAINER}` }).waitFor({ timeout: 180_000 });
    const details = await engine.inspectContainerJson(CONTAINER);
    assert.equal(details.State.Health?.Status, 'healthy');
    assert.ok(details.Config.Env?.includes('MODELS=iris=/models/iris.npz,iris-v2=/models/iris-v2.npz'), details.Config.Env?.join(' '));
    assert.deepEqual(details.Mounts.map((m) => [m.Destination, m.RW]).sort(), [
      ['/models/iris-v2.npz', false],
      ['/models/iris.npz', false],
    ]);
    assert.equal(details.HostConfig.PortBindings?.['8000/tcp']?.[0]?.HostIp, '127.0.0.1');

    const ask = async (route: string): Promise<string> => {
      await frame.locator('#path').evaluate((e, p) => {
        (e as unknown as { value: string }).value = p;
      }, route);
      await frame.locator('#body').evaluate((e, b) => {
        (e as unknown as { value: string }).value = b;
      }, FLOWER);
      await frame.locator('#response').evaluate((e) => {
        e.textContent = '';
      });
      await frame.locator('#send').click();
      return normalize(
        await eventually(
          () => frame.locator('#response').innerText(),
          (t) => t.includes('predictions') || t.includes('error'),
          `an answer from ${route}`,
        ),
      );
    };
    assert.match(await ask('/models/iris-v2/predict'), /"predictions": \[\s*"virginica"\s*\]/);
    await vscode.screenshot('multi-model-playground');
    assert.match(await ask('/models/iris/predict'), /"predictions": \[\s*"versicolor"\s*\]/);
    assert.match(await ask('/models/iris-v3/predict'), /unknown model: 'iris-v3' \(known: iris, iris-v2\)/);
  });

  test('one container per model: two healthy containers named after their models, each on its own 127.0.0.1 port, each with a playground', async () => {
    await runBoth('One container per model');
    const page = vscode.page;
    for (const name of PER_MODEL)
      await page
        .locator('.tab', { hasText: `Playground: ${name}` })
        .first()
        .waitFor({ timeout: 180_000 });
    const ports = [];
    for (const [i, name] of PER_MODEL.entries()) {
      const details = await engine.inspectContainerJson(name);
      assert.equal(details.State.Health?.Status, 'healthy');
      const file = i === 0 ? 'iris.npz' : 'iris-v2.npz';
      assert.ok(details.Config.Env?.includes(`MODEL_PATH=/models/${file}`), details.Config.Env?.join(' '));
      const binding = details.NetworkSettings.Ports['8000/tcp']?.[0];
      assert.equal(binding?.HostIp, '127.0.0.1');
      ports.push(binding?.HostPort);
    }
    assert.notEqual(ports[0], ports[1]);
    // the last one opened is in front
    const frame = page.frameLocator('iframe.webview:visible').frameLocator('iframe#active-frame');
    await frame.locator('h2', { hasText: `Playground: ${PER_MODEL[1] ?? ''}` }).waitFor({ timeout: UI_TIMEOUT });
    await vscode.screenshot('multi-model-per-model');
  });
});
