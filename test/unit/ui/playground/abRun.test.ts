import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  AB_EXPORT_KIND,
  compareOutputs,
  firstSide,
  histogram,
  judge,
  MAX_AB_REQUESTS,
  MAX_DIFFERENCES,
  runAb,
  summarizeSide,
  type AbSettings,
  type AbTarget,
  type Sender,
} from '../../../../src/ui/playground/abRun';
import type { RequestResult } from '../../../../src/ui/playground/requests';

const TOL = { rtol: 1e-3, atol: 1e-6 };
const answer = (body: string, status = 200, latencyMs = 1): RequestResult => ({
  status,
  ok: status >= 200 && status < 300,
  latencyMs,
  body,
  bodyBytes: body.length,
  contentType: 'application/json',
});
const A: AbTarget = { label: 'a', baseUrl: 'http://127.0.0.1:1', path: '/predict' };
const B: AbTarget = { label: 'b', baseUrl: 'http://127.0.0.1:2', path: '/models/v2/predict' };
const settings = (over: Partial<AbSettings> = {}): AbSettings => ({
  method: 'POST',
  bodies: ['{"x":1}'],
  count: 10,
  concurrency: 2,
  tolerance: TOL,
  timeoutMs: 1000,
  ...over,
});

describe('A/B outputs compared', () => {
  test('JSON: the differing paths listed with both values; numbers within tolerance count as equal', () => {
    const a = JSON.stringify({ predictions: ['setosa', 'virginica'], probabilities: [[0.05, 0.91, 0.04]] });
    const b = JSON.stringify({ predictions: ['versicolor', 'virginica'], probabilities: [[0.05, 0.62, 0.04]] });
    const r = compareOutputs(a, b, TOL);
    assert.equal(r.verdict, 'differs');
    assert.deepEqual(r.differences, [
      { path: 'predictions[0]', a: '"setosa"', b: '"versicolor"' },
      { path: 'probabilities[0][1]', a: '0.91', b: '0.62' },
    ]);
    assert.equal(r.reason, '2 paths differ');

    const close = compareOutputs('{"p":[0.910000,1]}', '{"p":[0.910004,1]}', TOL);
    assert.equal(close.verdict, 'within-tolerance');
    assert.deepEqual(close.differences, []);
    assert.match(close.reason, /^1 number differs within tolerance \(rtol 0\.001, atol 0\.000001\)$/);
    // the same difference beyond a tighter tolerance is listed
    const tight = compareOutputs('{"p":[0.910000,1]}', '{"p":[0.910004,1]}', { rtol: 0, atol: 1e-9 });
    assert.deepEqual(tight.differences, [{ path: 'p[0]', a: '0.91', b: '0.910004' }]);
    assert.equal(compareOutputs('{"a": 1, "b": [1, 2]}', '{"b":[1,2],"a":1}', TOL).verdict, 'identical');
  });

  test('JSON: missing keys, other types, other lengths, odd keys and a different top level', () => {
    const r = compareOutputs('{"a":1,"b":{"c d":true},"l":[1,2,3],"t":"1"}', '{"b":{"c d":false},"l":[1,2],"t":1,"n":null}', TOL);
    assert.deepEqual(r.differences, [
      { path: 'a', a: '1', b: '(missing)' },
      { path: 'b["c d"]', a: 'true', b: 'false' },
      { path: 'l.length', a: '3', b: '2' },
      { path: 't', a: '"1"', b: '1' },
      { path: 'n', a: '(missing)', b: 'null' },
    ]);
    assert.deepEqual(compareOutputs('[1]', '{"a":1}', TOL).differences, [{ path: '(body)', a: '[1]', b: '{"a":1}' }]);
    const many = compareOutputs(
      JSON.stringify(Array.from({ length: 50 }, (_, i) => i)),
      JSON.stringify(Array.from({ length: 50 }, (_, i) => -i - 1)),
      TOL,
    );
    assert.equal(many.differences.length, MAX_DIFFERENCES);
    assert.equal(many.reason, '50 paths differ');
  });

  test('text bodies: compared as text, numbers in them within tolerance', () => {
    assert.equal(compareOutputs('score 0.91000\n', 'score 0.91001\n', TOL).verdict, 'within-tolerance');
    const r = compareOutputs('ok\nscore 0.91\n', 'ok\nscore 0.62\n', TOL);
    assert.equal(r.verdict, 'differs');
    assert.deepEqual(r.differences, [{ path: 'line 2', a: '"score 0.91"', b: '"score 0.62"' }]);
    assert.equal(compareOutputs('plain', 'plain', TOL).verdict, 'identical');
    // one side JSON, the other not: text
    assert.equal(compareOutputs('{"a":1}', 'oops', TOL).verdict, 'differs');
  });

  test('a side without an answer or with an error status is an error, not a comparison', () => {
    const ok = { status: 200, latencyMs: 1, body: '{"a":1}' };
    const none = judge(ok, { status: 0, latencyMs: 1, body: '', error: 'connection refused' }, TOL);
    assert.equal(none.verdict, 'error');
    assert.equal(none.reason, 'B: connection refused');
    assert.deepEqual(none.differences, [{ path: 'status', a: '200', b: 'no answer' }]);
    assert.equal(judge({ ...ok, status: 500 }, { ...ok, status: 500 }, TOL).reason, 'A: HTTP 500; B: HTTP 500');
    assert.equal(judge(ok, { ...ok, status: 201 }, TOL).verdict, 'differs');
    assert.equal(judge(ok, { ...ok, body: '{"a":1.0000001}' }, TOL).verdict, 'within-tolerance');
  });
});

