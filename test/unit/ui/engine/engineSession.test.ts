/**
 * The engine session against an engine that is away and then answers: a Docker API stand-in on a
 * unix socket (the three calls a connection makes), the session's timers and clock mocked so the
 * backoff is stepped through exactly.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import type * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { Config } from '../../../../src/ui/config';
import { EngineSession, type EngineState } from '../../../../src/ui/engine/engineSession';

/** A log channel that keeps its lines. */
function recordingLog(): { log: vscode.LogOutputChannel; lines: { level: string; text: string; err?: unknown }[] } {
  const lines: { level: string; text: string; err?: unknown }[] = [];
  const at =
    (level: string) =>
    (text: string, ...rest: unknown[]): void =>
      void lines.push({ level, text, ...(rest.length > 0 ? { err: rest[0] } : {}) });
  const log = { info: at('info'), error: at('error'), debug: at('debug'), warn: at('warn'), trace: at('trace') };
  return { log: log as unknown as vscode.LogOutputChannel, lines };
}

/** A Docker Engine API stand-in on a unix socket: ping, version, info; or one that never answers. */
async function fakeEngine(
  socket: string,
  mode: 'answers' | 'silent' = 'answers',
): Promise<{ requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').replace(/^\/v[\d.]+/, '');
    requests.push(url);
    if (mode === 'silent') return;
    const json = (body: unknown): void => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (url.startsWith('/_ping')) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
    else if (url.startsWith('/version')) json({ Version: '27.3.1', ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
    else if (url.startsWith('/info')) json({ OperatingSystem: 'Debian GNU/Linux 12', Runtimes: { runc: {} }, CDISpecDirs: [] });
    else res.writeHead(404).end('{"message":"not here"}');
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

/** The next state the session reports that satisfies `ok`. */
function next(session: EngineSession, ok: (s: EngineState) => boolean): Promise<EngineState> {
  return new Promise((resolve) => {
    const sub = session.onDidChange((s) => {
      if (!ok(s)) return;
      sub.dispose();
      resolve(s);
    });
  });
}
const isUnreachable = (s: EngineState): boolean => s.kind === 'unreachable';
const isConnected = (s: EngineState): boolean => s.kind === 'connected';

/** Let real I/O and promises run (setImmediate is not mocked). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('EngineSession: an engine that is away, then answers', { timeout: 20_000 }, () => {
  let dir = '';
  let socket = '';
  let session: EngineSession | undefined;
  let engine: Awaited<ReturnType<typeof fakeEngine>> | undefined;
  let logged: ReturnType<typeof recordingLog>;
  const attempts = (): number => logged.lines.filter((l) => l.text.startsWith('Connecting to ')).length;
  const retryInMs = (s: EngineState): number => (s.kind === 'unreachable' ? (s.nextRetryAt?.getTime() ?? NaN) - Date.now() : NaN);
  const contexts = (): unknown[][] =>
    standIn
      .callsTo('commands.executeCommand')
      .filter((args) => args[0] === 'setContext')
      .map((args) => args.slice(1));

  beforeEach(() => {
    standIn.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-session-'));
    socket = path.join(dir, 'engine.sock');
    standIn.configure({ 'berth.engine.host': `unix://${socket}`, 'berth.engine.timeoutMs': 60_000 });
    logged = recordingLog();
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.parse('2026-12-01T12:00:00Z') });
  });

  afterEach(async () => {
    await session?.dispose();
    session = undefined;
    // requests still on their way end (and clear their timers) before the mocked timers go
    await engine?.close();
    engine = undefined;
    await settle();
    mock.timers.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A new session, its first attempt ended unreachable. */
  async function startUnreachable(): Promise<EngineSession> {
    session = new EngineSession(new Config(), logged.log);
    const first = next(session, isUnreachable);
    void session.reconnect();
    const state = await first;
    assert.equal(state.kind === 'unreachable' && state.error.code, 'unreachable');
    return session;
  }

  test('retries after 2 s, 4 s, 8 s, 16 s, then every 30 s; the first failure is an error in the log, the others debug', async () => {
    const s = await startUnreachable();
    assert.equal(attempts(), 1);
    assert.deepEqual(contexts(), [
      ['berth.engineError', undefined],
      ['berth.engineState', 'connecting'],
      ['berth.engineError', 'unreachable'],
      ['berth.engineState', 'unreachable'],
    ]);
    let state = s.state;
    for (const delay of [2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]) {
      assert.equal(retryInMs(state), delay);
      const before = attempts();
      mock.timers.tick(delay - 1);
      assert.equal(attempts(), before, `no attempt before ${delay} ms`);
      const failed = next(s, isUnreachable);
      mock.timers.tick(1);
      assert.equal(attempts(), before + 1, `an attempt at ${delay} ms`);
      state = await failed;
    }
    assert.deepEqual(
      logged.lines.filter((l) => l.level === 'error').map((l) => l.text),
      [`Engine unreachable: ${(s.state as { error: Error }).error.message}`],
    );
    assert.equal(logged.lines.filter((l) => l.level === 'debug' && /still unreachable \(attempt \d+\)/.test(l.text)).length, 7);
    assert.throws(
      () => s.requireEngine(),
      (err: unknown) => err === (s.state as { error: unknown }).error,
    );
  });

  test('the retry after the engine comes back connects; it is checked every 30 s; when it goes, the backoff starts again at 2 s', async () => {
    const s = await startUnreachable();
    mock.timers.tick(2000);
    await next(s, isUnreachable);
    engine = await fakeEngine(socket);
    const connected = next(s, isConnected);
    mock.timers.tick(4000);
    const state = await connected;
    assert.ok(state.kind === 'connected');
    assert.equal(state.info.operatingSystem, 'Debian GNU/Linux 12');
    assert.equal(s.requireEngine(), state.engine);
    assert.ok(logged.lines.some((l) => l.level === 'info' && l.text.startsWith('Connected: Docker 27.3.1, API 1.47')));
    assert.deepEqual(contexts().slice(-2), [
      ['berth.engineError', undefined],
      ['berth.engineState', 'connected'],
    ]);

    // a health check every 30 s
    const pings = (): number => engine!.requests.filter((r) => r.startsWith('/_ping')).length;
    mock.timers.tick(29_999);
    await settle();
    assert.equal(pings(), 0);
    mock.timers.tick(1);
    await settle();
    assert.equal(pings(), 1);

    // the engine goes away: the next check finds it, and retries start again from 2 s
    await engine.close();
    engine = undefined;
    const lost = next(s, isUnreachable);
    mock.timers.tick(30_000);
    const away = await lost;
    assert.equal(retryInMs(away), 2000);
    assert.equal(logged.lines.filter((l) => l.level === 'error').length, 2, 'losing a connected engine is an error in the log');
  });

  test('a command run at start-up waits for the first attempt, at most 15 s', async () => {
    engine = await fakeEngine(socket, 'silent');
    session = new EngineSession(new Config(), logged.log);
    void session.reconnect();
    const settled: EngineState[] = [];
    void session.whenSettled().then((st) => settled.push(st));
    await settle();
    assert.ok(engine.requests.length > 0, 'the engine was asked');
    mock.timers.tick(14_999);
    await settle();
    assert.equal(settled.length, 0);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(
      settled.map((st) => st.kind),
      ['connecting'],
    );
  });

  test('whenSettled answers once the first attempt ends, and at once after it', async () => {
    session = new EngineSession(new Config(), logged.log);
    void session.reconnect();
    const first = await session.whenSettled();
    assert.equal(first.kind, 'unreachable');
    assert.equal(await session.whenSettled(), session.state);
  });

  test('changing the engine settings reconnects at once, to the new host', async () => {
    const s = await startUnreachable();
    const other = path.join(dir, 'other.sock');
    engine = await fakeEngine(other);
    const connected = next(s, isConnected);
    standIn.configure({ 'berth.engine.host': `unix://${other}` });
    const state = await connected;
    assert.equal(state.kind === 'connected' && state.endpoint.host, `unix://${other}`);
    assert.ok(logged.lines.some((l) => l.text === 'Engine settings changed: reconnecting'));
  });

  test('the retry scheduled before a reconnect does not fire while the reconnect is on its way', async () => {
    const s = await startUnreachable();
    const other = path.join(dir, 'other.sock');
    engine = await fakeEngine(other, 'silent');
    const before = attempts();
    standIn.configure({ 'berth.engine.host': `unix://${other}` });
    assert.equal(attempts(), before + 1, 'reconnected at once');
    await settle();
    assert.ok(engine.requests.length > 0, 'the new host was asked');
    mock.timers.tick(2000);
    await settle();
    assert.equal(attempts(), before + 1, 'the retry of the old host was cancelled');
    console.log('DEBUG', JSON.stringify(logged.lines.map((l) => l.level + ' ' + l.text)), engine.requests);
    assert.equal(s.state.kind, 'unreachable');
  });

  test('a setting that is not the engine’s changes nothing', async () => {
    const s = await startUnreachable();
    const before = attempts();
    standIn.configure({ 'berth.logs.tail': 10 });
    await settle();
    assert.equal(attempts(), before);
    assert.equal(s.state.kind, 'unreachable');
  });

  test('after dispose, nothing more is tried', async () => {
    const s = await startUnreachable();
    const before = attempts();
    await s.dispose();
    mock.timers.tick(120_000);
    standIn.configure({ 'berth.engine.host': `unix://${socket}.2` });
    await settle();
    assert.equal(attempts(), before);
  });
});
