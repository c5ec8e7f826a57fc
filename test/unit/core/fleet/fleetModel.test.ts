import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerRecord, StoreChange } from '../../../../src/core/engine/containerStore';
import type { RawStats } from '../../../../src/core/engine/stats';
import { FleetModel, isModelContainer, type FetchLike, type FleetStore } from '../../../../src/core/fleet/fleetModel';
import type { FleetProbes, GpuReadout } from '../../../../src/core/fleet/probes';

const GiB = 1024 ** 3;

function record(id: string, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    id,
    name: id,
    image: 'model:1',
    imageId: 'sha256:x',
    command: '',
    state: 'running',
    status: 'Up',
    created: 1,
    startedAt: '2026-12-02T00:00:00Z',
    ports: [],
    labels: { 'berth.managed': 'true', 'berth.profile': 'serve' },
    detailed: true,
    ...extra,
  };
}

class FakeStore implements FleetStore {
  records = new Map<string, ContainerRecord>();
  private listeners = new Set<(changes: readonly StoreChange[]) => void>();
  all(): ContainerRecord[] {
    return [...this.records.values()];
  }
  onChange(listener: (changes: readonly StoreChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(r: ContainerRecord): void {
    const kind = this.records.has(r.id) ? 'updated' : 'added';
    this.records.set(r.id, r);
    for (const l of this.listeners) l([{ kind, record: r }]);
  }
  remove(id: string): void {
    this.records.delete(id);
    for (const l of this.listeners) l([{ kind: 'removed', id }]);
  }
}

interface Probes extends FleetProbes {
  statsCalls: number;
  gpuCalls: number;
}

function probes(over: Partial<FleetProbes> = {}): Probes {
  let cpu = 0;
  const p: Probes = {
    statsCalls: 0,
    gpuCalls: 0,
    reachPort: (host, port) => Promise.resolve({ host, port }),
    stats: () => {
      p.statsCalls++;
      cpu += 2e9; // 2 s of CPU per 10 s of system time on 2 CPUs below: 40 %
      const raw: RawStats = {
        read: '2026-12-02T00:00:00Z',
        cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: cpu * 5, online_cpus: 2 },
        precpu_stats: {},
        memory_stats: { usage: 300 * 1024 * 1024, limit: 2 * GiB, stats: { inactive_file: 100 * 1024 * 1024 } },
      };
      return Promise.resolve(raw);
    },
    gpu: (): Promise<GpuReadout> => {
      p.gpuCalls++;
      return Promise.resolve({ percent: 55, memoryBytes: 3 * GiB });
    },
    hostMemoryBytes: () => Promise.resolve(16 * GiB),
    ...over,
  };
  return p;
}

/** A fake HTTP side: text per URL, with counts. */
function server(routes: Record<string, () => { status: number; type?: string; body: string } | Promise<never>>): {
  fetch: FetchLike;
  calls: string[];
} {
  const calls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push(url);
    const route = routes[url];
    if (!route) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    const answer = await Promise.race([
      route(),
      new Promise<never>((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason as Error), { once: true })),
    ]);
    return {
      status: answer.status,
      headers: { get: (n: string) => (n === 'content-type' ? (answer.type ?? 'text/plain; version=0.0.4') : null) },
      text: () => Promise.resolve(answer.body),
    };
  };
  return { fetch, calls };
}

const counterText = (ok: number, fail: number): string =>
  `# TYPE app_requests_total counter\napp_requests_total{code="200"} ${ok}\napp_requests_total{code="503"} ${fail}\n` +
  `# TYPE app_request_duration_seconds histogram\napp_request_duration_seconds_bucket{le="0.1"} ${ok + fail}\napp_request_duration_seconds_bucket{le="+Inf"} ${ok + fail}\napp_request_duration_seconds_count ${ok + fail}\n`;

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('isModelContainer', () => {
  test('Berth runs from a profile and Compose services; not other containers', () => {
    assert.equal(isModelContainer({ 'berth.managed': 'true', 'berth.profile': 'serve' }), true);
    assert.equal(isModelContainer({ 'com.docker.compose.project': 'stack', 'com.docker.compose.service': 'api' }), true);
    assert.equal(isModelContainer({ 'berth.managed': 'true', 'berth.project': '/w' }), false, 'a notebook kernel or helper');
    assert.equal(isModelContainer({}), false);
  });
});

