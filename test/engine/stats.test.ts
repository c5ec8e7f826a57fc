import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContainerStore } from '../../src/core/engine/containerStore';
import type { Engine } from '../../src/core/engine/engine';
import { LiveStats } from '../../src/core/engine/liveStats';
import { containerStats, sampleStats } from '../../src/core/engine/stats';
import { cleanup, collect, connect, run, RUN_ID, TEST_LABEL } from './harness';
import { connectThroughProxy } from './socketProxy';

/** Poll until `ok` holds (a generous bound: this proves behaviour, not speed). */
async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('engine: stats', { timeout: 60_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('a busy container under limits: CPU near its quota, memory against its limit', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'while :; do :; done'],
      HostConfig: { Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000 },
    });
    const samples = await collect(containerStats(engine, id), 3);
    const last = samples[2]!;
    assert.equal(last.memoryLimit, 64 * 1024 * 1024);
    assert.ok(last.memoryUsage > 0 && last.memoryUsage < last.memoryLimit);
    // a 0.5 CPU quota: a busy loop sits near 50 %, never at a full core
    assert.ok(last.cpuPercent > 20 && last.cpuPercent < 80, `cpu ${last.cpuPercent}`);
    assert.ok(last.pids >= 1);
    const one = await sampleStats(engine, id);
    assert.ok(one.cpuPercent > 20, `one-shot cpu ${one.cpuPercent}`);
  });

  test('the stream ends when the container stops', async () => {
    const id = await run(engine, { Cmd: ['sleep', '2'] });
    const samples = await collect(containerStats(engine, id));
    assert.ok(samples.length >= 1);
  });
});

describe('engine: live stats follow the container', { timeout: 120_000 }, () => {
  let engine: Engine;
  let store: ContainerStore;
  before(async () => {
    engine = await connect();
    store = new ContainerStore(engine, { reconcileIntervalMs: 600_000, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    await store.start();
  });
  after(async () => {
    store.stop();
    await cleanup(engine);
  });

  test('samples stop with the container (stopped) and resume after a restart and after a start', async () => {
    const stats = new LiveStats({ retryMs: 200 });
    stats.attach(store);
    const id = await run(engine);
    await until('the model knows it runs', () => store.get(id)?.state === 'running');
    const release = stats.watch(id);
    try {
      await until('samples', () => stats.series(id).points.length >= 2);
      assert.equal(stats.feed(id), 'streaming');
      const restarted = Date.now();
      await engine.restartContainer(id, { graceSeconds: 0 });
      await until('samples of the new run', () => (stats.latest(id)?.t ?? 0) > restarted + 1000);
      assert.equal(stats.feed(id), 'streaming');
      await engine.stopContainer(id, { graceSeconds: 0 });
      await until('stopped', () => stats.feed(id) === 'stopped' && stats.openStreams === 0);
      const stoppedAt = Date.now();
      await engine.startContainer(id);
      await until('samples after the start', () => (stats.latest(id)?.t ?? 0) > stoppedAt + 1000);
      assert.equal(stats.feed(id), 'streaming');
    } finally {
      release();
      stats.dispose();
    }
  });

  test('a container stopped when watched starts streaming once it starts', async () => {
    const stats = new LiveStats({ retryMs: 200 });
    stats.attach(store);
    const id = await run(engine, { start: false });
    await until('the model knows it', () => store.get(id)?.state === 'created');
    const release = stats.watch(id);
    try {
      assert.equal(stats.feed(id), 'stopped');
      assert.equal(stats.openStreams, 0);
      await engine.startContainer(id);
      await until('samples', () => stats.series(id).points.length >= 2);
    } finally {
      release();
      stats.dispose();
    }
  });

  test('after the engine connection is cut and comes back, samples resume', async () => {
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const cut = new ContainerStore(viaProxy, { reconcileIntervalMs: 600_000, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    const stats = new LiveStats({ retryMs: 200 });
    try {
      await cut.start();
      stats.attach(cut);
      const id = await run(engine);
      await until('the model knows it runs', () => cut.get(id)?.state === 'running');
      const release = stats.watch(id);
      await until('samples', () => stats.series(id).points.length >= 2);
      proxy.refusing = true;
      proxy.cut();
      await new Promise((r) => setTimeout(r, 1500));
      const before = stats.latest(id)?.t ?? 0;
      proxy.refusing = false;
      await until('samples after the reconnect', () => (stats.latest(id)?.t ?? 0) > before + 1000);
      // and a model replaced by one for a new connection (what a session reconnect does)
      const fresh = new ContainerStore(engine, { reconcileIntervalMs: 600_000, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
      await fresh.start();
      try {
        stats.attach(fresh);
        cut.stop();
        const switched = Date.now();
        await until('samples through the new model', () => (stats.latest(id)?.t ?? 0) > switched + 1000);
        assert.equal(stats.openStreams, 1);
      } finally {
        fresh.stop();
      }
      release();
    } finally {
      stats.dispose();
      cut.stop();
      await proxy.close();
    }
  });
});
