import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { EngineTimeoutError, EngineUnreachableError } from '../../src/core/engine/errors';

function endpointFor(host: string) {
  return resolveEndpoint({ env: { DOCKER_HOST: host }, homeDir: os.tmpdir(), platform: 'linux', readFile: () => undefined });
}

// Each case must end with a typed error; the per-test timeout turns a hang into a failure.
describe('engine: an unreachable host gives a typed error, never a hang', { timeout: 20_000 }, () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  after(() => {
    sockets.forEach((s) => s.destroy());
    servers.forEach((s) => s.close());
  });

  test('dead unix socket (no file)', async () => {
    const host = `unix://${path.join(os.tmpdir(), `berth-no-such-${process.pid}.sock`)}`;
    await assert.rejects(Engine.connect(endpointFor(host), { timeoutMs: 3000 }), (e: unknown) => {
      assert.ok(e instanceof EngineUnreachableError, String(e));
      assert.match(e.message, /^Cannot reach Docker at unix:\/\/.*berth-no-such-.*— is the engine running\?/);
      return true;
    });
  });

  test('stale unix socket file with nobody listening', async () => {
    const file = path.join(os.tmpdir(), `berth-stale-${process.pid}.sock`);
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(file, r));
    await new Promise<void>((r) => server.close(() => r()));
    fs.writeFileSync(file, ''); // a leftover file, not a socket
    try {
      await assert.rejects(Engine.connect(endpointFor(`unix://${file}`), { timeoutMs: 3000 }), EngineUnreachableError);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  test('closed TCP port', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(Engine.connect(endpointFor(`tcp://127.0.0.1:${port}`), { timeoutMs: 3000 }), (e: unknown) => {
      assert.ok(e instanceof EngineUnreachableError, String(e));
      assert.match(e.message, /connection refused/);
      return true;
    });
  });

  test('a listener that never answers: timeout error naming the operation', async () => {
    const server = net.createServer((s) => sockets.push(s)); // accepts, says nothing
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await assert.rejects(Engine.connect(endpointFor(`tcp://127.0.0.1:${port}`), { timeoutMs: 1000 }), (e: unknown) => {
      assert.ok(e instanceof EngineTimeoutError, String(e));
      assert.match(e.message, /did not answer GET \/version within 1000 ms/);
      return true;
    });
  });
});
