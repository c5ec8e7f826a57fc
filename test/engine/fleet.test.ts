/**
 * The fleet model on the real engine, through a real ContainerStore: the sample server under load
 * (rate, percentiles, its 4xx not counted as errors), a server answering 500 to every fourth
 * request (error rate), a server without /metrics (source none, then traffic), memory against a
 * --memory limit, an OOM-killed crash loop, a crash loop's restarts, and bounded history.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ContainerStore } from '../../src/core/engine/containerStore';
import type { Engine } from '../../src/core/engine/engine';
import { FleetModel } from '../../src/core/fleet/fleetModel';
import { engineProbes } from '../../src/core/fleet/probes';
import type { FleetRow } from '../../src/core/fleet/types';
import { cleanup, connect, PYTHON, run, RUN_ID, TEST_LABEL } from './harness';
import { buildSample, publishedPort, waitHealthy } from './sampleServer';

const TAG = `berth-test/iris-fleet:${RUN_ID}`;
const MODEL = { 'berth.managed': 'true', 'berth.profile': 'serve', 'berth.project': '/work/fleet-test' };
const MiB = 2 ** 20;

/** A server that answers 500 to every fourth request after ~20 ms, and counts them in /metrics. */
const FLAKY_SERVER = String.raw`
import http.server, threading, time
lock = threading.Lock()
seen = [0]
requests = {}
BOUNDS = (0.01, 0.025, 0.05, 0.1, 0.5)
hist = {}
def observe(path, code, seconds):
    with lock:
        requests[(path, code)] = requests.get((path, code), 0) + 1
        counts = hist.setdefault(path, [0] * (len(BOUNDS) + 1))
        i = 0
        while i < len(BOUNDS) and seconds > BOUNDS[i]:
            i += 1
        counts[i] += 1
def render():
    with lock:
        lines = ["# TYPE app_requests_total counter"]
        for (path, code), n in sorted(requests.items()):
            lines.append('app_requests_total{path="%s",code="%d"} %d' % (path, code, n))
        lines.append("# TYPE app_request_duration_seconds histogram")
        for path, counts in sorted(hist.items()):
            c = 0
            for bound, n in zip(BOUNDS + (float("inf"),), counts):
                c += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append('app_request_duration_seconds_bucket{path="%s",le="%s"} %d' % (path, le, c))
            lines.append('app_request_duration_seconds_count{path="%s"} %d' % (path, c))
    return ("\n".join(lines) + "\n").encode()
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        start = time.time()
        if self.path == "/metrics":
            body, code, path = render(), 200, "/metrics"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        else:
            with lock:
                seen[0] += 1
                k = seen[0]
            time.sleep(0.02)
            code, path, body = (500 if k % 4 == 0 else 200), "/predict", b"{}"
            self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        observe(path, code, time.time() - start)
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
`;

const published = {
  ExposedPorts: { '8000/tcp': {} },
  HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
};