describe('A/B figures per target', () => {
  test('percentiles, min, max, mean, error rate and statuses', () => {
    const results = Array.from({ length: 100 }, (_, i) => ({ status: i < 3 ? 503 : 200, latencyMs: 100 - i, body: '' }));
    results.push({ status: 0, latencyMs: 500, body: '', error: 'timeout' } as (typeof results)[number]);
    const s = summarizeSide(results);
    assert.equal(s.count, 101);
    assert.equal(s.errors, 4);
    assert.equal(s.errorRate, 4 / 101);
    assert.equal(s.min, 1);
    assert.equal(s.max, 500);
    assert.equal(s.p50, 51);
    assert.equal(s.p95, 96);
    assert.equal(s.p99, 100);
    assert.equal(s.mean, (5050 + 500) / 101);
    assert.deepEqual(s.statuses, { '503': 3, '200': 97, 'no answer': 1 });
    assert.deepEqual(summarizeSide([]), {
      count: 0,
      errors: 0,
      errorRate: 0,
      p50: 0,
      p95: 0,
      p99: 0,
      min: 0,
      max: 0,
      mean: 0,
      statuses: {},
    });
  });

  test('a histogram of both sides in the same bins', () => {
    const h = histogram([1, 2, 2, 3], [9, 10, 11], 5);
    assert.deepEqual(h.edgesMs, [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(h.a, [3, 1, 0, 0, 0]);
    assert.deepEqual(h.b, [0, 0, 0, 0, 3]);
    assert.deepEqual(histogram([], []), { edgesMs: [], a: [], b: [] });
    assert.deepEqual(histogram([4, 4], [4], 2).a, [2, 0]);
  });
});

describe('A/B runs', () => {
  test('interleaved: both sides get every request, A first on even requests and B first on odd ones; bodies cycled', async () => {
    const calls: { url: string; body: string | undefined }[] = [];
    const send: Sender = async (spec) => {
      calls.push({ url: spec.url, body: spec.body });
      await new Promise((r) => setTimeout(r, 1));
      return answer(spec.url.includes(':1/') ? '{"y":[1,"setosa"]}' : '{"y":[1.0000001,"setosa"]}');
    };
    const run = await runAb({ a: A, b: B }, settings({ concurrency: 1, count: 6, bodies: ['{"i":0}', '{"i":1}', '{"i":2}'] }), { send });
    assert.deepEqual(
      calls.map((c) => (c.url === 'http://127.0.0.1:1/predict' ? 'a' : c.url === 'http://127.0.0.1:2/models/v2/predict' ? 'b' : c.url)),
      ['a', 'b', 'b', 'a', 'a', 'b', 'b', 'a', 'a', 'b', 'b', 'a'],
    );
    assert.deepEqual(
      calls.filter((_, i) => i % 2 === 0).map((c) => c.body),
      ['{"i":0}', '{"i":1}', '{"i":2}', '{"i":0}', '{"i":1}', '{"i":2}'],
    );
    assert.deepEqual(
      run.requests.map((r) => r.body),
      [0, 1, 2, 0, 1, 2],
    );
    assert.equal(run.summary.withinTolerance, 6);
    assert.deepEqual([firstSide(0), firstSide(1), firstSide(2)], ['a', 'b', 'a']);
  });

  test('at most `concurrency` requests in flight per side; capped count', async () => {
    let inFlight = 0;
    let most = 0;
    const send: Sender = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return answer('{}');
    };
    const run = await runAb({ a: A, b: B }, settings({ concurrency: 3, count: 30 }), { send });
    assert.equal(most, 3);
    assert.equal(run.requests.length, 30);
    assert.deepEqual(
      run.requests.map((r) => r.index),
      Array.from({ length: 30 }, (_, i) => i),
    );
    const capped = await runAb({ a: A, b: B }, settings({ count: MAX_AB_REQUESTS + 5, concurrency: 32 }), {
      send: () => Promise.resolve(answer('{}')),
    });
    assert.equal(capped.settings.count, MAX_AB_REQUESTS);
    assert.equal(capped.requests.length, MAX_AB_REQUESTS);
  });

  test('stopped: keeps what finished and says so', async () => {
    const controller = new AbortController();
    const send: Sender = async () => {
      await new Promise((r) => setTimeout(r, 1));
      return answer('{}');
    };
    const run = await runAb({ a: A, b: B }, settings({ count: 1000, concurrency: 1 }), {
      send,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 5) controller.abort();
      },
    });
    assert.equal(run.stopped, true);
    assert.equal(run.requests.length, 5);
    assert.equal(run.summary.a.count, 5);
  });
});

