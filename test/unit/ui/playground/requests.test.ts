import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import * as net from 'node:net';
import {
  assertLoopback,
  BatchCollector,
  checkMethod,
  describeFailure,
  isLoopbackHost,
  MAX_ERROR_SAMPLES,
  METHODS,
  percentile,
  requestUrl,
  runBatch,
  SAMPLE_CHARS,
  sendRequest,
  summarize,
} from '../../../../src/ui/playground/requests';

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
    assert.match(r.error ?? '', /connection refused at 127\.0\.0\.1:\d+/);
  });

  test('a batch: counts, statuses, percentiles, throughput', async () => {
    const s = await runBatch({ url: `${base}/predict`, method: 'POST', body: '{"instances": [[1,2,3,4]]}' }, 50, { concurrency: 4 });
    assert.equal(s.count, 50);
    assert.equal(s.errors, 0);
    assert.deepEqual(s.statuses, { '200': 50 });
    assert.ok(s.p50 > 0 && s.p50 <= s.p95 && s.p95 <= s.p99 && s.p99 <= s.max);
    assert.ok(s.throughputPerS > 0);
  });

  test('only loopback targets', async () => {
    assert.throws(() => assertLoopback('http://10.0.0.5:8000/'), /only sends requests to this machine/);
    assert.throws(() => assertLoopback('file:///etc/passwd'), /Only http/);
    assert.equal(assertLoopback('http://localhost:8000/x').port, '8000');
    assert.equal(assertLoopback('http://127.0.0.2:8000/x').hostname, '127.0.0.2');
    assert.equal(assertLoopback('http://[::1]:8000/x').port, '8000');
    for (const h of ['127.0.0.1', '127.255.0.9', 'localhost', '[::1]', '::1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['10.1.2.3', '0.0.0.0', '::', '128.0.0.1', '127.0.0.256', 'localhost.example', '[::2]'])
      assert.equal(isLoopbackHost(h), false, h);
    // a non-loopback URL comes back as an error, never as a request (nothing listens there)
    const r = await sendRequest({ url: 'http://10.1.2.3:8000/', method: 'GET' });
    assert.equal(r.status, 0);
    assert.match(r.error ?? '', /only sends requests to this machine/);
  });

  test('a path typed in the panel stays on the container: no other host, no credentials', () => {
    assert.equal(requestUrl('http://127.0.0.1:8000', 'predict'), 'http://127.0.0.1:8000/predict');
    assert.equal(requestUrl('http://127.0.0.1:8000', '/v1/models?x=1'), 'http://127.0.0.1:8000/v1/models?x=1');
    assert.equal(requestUrl('http://[::1]:8000', '/'), 'http://[::1]:8000/');
    // whatever is typed, the request goes to the container's origin
    for (const p of ['@10.1.2.3/', ':1@10.1.2.3/', '.evil.example/', '//10.1.2.3/x', '\\\\10.1.2.3\\x', '/..//10.1.2.3'])
      assert.equal(new URL(requestUrl('http://127.0.0.1:8000', p)).origin, 'http://127.0.0.1:8000', p);
  });

  test('percentiles and error rate by hand', () => {
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
    const s = summarize(
      [
        { status: 200, ok: true, latencyMs: 1, body: '', bodyBytes: 0, contentType: '' },
        { status: 500, ok: false, latencyMs: 3, body: '', bodyBytes: 0, contentType: '' },
        { status: 0, ok: false, latencyMs: 2, body: '', bodyBytes: 0, contentType: '', error: 'x' },
      ],
      1000,
    );
    assert.equal(s.errorRate, 2 / 3);
    assert.deepEqual(s.statuses, { '200': 1, '500': 1, 'no answer': 1 });
    assert.equal(s.throughputPerS, 3);
  });

  test('methods: only GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS — others refused before any request', async () => {
    for (const m of METHODS) assert.deepEqual(checkMethod(m), { method: m });
    assert.deepEqual([...METHODS], ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
    for (const m of ['TRACE', 'CONNECT', 'PROPFIND', 'get', 'Post'])
      assert.match((checkMethod(m) as { error: string }).error, /is not a method the playground sends/, m);
    for (const m of ['G ET', 'GET\r\nX-Injected: 1', 'GET /', 'PO$T', 'GET\u0000'])
      assert.match((checkMethod(m) as { error: string }).error, /characters a method cannot have/, JSON.stringify(m));
    for (const m of ['', undefined, 42, null]) assert.match((checkMethod(m) as { error: string }).error, /No HTTP method given/);

    let seen = 0;
    const counter = http.createServer((_req, res) => {
      seen++;
      res.end('ok');
    });
    await new Promise<void>((r) => counter.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(counter.address() as AddressInfo).port}/`;
    try {
      for (const m of ['TRACE', 'G ET', 'GET\r\nX: 1']) {
        const r = await sendRequest({ url, method: m as 'GET' });
        assert.equal(r.status, 0);
        assert.ok(r.error);
      }
      assert.equal(seen, 0, 'no request reached the server');
      for (const m of METHODS) assert.equal((await sendRequest({ url, method: m, body: '{}' })).status, 200, m);
      assert.equal(seen, METHODS.length);
    } finally {
      counter.closeAllConnections();
      await new Promise<void>((r) => counter.close(() => r()));
    }
  });
});

describe('no request waits forever: timeouts and dropped connections give a clear error', () => {
  let server: net.Server;
  let port: number;
  const sockets = new Set<net.Socket>();
  before(async () => {
    // accepts, reads, and answers only as the path says: never, headers only, or by closing
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => {
        const line = chunk.toString('latin1').split('\r\n')[0] ?? '';
        if (line.includes(' /reset ')) socket.resetAndDestroy();
        else if (line.includes(' /close ')) socket.destroy();
        else if (line.includes(' /half ')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc');
        // anything else: never answered
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('a server that accepts and never answers: "no answer within" the timeout', async () => {
    const r = await sendRequest({ url: `http://127.0.0.1:${port}/never`, method: 'POST', body: '{}', timeoutMs: 300 });
    assert.equal(r.status, 0);
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /^no answer within 0\.3 s from 127\.0\.0\.1:\d+/);
  });

  test('headers, then a body that never ends: the timeout covers the body too', async () => {
    const r = await sendRequest({ url: `http://127.0.0.1:${port}/half`, method: 'GET', timeoutMs: 300 });
    assert.equal(r.status, 0);
    assert.match(r.error ?? '', /^no answer within 0\.3 s/);
  });

  test('a connection reset or closed without an answer', async () => {
    for (const p of ['/reset', '/close']) {
      const r = await sendRequest({ url: `http://127.0.0.1:${port}${p}`, method: 'GET', timeoutMs: 5000 });
      assert.equal(r.status, 0, p);
      assert.match(r.error ?? '', /was closed without an answer/, p);
    }
  });

  test('a batch against a server that never answers ends, every request an error', async () => {
    const s = await runBatch({ url: `http://127.0.0.1:${port}/never`, method: 'GET', timeoutMs: 200 }, 6, { concurrency: 3 });
    assert.equal(s.count, 6);
    assert.equal(s.errors, 6);
    assert.deepEqual(s.statuses, { 'no answer': 6 });
    assert.match(s.errorSamples[0]?.message ?? '', /no answer within 0\.2 s/);
  });

  test('failures as messages (mapping)', () => {
    const cause = (code: string): unknown => Object.assign(new TypeError('fetch failed'), { cause: { code, message: code } });
    const url = 'http://127.0.0.1:8000/predict';
    assert.match(
      describeFailure(Object.assign(new Error('t'), { name: 'TimeoutError' }), 30_000, url),
      /^no answer within 30 s from 127\.0\.0\.1:8000/,
    );
    assert.match(describeFailure(cause('ECONNREFUSED'), 30_000, url), /^connection refused at 127\.0\.0\.1:8000/);
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE'])
      assert.match(describeFailure(cause(code), 30_000, url), /closed without an answer/);
    assert.match(describeFailure(cause('UND_ERR_HEADERS_TIMEOUT'), 30_000, url), /did not respond/);
    assert.equal(describeFailure(cause('EWHATEVER'), 30_000, url), 'fetch failed: EWHATEVER');
    assert.equal(describeFailure(Object.assign(new Error('a'), { name: 'AbortError' }), 30_000), 'cancelled');
  });
});

