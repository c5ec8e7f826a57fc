import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine, type ConnectOptions } from '../../src/core/engine/engine';
import { EngineError, EngineUnreachableError, HostKeyError, SshAuthError } from '../../src/core/engine/errors';
import { engineEvents, type EngineEvent } from '../../src/core/engine/events';
import { containerLogs } from '../../src/core/engine/logs';
import { ContainerStore } from '../../src/core/engine/containerStore';
import { SshTunnel, SshTunnelPool, appendKnownHost, type TunnelState } from '../../src/core/engine/sshTunnel';
import { chooseTarget, reachTarget } from '../../src/ui/playground/target';
import { RUN_ID, TEST_LABEL, cleanup, connect, run } from './harness';
import { keygen, sshdUnavailable, startSshd, type Sshd } from './sshd';

const skip = sshdUnavailable();

function endpointFor(host: string): ReturnType<typeof resolveEndpoint> {
  return resolveEndpoint({ env: { DOCKER_HOST: host }, homeDir: '/nonexistent', platform: 'linux', readFile: () => undefined });
}

/** The state read through a call, so a check made earlier does not narrow it. */
function stateOf(tunnel: SshTunnel): TunnelState {
  return tunnel.state;
}

function logins(sshd: Sshd): number {
  return (sshd.log().match(/Accepted publickey/g) ?? []).length;
}

/** Keep re-reading until the sshd log has caught up (it is written by another process). */
async function settledLogins(sshd: Sshd, atLeast: number): Promise<number> {
  for (let i = 0; i < 20 && logins(sshd) < atLeast; i++) await new Promise((r) => setTimeout(r, 50));
  return logins(sshd);
}

