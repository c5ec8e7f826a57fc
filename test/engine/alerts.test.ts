import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContainerStore } from '../../src/core/engine/containerStore';
import type { Engine } from '../../src/core/engine/engine';
import { AlertWatch, DEFAULT_ALERT_SETTINGS, type Alert } from '../../src/core/fleet/alerts';
import { cleanup, connect, PYTHON, run, RUN_ID, TEST_LABEL } from './harness';

/**
 * Fleet alerts from the live container model of a real engine: an OOM kill (with and without a
 * restart policy), a crash loop and a failing health check, each told once; a container that
 * runs quietly is never told.
 */
describe('fleet alerts on a real engine', { timeout: 120_000 }, () => {
  let engine: Engine;
  let store: ContainerStore;
  const watch = new AlertWatch({ ...DEFAULT_ALERT_SETTINGS, crashLoopRestarts: 3, crashLoopWindowMs: 120_000, burstLimit: 100 });
  const told: Alert[] = [];

  before(async () => {
    engine = await connect();
    store = new ContainerStore(engine, { filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    store.onChange((changes) => {
      for (const c of changes) {
        if (c.kind === 'removed') watch.forget(c.id);
        else told.push(...watch.observeRecord(c.record));
      }
    });
    await store.start();
  });
  after(async () => {
    store?.stop();
    await cleanup(engine);
  });

  const until = async (what: string, check: () => boolean, ms = 60_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; told: ${JSON.stringify(told)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const of = (id: string): Alert[] => told.filter((a) => a.containerId === id);

  test('an OOM kill is told once, by name', async () => {
    const quiet = await run(engine, { Cmd: ['sleep', '300'] });
    const id = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', 'import time; time.sleep(1); chunks = [bytearray(16 * 2**20) for _ in range(16)]'],
      HostConfig: { Memory: 64 * 2 ** 20, MemorySwap: 64 * 2 ** 20 },
    });
    await until('the OOM alert', () => of(id).some((a) => a.kind === 'oom'));
    await new Promise((r) => setTimeout(r, 1000));
    const name = store.get(id)?.name ?? '';
    assert.deepEqual(
      of(id).map((a) => [a.kind, a.message]),
      [['oom', `${name} was killed for exceeding its memory limit (OOM)`]],
    );
    assert.deepEqual(of(quiet), [], 'a container that runs quietly is never told');
  });

  test('an OOM kill under a restart policy, then a crash loop: both told, each once', async () => {
    const id = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', 'import time; time.sleep(1); chunks = [bytearray(16 * 2**20) for _ in range(16)]'],
      HostConfig: { Memory: 64 * 2 ** 20, MemorySwap: 64 * 2 ** 20, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 5 } },
    });
    await until(
      'the OOM and crash-loop alerts',
      () => of(id).some((a) => a.kind === 'oom') && of(id).some((a) => a.kind === 'crash-loop'),
      90_000,
    );
    const kinds = of(id).map((a) => a.kind);
    assert.equal(kinds.filter((k) => k === 'oom').length, 1, JSON.stringify(kinds));
    assert.equal(kinds.filter((k) => k === 'crash-loop').length, 1, JSON.stringify(kinds));
    assert.match(
      of(id).find((a) => a.kind === 'crash-loop')?.message ?? '',
      /is crash-looping: [3-5] restarts in 2 min, last exit code 137$/,
    );
  });

  test('a crash loop (exit 3, restart always) is told once with its exit code', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'sleep 0.3; exit 3'], HostConfig: { RestartPolicy: { Name: 'always' } } });
    await until('the crash-loop alert', () => of(id).some((a) => a.kind === 'crash-loop'));
    await engine.stopContainer(id, { graceSeconds: 0 }).catch(() => undefined);
    assert.deepEqual(
      of(id).map((a) => a.kind),
      ['crash-loop'],
    );
    assert.match(of(id)[0]?.message ?? '', /restarts in 2 min, last exit code 3$/);
  });

  test('a health check that starts failing: unhealthy told once', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 300'],
      Healthcheck: { Test: ['CMD', 'test', '-f', '/tmp/ok'], Interval: 500_000_000, Timeout: 1_000_000_000, Retries: 1 },
    });
    await until('healthy first', () => store.get(id)?.health === 'healthy');
    await until('the unhealthy alert', () => of(id).some((a) => a.kind === 'unhealthy'));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(
      of(id).map((a) => a.kind),
      ['unhealthy'],
    );
  });
});
