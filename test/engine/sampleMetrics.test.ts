import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { parseExposition, select, valueOf, type Exposition } from './exposition';
import { cleanup, connect, PROMETHEUS, RUN_ID, TEST_LABEL } from './harness';
import { buildSample, startSample } from './sampleServer';

const TAG = `berth-test/iris-metrics:${RUN_ID}`;
const REQUESTS = 'iris_requests_total';
const ERRORS = 'iris_request_errors_total';
const DURATION = 'iris_request_duration_seconds';

/** `promtool check metrics` (Debian's, in the Prometheus image) on the text: its exit code and output. */
async function promtool(text: string): Promise<{ exitCode: number; output: string }> {
  const { execa } = await import('execa');
  const r = await execa(
    'docker',
    ['run', '--rm', '-i', '--network', 'none', '--label', `${TEST_LABEL}=${RUN_ID}`, PROMETHEUS, 'promtool', 'check', 'metrics'],
    { input: text, reject: false, all: true },
  );
  return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
}

/** Every histogram series: buckets in `le` order, cumulative, ending in +Inf equal to _count. */
function checkHistograms(metrics: Exposition, name: string): number {
  const series = new Map<string, { le: number; value: number }[]>();
  for (const s of select(metrics, `${name}_bucket`)) {
    const { le, ...rest } = s.labels;
    assert.ok(le !== undefined, 'a bucket has le');
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), { le: le === '+Inf' ? Infinity : Number(le), value: s.value }]);
  }
  for (const [key, buckets] of series) {
    const labels = JSON.parse(key) as Record<string, string>;
    for (let i = 1; i < buckets.length; i++) {
      const [previous, current] = [buckets[i - 1], buckets[i]];
      assert.ok(previous && current && previous.le < current.le, `${key}: le ascending`);
      assert.ok(previous.value <= current.value, `${key}: cumulative counts (le=${current.le}: ${current.value} < ${previous.value})`);
    }
    const last = buckets.at(-1);
    assert.equal(last?.le, Infinity, `${key}: the last bucket is +Inf`);
    assert.equal(last.value, valueOf(metrics, `${name}_count`, labels), `${key}: +Inf bucket = _count`);
    assert.ok(valueOf(metrics, `${name}_sum`, labels) > 0, `${key}: _sum > 0`);
  }
  return series.size;
}

describe('the sample server exposes Prometheus metrics', { timeout: 180_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(TAG).catch(() => undefined);
  });

  test('GET /metrics counts requests, errors and latency; promtool accepts the text', async () => {
    await buildSample(TAG);
    const { base } = await startSample(engine, TAG);
    const post = (path: string, body: string): Promise<Response> =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    for (const body of [
      '{"features": [5.1, 3.5, 1.4, 0.2]}',
      '{"instances": [[6.7, 3.1, 4.7, 1.5], [7.7, 3.0, 6.1, 2.3]]}',
      '{"features": [6, 2.7, 5.1, 1.6]}',
    ]) {
      assert.equal((await post('/predict', body)).status, 200);
    }
    assert.equal((await post('/predict', '{"instances": [[1, 2]]}')).status, 400);
    assert.equal((await fetch(`${base}/nowhere?x=1`)).status, 404);
    assert.equal((await post('/metrics', '{}')).status, 405);

    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    const metrics = parseExposition(text);

    assert.equal(metrics.types.get(REQUESTS), 'counter');
    assert.equal(metrics.types.get(ERRORS), 'counter');
    assert.equal(metrics.types.get(DURATION), 'histogram');
    for (const family of [REQUESTS, ERRORS, DURATION]) assert.ok(metrics.help.get(family), `HELP ${family}`);

    // The health check polls /health on its own, so only the other paths have exact counts.
    // /predict is labelled with the model it used (the only one: named after its file)
    assert.equal(valueOf(metrics, REQUESTS, { path: '/predict', method: 'POST', status: '200', model: 'iris' }), 3);
    assert.equal(valueOf(metrics, REQUESTS, { path: '/predict', method: 'POST', status: '400', model: 'iris' }), 1);
    assert.equal(select(metrics, REQUESTS, { path: '/health', model: 'iris' }).length, 0, 'no model label where no model is used');
    assert.equal(valueOf(metrics, REQUESTS, { path: 'other', method: 'GET', status: '404' }), 1, 'unknown paths share one label value');
    assert.equal(valueOf(metrics, REQUESTS, { path: '/metrics', method: 'POST', status: '405' }), 1);
    assert.equal(
      valueOf(metrics, REQUESTS, { path: '/metrics', method: 'GET', status: '200' }),
      0,
      'a scrape is counted after it is answered',
    );
    assert.ok(valueOf(metrics, REQUESTS, { path: '/health', method: 'GET', status: '200' }) >= 1, 'the health check is counted');

    assert.equal(valueOf(metrics, ERRORS, { path: '/predict', method: 'POST', kind: 'client', model: 'iris' }), 1);
    assert.equal(valueOf(metrics, ERRORS, { path: 'other', method: 'GET', kind: 'client' }), 1);
    assert.equal(valueOf(metrics, ERRORS, { path: '/metrics', method: 'POST', kind: 'client' }), 1);
    assert.equal(select(metrics, ERRORS, { kind: 'server' }).length, 0);

    assert.equal(valueOf(metrics, `${DURATION}_count`, { path: '/predict', method: 'POST', model: 'iris' }), 4);
    assert.equal(checkHistograms(metrics, DURATION), 4, 'one histogram per path and method seen: /health, /predict, other, POST /metrics');
    // Requests counted by status add up to the histogram's count for every path and method.
    for (const count of select(metrics, `${DURATION}_count`)) {
      const { path, method } = count.labels;
      const total = select(metrics, REQUESTS, { path: path ?? '', method: method ?? '' }).reduce((n, s) => n + s.value, 0);
      assert.equal(total, count.value, `${path} ${method}`);
    }

    // The next scrape counts this one.
    const again = parseExposition(await (await fetch(`${base}/metrics`)).text());
    assert.equal(valueOf(again, REQUESTS, { path: '/metrics', method: 'GET', status: '200' }), 1);

    const checked = await promtool(text);
    assert.equal(checked.exitCode, 0, `promtool check metrics:\n${checked.output}`);
    // ... and promtool does refuse what breaks the format or its conventions.
    const broken = await promtool(
      text.replace(/^# TYPE iris_requests_total counter\n/m, '# TYPE iris_requests_total counter\niris_requests_total{path="/x" 1\n'),
    );
    assert.notEqual(broken.exitCode, 0, 'promtool rejects a malformed line');
    const unnamed = await promtool('# HELP iris_requests counted\n# TYPE iris_requests counter\niris_requests 1\n');
    assert.notEqual(unnamed.exitCode, 0, 'promtool lints a counter without _total');
  });
});
