import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { engineFacts, eventually, openBerthView, rowTexts, startVSCode, treeRow, type VSCode } from './harness';

const FAILURE = 'listing images failed on purpose (Berth e2e)';

/**
 * An HTTP proxy on a unix socket in front of the engine that answers the image list with a 500
 * while `failing`, and passes everything else through (streams included).
 */
function startListingProxy(at: string, engineSocket: string, state: { failing: boolean }): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (state.failing && req.method === 'GET' && /^\/v[\d.]+\/images\/json/.test(req.url ?? '')) {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: FAILURE }));
      return;
    }
    const upstream = http.request({ socketPath: engineSocket, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    // the client went away before the answer ended (a stream it stopped following)
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(at, () => resolve(server));
  });
}

describe('e2e: a view whose listing fails says so in its rows, and Retry lists again', { timeout: 120_000 }, () => {
  let vscode: VSCode;
  let dir: string;
  let proxy: http.Server;
  const state = { failing: true };

  before(async () => {
    const engine = await engineFacts();
    assert.match(engine.host, /^unix:\/\//, 'this scenario proxies a local unix-socket engine');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-listing-'));
    const socket = path.join(dir, 'docker.sock');
    proxy = await startListingProxy(socket, new URL(engine.host).pathname, state);
    vscode = await startVSCode('listingError', { env: { DOCKER_HOST: `unix://${socket}` } });
  });
  after(async () => {
    await vscode?.close();
    proxy?.closeAllConnections();
    await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the Images view shows the error with Retry and Show Log; the engine stays connected', async () => {
    const pane = await openBerthView(vscode.page, 'Images');
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.length > 0,
      'rows in the Images view',
    );
    await vscode.screenshot('listingError-images');
    assert.equal(rows[0], `Could not list images  ${FAILURE}`, JSON.stringify(rows));
    assert.deepEqual(rows.slice(1), ['Retry', 'Show Log']);
    // the other views list as before: the failure is the image list's alone
    const engineRows = await rowTexts(await openBerthView(vscode.page, 'Engines'));
    assert.ok(engineRows.length > 0, 'the Engine view lists the connected engine');
  });

  test('once the engine lists images again, the Retry row lists them', async () => {
    state.failing = false;
    const pane = await openBerthView(vscode.page, 'Images');
    await treeRow(pane, 'Retry').click();
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.length > 0 && !r.some((t) => t.startsWith('Could not list')),
      'the images after Retry',
    );
    assert.ok(
      rows.some((t) => /^[^ ]+:[^ ]+ {2}.*ago/.test(t)),
      `the images (tag · size · age) are listed: ${JSON.stringify(rows)}`,
    );
  });
});
