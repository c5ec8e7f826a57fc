import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, describe, test } from 'node:test';
import { probeDebugpy } from '../../../../src/core/project/debugpyServer';

/** A server on 127.0.0.1 doing `onConnection` with each connection; its port. */
async function server(onConnection: (socket: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  assert.ok(address !== null && typeof address === 'object');
  return {
    port: address.port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      s.close();
    },
  };
}

describe('probeDebugpy: has debugpy taken the published port yet?', () => {
  const closers: (() => void)[] = [];
  after(() => closers.forEach((close) => close()));

  test('a proxy that accepts and drops the connection (nothing listens inside): not yet', async () => {
    const proxy = await server((socket) => socket.destroy());
    closers.push(proxy.close);
    assert.equal(await probeDebugpy('127.0.0.1', proxy.port, 2000), 'dropped');
  });

  test('a server that speaks first, as debugpy does: ready at once', async () => {
    let saidAnything = false;
    const dap = await server((socket) => {
      socket.on('data', () => (saidAnything = true));
      const body = JSON.stringify({ seq: 1, type: 'event', event: 'output', body: { category: 'telemetry', output: 'debugpy' } });
      socket.write(`Content-Length: ${body.length}\r\n\r\n${body}`);
    });
    closers.push(dap.close);
    const started = Date.now();
    assert.equal(await probeDebugpy('127.0.0.1', dap.port, 5000), 'speaks');
    assert.ok(Date.now() - started < 5000, 'ready on the first bytes, not after the settle time');
    assert.equal(saidAnything, false, 'the probe sends nothing to debugpy');
  });

  test('a server (or a proxy whose dial hangs) that keeps the connection without a word: silent, after the settle time', async () => {
    const quiet = await server(() => undefined);
    closers.push(quiet.close);
    assert.equal(await probeDebugpy('127.0.0.1', quiet.port, 200), 'silent');
  });

  test('nothing on the port: not yet', async () => {
    const gone = await server(() => undefined);
    gone.close();
    assert.equal(await probeDebugpy('127.0.0.1', gone.port, 500), 'dropped');
  });
});