/** Ask a unix socket for /_ping; resolves the status, or rejects with the socket error. */
function ping(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

/**
 * ssh:// engines through the tunnel: a real OpenSSH server on 127.0.0.1 in front of this
 * machine's engine socket. Every path is passed explicitly; the user's ~/.ssh is never read.
 */
describe('ssh tunnel: one ssh connection per engine', { skip, timeout: 120_000 }, () => {
  let sshd: Sshd;
  let knownHosts: string;
  let home: string;
  let containerId: string;
  const engines: Engine[] = [];

  before(async () => {
    sshd = await startSshd();
    home = path.join(sshd.dir, 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    knownHosts = path.join(sshd.dir, 'known_hosts');
    fs.writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    containerId = await run(await connect(), { Cmd: ['sh', '-c', 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done'] });
  });
  after(async () => {
    for (const e of engines) e.dispose();
    await cleanup(await connect());
    await sshd?.stop();
  });

  async function connectSsh(host: string, options: ConnectOptions = {}): Promise<Engine> {
    const engine = await Engine.connect(endpointFor(host), {
      timeoutMs: 15_000,
      env: { SSH_AUTH_SOCK: sshd.agentSocket },
      knownHostsFiles: [knownHosts],
      homeDir: home,
      sshConfigFile: path.join(home, '.ssh', 'config'),
      ...options,
    });
    engines.push(engine);
    return engine;
  }

  test('lists, a log stream and the events stream all go over one ssh login', async () => {
    const before = logins(sshd);
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`);
    const filter = { label: [`${TEST_LABEL}=${RUN_ID}`] };
    for (let i = 0; i < 10; i++)
      assert.deepEqual(
        (await engine.listContainers({ filters: filter })).map((c) => c.id),
        [containerId],
      );
    // a log that follows, and the events stream, at the same time
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const eventsDone = (async () => {
      for await (const e of engineEvents(engine, { signal: controller.signal, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } })) {
        events.push(e);
      }
    })().catch(() => undefined);
    const lines: string[] = [];
    for await (const line of containerLogs(engine, containerId, { follow: true, tail: 0, signal: controller.signal })) {
      lines.push(line.text);
      if (lines.length === 3) break;
    }
    assert.match(lines[2] ?? '', /^line \d+/);
    // an event caused through the same engine arrives on the stream
    await engine.pauseContainer(containerId);
    await engine.unpauseContainer(containerId);
    for (let i = 0; i < 50 && !events.some((e) => e.action === 'unpause'); i++) await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await eventsDone;
    assert.ok(
      events.some((e) => e.action === 'pause' && e.id === containerId),
      JSON.stringify(events.map((e) => e.action)),
    );
    assert.equal(engine.tunnel?.loginCount, 1);
    assert.equal(await settledLogins(sshd, before + 1), before + 1, 'sshd saw exactly one login');
  });

  test('engines of the same endpoint given one pool share the connection; the last to let go closes it', async () => {
    const pool = new SshTunnelPool();
    const a = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { sshTunnels: pool });
    const before = logins(sshd);
    const b = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { sshTunnels: pool });
    assert.equal(a.tunnel, b.tunnel);
    await b.listContainers();
    assert.equal(logins(sshd), before);
    a.dispose();
    assert.equal(b.tunnel?.state.kind, 'connected');
    await b.listContainers();
    b.dispose();
    assert.equal(b.tunnel?.state.kind, 'closed');
    assert.equal(fs.existsSync(b.tunnel.socketPath), false);
  });

  test('~/.ssh/config: an alias with HostName, Port, User and IdentityFile (no agent)', async () => {
    fs.writeFileSync(
      path.join(home, '.ssh', 'config'),
      [
        'Host dockerbox',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  User ${sshd.user}`,
        `  IdentityFile ${sshd.clientKey}`,
        '  IdentitiesOnly yes',
        '',
      ].join('\n'),
    );
    const engine = await connectSsh('ssh://dockerbox', { env: {} });
    assert.ok((await engine.ping()).length > 0);
    assert.equal(engine.tunnel?.route.hops[0]?.port, sshd.port);
  });

  test('a changed host key: refused with a typed error naming the new fingerprint', async () => {
    const other = keygen(path.join(sshd.dir, 'other_host')).split(/\s+/)[1] ?? '';
    const file = path.join(sshd.dir, 'changed_known_hosts');
    fs.writeFileSync(file, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${other}\n`);
    await assert.rejects(connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { knownHostsFiles: [file] }), (e: unknown) => {
      assert.ok(e instanceof HostKeyError, String(e));
      assert.equal(e.verdict, 'changed');
      assert.equal(e.fingerprint, sshd.fingerprint);
      return true;
    });
  });

  test('an unknown host key: refused with the key; appendKnownHost makes the next connection succeed', async () => {
    const file = path.join(sshd.dir, 'new_known_hosts');
    let presented: HostKeyError['presented'];
    await assert.rejects(connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { knownHostsFiles: [file] }), (e: unknown) => {
      assert.ok(e instanceof HostKeyError, String(e));
      assert.equal(e.verdict, 'unknown');
      presented = e.presented;
      return true;
    });
    assert.ok(presented);
    assert.equal(presented.file, file);
    appendKnownHost(presented.file, presented.host, presented.port, presented.key);
    assert.equal(fs.readFileSync(file, 'utf8'), `${sshd.knownHostsLine}\n`);
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { knownHostsFiles: [file] });
    assert.ok((await engine.ping()).length > 0);
  });

  test('refused authentication: a typed error saying what was tried, in bounded time', async () => {
    const stranger = path.join(sshd.dir, 'stranger_ed25519');
    keygen(stranger);
    fs.writeFileSync(path.join(home, '.ssh', 'config'), `Host *\n  IdentityFile ${stranger}\n`);
    const started = Date.now();
    await assert.rejects(connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, { env: {} }), (e: unknown) => {
      assert.ok(e instanceof SshAuthError, String(e));
      assert.ok(e.message.includes(`refused the ssh login as ${sshd.user}`), e.message);
      assert.ok(e.message.includes(stranger), e.message);
      return true;
    });
    assert.ok(Date.now() - started < 10_000);
  });

  test('a closed port and a port that never speaks ssh: unreachable, in bounded time', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });
    await assert.rejects(connectSsh(`ssh://${sshd.user}@127.0.0.1:${closed}`), (e: unknown) => {
      assert.ok(e instanceof EngineUnreachableError, String(e));
      assert.match(e.message, /connection refused/);
      return true;
    });
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const started = Date.now();
    try {
      await assert.rejects(
        connectSsh(`ssh://${sshd.user}@127.0.0.1:${(silent.address() as net.AddressInfo).port}`, { timeoutMs: 2000 }),
        (e: unknown) => {
          assert.ok(e instanceof EngineError && e.code !== 'host-key', String(e));
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      // the tunnel bounds its own logins too (a re-dial has no caller's timeout around it)
      const tunnel = new SshTunnel({
        endpointHost: `ssh://${sshd.user}@127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
        env: { SSH_AUTH_SOCK: sshd.agentSocket },
        knownHostsFiles: [knownHosts],
        sshConfigFile: '/nonexistent',
        homeDir: home,
        connectTimeoutMs: 1500,
      });
      const t0 = Date.now();
      try {
        await assert.rejects(tunnel.ready(), (e: unknown) => {
          assert.ok(e instanceof EngineUnreachableError, String(e));
          assert.match(e.message, /did not complete the ssh handshake within 1500 ms/);
          return true;
        });
        assert.ok(Date.now() - t0 < 4000, `took ${Date.now() - t0} ms`);
      } finally {
        tunnel.close();
      }
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });

  test('no Docker socket at the path of the URL: says so', async () => {
    await assert.rejects(connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}/nonexistent/docker.sock`), (e: unknown) => {
      assert.ok(e instanceof EngineUnreachableError, String(e));
      assert.ok(e.message.includes('could not connect to /nonexistent/docker.sock'), e.message);
      return true;
    });
  });

  test('the ssh connection killed mid-way: the next request re-dials and succeeds, with state events', async () => {
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, {});
    const tunnel = engine.tunnel as SshTunnel;
    const states: TunnelState['kind'][] = [];
    tunnel.on('state', (s: TunnelState) => states.push(s.kind));
    await engine.listContainers();
    assert.equal(tunnel.loginCount, 1);
    // end every per-connection sshd session (children of the sshd this test started)
    const sessions = execFileSync('pgrep', ['-P', String(sshd.pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number);
    for (const pid of sessions) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && tunnel.state.kind === 'connected'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(tunnel.state.kind, 'down');
    const listed = await engine.listContainers({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    assert.deepEqual(
      listed.map((c) => c.id),
      [containerId],
    );
    assert.equal(tunnel.loginCount, 2);
    assert.deepEqual(states, ['down', 'connecting', 'connected']);
    const now = stateOf(tunnel);
    assert.equal(now.kind === 'connected' && now.reconnected, true);
  });

  test('the live model over a dropped ssh connection: it goes to reconnecting, comes back live and lists again, so a container made meanwhile shows', async () => {
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, {});
    const tunnel = engine.tunnel as SshTunnel;
    // no periodic reconcile within the test: only the reconnect can bring the new container
    const store = new ContainerStore(engine, { reconcileIntervalMs: 600_000 });
    const states: string[] = [];
    store.onState((st) => states.push(st.kind));
    await store.start();
    try {
      const listsBefore = store.counters.lists;
      const sessions = execFileSync('pgrep', ['-P', String(sshd.pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .map(Number);
      for (const pid of sessions) process.kill(pid, 'SIGKILL');
      // made through the local socket while the ssh connection is down
      const made = await run(await connect(), { Cmd: ['sleep', '300'] });
      // its row comes with the list after the reconnect, then its start event makes it running
      for (let i = 0; i < 200 && store.get(made)?.state !== 'running'; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(store.get(made)?.state, 'running');
      assert.ok(states.includes('reconnecting'), JSON.stringify(states));
      assert.equal(states.at(-1), 'live');
      assert.ok(store.counters.lists > listsBefore, 'listed again after the reconnect');
      assert.equal(tunnel.loginCount, 2, 'one re-dial, shared by the stream and the list');
    } finally {
      store.stop();
    }
  });

  test('a forwarded local port reaches a port on the engine host over the same connection', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, {});
    const tunnel = engine.tunnel as SshTunnel;
    const forward = await tunnel.forwardPort((echo.address() as net.AddressInfo).port);
    try {
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(forward.localPort, '127.0.0.1', () => s.write('hello through ssh'));
        s.on('data', (d) => {
          resolve(d.toString());
          s.destroy();
        });
        s.on('error', reject);
      });
      assert.equal(reply, 'hello through ssh');
      assert.equal(tunnel.loginCount, 1);
    } finally {
      forward.close();
      echo.close();
    }
  });

  test("a container's published port is reached through a forwarded port, opened once, on the same ssh login", async () => {
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`, {});
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'mkdir -p /www && echo served-over-ssh > /www/index.html && exec httpd -f -p 8000 -h /www'],
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    const record = await engine.inspectContainer(id);
    const target = await reachTarget(engine, record.name, chooseTarget(record.name, record.ports));
    assert.ok('url' in target, JSON.stringify(target));
    assert.match(target.via ?? '', /^ssh tunnel to 127\.0\.0\.1:\d+ on 127\.0\.0\.1$/);
    assert.notEqual(new URL(target.url).port, String(target.hostPort), 'a local port of its own, not the published one');
    let body = '';
    for (let i = 0; i < 50 && body === ''; i++) {
      body = await fetch(`${target.url}/index.html`).then(
        (r) => r.text(),
        () => '',
      );
      if (body === '') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body.trim(), 'served-over-ssh');
    const again = await engine.reachPort(target.host, target.hostPort);
    assert.deepEqual(again, { host: '127.0.0.1', port: Number(new URL(target.url).port), via: target.via }, 'the same forward');
    assert.equal((engine.tunnel as SshTunnel).loginCount, 1);
  });

  test('the ssh server gone for good: requests fail with a typed error once the re-dial budget is spent', async () => {
    const own = await startSshd();
    const file = path.join(own.dir, 'kh');
    fs.writeFileSync(file, `${own.knownHostsLine}\n`);
    const tunnel = new SshTunnel({
      endpointHost: `ssh://${own.user}@127.0.0.1:${own.port}`,
      env: { SSH_AUTH_SOCK: own.agentSocket },
      knownHostsFiles: [file],
      homeDir: home,
      sshConfigFile: '/nonexistent',
      connectTimeoutMs: 2000,
      reconnectBudgetMs: 1500,
    });
    try {
      await tunnel.ready();
      assert.equal(await ping(tunnel.socketPath), 200);
      const sessions = execFileSync('pgrep', ['-P', String(own.pid)], { encoding: 'utf8' })
        .trim()
        .split(/\s+/)
        .map(Number);
      await own.stop();
      for (const pid of sessions) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone with its parent
        }
      }
      for (let i = 0; i < 50 && tunnel.state.kind === 'connected'; i++) await new Promise((r) => setTimeout(r, 50));
      const started = Date.now();
      await assert.rejects(ping(tunnel.socketPath));
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 1000 && elapsed < 6000, `gave up after ${elapsed} ms`);
      const explained = tunnel.explain(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      assert.ok(explained instanceof EngineUnreachableError, String(explained));
      assert.match(explained.message, /could not be made again within 2 s/);
    } finally {
      tunnel.close();
      await own.stop();
    }
  });
});

describe('ssh tunnel: a server that refuses stream-local forwarding', { skip, timeout: 60_000 }, () => {
  let sshd: Sshd;
  let knownHosts: string;
  before(async () => {
    sshd = await startSshd({ extraConfig: ['AllowStreamLocalForwarding no'] });
    knownHosts = path.join(sshd.dir, 'known_hosts');
    fs.writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
  });
  after(async () => sshd?.stop());

  function connectSsh(host: string, server = sshd, files = [knownHosts]): Promise<Engine> {
    return Engine.connect(endpointFor(host), {
      timeoutMs: 15_000,
      env: { SSH_AUTH_SOCK: server.agentSocket },
      knownHostsFiles: files,
      homeDir: server.dir,
      sshConfigFile: '/nonexistent',
    });
  }

  test('falls back to docker system dial-stdio on the remote host, still one login', async () => {
    const engine = await connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}`);
    try {
      for (let i = 0; i < 5; i++) await engine.listContainers();
      assert.equal(engine.tunnel?.loginCount, 1);
      assert.match(sshd.log(), /refused streamlocal|streamlocal.*(disabled|prohibited)|administratively/i);
    } finally {
      engine.dispose();
    }
  });

  test('a socket path the remote docker CLI cannot reach: a clear message', async () => {
    await assert.rejects(connectSsh(`ssh://${sshd.user}@127.0.0.1:${sshd.port}/nonexistent/docker.sock`), (e: unknown) => {
      assert.ok(e instanceof EngineUnreachableError, String(e));
      assert.ok(e.message.includes('could not connect to /nonexistent/docker.sock'), e.message);
      assert.ok(e.message.includes('"docker -H unix:///nonexistent/docker.sock system dial-stdio" failed'), e.message);
      return true;
    });
  });

  test('a remote host without a docker CLI (nor the socket): says so', async () => {
    const bare = await startSshd({ extraConfig: ['AllowStreamLocalForwarding no', 'SetEnv PATH=/var/empty'] });
    try {
      const file = path.join(bare.dir, 'kh');
      fs.writeFileSync(file, `${bare.knownHostsLine}\n`);
      await assert.rejects(connectSsh(`ssh://${bare.user}@127.0.0.1:${bare.port}`, bare, [file]), (e: unknown) => {
        assert.ok(e instanceof EngineUnreachableError, String(e));
        assert.ok(e.message.includes(`there is no docker CLI on ${bare.user}@127.0.0.1:${bare.port}`), e.message);
        return true;
      });
    } finally {
      await bare.stop();
    }
  });
});