describe('FleetModel', () => {
  test('rows for model containers only, with profile, Compose project and service, health, restarts', async () => {
    const store = new FakeStore();
    store.set(record('berth1', { health: 'healthy', restartCount: 2 }));
    store.set(record('svc1', { labels: { 'com.docker.compose.project': 'stack', 'com.docker.compose.service': 'api' } }));
    store.set(record('plain', { labels: {} }));
    store.set(record('stopped', { state: 'exited' }));
    const model = new FleetModel(store, probes(), { now: clock().now, fetch: server({}).fetch });
    await model.sweep();
    const rows = model.snapshot().rows;
    assert.deepEqual(
      rows.map((r) => [r.id, r.profile, r.project, r.service, r.health, r.restarts, r.source]),
      [
        ['berth1', 'serve', undefined, undefined, 'healthy', 2, 'none'],
        ['svc1', undefined, 'stack', 'api', undefined, 0, 'none'],
      ],
    );
  });

  test('scrapes /metrics of a published port: the second sweep has the rate, 5xx share and latency', async () => {
    const store = new FakeStore();
    store.set(record('m', { ports: [{ containerPort: 8000, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 32768 }] }));
    let text = counterText(10, 0);
    const { fetch, calls } = server({ 'http://127.0.0.1:32768/metrics': () => ({ status: 200, body: text }) });
    const c = clock();
    const model = new FleetModel(store, probes(), { now: c.now, fetch });
    await model.sweep();
    let row = model.snapshot().rows[0];
    assert.equal(row?.source, 'metrics');
    assert.equal(row?.metricsUrl, 'http://127.0.0.1:32768/metrics');
    assert.equal(row?.latest?.rps, undefined, 'one scrape tells no rate');
    text = counterText(50, 10);
    c.advance(5000);
    await model.sweep();
    row = model.snapshot().rows[0];
    assert.equal(row?.latest?.rps, 10); // 50 requests in 5 s
    assert.equal(row?.latest?.errorRate, 0.2);
    assert.ok(row?.latest?.p50Ms !== undefined && row.latest.p50Ms > 0 && row.latest.p50Ms <= 100);
    assert.equal(calls.length, 2);
    assert.equal(model.history('m').length, 2);
  });

  test('a port that answers something else: source none, not asked again until the reprobe time; traffic then fills in', async () => {
    const store = new FakeStore();
    store.set(record('web', { ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }] }));
    const { fetch, calls } = server({
      'http://127.0.0.1:8080/metrics': () => ({ status: 404, type: 'text/html', body: '<h1>Not Found</h1>' }),
    });
    const c = clock();
    const model = new FleetModel(store, probes(), { now: c.now, fetch, reprobeMs: 60_000 });
    await model.sweep();
    c.advance(5000);
    await model.sweep();
    assert.equal(calls.length, 1, 'remembered: no metrics there');
    let row = model.snapshot().rows[0];
    assert.equal(row?.source, 'none');
    assert.equal(row?.problem, undefined, 'a server without metrics is no problem');
    for (const [latencyMs, ok] of [
      [10, true],
      [20, true],
      [30, false],
      [40, true],
    ] as const)
      model.recordTraffic('web', { at: c.now(), latencyMs, ok });
    c.advance(2000);
    await model.sweep();
    row = model.snapshot().rows[0];
    assert.equal(row?.source, 'traffic');
    assert.equal(row?.latest?.rps, 2); // 4 in the 2 s since the last sweep
    assert.equal(row?.latest?.errorRate, 0.25);
    assert.equal(row?.latest?.p50Ms, 20);
    assert.equal(row?.latest?.p99Ms, 40);
    c.advance(60_000);
    await model.sweep();
    assert.equal(calls.length, 2, 'asked again after the reprobe time');
    assert.equal(model.snapshot().rows[0]?.latest?.rps, 0, 'no traffic since');
  });

  test('a scrape that hangs is cut at scrapeTimeoutMs and blocks no other; at most N scrapes in flight', async () => {
    const store = new FakeStore();
    const routes: Record<string, () => { status: number; body: string } | Promise<never>> = {};
    let inFlight = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 12; i++) {
      const port = 40000 + i;
      store.set(record(`c${String(i).padStart(2, '0')}`, { ports: [{ containerPort: 80, protocol: 'tcp', hostPort: port }] }));
      routes[`http://127.0.0.1:${port}/metrics`] =
        i === 0
          ? () => new Promise<never>(() => undefined)
          : () => {
              inFlight++;
              maxInFlight = Math.max(maxInFlight, inFlight);
              return new Promise<never>((resolve) =>
                setTimeout(() => {
                  inFlight--;
                  (resolve as (v: unknown) => void)({ status: 200, body: 'app_requests_total{code="200"} 1\n' });
                }, 20),
              );
            };
    }
    const { fetch } = server(routes);
    const model = new FleetModel(store, probes(), { fetch, scrapeTimeoutMs: 300, maxConcurrentScrapes: 3 });
    const started = Date.now();
    await model.sweep();
    const took = Date.now() - started;
    assert.ok(took < 1500, `the sweep took ${took} ms`);
    assert.ok(maxInFlight <= 3, `${maxInFlight} scrapes at once`);
    const rows = model.snapshot().rows;
    assert.match(rows[0]?.problem ?? '', /scrape of http:\/\/127\.0\.0\.1:40000\/metrics failed: timed out/);
    assert.equal(rows.filter((r) => r.source === 'metrics').length, 11);
  });

  test('CPU from the delta of one-shot reads, memory without cache, a limit only below the host’s memory; GPU when requested', async () => {
    const store = new FakeStore();
    store.set(record('gpu', { gpu: { count: -1, deviceIds: [], capabilities: ['gpu'], driver: 'nvidia' } }));
    store.set(record('cpu'));
    const p = probes();
    const model = new FleetModel(store, p, { fetch: server({}).fetch });
    await model.sweep();
    let row = model.snapshot().rows.find((r) => r.id === 'gpu');
    assert.equal(row?.latest?.cpuPercent, undefined, 'one read has no delta');
    assert.equal(row?.latest?.memoryBytes, 200 * 1024 * 1024);
    assert.equal(row?.memoryLimitBytes, 2 * GiB);
    assert.equal(row?.gpu, true);
    assert.equal(row?.latest?.gpuPercent, 55);
    assert.equal(row?.latest?.gpuMemoryBytes, 3 * GiB);
    await model.sweep();
    row = model.snapshot().rows.find((r) => r.id === 'gpu');
    assert.ok(Math.abs((row?.latest?.cpuPercent ?? 0) - 40) < 1e-9, `cpu ${row?.latest?.cpuPercent}`);
    assert.equal(p.gpuCalls, 2, 'nvidia-smi only in the container with a GPU');
    assert.equal(model.snapshot().rows.find((r) => r.id === 'cpu')?.latest?.gpuPercent, undefined);

    const unlimited = new FleetModel(store, probes({ hostMemoryBytes: () => Promise.resolve(2 * GiB) }), { fetch: server({}).fetch });
    await unlimited.sweep();
    assert.equal(unlimited.snapshot().rows[0]?.memoryLimitBytes, undefined, 'a limit equal to the host’s memory is none');
  });

  test('stats and nvidia-smi failures are the row’s problem, never thrown; an image without nvidia-smi is not asked again', async () => {
    const store = new FakeStore();
    store.set(record('x', { gpu: { count: 1, deviceIds: [], capabilities: ['gpu'], driver: 'nvidia' } }));
    const p = probes({
      stats: () => Promise.reject(new Error('No such container: x')),
      gpu: () => {
        p.gpuCalls++;
        return Promise.resolve({ note: 'nvidia-smi is not in this image: no GPU figures', final: true });
      },
    });
    const model = new FleetModel(store, p, { fetch: server({}).fetch });
    await model.sweep();
    await model.sweep();
    const row = model.snapshot().rows[0];
    assert.match(row?.problem ?? '', /stats: No such container: x/);
    assert.match(row?.problem ?? '', /nvidia-smi is not in this image/);
    assert.equal(p.gpuCalls, 1);
  });

  test('OOM kills: each killed run once, whichever record says it; restarts from the record', async () => {
    const store = new FakeStore();
    const model = new FleetModel(store, probes(), { fetch: server({}).fetch });
    model.start();
    try {
      store.set(record('hog', { startedAt: 'run1' }));
      store.set(record('hog', { startedAt: 'run1', oomKilled: true })); // the oom event before the exit
      store.set(record('hog', { startedAt: 'run1', state: 'exited', oomKilled: true, finishedAt: 'f1' }));
      store.set(record('hog', { startedAt: 'run2', restartCount: 1 }));
      store.set(record('hog', { startedAt: 'run2', state: 'exited', oomKilled: true, finishedAt: 'f2', restartCount: 1 }));
      store.set(record('hog', { startedAt: 'run3', state: 'restarting', restartCount: 2 }));
      const row = model.snapshot().rows[0];
      assert.equal(row?.oomKills, 2);
      assert.equal(row?.restarts, 2);
      assert.equal(row?.state, 'restarting');
      // a model container that stopped after it was seen live stays, as exited
      store.set(record('hog', { startedAt: 'run3', state: 'exited', restartCount: 2 }));
      assert.equal(model.snapshot().rows[0]?.state, 'exited');
      await model.sweep();
      assert.equal(model.snapshot().rows[0]?.latest, undefined, 'no figures for a stopped container');
    } finally {
      model.stop();
    }
  });

  test('removed containers are forgotten; history is bounded to historyMs at intervalMs', async () => {
    const store = new FakeStore();
    const c = clock();
    const model = new FleetModel(store, probes(), { now: c.now, fetch: server({}).fetch, intervalMs: 1000, historyMs: 10_000 });
    for (let round = 0; round < 40; round++) {
      store.set(record(`c${round}`));
      if (round >= 3) store.remove(`c${round - 3}`);
      await model.sweep();
      c.advance(1000);
    }
    assert.deepEqual(model.debugSizes(), { tracked: 3, seriesKeys: 3, points: 1 + 2 + 3 });
    assert.equal(model.history('c39').length, 1);
    assert.equal(model.history('c0').length, 0);
    assert.equal(model.history('c37').length, 3);
    for (let i = 0; i < 30; i++) await model.sweep();
    assert.equal(model.history('c37').length, 10, '10 s at 1 s');
    assert.deepEqual(model.debugSizes(), { tracked: 3, seriesKeys: 3, points: 30 });
  });

  test('a container removed while the model runs is forgotten at once', () => {
    const store = new FakeStore();
    store.set(record('a'));
    const model = new FleetModel(store, probes(), { fetch: server({}).fetch, intervalMs: 60_000 });
    model.start();
    try {
      store.remove('a');
      assert.deepEqual(model.snapshot().rows, []);
      assert.equal(model.debugSizes().tracked, 0);
    } finally {
      model.stop();
    }
  });

  test('start() sweeps on its own every interval and tells listeners; stop() ends it', async () => {
    const store = new FakeStore();
    store.set(record('a'));
    const model = new FleetModel(store, probes(), { fetch: server({}).fetch, intervalMs: 30 });
    let snapshots = 0;
    const off = model.onChange(() => snapshots++);
    model.start();
    await new Promise((r) => setTimeout(r, 200));
    model.stop();
    await model.settled;
    const n = model.history('a').length;
    assert.ok(n >= 3, `${n} sweeps in 200 ms at 30 ms`);
    assert.ok(snapshots >= n);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(model.history('a').length, n, 'no sweep after stop');
    off();
  });
});
