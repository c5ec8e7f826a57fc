import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  berthStatusItem,
  engineFacts,
  eventually,
  openBerthView,
  rowTexts,
  runCommand,
  startVSCode,
  statusBarText,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
} from './harness';

/** A unix-socket proxy to the engine, started at a path where nothing listened before. */
function startProxy(at: string, engineSocket: string): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect(engineSocket);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, () => resolve(server));
  });
}

describe('e2e: a dead DOCKER_HOST, then the engine comes back and Retry reconnects', { timeout: 120_000 }, () => {
  let vscode: VSCode;
  let engine: { version: string; apiVersion: string; host: string };
  let dir: string;
  let socket: string;
  let host: string;
  let proxy: net.Server | undefined;

  before(async () => {
    engine = await engineFacts();
    assert.match(engine.host, /^unix:\/\//, 'this scenario proxies a local unix-socket engine');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-dead-'));
    socket = path.join(dir, 'docker.sock');
    host = `unix://${socket}`;
    vscode = await startVSCode('unreachable', { env: { DOCKER_HOST: host } });
  });
  after(async () => {
    await vscode?.close();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the Berth view says it cannot reach the engine and offers Retry', async () => {
    const pane = await openBerthView(vscode.page);
    const body = pane.locator('.pane-body');
    // "Connecting to the container engine…" until the first attempt has failed
    const text = await eventually(
      () => body.innerText(),
      (t) => t.trim() !== '' && !t.includes('Connecting'),
      'the Berth view to settle on the unreachable state',
      { stableMs: 1500 },
    );
    await vscode.screenshot('unreachable-view');
    assert.ok(
      text.includes('Berth cannot reach the container engine.'),
      `the welcome text is not in the view; the view shows: ${JSON.stringify(text)}`,
    );
    assert.ok(!/\$\{[^}]*\}/.test(text), `the view shows an unfilled placeholder: ${JSON.stringify(text)}`);
    for (const action of ['Retry', 'Show Engine Info', 'Show Log']) {
      assert.equal(await body.getByRole('button', { name: action, exact: true }).count(), 1, `no ${action} button in the view`);
    }
    assert.deepEqual(await rowTexts(pane), []);
  });

  test('the status bar says the engine is unreachable, and why on hover', async () => {
    const page = vscode.page;
    const text = await eventually(
      () => statusBarText(page),
      (t) => t.startsWith('Docker:'),
      'the unreachable status',
    );
    assert.equal(text, 'Docker: unreachable');
    const item = berthStatusItem(page);
    await item.hover();
    const hover = page.locator('.workbench-hover, .monaco-hover', { hasText: 'Cannot reach Docker' }).first();
    await hover.waitFor({ timeout: UI_TIMEOUT });
    await vscode.screenshot('unreachable-status', { keepPointer: true });
    assert.ok((await hover.innerText()).includes(`Cannot reach Docker at ${host} — is the engine running?`), await hover.innerText());
  });

  test('retrying while the engine is still away says so in one notification with Retry and Show Log', async () => {
    const page = vscode.page;
    await runCommand(page, 'Berth: Retry Engine Connection');
    const toast = await waitForNotification(page, 'Cannot reach Docker');
    assert.ok((await toast.innerText()).includes(`Cannot reach Docker at ${host} — is the engine running?`), await toast.innerText());
    for (const action of ['Retry', 'Show Log']) {
      assert.equal(await toast.getByRole('button', { name: action, exact: true }).count(), 1, `no ${action} on the notification`);
    }
    await vscode.screenshot('unreachable-notification');
    // Berth retries by itself 2 s after this failure: the next steps must beat that, so that the
    // Retry click is what reconnects
  });

  test('once the engine answers at that path, Retry in the view shows the engine again', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page);
    const retry = pane.locator('.pane-body').getByRole('button', { name: 'Retry', exact: true });
    const hasRetry = (await retry.count()) === 1;
    proxy = await startProxy(socket, new URL(engine.host).pathname);
    assert.ok(hasRetry, 'no Retry button in the Berth view to click');
    await retry.click({ timeout: 1000 });
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.length > 0,
      'the engine rows after Retry',
    );
    assert.equal(rows[0], `Engine  Docker ${engine.version} · API ${engine.apiVersion}`);
    assert.ok(rows.includes(`Host  ${host}`), rows.join('\n'));
    const status = await eventually(
      () => statusBarText(page),
      (t) => t.startsWith(`Docker ${engine.version}`),
      'the engine version in the status bar',
    );
    assert.match(status, / · (no GPU|GPU: .+)$/);
    // the notification of the failed attempt is history now
    await runCommand(page, 'Notifications: Clear All Notifications');
    await vscode.screenshot('unreachable-recovered');
  });
});