describe('a 10,000-request batch of 64 KiB answers keeps a bounded summary, not the bodies', () => {
  const BODY = Buffer.alloc(64 * 1024, 'x');
  let server: http.Server;
  let url: string;
  before(async () => {
    let n = 0;
    server = http.createServer((req, res) => {
      req.resume();
      n++;
      // every 1000th answer is an error, so error samples are kept too
      res.writeHead(n % 1000 === 0 ? 500 : 200, { 'content-type': 'text/plain', 'content-length': BODY.length }).end(BODY);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/predict`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('retained: at most the last body and a few error samples, each cut to a bound', async (t) => {
    const COUNT = 10_000;
    const collector = new BatchCollector(COUNT);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peakRss = rss0;
    let maxRetained = { bodies: 0, bodyChars: 0, latencies: 0 };
    const s = await runBatch({ url, method: 'GET' }, COUNT, {
      concurrency: 4,
      collector,
      onProgress: (done) => {
        if (done % 500 !== 0) return;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        const r = collector.retained();
        if (r.bodyChars > maxRetained.bodyChars || r.bodies > maxRetained.bodies) maxRetained = r;
      },
    });
    global.gc?.();
    const rss1 = process.memoryUsage().rss;
    assert.equal(s.count, COUNT);
    assert.equal(s.errors, 10);
    assert.deepEqual(s.statuses, { '200': 9990, '500': 10 });
    assert.equal(s.errorSamples.length, MAX_ERROR_SAMPLES);
    const retained = collector.retained();
    // the last body and MAX_ERROR_SAMPLES error bodies, each at most SAMPLE_CHARS (+ the "…")
    assert.ok(retained.bodies <= 1 + MAX_ERROR_SAMPLES, `${retained.bodies} bodies retained`);
    assert.ok(retained.bodyChars <= (1 + MAX_ERROR_SAMPLES) * (SAMPLE_CHARS + 1), `${retained.bodyChars} characters retained`);
    assert.ok(maxRetained.bodyChars <= (1 + MAX_ERROR_SAMPLES) * (SAMPLE_CHARS + 1), 'bounded all along');
    assert.equal(retained.latencies, COUNT, 'one number per request, no more');
    assert.equal(s.lastBody, 'x'.repeat(SAMPLE_CHARS), 'the last body, cut');
    const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
    t.diagnostic(
      `received ${mib(COUNT * BODY.length)} MiB; retained ${retained.bodies} bodies, ${retained.bodyChars} characters; ` +
        `RSS ${mib(rss0)} → peak ${mib(peakRss)} → after ${mib(rss1)} MiB (growth at peak ${mib(peakRss - rss0)} MiB)`,
    );
  });
});
