import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { computeStats, memoryUsageNoCache, type RawStats } from '../../../../src/core/engine/stats';

// Captured from Docker 20.10 (cgroup v1): busybox busy-looping under --cpus 0.5 --memory 64m.
const busy = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../fixtures/stats-cgroup-v1.json'), 'utf8')) as RawStats;

describe('computeStats, as docker stats computes', () => {
  test('real cgroup v1 sample: CPU % from the delta to precpu × online CPUs', () => {
    const s = computeStats(busy);
    // (cpu delta / system delta) × 2 online CPUs × 100, worked out from the fixture's numbers
    assert.equal(s.cpuPercent.toFixed(2), '49.86');
    assert.equal(s.memoryLimit, 64 * 2 ** 20);
    assert.equal(s.memoryUsage, 536_576);
    assert.equal(s.memoryPercent.toFixed(2), ((536_576 / 2 ** 26) * 100).toFixed(2));
    assert.equal(s.networkRx, 646);
    assert.equal(s.networkTx, 0);
    assert.equal(s.pids, 1);
    assert.equal(s.read, '2026-11-25T12:22:30.177022098Z');
  });

  test('the first sample (no precpu) is 0 %, not NaN', () => {
    const first: RawStats = { ...busy, precpu_stats: {} };
    first.cpu_stats = { ...busy.cpu_stats, system_cpu_usage: 0 };
    assert.equal(computeStats(first).cpuPercent, 0);
  });

  test('page cache is not memory in use: v1 total_inactive_file, v2 inactive_file', () => {
    assert.equal(memoryUsageNoCache({ usage: 100_000, stats: { total_inactive_file: 30_000 } }), 70_000);
    assert.equal(memoryUsageNoCache({ usage: 100_000, stats: { inactive_file: 40_000 } }), 60_000);
    // a cache figure larger than usage is ignored, as the CLI does
    assert.equal(memoryUsageNoCache({ usage: 10, stats: { inactive_file: 40 } }), 10);
  });

  test('older engines: online CPUs from percpu_usage; block I/O summed by op', () => {
    const s = computeStats({
      cpu_stats: { cpu_usage: { total_usage: 3_000, percpu_usage: [1, 1, 1, 1] }, system_cpu_usage: 20_000 },
      precpu_stats: { cpu_usage: { total_usage: 1_000 }, system_cpu_usage: 10_000 },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: 'Read', value: 4096 },
          { op: 'Write', value: 8192 },
          { op: 'read', value: 4096 },
          { op: 'Total', value: 16384 },
        ],
      },
    });
    assert.equal(s.cpuPercent, 80); // 2000/10000 × 4 × 100
    assert.equal(s.blockRead, 8192);
    assert.equal(s.blockWrite, 8192);
  });
});
