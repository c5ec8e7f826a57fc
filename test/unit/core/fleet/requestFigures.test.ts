import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseExposition } from '../../../../src/core/fleet/exposition';
import { bucketQuantile, findRequestMetrics, requestFigures, type Scrape } from '../../../../src/core/fleet/requestFigures';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const scrape = (at: number, text: string): Scrape => ({ at, exposition: parseExposition(text) });
const close = (actual: number | undefined, expected: number, what: string): void =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

/** A server's counters and latency histogram (seconds) as text, per (path, status): count and per-bucket counts. */
function serverText(
  series: { path: string; status: string; count: number }[],
  buckets: Record<string, number[]>,
  bounds = [0.01, 0.1, 1],
): string {
  const lines = ['# TYPE http_requests_total counter'];
  for (const s of series) lines.push(`http_requests_total{path="${s.path}",status="${s.status}"} ${s.count}`);
  lines.push('# TYPE http_request_duration_seconds histogram');
  for (const [p, counts] of Object.entries(buckets)) {
    let cumulative = 0;
    [...bounds, Infinity].forEach((le, i) => {
      cumulative += counts[i] ?? 0;
      lines.push(`http_request_duration_seconds_bucket{path="${p}",le="${le === Infinity ? '+Inf' : le}"} ${cumulative}`);
    });
    lines.push(`http_request_duration_seconds_count{path="${p}"} ${cumulative}`);
  }
  return lines.join('\n') + '\n';
}

describe('findRequestMetrics', () => {
  test('the sample server: the status counter and the seconds histogram', () => {
    const m = findRequestMetrics(parseExposition(fixture('iris-2.txt')));
    assert.deepEqual(m, {
      counter: { family: 'iris_requests_total', statusLabel: 'status' },
      histogram: { family: 'iris_request_duration_seconds', toMs: 1000 },
    });
  });

  test('a `code` label, a millisecond histogram, and an errors counter when no status is known', () => {
    assert.deepEqual(findRequestMetrics(parseExposition('# TYPE reqs counter\nreqs{code="200"} 1\n')).counter, {
      family: 'reqs',
      statusLabel: 'code',
    });
    const ms = findRequestMetrics(parseExposition('# TYPE latency_ms histogram\nlatency_ms_bucket{le="+Inf"} 1\n'));
    assert.deepEqual(ms.histogram, { family: 'latency_ms', toMs: 1 });
    const errors = findRequestMetrics(
      parseExposition('# TYPE app_errors_total counter\napp_errors_total{kind="client"} 1\napp_errors_total{kind="server"} 2\n'),
    );
    assert.deepEqual(errors.errors, { family: 'app_errors_total', serverOnly: { label: 'kind', values: ['server'] } });
    // a gauge with a status label is no request counter
    assert.equal(findRequestMetrics(parseExposition('# TYPE inflight gauge\ninflight{status="200"} 3\n')).counter, undefined);
  });
});

describe('bucketQuantile', () => {
  test('interpolates linearly inside the bucket, as histogram_quantile does', () => {
    const b = [
      { le: 0.1, count: 10 },
      { le: 0.2, count: 30 },
      { le: 0.4, count: 40 },
      { le: Infinity, count: 40 },
    ];
    close(bucketQuantile(0.5, b), 0.15, 'p50'); // rank 20: half-way through (0.1, 0.2]
    close(bucketQuantile(0.25, b), 0.1, 'p25'); // rank 10: the top of the first bucket
    close(bucketQuantile(0.1, b), 0.04, 'p10'); // first bucket from 0
    close(bucketQuantile(0.95, b), 0.36, 'p95'); // rank 38: 8 of the 10 in (0.2, 0.4]
  });

  test('the +Inf bucket answers the highest finite bound; empty answers nothing', () => {
    close(
      bucketQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 100 },
      ]),
      1,
      'p99 in +Inf',
    );
    assert.equal(bucketQuantile(0.5, [{ le: Infinity, count: 0 }]), undefined);
    assert.equal(bucketQuantile(0.5, []), undefined);
  });
});

