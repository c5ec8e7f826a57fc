import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage } from '../../src/core/engine/build';
import type { Engine } from '../../src/core/engine/engine';
import { scanContext } from '../../src/core/project/buildContext';
import {
  eventually,
  normalize,
  runCommand,
  sampleWorkspace,
  startVSCode,
  terminalText,
  testEngine,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
} from './harness';

/**
 * Fleet monitoring in the real VS Code: the Fleet dashboard with two sample model servers under
 * load (rates and latencies from their /metrics, sorting, filtering, an hour's charts, Logs), and
 * an alert for a container that crash-loops, told once, whose Show Logs opens its logs.
 */
describe('e2e: fleet alerts', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let docker: Engine;
  const run = `fleet-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const LOOPING = `berth-e2e-loop-${run}`;
  const TAG = `berth-e2e/iris-fleet:${run}`;
  const MODELS = [`iris-a-${run}`, `iris-b-${run}`];
  const ports = new Map<string, number>();
  let load: AbortController | undefined;
  let loading: Promise<void> | undefined;

  before(async () => {
    docker = await testEngine();
    const workspace = sampleWorkspace('fleet', 'iris-classifier');
    await buildImage(docker, {
      scan: scanContext(workspace),
      dockerfile: 'Dockerfile',
      tag: TAG,
      buildArgs: { BASE: process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest' },
    });
    // two model containers as Berth runs them (its labels, a profile), published on 127.0.0.1
    for (const name of MODELS) {
      const id = await docker.createContainer({
        Image: TAG,
        name,
        Labels: { 'berth.test': run, 'berth.managed': 'true', 'berth.profile': 'serve', 'berth.project': workspace },
        ExposedPorts: { '8000/tcp': {} },
        HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Memory: 256 * 2 ** 20 },
      });
      await docker.startContainer(id);
      const port = (await docker.inspectContainer(id)).ports.find((p) => p.containerPort === 8000)?.hostPort;
      assert.ok(port, `${name}'s published port`);
      ports.set(name, port);
    }
    // load: predictions to both, the second twice as often
    load = new AbortController();
    const signal = load.signal;
    const body = fs.readFileSync(path.join(workspace, 'requests', 'predict.json'), 'utf8');
    const send = async (port: number): Promise<void> => {
      // no signal: the loop ends when aborted, and each request is short
      await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    };
    loading = (async () => {
      while (!signal.aborted) {
        await Promise.all([send(ports.get(MODELS[0]!)!), send(ports.get(MODELS[1]!)!), send(ports.get(MODELS[1]!)!)]);
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    vscode = await startVSCode('fleet', { workspace, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(async () => {
    load?.abort();
    await loading;
    await vscode?.close();
    for (const c of await docker.listContainers({ filters: { label: [`berth.test=${run}`] } }))
      await docker.removeContainer(c.id, { force: true }).catch(() => undefined);
    await docker.removeImage(TAG, { force: true }).catch(() => undefined);
  });

  const frame = () => vscode.page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
  const cell = (name: string, key: string) => frame().locator(`tr[data-name="${name}"] td[data-key="${key}"]`);

  test('the Fleet dashboard shows both model servers with their request rates and latencies from /metrics', async () => {
    await runCommand(vscode.page, 'Berth: Show Fleet Dashboard');
    for (const name of MODELS) {
      await eventually(
        async () => Number.parseFloat(await cell(name, 'rps').innerText({ timeout: 1000 })),
        (rps) => rps > 0,
        `${name}'s request rate`,
        { timeoutMs: 60_000 },
      );
      assert.match(normalize(await cell(name, 'p50').innerText()), /^\d+(\.\d)? ms$/);
      assert.match(normalize(await cell(name, 'p99').innerText()), /^\d+(\.\d)? ms$/);
      assert.equal(normalize(await cell(name, 'source').innerText()), '/metrics');
      assert.match(normalize(await cell(name, 'memory').innerText()), / \/ 256(\.0)? MiB$/);
      // the image's own health check says healthy
      await eventually(
        async () => normalize(await cell(name, 'state').innerText()),
        (t) => t === 'running (healthy)',
        `${name} healthy`,
      );
    }
    // the second gets twice the requests of the first
    const a = Number.parseFloat(await cell(MODELS[0]!, 'rps').innerText());
    const b = Number.parseFloat(await cell(MODELS[1]!, 'rps').innerText());
    assert.ok(b > a * 1.3, `rates: ${a} and ${b}`);
    assert.match(normalize(await frame().locator('#summary').innerText()), /^\d+ model containers? · \d+ with \/metrics/);
  });

  test('sorting by a column, filtering by name, and the hour of history of a row in charts', async () => {
    const names = () =>
      frame()
        .locator('tbody tr')
        .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: Record<string, string | undefined> }).dataset.name ?? ''));
    await frame().locator('th[data-key="name"]').click();
    const sorted = (await names()).filter((n) => MODELS.includes(n));
    assert.deepEqual(sorted, [...MODELS].sort());
    await frame().locator('th[data-key="name"]').click();
    assert.deepEqual(
      (await names()).filter((n) => MODELS.includes(n)),
      [...MODELS].sort().reverse(),
    );
    // the busier one, with its charts: the README's picture, the side bar out of the way
    await frame().locator(`tr[data-name="${MODELS[1]!}"] td[data-key="name"]`).click();
    await eventually(
      async () => Number(await frame().locator('#detail p').getAttribute('data-samples')),
      (n) => n >= 4,
      'a few samples of history',
      { timeoutMs: 60_000 },
    );
    await runCommand(vscode.page, 'View: Toggle Primary Side Bar Visibility');
    await vscode.screenshot('fleet-dashboard');
    await runCommand(vscode.page, 'View: Toggle Primary Side Bar Visibility');
    await frame().locator(`tr[data-name="${MODELS[1]!}"] td[data-key="name"]`).click();
    await frame()
      .locator('#filter')
      .evaluate((e, v) => {
        const field = e as unknown as { value: string; dispatchEvent(ev: Event): boolean };
        field.value = v;
        field.dispatchEvent(new Event('input'));
      }, MODELS[1]);
    await eventually(names, (n) => n.length === 1 && n[0] === MODELS[1], 'only the filtered row');
    await frame().locator(`tr[data-name="${MODELS[1]!}"] td[data-key="name"]`).click();
    await frame().locator('[data-chart="Requests"] canvas').waitFor({ timeout: UI_TIMEOUT });
    for (const chart of ['Latency', 'Errors', 'CPU', 'Memory'])
      await frame().locator(`[data-chart="${chart}"] canvas`).waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      async () => Number(await frame().locator('#detail p').getAttribute('data-samples')),
      (n) => n >= 2,
      'the selected row’s history',
    );
    await vscode.screenshot('fleet-dashboard-detail');
    await frame().locator(`tr[data-name="${MODELS[1]!}"] .open-logs`).click();
    await eventually(
      () => terminalText(vscode.page),
      (t) => t.includes('POST /predict'),
      'the model server’s logs',
    );
    await runCommand(vscode.page, 'View: Close All Editors');
  });

  test('a model server without /metrics: the requests sent from its playground are its figures', async () => {
    const page = vscode.page;
    const PLAIN = `plain-${run}`;
    const server = [
      'from http.server import BaseHTTPRequestHandler, HTTPServer',
      'class H(BaseHTTPRequestHandler):',
      '    def answer(self):',
      '        self.rfile.read(int(self.headers.get("content-length") or 0))',
      '        body = b\'{"ok": true}\'',
      '        self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)',
      '    do_GET = do_POST = answer',
      '    def log_message(self, *a): pass',
      'HTTPServer(("0.0.0.0", 8000), H).serve_forever()',
    ].join('\n');
    const id = await docker.createContainer({
      Image: 'berth-python-numpy:latest',
      name: PLAIN,
      Cmd: ['python3', '-c', server],
      Labels: { 'berth.test': run, 'berth.managed': 'true', 'berth.profile': 'serve' },
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      StopSignal: 'SIGKILL',
    });
    await docker.startContainer(id);
    // its playground, from the palette: 20 requests
    await runCommand(page, 'Berth: Open Inference Playground', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(PLAIN);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: PLAIN }).first().waitFor({ timeout: UI_TIMEOUT });
    await input.press('Enter');
    const playground = frame();
    await playground.locator('h2', { hasText: `Playground: ${PLAIN}` }).waitFor({ timeout: UI_TIMEOUT });
    await playground.locator('#count').evaluate((e) => {
      (e as unknown as { value: string }).value = '20';
    });
    await playground.locator('#run-batch').click();
    await eventually(
      () => playground.locator('#batch').innerText(),
      (t) => /requests\s+20/.test(normalize(t)),
      'the batch summary',
    );
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Berth: Show Fleet Dashboard');
    await eventually(
      async () => normalize(await cell(PLAIN, 'source').innerText({ timeout: 1000 })),
      (t) => t === 'Berth’s requests',
      'the figures from the playground’s requests',
      { timeoutMs: 30_000 },
    );
    await runCommand(page, 'View: Close All Editors');
  });

  test('a crash-looping container: one alert with its exit code; Show Logs opens its logs', async () => {
    const page = vscode.page;
    // Berth is up (the status bar shows the engine) before the container starts looping
    await page
      .locator('.statusbar-item', { hasText: /Docker|Podman/ })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await new Promise((r) => setTimeout(r, 1500));
    const id = await docker.createContainer({
      name: LOOPING,
      Image: 'berth-busybox:latest',
      Cmd: ['sh', '-c', 'echo "loop run $(date +%s%N)"; sleep 0.3; exit 3'],
      HostConfig: { RestartPolicy: { Name: 'always' } },
      Labels: { 'berth.test': run },
    });
    await docker.startContainer(id);
    const toast = await waitForNotification(page, `${LOOPING} is crash-looping`);
    assert.match(await toast.innerText(), /is crash-looping: \d+ restarts in 5 min, last exit code 3/);
    await vscode.screenshot('fleet-alert');
    // told once, however long it keeps looping
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await page.locator('.notifications-toasts .notification-toast', { hasText: `${LOOPING} is crash-looping` }).count(), 1);
    await toast.getByRole('button', { name: 'Show Logs', exact: true }).click();
    await eventually(
      () => terminalText(page),
      (t) => t.includes('loop run'),
      'the looping container’s logs',
    );
    await docker.stopContainer(id, { graceSeconds: 0 }).catch(() => undefined);
  });
});
