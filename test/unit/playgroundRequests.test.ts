import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertLoopback, percentile, runBatch, sendRequest, summarize } from '../../src/playground/requests';

describe('playground requests (against a real local HTTP server)', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/predict' && req.method === 'POST') {
          try {
            const parsed = JSON.parse(body) as { instances?: unknown[] };
            res
              .writeHead(200, { 'content-type': 'application/json' })
              .end(JSON.stringify({ predictions: (parsed.instances ?? []).map(() => 'setosa') }));
          } catch {
            res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid JSON"}');
          }
        } else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('one request: status, body and latency', async () => {
    const r = await sendRequest({ url: `${base}/predict`, method: 'POST', body: '{"instances": [[1,2,3,4]]}' });
    assert.equal(r.status, 200);
    assert.equal(r.ok, true);
    assert.deepEqual(JSON.parse(r.body), { predictions: ['setosa'] });
    assert.ok(r.latencyMs > 0);
    const bad = await sendRequest({ url: `${base}/predict`, method: 'POST', body: 'not json' });
    assert.equal(bad.status, 400);
    assert.equal(bad.ok, false);
  });

  test('nothing listening: a clear error, not a throw', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await sendRequest({ url: `http://127.0.0.1:${port}/`, method: 'GET' });
    assert.equal(r.status, 0);
    assert.match(r.error ?? '', /connection refused/);
  });

  test('a batch: counts, statuses, percentiles, throughput', async () => {
    const s = await runBatch({ url: `${base}/predict`, method: 'POST', body: '{"instances": [[1,2,3,4]]}' }, 50, { concurrency: 4 });
    assert.equal(s.count, 50);
    assert.equal(s.errors, 0);
    assert.deepEqual(s.statuses, { '200': 50 });
    assert.ok(s.p50 > 0 && s.p50 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max);
    assert.ok(s.throughputPerS > 0);
  });

  test('only loopback targets', () => {
    assert.throws(() => assertLoopback('http://10.0.0.5:8000/'), /only sends requests to this machine/);
    assert.throws(() => assertLoopback('file:///etc/passwd'), /Only http/);
    assert.equal(assertLoopback('http://localhost:8000/x').port, '8000');
  });

  test('percentiles and error rate by hand', () => {
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
    const s = summarize(
      [
        { status: 200, ok: true, latencyMs: 1, body: '', contentType: '' },
        { status: 500, ok: false, latencyMs: 3, body: '', contentType: '' },
        { status: 0, ok: false, latencyMs: 2, body: '', contentType: '', error: 'x' },
      ],
      1000,
    );
    assert.equal(s.errorRate, 2 / 3);
    assert.deepEqual(s.statuses, { '200': 1, '500': 1, 'no answer': 1 });
    assert.equal(s.throughputPerS, 3);
  });
});
