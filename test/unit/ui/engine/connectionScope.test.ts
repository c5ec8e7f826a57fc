/**
 * What lives as long as one engine connection: the scope alone, then EngineSession's scope against
 * two Docker API stand-ins on unix sockets — kept while the session finds the same engine again,
 * ended when the settings change or the session reaches another engine, and waited for at the end.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before, describe, mock, test } from 'node:test';
import type * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { contextDirName } from '../../../../src/core/engine/connection';
import { WarmRunners } from '../../../../src/core/notebook/warmRunners';
import { NotebookComparisons } from '../../../../src/ui/compare/notebookComparisons';
import { Config } from '../../../../src/ui/config';
import { ConnectionScope } from '../../../../src/ui/engine/connectionScope';
import { EngineSession } from '../../../../src/ui/engine/engineSession';
import type { CommandContext } from '../../../../src/ui/commands';
import type { LogTerminal } from '../../../../src/ui/logs/logTerminal';
import { openLogs } from '../../../../src/ui/logs/showLogs';
import { recordFromSummary } from '../../../../src/core/engine/containerStore';
import type { Services } from '../../../../src/ui/services';

const quietLog = { info() {}, debug() {}, warn() {}, error() {}, trace() {} } as unknown as vscode.LogOutputChannel;

/** A Docker Engine API stand-in on a unix socket: version, info, ping and an empty container list; it keeps the paths asked. */
async function fakeEngine(socket: string): Promise<{ requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    requests.push(`${req.method ?? 'GET'} ${url}`);
    const json = (body: unknown): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (url.startsWith('/_ping')) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
    else if (url.startsWith('/version')) json({ Version: '27.3.1', ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
    else if (url.startsWith('/info')) json({ OperatingSystem: 'Stand-in', Runtimes: { runc: {} } });
    else if (url.startsWith('/containers/json')) json([]);
    else res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"not here"}');
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Something to end with a connection that says when it was disposed. */
function probe(name: string, ended: string[], delayMs = 0): { dispose: () => Promise<void> } {
  return {
    dispose: async () => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      ended.push(name);
    },
  };
}

describe('ConnectionScope', () => {
  test('ending disposes everything added, newest first, and waits for slow disposals', async () => {
    const scope = new ConnectionScope();
    const ended: string[] = [];
    scope.add(probe('first', ended, 30));
    scope.add(probe('second', ended));
    assert.equal(scope.ended, false);
    await scope.end();
    assert.equal(scope.ended, true);
    assert.deepEqual(ended, ['second', 'first']);
    // once only
    await scope.end();
    assert.deepEqual(ended, ['second', 'first']);
  });

  test('what is added after the end is disposed at once; a removed item is not disposed', async () => {
    const scope = new ConnectionScope();
    const ended: string[] = [];
    const gone = scope.add(probe('gone by itself', ended));
    scope.remove(gone);
    await scope.end();
    assert.deepEqual(ended, []);
    scope.add(probe('late', ended));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ended, ['late']);
  });

  test('a failing disposal does not keep the others from ending', async () => {
    const scope = new ConnectionScope();
    const ended: string[] = [];
    scope.add(probe('kept', ended));
    scope.add({
      dispose: () => {
        throw new Error('already gone');
      },
    });
    await scope.end();
    assert.deepEqual(ended, ['kept']);
  });
});