describe('ssh tunnel: ProxyJump through a second ssh server', { skip, timeout: 60_000 }, () => {
  let jump: Sshd;
  let target: Sshd;
  before(async () => {
    jump = await startSshd();
    target = await startSshd();
  });
  after(async () => {
    await target?.stop();
    await jump?.stop();
  });

  test('logs in to the jump host, then to the engine host through a forwarded channel: one login each', async () => {
    const config = path.join(target.dir, 'ssh_config');
    fs.writeFileSync(
      config,
      [
        'Host gpu-box',
        '  HostName 127.0.0.1',
        `  Port ${target.port}`,
        `  User ${target.user}`,
        `  IdentityFile ${target.clientKey}`,
        '  ProxyJump bastion',
        'Host bastion',
        '  HostName 127.0.0.1',
        `  Port ${jump.port}`,
        `  User ${jump.user}`,
        `  IdentityFile ${jump.clientKey}`,
        '',
      ].join('\n'),
    );
    const knownHosts = path.join(target.dir, 'known_hosts');
    fs.writeFileSync(knownHosts, `${jump.knownHostsLine}\n${target.knownHostsLine}\n`);
    const engine = await Engine.connect(endpointFor('ssh://gpu-box'), {
      timeoutMs: 15_000,
      env: {},
      knownHostsFiles: [knownHosts],
      homeDir: target.dir,
      sshConfigFile: config,
    });
    try {
      for (let i = 0; i < 5; i++) await engine.listContainers();
      assert.deepEqual(
        engine.tunnel?.route.hops.map((h) => h.port),
        [jump.port, target.port],
      );
      assert.equal(await settledLogins(jump, 1), 1);
      assert.equal(await settledLogins(target, 1), 1);
    } finally {
      engine.dispose();
    }
  });

  test('the engine host’s key unknown behind the jump host: refused with its fingerprint', async () => {
    const config = path.join(target.dir, 'ssh_config');
    const knownHosts = path.join(target.dir, 'known_hosts_jump_only');
    fs.writeFileSync(knownHosts, `${jump.knownHostsLine}\n`);
    await assert.rejects(
      Engine.connect(endpointFor('ssh://gpu-box'), {
        timeoutMs: 15_000,
        env: {},
        knownHostsFiles: [knownHosts],
        homeDir: target.dir,
        sshConfigFile: config,
      }),
      (e: unknown) => e instanceof HostKeyError && e.verdict === 'unknown' && e.fingerprint === target.fingerprint,
    );
  });

  test('a jump host that forwards nothing: the engine host is not reached, and the message says where it stopped', async () => {
    const closed = await startSshd({ extraConfig: ['AllowTcpForwarding no'] });
    try {
      const config = path.join(closed.dir, 'ssh_config');
      fs.writeFileSync(
        config,
        [
          'Host gpu-box',
          '  HostName 127.0.0.1',
          `  Port ${target.port}`,
          `  IdentityFile ${target.clientKey}`,
          `  ProxyJump ${closed.user}@127.0.0.1:${closed.port}`,
          'Host *',
          `  IdentityFile ${closed.clientKey}`,
          '',
        ].join('\n'),
      );
      const knownHosts = path.join(closed.dir, 'known_hosts');
      fs.writeFileSync(knownHosts, `${closed.knownHostsLine}\n${target.knownHostsLine}\n`);
      const before = logins(target);
      await assert.rejects(
        Engine.connect(endpointFor(`ssh://${target.user}@gpu-box`), {
          timeoutMs: 15_000,
          env: {},
          knownHostsFiles: [knownHosts],
          homeDir: closed.dir,
          sshConfigFile: config,
        }),
        (e: unknown) => {
          assert.ok(e instanceof EngineUnreachableError, String(e));
          assert.ok(
            e.message.includes(`the jump host ${closed.user}@127.0.0.1:${closed.port} could not connect to 127.0.0.1:${target.port}`),
            e.message,
          );
          return true;
        },
      );
      assert.equal(logins(target), before);
    } finally {
      await closed.stop();
    }
  });
});
