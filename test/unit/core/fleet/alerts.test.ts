import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import { AlertWatch, DEFAULT_ALERT_SETTINGS, type AlertSettings } from '../../../../src/core/fleet/alerts';
import type { FleetRow } from '../../../../src/core/fleet/types';

const record = (over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  id: 'c1',
  name: 'iris',
  image: 'iris:1',
  imageId: 'sha256:1',
  command: 'python serve.py',
  state: 'running',
  status: 'Up 1 minute',
  created: 0,
  ports: [],
  labels: {},
  detailed: true,
  restartCount: 0,
  ...over,
});

const row = (over: Partial<FleetRow> = {}, sample: FleetRow['latest'] = { t: 0 }): FleetRow => ({
  id: 'c1',
  name: 'iris',
  image: 'iris:1',
  state: 'running',
  restarts: 0,
  oomKills: 0,
  gpu: false,
  source: 'metrics',
  latest: sample,
  ...over,
});

const settings = (over: Partial<AlertSettings> = {}): AlertSettings => ({ ...DEFAULT_ALERT_SETTINGS, ...over });

describe('fleet alerts: each told once, never a storm', () => {
  test('what a container was like before it was watched is not news', () => {
    const w = new AlertWatch();
    assert.deepEqual(w.observeRecord(record({ restartCount: 9, oomKilled: true, finishedAt: 'x', health: 'unhealthy' }), 0), []);
  });

  test('an OOM kill: told once per kill, a second kill told after the quiet period', () => {
    const w = new AlertWatch(settings({ quietMs: 60_000 }));
    w.observeRecord(record(), 0);
    const a = w.observeRecord(record({ state: 'exited', oomKilled: true, exitCode: 137, finishedAt: '2026-12-02T06:00:00Z' }), 1000);
    assert.deepEqual(
      a.map((x) => [x.kind, x.message]),
      [['oom', 'iris was killed for exceeding its memory limit (OOM)']],
    );
    // the same kill seen again (another update of the record): nothing
    assert.deepEqual(w.observeRecord(record({ state: 'exited', oomKilled: true, finishedAt: '2026-12-02T06:00:00Z' }), 2000), []);
    // another kill within the quiet period: nothing; after it: told
    assert.deepEqual(w.observeRecord(record({ state: 'exited', oomKilled: true, finishedAt: '2026-12-02T06:00:30Z' }), 30_000), []);
    assert.equal(
      w.observeRecord(record({ state: 'exited', oomKilled: true, finishedAt: '2026-12-02T06:02:00Z' }), 120_000)[0]?.kind,
      'oom',
    );
  });

  test('a crash loop: n restarts within the window, told once with the last exit code; slow restarts are not a loop', () => {
    const w = new AlertWatch(settings({ crashLoopRestarts: 3, crashLoopWindowMs: 60_000 }));
    w.observeRecord(record(), 0);
    // between restarts the record is seen exited with its code, or only running again
    assert.deepEqual(w.observeRecord(record({ state: 'exited', restartCount: 0, exitCode: 1 }), 900), []);
    assert.deepEqual(w.observeRecord(record({ restartCount: 1 }), 1000), []);
    assert.deepEqual(w.observeRecord(record({ restartCount: 2 }), 2000), []);
    const told = w.observeRecord(record({ restartCount: 3 }), 3000);
    assert.deepEqual(
      told.map((x) => x.message),
      ['iris is crash-looping: 3 restarts in 1 min, last exit code 1'],
    );
    assert.deepEqual(w.observeRecord(record({ restartCount: 4, exitCode: 1 }), 4000), [], 'told once');

    const slow = new AlertWatch(settings({ crashLoopRestarts: 3, crashLoopWindowMs: 60_000 }));
    slow.observeRecord(record({ id: 'c2' }), 0);
    for (let i = 1; i <= 5; i++)
      assert.deepEqual(slow.observeRecord(record({ id: 'c2', restartCount: i }), i * 40_000), [], `restart ${i}`);
  });

  test('unhealthy: told when it turns unhealthy, again only after it was healthy and the quiet period passed', () => {
    const w = new AlertWatch(settings({ quietMs: 60_000 }));
    w.observeRecord(record({ health: 'starting' }), 0);
    assert.deepEqual(
      w.observeRecord(record({ health: 'unhealthy' }), 1000).map((x) => x.message),
      ['iris is unhealthy: its health check fails'],
    );
    assert.deepEqual(w.observeRecord(record({ health: 'unhealthy' }), 2000), []);
    assert.deepEqual(w.observeRecord(record({ health: 'healthy' }), 3000), []);
    assert.deepEqual(w.observeRecord(record({ health: 'unhealthy' }), 4000), [], 'within the quiet period');
    w.observeRecord(record({ health: 'healthy' }), 5000);
    assert.equal(w.observeRecord(record({ health: 'unhealthy' }), 70_000)[0]?.kind, 'unhealthy');
    // a stopped container's last health is not a new failure
    const stopped = new AlertWatch();
    stopped.observeRecord(record({ id: 'c3', health: 'healthy' }), 0);
    assert.deepEqual(stopped.observeRecord(record({ id: 'c3', state: 'exited', health: 'unhealthy' }), 1000), []);
  });

  test('error rate: told when it crosses the threshold with enough traffic, not while it stays over, again after it cleared and the quiet period', () => {
    const w = new AlertWatch(settings({ errorRate: 0.05, errorRateMinRps: 1, quietMs: 60_000 }));
    w.observeRecord(record(), 0);
    assert.deepEqual(w.observeRow(row({}, { t: 1, rps: 0.5, errorRate: 0.9 }), 1000), [], 'too little traffic to judge');
    assert.deepEqual(w.observeRow(row({}, { t: 2, rps: 10, errorRate: 0.01 }), 2000), []);
    assert.deepEqual(
      w.observeRow(row({}, { t: 3, rps: 10, errorRate: 0.2 }), 3000).map((x) => x.message),
      ['iris answers 20 % of requests with an error (threshold 5.0 %)'],
    );
    assert.deepEqual(w.observeRow(row({}, { t: 4, rps: 10, errorRate: 0.3 }), 4000), []);
    assert.deepEqual(w.observeRow(row({}, { t: 5, rps: 10, errorRate: 0 }), 5000), []);
    assert.deepEqual(w.observeRow(row({}, { t: 6, rps: 10, errorRate: 0.3 }), 6000), [], 'within the quiet period');
    w.observeRow(row({}, { t: 7, rps: 10, errorRate: 0 }), 7000);
    assert.equal(w.observeRow(row({}, { t: 8, rps: 10, errorRate: 0.3 }), 70_000)[0]?.kind, 'error-rate');
    // threshold 0: never
    const off = new AlertWatch(settings({ errorRate: 0 }));
    off.observeRecord(record(), 0);
    assert.deepEqual(off.observeRow(row({}, { t: 1, rps: 10, errorRate: 1 }), 1000), []);
  });

  test('a burst: at most the cap within the window, the rest told as one line once the window has passed', () => {
    const w = new AlertWatch(settings({ burstLimit: 2, burstWindowMs: 30_000 }));
    for (let i = 0; i < 5; i++) w.observeRecord(record({ id: `c${i}`, name: `m${i}` }), 0);
    const told = [0, 1, 2, 3, 4].flatMap((i) =>
      w.observeRecord(record({ id: `c${i}`, name: `m${i}`, state: 'exited', oomKilled: true, finishedAt: 'k' }), 1000 + i),
    );
    assert.deepEqual(
      told.map((a) => a.containerName),
      ['m0', 'm1'],
    );
    assert.equal(w.takeOverflow(10_000), undefined, 'the window has not passed');
    assert.deepEqual(w.takeOverflow(40_000), {
      kind: 'overflow',
      count: 3,
      message: '3 more container alerts in the last 30 s (details in the Berth log)',
    });
    assert.equal(w.takeOverflow(80_000), undefined, 'told once');
  });

  test('forget: a removed container leaves nothing behind', () => {
    const w = new AlertWatch();
    for (let i = 0; i < 100; i++) {
      w.observeRecord(record({ id: `x${i}` }), 0);
      w.observeRecord(record({ id: `x${i}`, health: 'unhealthy' }), 1);
      w.forget(`x${i}`);
    }
    assert.deepEqual({ ...w.debugSizes(), recent: 0 }, { seen: 0, told: 0, recent: 0 });
  });
});
