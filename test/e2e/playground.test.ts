import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage } from '../../src/core/engine/build';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { scanContext } from '../../src/core/project/buildContext';
import {
  filterTree,
  paletteOn,
  contextMenu,
  eventually,
  normalize,
  openBerthView,
  rowTexts,
  runCommand,
  sampleWorkspace,
  startVSCode,
  treeRow,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
} from './harness';

const RUN = `${process.pid}`;
const TAG = `berth-e2e/iris:${RUN}`;
const NAME = `berth-e2e-iris-${RUN}`;
const LABEL = `berth.test=e2e-${RUN}`;
/** Containers whose berth.project label names a folder outside the workspace (directly, and through a symlink in it). */
const OUTSIDE = `berth-e2e-outside-${RUN}`;
const ESCAPE = `berth-e2e-escape-${RUN}`;
const MARKER = 'FROM-OUTSIDE-THE-WORKSPACE';
/** A container whose port is published only on this machine's non-loopback address (no traffic is ever sent there). */
const LAN = `berth-e2e-lan-${RUN}`;
const LAN_IP = Object.values(os.networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe('e2e: the inference playground on the sample model server', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;
  let outside: string;

  before(async () => {
    engine = await Engine.connect(
      resolveEndpoint({ env: process.env, homeDir: '/nonexistent', platform: process.platform, readFile: () => undefined }),
    );
    workspace = sampleWorkspace('playground', 'iris-classifier');
    // a folder outside the workspace with a sample of its own, and a symlink to it inside the workspace
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-outside-'));
    fs.mkdirSync(path.join(outside, 'requests'));
    fs.writeFileSync(path.join(outside, 'requests', 'marker.json'), JSON.stringify({ marker: MARKER }));
    fs.symlinkSync(outside, path.join(workspace, 'escape'));
    await buildImage(engine, {
      scan: scanContext(workspace),
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
    // servers that accept a connection and never answer
    for (const [name, project] of [
      [OUTSIDE, outside],
      [ESCAPE, path.join(workspace, 'escape')],
    ] as const) {
      const other = await engine.createContainer({
        Image: process.env.BERTH_BUSYBOX_IMAGE ?? 'berth-busybox:latest',
        name,
        Cmd: ['nc', '-ll', '-p', '8000', '-e', 'sleep', '3600'],
        Labels: { 'berth.test': `e2e-${RUN}`, 'berth.project': project },
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      await engine.startContainer(other);
    }
    if (LAN_IP) {
      const lan = await engine.createContainer({
        Image: process.env.BERTH_BUSYBOX_IMAGE ?? 'berth-busybox:latest',
        name: LAN,
        Cmd: ['sleep', '3600'],
        Labels: { 'berth.test': `e2e-${RUN}` },
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: LAN_IP, HostPort: '' }] } },
      });
      await engine.startContainer(lan);
    }
    vscode = await startVSCode('playground', { workspace, userSettings: { 'berth.playground.requestTimeoutSeconds': 2 } });
  });
  after(async () => {
    await vscode?.close();
    for (const c of await engine.listContainers({ filters: { label: [LABEL] } })) await engine.removeContainer(c.id, { force: true });
    await engine.removeImage(TAG, { force: true }).catch(() => undefined);
    if (workspace) fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
    if (outside) fs.rmSync(outside, { recursive: true, force: true });
  });

  test('open it from the tree, send the sample request, see the prediction; run 50 requests', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page, 'Containers');
    // only this run's containers in the tree: other people's may fill it past its visible rows
    await filterTree(page, LABEL);
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

  test('samples never come from a berth.project label outside the workspace; a server that never answers gets a clear message', async () => {
    const page = vscode.page;
    for (const name of [OUTSIDE, ESCAPE]) {
      await runCommand(page, 'View: Close All Editors');
      // from the palette: other people's containers may push these rows out of the tree's view
      await paletteOn(page, 'Berth: Open Inference Playground', 'Open playground', name);
      const frame = frameOf(page);
      await frame.locator('h2', { hasText: `Playground: ${name} — http://127.0.0.1:` }).waitFor({ timeout: UI_TIMEOUT });
      // the workspace's own sample instead of the label's folder
      const samples = await eventually(
        () =>
          frame
            .locator('#sample vscode-option')
            .evaluateAll((options) => (options as unknown as { textContent: string | null }[]).map((o) => o.textContent ?? '')),
        (names) => names.includes('predict.json'),
        'the workspace sample offered',
      );
      assert.ok(!samples.includes('marker.json'), `${name}: ${JSON.stringify(samples)}`);
      const body = await frame.locator('#body').evaluate((e) => (e as unknown as { value: string }).value);
      assert.ok(body.includes('instances') && !body.includes(MARKER), body);
    }
    await vscode.screenshot('playground-outside-label');

    // the server accepts and never answers: after the 2 s timeout, a message instead of "…"
    await frameOf(page).locator('#send').click();
    const response = await eventually(
      () => frameOf(page).locator('#response').innerText(),
      (t) => t.includes('no answer'),
      'the timeout message',
    );
    assert.match(normalize(response), /^no answer within 2 s from 127\.0\.0\.1:\d+: the server accepted the request but did not respond/);
    assert.equal(normalize(await frameOf(page).locator('#status').innerText()), 'no answer');
    await vscode.screenshot('playground-timeout');
  });

  test(
    'a port published on a non-loopback address only: a message, no panel, no request',
    { skip: LAN_IP === undefined ? 'no non-loopback IPv4 address here' : false },
    async () => {
      const page = vscode.page;
      await runCommand(page, 'View: Close All Editors');
      const message = new RegExp(
        `port 8000 is published on ${LAN_IP?.replace(/\./g, '\\.')} only, which Berth does not send traffic to; publish it on 127\\.0\\.0\\.1 \\(berth\\.yaml ports: \\['8000'\\]\\)`,
      );
      await paletteOn(page, 'Berth: Open Inference Playground', 'Open playground', LAN);
      const toast = await waitForNotification(page, message);
      await vscode.screenshot('playground-non-loopback');
      assert.equal(await page.locator('.tabs-container .tab', { hasText: `Playground: ${LAN}` }).count(), 0, 'no playground opened');
      await toast.hover();
      await toast.locator('.codicon-notifications-clear').click();
      await toast.waitFor({ state: 'detached', timeout: UI_TIMEOUT });
      // the browser is not sent there either
      const pages = vscode.browser.contexts()[0]?.pages().length;
      await paletteOn(page, 'Berth: Open Published Port in Browser', 'Open published port', LAN);
      await waitForNotification(page, message);
      assert.equal(vscode.browser.contexts()[0]?.pages().length, pages, 'no browser tab opened');
    },
  );
});

function frameOf(vscodePage: VSCode['page']) {
  return vscodePage.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
}
