import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import { after, before, describe, test } from 'node:test';
import type { ContainerCreateOptions, Engine } from '../../src/core/engine/engine';
import { PortInUseError } from '../../src/core/engine/errors';
import { containerLogs } from '../../src/core/engine/logs';
import { ContainerExitedError, HealthTimeoutError, startRun, waitHealthy } from '../../src/core/engine/run';
import { toCreateOptions, type RunPlan } from '../../src/core/project/createOptions';
import { parseBerthConfig, type RunProfile } from '../../src/core/project/runProfile';
import { BUSYBOX, cleanup, collect, connect, labels, PYTHON, RUN_ID, TEST_LABEL } from './harness';

const MS = 1_000_000;

function profileFrom(yaml: string): RunProfile {
  const config = parseBerthConfig(yaml);
  assert.deepEqual(config.problems, []);
  const profile = config.profiles[0];
  assert.ok(profile);
  return profile;
}

function plan(yaml: string, image = BUSYBOX, extra: Partial<ContainerCreateOptions> = {}): RunPlan {
  const p = toCreateOptions(profileFrom(yaml), { image, projectDir: os.tmpdir(), extraLabels: labels() });
  return { ...p, options: { ...p.options, StopSignal: 'SIGKILL', ...extra } };
}

async function listen(port = 0): Promise<net.Server> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

async function freePort(): Promise<number> {
  const server = await listen();
  const port = portOf(server);
  await new Promise((r) => server.close(r));
  return port;
}

describe('engine: starting runs and waiting until they are ready', { timeout: 120_000 }, () => {
  let engine: Engine;
  const mine = { label: [`${TEST_LABEL}=${RUN_ID}`] };
  const leftovers = async (): Promise<number> => (await engine.listContainers({ filters: mine })).length;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('a host port taken by another process: PortInUseError naming the port, no container left', async () => {
    const server = await listen();
    const port = portOf(server);
    try {
      const before = await leftovers();
      const run = plan(`profiles:\n  web:\n    image: x\n    command: [sleep, "300"]\n    ports: ["127.0.0.1:${port}:80"]\n`);
      await assert.rejects(startRun(engine, run), (e: unknown) => {
        assert.ok(e instanceof PortInUseError, `got ${String(e)}`);
        assert.equal(e.code, 'conflict');
        assert.equal(e.port, port);
        assert.equal(e.hostIp, '127.0.0.1');
        assert.match(e.message, new RegExp(`Host port 127\\.0\\.0\\.1:${port} is already in use`));
        assert.match(e.message, /another host port in the run profile, or 0 for any free port/);
        return true;
      });
      assert.equal(await leftovers(), before, 'the container that could not start was removed');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('a host port taken by another container: PortInUseError too', async () => {
    const port = await freePort();
    const yaml = `profiles:\n  web:\n    image: x\n    command: [sleep, "300"]\n    ports: ["127.0.0.1:${port}:80"]\n`;
    const first = await startRun(engine, plan(yaml));
    const before = await leftovers();
    await assert.rejects(startRun(engine, plan(yaml)), (e: unknown) => e instanceof PortInUseError && e.port === port);
    assert.equal(await leftovers(), before);
    await engine.removeContainer(first, { force: true });
  });

  test('waitHealthy: a HEALTHCHECK that passes after a second', async () => {
    const healthcheck = { Test: ['CMD-SHELL', 'test -f /tmp/ready'], Interval: 200 * MS, Timeout: 1000 * MS, Retries: 3 };
    const run = plan(`profiles:\n  h:\n    image: x\n    command: [sh, -c, "sleep 1; touch /tmp/ready; sleep 300"]\n`, BUSYBOX, {
      Healthcheck: healthcheck,
    });
    const started = Date.now();
    const id = await startRun(engine, run);
    const details = await waitHealthy(engine, id, { timeoutMs: 15_000 });
    assert.equal(details.health, 'healthy');
    assert.ok(Date.now() - started >= 1000, 'not before the check could pass');
  });

  test('waitHealthy: a health check that never passes times out with its last output', async () => {
    const healthcheck = { Test: ['CMD-SHELL', 'echo model not loaded; exit 1'], Interval: 200 * MS, Timeout: 1000 * MS, Retries: 2 };
    const id = await startRun(
      engine,
      plan(`profiles:\n  h:\n    image: x\n    command: [sleep, "300"]\n`, BUSYBOX, { Healthcheck: healthcheck }),
    );
    await assert.rejects(waitHealthy(engine, id, { timeoutMs: 2000 }), (e: unknown) => {
      assert.ok(e instanceof HealthTimeoutError, `got ${String(e)}`);
      assert.match(e.message, /did not become healthy within 2 s \(health: unhealthy, \d+ failing checks in a row\)/);
      assert.match(e.message, /Last health check \(exit code 1\): model not loaded/);
      assert.equal(e.lastOutput, 'model not loaded');
      return true;
    });
  });

  test('waitHealthy: without a health check, ready once it keeps running', async () => {
    const id = await startRun(engine, plan(`profiles:\n  s:\n    image: x\n    command: [sleep, "300"]\n`));
    const started = Date.now();
    const details = await waitHealthy(engine, id, { timeoutMs: 10_000 });
    assert.equal(details.state, 'running');
    assert.ok(Date.now() - started >= 900);
  });

  test('waitHealthy: a crashing command fails with its exit code', async () => {
    const id = await startRun(engine, plan(`profiles:\n  c:\n    image: x\n    command: [sh, -c, "sleep 0.3; echo boom >&2; exit 3"]\n`));
    await assert.rejects(waitHealthy(engine, id, { timeoutMs: 10_000 }), (e: unknown) => {
      assert.ok(e instanceof ContainerExitedError, `got ${String(e)}`);
      assert.equal(e.exitCode, 3);
      assert.equal(e.oomKilled, false);
      assert.match(e.message, /exited with code 3 before it was ready/);
      return true;
    });
  });

  test('memory: 64m is enforced — the limit is set, and going past it is an OOM that names the limit', async () => {
    const limit = 64 * 2 ** 20;
    const probe = plan(
      `profiles:\n  m:\n    image: x\n    memory: 64m\n    command: [sh, -c, "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"]\n`,
    );
    assert.equal(probe.options.HostConfig?.Memory, limit);
    const probeId = await startRun(engine, probe);
    assert.equal(await engine.waitContainer(probeId), 0);
    const seen = (await collect(containerLogs(engine, probeId))).map((l) => l.text.trim());
    assert.deepEqual(seen, [String(limit)], 'the container sees the 64 MiB cgroup limit');
    assert.equal((await engine.inspectContainerJson(probeId)).HostConfig.Memory, limit);

    const hog = plan(
      `profiles:\n  m:\n    image: x\n    memory: 64m\n    command: [python3, -c, "chunks = [bytearray(16 * 2**20) for _ in range(16)]; print('survived')"]\n`,
      PYTHON,
    );
    const id = await startRun(engine, hog);
    await assert.rejects(waitHealthy(engine, id, { timeoutMs: 30_000 }), (e: unknown) => {
      assert.ok(e instanceof ContainerExitedError, `got ${String(e)}`);
      assert.equal(e.oomKilled, true);
      assert.equal(e.exitCode, 137);
      assert.equal(e.memoryLimit, limit);
      assert.match(e.message, /running out of memory \(exit code 137\): it went past its memory limit of 64 MiB/);
      return true;
    });
  });
});
