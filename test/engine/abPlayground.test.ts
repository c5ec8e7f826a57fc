/**
 * The playground's A/B run against two real containers: two small Python servers in the Python
 * base image answer the same JSON shape — B slower, with numbers within tolerance for one body and
 * a different prediction for the other, and an error every 7th request — reached as the playground
 * reaches them (chooseTarget + the engine's reachPort).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { runAb, type AbTarget } from '../../src/ui/playground/abRun';
import { chooseTarget, reachTarget } from '../../src/ui/playground/target';
import { cleanup, connect, PYTHON, run } from './harness';

const SERVER = `
import json, os, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
SLEEP = float(os.environ["SLEEP_MS"]) / 1000
B = os.environ["SIDE"] == "b"
lock = threading.Lock()
count = [0]
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        self.reply(200, {"status": "ok"})
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        with lock:
            count[0] += 1
            n = count[0]
        time.sleep(SLEEP)
        if B and n % 7 == 0:
            return self.reply(500, {"error": "overloaded"})
        x = body["instances"][0][0]
        if B and x > 6:
            return self.reply(200, {"predictions": ["versicolor"], "probabilities": [[0.4, 0.6]]})
        p = 0.9000004 if B else 0.9
        self.reply(200, {"predictions": ["setosa"], "probabilities": [[p, round(1 - p, 7)]]})
    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
`;

const BODIES = ['{"instances": [[5.1, 3.5, 1.4, 0.2]]}', '{"instances": [[6.2, 2.9, 4.3, 1.3]]}'];
const N = 42;

/** Whether a GET is answered with 200 within a second (node:http: a fetch to a port whose server is not up yet may never settle). */
function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function startServer(engine: Engine, side: 'a' | 'b', sleepMs: number): Promise<AbTarget> {
  const id = await run(engine, {
    Image: PYTHON,
    Cmd: ['python3', '-c', SERVER],
    Env: [`SIDE=${side}`, `SLEEP_MS=${sleepMs}`],
    ExposedPorts: { '8000/tcp': {} },
    HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  const record = await engine.inspectContainer(id);
  const target = await reachTarget(engine, record.name, chooseTarget(record.name, record.ports));
  assert.ok(!('error' in target), JSON.stringify(target));
  for (let i = 0; ; i++) {
    const ok = await answers(`${target.url}/health`);
    if (ok) break;
    if (i > 100) assert.fail(`${side}: the server did not answer within 20 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { label: record.name, baseUrl: target.url, path: '/predict' };
}

describe('engine: an A/B run of the playground against two real containers', { timeout: 120_000 }, () => {
  let engine: Engine;
  let a: AbTarget;
  let b: AbTarget;
  before(async () => {
    engine = await connect();
    [a, b] = await Promise.all([startServer(engine, 'a', 0), startServer(engine, 'b', 40)]);
  });
  after(async () => {
    if (engine) await cleanup(engine);
  });

  test('distributions differ; within-tolerance numbers count as equal; out-of-tolerance outputs listed; errors counted', async () => {
    const result = await runAb(
      { a, b },
      { method: 'POST', bodies: BODIES, count: N, concurrency: 3, tolerance: { rtol: 1e-3, atol: 1e-6 }, timeoutMs: 10_000 },
    );
    const s = result.summary;
    assert.equal(result.stopped, false);
    assert.equal(s.a.count, N);
    assert.equal(s.b.count, N);
    // B sleeps 40 ms per request: its whole distribution lies above A's median
    assert.ok(s.b.p50 > s.a.p50 + 30, `p50 ${s.a.p50} vs ${s.b.p50}`);
    assert.ok(s.b.min > 40, `B's fastest: ${s.b.min}`);
    const h = s.histogram;
    const meanBin = (counts: readonly number[]): number => counts.reduce((m, c, i) => m + c * i, 0) / counts.reduce((x, y) => x + y, 0);
    assert.ok(meanBin(h.b) > meanBin(h.a), `histograms: ${JSON.stringify(h)}`);
    // every 7th request B's server saw failed: 42 / 7
    assert.equal(s.a.errors, 0);
    assert.equal(s.b.errors, 6);
    assert.deepEqual(s.b.statuses, { '200': 36, '500': 6 });
    assert.equal(s.errors, 6);
    for (const r of result.requests) {
      if (r.verdict === 'error') {
        assert.equal(r.b.status, 500);
        continue;
      }
      if (r.body === 0) {
        assert.equal(r.verdict, 'within-tolerance', JSON.stringify(r));
      } else {
        assert.equal(r.verdict, 'differs');
        assert.deepEqual(r.differences, [
          { path: 'predictions[0]', a: '"setosa"', b: '"versicolor"' },
          { path: 'probabilities[0][0]', a: '0.9', b: '0.4' },
          { path: 'probabilities[0][1]', a: '0.1', b: '0.6' },
        ]);
      }
    }
    assert.equal(s.identical, 0);
    assert.ok(s.withinTolerance > 0 && s.differs > 0, JSON.stringify({ ...s, histogram: undefined }));
    assert.equal(s.withinTolerance + s.differs, N - 6);

    // the same run, B against itself on a tighter tolerance: B's 0.9000004 vs A's 0.9 beyond it
    const tight = await runAb(
      { a, b },
      { method: 'POST', bodies: [BODIES[0]!], count: 6, concurrency: 2, tolerance: { rtol: 0, atol: 1e-9 }, timeoutMs: 10_000 },
    );
    const answered = tight.requests.filter((r) => r.verdict !== 'error');
    assert.ok(answered.length > 0);
    for (const r of answered)
      assert.deepEqual(
        r.differences.map((d) => d.path),
        ['probabilities[0][0]', 'probabilities[0][1]'],
      );
  });
});