describe('requestFigures', () => {
  test('two real scrapes of the sample server, 10 s apart: 24 requests, no 5xx, percentiles from the bucket deltas', () => {
    const f = requestFigures(scrape(0, fixture('iris-1.txt')), scrape(10_000, fixture('iris-2.txt')));
    // /predict 200: 5 → 25, /predict 400: 1 → 5, /health unchanged, /metrics (our own scrape) left out
    close(f?.rps, 2.4, 'rps');
    close(f?.errorRate, 0, 'error rate (400s are the caller’s)');
    // /predict buckets went 6→27 (≤1 ms), 6→28, 6→28, 6→29 (≤10 ms), 6→30 (≤25 ms): deltas 21, 22, 22, 23, 24
    close(f?.p50Ms, (12 / 21) * 1, 'p50'); // rank 12 of 24 in (0, 1 ms]
    close(f?.p95Ms, 5 + 5 * 0.8, 'p95'); // rank 22.8 in (5, 10 ms]: 0.8 of its one request
    close(f?.p99Ms, 10 + 15 * 0.76, 'p99'); // rank 23.76 in (10, 25 ms]
  });

  test('5xx share of all requests; rate over the interval', () => {
    const before = serverText([{ path: '/predict', status: '200', count: 100 }], { '/predict': [100, 0, 0, 0] });
    const after = serverText(
      [
        { path: '/predict', status: '200', count: 170 },
        { path: '/predict', status: '404', count: 10 },
        { path: '/predict', status: '500', count: 20 },
        { path: '/metrics', status: '200', count: 50 },
      ],
      { '/predict': [150, 40, 10, 0], '/metrics': [50, 0, 0, 0] },
    );
    const f = requestFigures(scrape(1000, before), scrape(6000, after));
    close(f?.rps, 100 / 5, 'rps'); // 70 + 10 + 20 new requests in 5 s; the 500 and 404 series are new since the first scrape
    assert.equal(f?.requests, 100, 'the requests behind the rate');
    close(f?.errorRate, 0.2, '5xx only');
    // deltas: 50 ≤10 ms, 40 in (10, 100], 10 in (100, 1000]
    close(f?.p50Ms, 10, 'p50 at the top of the first bucket');
    close(f?.p95Ms, 100 + 900 * 0.5, 'p95');
  });

  test('a restarted server (counters went down) counts from zero again, never negative', () => {
    const before = serverText(
      [
        { path: '/predict', status: '200', count: 1000 },
        { path: '/predict', status: '500', count: 10 },
      ],
      { '/predict': [1000, 10, 0, 0] },
    );
    const after = serverText(
      [
        { path: '/predict', status: '200', count: 8 },
        { path: '/predict', status: '500', count: 2 },
      ],
      // the restarted series' buckets: only ≤10 ms and (10,100] — one of them (≤100 ms cumulative) is
      // not below its old value for a series that did not restart, but this one did
      { '/predict': [4, 6, 0, 0] },
    );
    const f = requestFigures(scrape(0, before), scrape(5000, after));
    close(f?.rps, 10 / 5, 'rps from zero');
    close(f?.errorRate, 0.2, 'error rate after the reset');
    close(f?.p50Ms, 10 + 90 * (1 / 6), 'p50 from the new run’s buckets'); // rank 5: 4 ≤10 ms, then 1 of 6
  });

  test('a histogram series that restarted while another did not: only the restarted one counts from zero', () => {
    const text = (a: number[], b: number[]): string =>
      ['# TYPE rt_seconds histogram']
        .concat(
          ['a', 'b'].flatMap((p, k) => {
            const counts = k === 0 ? a : b;
            return ['0.1', '+Inf'].map((le, i) => `rt_seconds_bucket{path="/${p}",le="${le}"} ${counts[i] ?? 0}`);
          }),
        )
        .join('\n');
    // /a: 100 → 110 (10 new, all ≤0.1 s); /b restarted: 50,60 → 3,5 (3 ≤0.1 s, 2 above)
    const f = requestFigures(scrape(0, text([100, 100], [50, 60])), scrape(1000, text([110, 110], [3, 5])));
    close(f?.rps, 15, 'requests from the histogram’s +Inf buckets when there is no counter');
    close(f?.p50Ms, 100 * (7.5 / 13), 'p50 over 13 fast of 15');
    assert.equal(f?.errorRate, undefined, 'nothing tells errors');
  });

  test('no status label: errors_total (server kind) over the histogram’s count; all errors when no kind tells', () => {
    const text = (count: number, server: number, client: number): string =>
      [
        '# TYPE model_latency_seconds histogram',
        `model_latency_seconds_bucket{le="0.5"} ${count}`,
        `model_latency_seconds_bucket{le="+Inf"} ${count}`,
        `model_latency_seconds_count ${count}`,
        '# TYPE model_errors_total counter',
        `model_errors_total{kind="server"} ${server}`,
        `model_errors_total{kind="client"} ${client}`,
      ].join('\n');
    const f = requestFigures(scrape(0, text(10, 0, 0)), scrape(2000, text(50, 4, 6)));
    close(f?.rps, 20, 'rps from _count');
    close(f?.errorRate, 4 / 40, 'server errors only');
    const kindless = (count: number, errors: number): string =>
      [
        '# TYPE svc_seconds histogram',
        `svc_seconds_count ${count}`,
        `svc_seconds_bucket{le="+Inf"} ${count}`,
        '# TYPE svc_errors_total counter',
        `svc_errors_total ${errors}`,
      ].join('\n');
    close(
      requestFigures(scrape(0, kindless(0, 0)), scrape(1000, kindless(20, 5)))?.errorRate,
      0.25,
      '4xx+5xx when that is all that is known',
    );
  });

  test('no requests in the interval: rate 0, no error rate, no percentiles; nothing request-like: undefined', () => {
    const text = fixture('iris-2.txt');
    const f = requestFigures(scrape(0, text), scrape(5000, text));
    assert.deepEqual(f, { rps: 0, requests: 0 });
    assert.equal(requestFigures(scrape(0, 'up 1\n'), scrape(5000, 'up 1\n')), undefined);
    assert.equal(requestFigures(scrape(5000, text), scrape(5000, text)), undefined, 'no interval');
  });
});