async function until<T>(what: string, get: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Send `count` requests, `parallel` at a time; the statuses seen. */
async function load(count: number, parallel: number, send: (i: number) => Promise<Response>): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const r = await send(next++);
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

describe('fleet model on the real engine', { timeout: 240_000 }, () => {
  let engine: Engine;
  let store: ContainerStore;
  let model: FleetModel;
  const row = (id: string): FleetRow | undefined => model.snapshot().rows.find((r) => r.id === id);
  /** The store has seen the container in this state. */
  const seen = (id: string, state: string): Promise<true> =>
    until(`${id.slice(0, 12)} ${state} in the store`, () => (store.get(id)?.state === state ? true : undefined));

  before(async () => {
    engine = await connect();
    store = new ContainerStore(engine, { reconcileIntervalMs: 60_000, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    await store.start();
    model = FleetModel.forEngine(engine, store, { intervalMs: 60_000, scrapeTimeoutMs: 3000 });
  });
  after(async () => {
    model.stop();
    store.stop();
    await cleanup(engine);
    await engine.removeImage(TAG).catch(() => undefined);
  });

  test('the sample server under load: a rate near what was sent, percentiles in range, its 400/404 not errors', async () => {
    await buildSample(TAG);
    const id = await run(engine, { Image: TAG, Cmd: undefined, StopSignal: undefined, Labels: MODEL, ...published });
    await waitHealthy(engine, id);
    const base = `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}`;
    await seen(id, 'running');
    await model.sweep();
    assert.equal(row(id)?.source, 'metrics', row(id)?.problem);
    assert.equal(row(id)?.metricsUrl, `${base}/metrics`);
    assert.equal(row(id)?.profile, 'serve');
    const from = model.history(id).at(-1)?.t ?? 0;
    const statuses = await load(300, 4, (i) =>
      i % 10 === 9
        ? fetch(`${base}/nowhere`)
        : fetch(`${base}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: i % 10 === 8 ? '{"instances": [[1, 2]]}' : '{"instances": [[6.7, 3.1, 4.7, 1.5]]}',
          }),
    );
    assert.deepEqual([...statuses].sort(), [
      [200, 240],
      [400, 30],
      [404, 30],
    ]);
    await model.sweep();
    const latest = row(id)?.latest;
    const seconds = ((latest?.t ?? 0) - from) / 1000;
    assert.ok(latest?.rps !== undefined && latest.requests !== undefined, `a rate: ${JSON.stringify(row(id))}`);
    // 300 sent, plus the image's health check (every 2 s) in the same interval (the scrapes'
    // interval, which is not the samples' when a stats read holds a sweep back)
    const counted = latest.requests;
    assert.ok(counted >= 299 && counted <= 300 + seconds / 2 + 3, `${counted} requests counted, ${seconds.toFixed(2)} s between samples`);
    assert.ok(latest.rps > 0, 'a rate');
    assert.equal(latest.errorRate, 0, 'client errors are not the server’s');
    const { p50Ms = NaN, p95Ms = NaN, p99Ms = NaN } = latest;
    assert.ok(p50Ms > 0 && p50Ms <= p95Ms && p95Ms <= p99Ms && p99Ms <= 250, `p50 ${p50Ms}, p95 ${p95Ms}, p99 ${p99Ms}`);
    assert.ok((latest.cpuPercent ?? -1) >= 0, 'CPU read');
    assert.ok((latest.memoryBytes ?? 0) > 1 * MiB, 'memory read');
    assert.equal(row(id)?.health, 'healthy');
  });

  test('a Compose service answering 500 to every fourth request: error rate 0.25, latency around its 20 ms', async () => {
    const id = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', FLAKY_SERVER],
      Labels: { 'com.docker.compose.project': 'fleetstack', 'com.docker.compose.service': 'flaky' },
      ...published,
    });
    const base = `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/metrics`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      assert.ok(i < 100, 'the flaky server answers');
      await new Promise((r) => setTimeout(r, 100));
    }
    await seen(id, 'running');
    await model.sweep();
    assert.equal(row(id)?.source, 'metrics', row(id)?.problem);
    const statuses = await load(80, 4, () => fetch(`${base}/predict`));
    assert.deepEqual([...statuses].sort(), [
      [200, 60],
      [500, 20],
    ]);
    await model.sweep();
    const r = row(id);
    assert.equal(r?.project, 'fleetstack');
    assert.equal(r?.service, 'flaky');
    assert.equal(r?.latest?.errorRate, 0.25, JSON.stringify(r));
    const { p50Ms = NaN, p99Ms = NaN } = r?.latest ?? {};
    assert.ok(p50Ms >= 10 && p50Ms <= 100 && p99Ms <= 500, `p50 ${p50Ms}, p99 ${p99Ms}`);
  });

  test('no /metrics: source none (remembered), then traffic once Berth sends some; memory against a 96 MiB limit', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 8000 -h /www'],
      Labels: MODEL,
      ...published,
      HostConfig: { ...published.HostConfig, Memory: 96 * MiB, MemorySwap: 96 * MiB },
    });
    const base = `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}`;
    for (
      let i = 0;
      !(await fetch(base).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      assert.ok(i < 100, 'httpd answers');
      await new Promise((r) => setTimeout(r, 100));
    }
    await seen(id, 'running');
    await model.sweep();
    let r = row(id);
    assert.equal(r?.source, 'none');
    assert.equal(r?.metricsUrl, undefined);
    assert.equal(r?.problem, undefined, 'a 404 for /metrics is no problem');
    assert.equal(r?.memoryLimitBytes, 96 * MiB);
    assert.ok((r?.latest?.memoryBytes ?? 0) > 0 && (r?.latest?.memoryBytes ?? Infinity) < 96 * MiB, `memory ${r?.latest?.memoryBytes}`);
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const ok = (await fetch(base)).ok;
      model.recordTraffic(id, { at: Date.now(), latencyMs: performance.now() - started, ok: ok && i !== 0 });
    }
    await model.sweep();
    r = row(id);
    assert.equal(r?.source, 'traffic');
    assert.equal(r?.latest?.errorRate, 0.1);
    assert.ok((r?.latest?.rps ?? 0) > 0 && (r?.latest?.p50Ms ?? 0) > 0);
  });

  test('an OOM-killed model that restarts: each kill counted, restarts growing', async () => {
    const id = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', 'import time; time.sleep(0.3); chunks = [bytearray(16 * 2**20) for _ in range(16)]'],
      Labels: MODEL,
      HostConfig: { Memory: 64 * MiB, MemorySwap: 64 * MiB, RestartPolicy: { Name: 'always' } },
    });
    model.start();
    try {
      const r = await until(
        'two OOM kills',
        () => {
          const x = row(id);
          return x !== undefined && x.oomKills >= 2 ? x : undefined;
        },
        60_000,
      );
      assert.ok(r.restarts >= 1, `restarts ${r.restarts}`);
      const inspected = await engine.inspectContainer(id);
      assert.ok(r.oomKills <= (inspected.restartCount ?? 0) + 1, `${r.oomKills} kills for ${inspected.restartCount} restarts`);
    } finally {
      model.stop();
      await model.settled;
    }
  });

  test('a crash loop (exit 1, restart always): restarts grow, and the row stays while it restarts', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'sleep 0.2; exit 1'],
      Labels: MODEL,
      HostConfig: { RestartPolicy: { Name: 'always' } },
    });
    model.start();
    try {
      const first = await until('a restart', () => {
        const x = row(id);
        return x !== undefined && x.restarts >= 1 ? x.restarts : undefined;
      });
      const later = await until('more restarts', () => {
        const x = row(id);
        return x !== undefined && x.restarts >= first + 2 ? x.restarts : undefined;
      });
      assert.ok(later > first);
      assert.equal(row(id)?.oomKills, 0);
    } finally {
      model.stop();
      await model.settled;
    }
  });

  test('nvidia-smi in the container: its figures summed over GPUs; an image without it said once and for all', async () => {
    // this machine has no GPU: an nvidia-smi stand-in answers the query the model sends, through a real exec
    const fake = String.raw`printf '#!/bin/sh\necho "37, 1024"\necho "13, 512"\n' > /bin/nvidia-smi && chmod +x /bin/nvidia-smi && exec sleep 300`;
    const withSmi = await run(engine, { Cmd: ['sh', '-c', fake] });
    const without = await run(engine, {});
    const probes = engineProbes(engine);
    const signal = new AbortController().signal;
    for (let i = 0; ; i++) {
      const g = await probes.gpu(withSmi, signal);
      if (!('note' in g)) {
        assert.deepEqual(g, { percent: 50, memoryBytes: 1536 * MiB });
        break;
      }
      assert.ok(i < 50, `nvidia-smi stand-in: ${g.note}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await probes.gpu(without, signal), { note: 'nvidia-smi is not in this image: no GPU figures', final: true });
    const raw = await probes.stats(without, signal);
    assert.ok((raw.memory_stats?.usage ?? 0) > 0, 'a one-shot stats read');
  });

  test('history is bounded (historyMs at intervalMs) and a removed container is forgotten', async () => {
    const id = await run(engine, { Labels: MODEL });
    await seen(id, 'running');
    const bounded = FleetModel.forEngine(engine, store, { intervalMs: 150, historyMs: 600 });
    bounded.start();
    try {
      await until('a full history', () => (bounded.history(id).length >= 4 ? true : undefined));
      await new Promise((r) => setTimeout(r, 1500)); // ten more sweeps
      assert.equal(bounded.history(id).length, 4, '600 ms at 150 ms');
      const ts = bounded.history(id).map((s) => s.t);
      assert.deepEqual(
        ts,
        [...ts].sort((a, b) => a - b),
        'oldest first',
      );
      await engine.removeContainer(id, { force: true });
      await until('the container forgotten', () =>
        bounded.history(id).length === 0 && !bounded.snapshot().rows.some((r) => r.id === id) ? true : undefined,
      );
    } finally {
      bounded.stop();
      await bounded.settled;
    }
  });
});