describe('A/B run against two real local servers: the export', () => {
  const servers: http.Server[] = [];
  const bases: string[] = [];
  before(async () => {
    // A answers at once; B sleeps 15 ms, answers the second instance differently, and fails every 5th request
    let bCount = 0;
    for (const slow of [false, true]) {
      const server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          const reply = (): void => {
            if (slow && ++bCount % 5 === 0) return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
            const n = (JSON.parse(body) as { instances: unknown[] }).instances.length;
            res.writeHead(200, { 'content-type': 'application/json' }).end(
              JSON.stringify({
                predictions: Array.from({ length: n }, (_, i) => (slow && i === 1 ? 'versicolor' : 'setosa')),
                probabilities: Array.from({ length: n }, () => [slow ? 0.9000001 : 0.9, 0.1]),
              }),
            );
          };
          if (slow) setTimeout(reply, 15);
          else reply();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push(server);
      bases.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  after(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  test('latencies differ, within-tolerance numbers are equal, out-of-tolerance values listed, errors counted; JSON round trip', async () => {
    const a: AbTarget = { label: 'fast', baseUrl: bases[0]!, path: '/predict' };
    const b: AbTarget = { label: 'slow', baseUrl: bases[1]!, path: 'predict' };
    const run = await runAb(
      { a, b },
      settings({
        count: 20,
        concurrency: 2,
        bodies: ['{"instances":[[1,2,3,4]]}', '{"instances":[[1,2,3,4],[5,6,7,8]]}'],
        bodyNames: ['one.json', 'two.json'],
      }),
      { now: () => new Date('2026-12-02T06:00:00Z') },
    );
    const exported = JSON.parse(JSON.stringify(run)) as typeof run;
    assert.deepEqual(Object.keys(exported).sort(), [
      'kind',
      'requests',
      'settings',
      'startedAt',
      'stopped',
      'summary',
      'targets',
      'version',
      'wallMs',
    ]);
    assert.equal(exported.kind, AB_EXPORT_KIND);
    assert.equal(exported.startedAt, '2026-12-02T06:00:00.000Z');
    assert.equal(exported.stopped, false);
    assert.deepEqual(exported.targets, { a, b });
    assert.deepEqual(
      exported.settings.bodies.map((x) => x.name),
      ['one.json', 'two.json'],
    );
    assert.equal(exported.settings.rtol, 1e-3);
    const s = exported.summary;
    assert.equal(s.a.count, 20);
    assert.equal(s.b.count, 20);
    assert.equal(s.a.errors, 0);
    assert.equal(s.b.errors, 4);
    assert.equal(s.b.statuses['500'], 4);
    assert.ok(s.b.p50 > s.a.p50 + 10, `B is slower: ${s.b.p50} vs ${s.a.p50}`);
    assert.equal(
      s.histogram.a.reduce((x, y) => x + y, 0),
      20,
    );
    assert.equal(
      s.histogram.b.reduce((x, y) => x + y, 0),
      20,
    );
    assert.equal(s.errors, 4);
    assert.equal(s.identical, 0);
    assert.equal(s.withinTolerance + s.differs, 16);
    for (const r of exported.requests) {
      if (r.verdict === 'error') continue;
      if (r.body === 0) assert.equal(r.verdict, 'within-tolerance', JSON.stringify(r));
      else assert.deepEqual(r.differences, [{ path: 'predictions[1]', a: '"setosa"', b: '"versicolor"' }]);
    }
    assert.ok(exported.requests.every((r) => JSON.parse(r.a.body) !== undefined));
  });
});
