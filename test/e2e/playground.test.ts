import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage } from '../../src/engine/build';
import { resolveEndpoint } from '../../src/engine/connection';
import { Engine } from '../../src/engine/engine';
import { scanContext } from '../../src/project/buildContext';
import { REPO_ROOT } from '../../scripts/vscode/codeServer';
import { contextMenu, eventually, normalize, openBerthView, rowTexts, startVSCode, treeRow, UI_TIMEOUT, type VSCode } from './harness';

const RUN = `${process.pid}`;
const TAG = `berth-e2e/iris:${RUN}`;
const NAME = `berth-e2e-iris-${RUN}`;
const LABEL = `berth.test=e2e-${RUN}`;

describe('e2e: the inference playground on the sample model server', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;

  before(async () => {
    engine = await Engine.connect(
      resolveEndpoint({ env: process.env, homeDir: '/nonexistent', platform: process.platform, readFile: () => undefined }),
    );
    const example = path.join(REPO_ROOT, 'examples', 'iris-classifier');
    await buildImage(engine, {
      scan: scanContext(example),
      dockerfile: 'Dockerfile',
      tag: TAG,
      buildArgs: { BASE: process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest' },
    });
    const id = await engine.createContainer({
      Image: TAG,
      name: NAME,
      Labels: { 'berth.test': `e2e-${RUN}` },
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await engine.startContainer(id);
    vscode = await startVSCode('playground', { workspace: example });
  });
  after(async () => {
    await vscode?.close();
    for (const c of await engine.listContainers({ filters: { label: [LABEL] } })) await engine.removeContainer(c.Id, { force: true });
    await engine.docker
      .getImage(TAG)
      .remove({ force: true })
      .catch(() => undefined);
  });

  test('open it from the tree, send the sample request, see the prediction; run 50 requests', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${NAME}  healthy`)),
      'the server healthy in the tree',
    );
    const row = treeRow(pane, NAME);
    await contextMenu(page, row, 'Open Inference Playground');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('h2', { hasText: `Playground: ${NAME} — http://127.0.0.1:` }).waitFor({ timeout: UI_TIMEOUT });
    // the project's requests/predict.json is loaded as the body
    await eventually(
      () => frame.locator('#body').evaluate((e) => (e as unknown as { value: string }).value),
      (v) => v.includes('instances'),
      'the sample body',
    );
    await frame.locator('#send').click();
    const response = await eventually(
      () => frame.locator('#response').innerText(),
      (t) => t.includes('predictions'),
      'the response',
    );
    assert.match(normalize(response), /"setosa"/);
    assert.equal(normalize(await frame.locator('#status').innerText()), '200');
    assert.match(normalize(await frame.locator('#latency').innerText()), /^\d+\.\d ms$/);
    await vscode.screenshot('playground-response');

    await frame.locator('#count').evaluate((e) => {
      (e as unknown as { value: string }).value = '50';
    });
    await frame.locator('#run-batch').click();
    const table = await eventually(
      () => frame.locator('#batch').innerText(),
      (t) => t.includes('throughput'),
      'the batch summary',
    );
    assert.match(normalize(table), /requests\s+50/);
    assert.match(normalize(table), /error rate\s+0\.0 %/);
    assert.match(normalize(table), /p99\s+\d+\.\d ms/);
    await vscode.screenshot('playground-batch');
  });
});
