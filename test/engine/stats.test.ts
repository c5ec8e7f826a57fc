import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine';
import { containerStats, sampleStats } from '../../src/engine/stats';
import { cleanup, collect, connect, run } from './harness';

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