describe('EngineSession: one scope per engine connection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scope-'));
  const socketA = path.join(dir, 'a.sock');
  const socketB = path.join(dir, 'b.sock');
  let engineA: Awaited<ReturnType<typeof fakeEngine>>;
  let engineB: Awaited<ReturnType<typeof fakeEngine>>;
  const sessions: EngineSession[] = [];

  before(async () => {
    engineA = await fakeEngine(socketA);
    engineB = await fakeEngine(socketB);
  });
  after(async () => {
    await engineA.close();
    await engineB.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.dispose();
    standIn.reset();
  });

  /** A session connected to the engine on that socket (the berth.engine.host setting), or to the one its environment names. */
  async function connectedSession(socket: string | undefined): Promise<EngineSession> {
    if (socket !== undefined) standIn.configure({ 'berth.engine.host': `unix://${socket}` });
    const session = new EngineSession(new Config(), quietLog);
    sessions.push(session);
    const state = await session.reconnect();
    assert.equal(state.kind, 'connected', JSON.stringify(state));
    return session;
  }

  test('reconnecting to the same engine, or finding it again after losing it, is the same connection', async () => {
    const session = await connectedSession(socketA);
    const ended: string[] = [];
    const scope = session.connection;
    scope.add(probe('warm runner', ended));
    await session.reconnect();
    assert.equal(session.state.kind, 'connected');
    // the engine goes away and comes back at the same endpoint
    await engineA.close();
    assert.equal((await session.reconnect()).kind, 'unreachable');
    engineA = await fakeEngine(socketA);
    assert.equal((await session.reconnect()).kind, 'connected');
    assert.equal(session.connection, scope);
    assert.deepEqual(ended, []);
  });

  test('a change of the engine settings ends the connection and announces the next', async () => {
    const session = await connectedSession(socketA);
    const ended: string[] = [];
    const first = session.connection;
    first.add(probe('warm runner', ended));
    const announced: ConnectionScope[] = [];
    session.onDidChangeConnection((scope) => announced.push(scope));
    const connected = new Promise<void>((resolve) => {
      const sub = session.onDidChange((s) => {
        if (s.kind !== 'connected') return;
        sub.dispose();
        resolve();
      });
    });
    // even one that leaves the endpoint as it was: the next connection is made with the new settings
    standIn.configure({ 'berth.engine.timeoutMs': 5000 });
    await connected;
    assert.deepEqual(ended, ['warm runner']);
    assert.equal(first.ended, true);
    assert.deepEqual(announced, [session.connection]);
    assert.notEqual(session.connection, first);
    assert.equal(session.connection.ended, false);
    assert.equal(session.state.kind === 'connected' && session.state.endpoint.host, `unix://${socketA}`);
  });

  test('another engine found on a reconnect (a new docker context) ends the connection without a settings event', async () => {
    // no engine setting: the docker CLI's configuration decides, and `docker context use` changes it
    const docker = path.join(dir, 'docker');
    const useContext = (name: string): void => fs.writeFileSync(path.join(docker, 'config.json'), JSON.stringify({ currentContext: name }));
    for (const [name, socket] of [
      ['a', socketA],
      ['b', socketB],
    ] as const) {
      const meta = path.join(docker, 'contexts', 'meta', contextDirName(name));
      fs.mkdirSync(meta, { recursive: true });
      fs.writeFileSync(path.join(meta, 'meta.json'), JSON.stringify({ Name: name, Endpoints: { docker: { Host: `unix://${socket}` } } }));
    }
    useContext('a');
    const saved = {
      DOCKER_CONFIG: process.env.DOCKER_CONFIG,
      DOCKER_HOST: process.env.DOCKER_HOST,
      DOCKER_CONTEXT: process.env.DOCKER_CONTEXT,
    };
    process.env.DOCKER_CONFIG = docker;
    delete process.env.DOCKER_HOST;
    delete process.env.DOCKER_CONTEXT;
    try {
      const session = await connectedSession(undefined);
      assert.equal(session.state.kind === 'connected' && session.state.endpoint.host, `unix://${socketA}`);
      const ended: string[] = [];
      const first = session.connection;
      first.add(probe('log terminal', ended));
      useContext('b');
      await session.reconnect();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(ended, ['log terminal']);
      assert.notEqual(session.connection, first);
      assert.equal(session.state.kind === 'connected' && session.state.endpoint.host, `unix://${socketB}`);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  test('ending the session waits for the connection cleanups', async () => {
    const session = await connectedSession(socketA);
    sessions.splice(sessions.indexOf(session), 1);
    const ended: string[] = [];
    session.connection.add(probe('containers removed', ended, 50));
    await session.dispose();
    assert.deepEqual(ended, ['containers removed']);
  });

  test("the notebook comparisons' containers started ahead end with the connection", async () => {
    const session = await connectedSession(socketA);
    const config = new Config();
    const comparisons = new NotebookComparisons({ session, config, log: quietLog } as unknown as Pick<
      Services,
      'context' | 'log' | 'config' | 'session' | 'runs'
    >);
    const disposed = mock.method(WarmRunners.prototype, 'dispose');
    try {
      const warmRunners = (): WarmRunners | undefined =>
        (comparisons as unknown as { warmRunners: () => WarmRunners | undefined }).warmRunners();
      const first = warmRunners();
      assert.ok(first);
      assert.equal(warmRunners(), first, 'kept for the next comparison while the connection lasts');
      const connected = new Promise<void>((resolve) => {
        const sub = session.onDidChange((s) => {
          if (s.kind !== 'connected') return;
          sub.dispose();
          resolve();
        });
      });
      standIn.configure({ 'berth.engine.host': `unix://${socketB}` });
      await connected;
      assert.equal(disposed.mock.calls.length, 1);
      assert.equal(disposed.mock.calls[0]?.this, first);
      const next = warmRunners();
      assert.ok(next);
      assert.notEqual(next, first);
    } finally {
      disposed.mock.restore();
      await comparisons.dispose();
    }
  });

  test('a log terminal stops following and says so when the connection ends', async () => {
    const session = await connectedSession(socketA);
    const ctx = { session, log: quietLog } as unknown as CommandContext;
    const record = recordFromSummary({
      Id: 'c0ffee',
      Names: ['/model'],
      Image: 'busybox',
      ImageID: 'sha256:1',
      Command: 'sleep 1',
      Created: 0,
      State: 'running',
      Status: 'Up',
      Ports: [],
      Labels: {},
    } as unknown as Parameters<typeof recordFromSummary>[0]);
    openLogs(ctx, [record], { tail: 0, timestamps: false });
    const [terminal] = standIn.callsTo('window.createTerminal').map(([options]) => (options as { pty: LogTerminal }).pty);
    assert.ok(terminal);
    const written: string[] = [];
    terminal.onDidWrite((text) => written.push(text));
    standIn.configure({ 'berth.engine.host': `unix://${socketB}` });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(written.join(''), /the engine connection changed: these logs end here/);
  });
});
