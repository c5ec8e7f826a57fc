import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { isExposition, parseExposition, parseValue } from '../../../../src/core/fleet/exposition';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('parseExposition', () => {
  test('reads the sample server’s real /metrics text into typed families', () => {
    const e = parseExposition(fixture('iris-2.txt'));
    assert.deepEqual(e.errors, []);
    assert.deepEqual([...e.families.keys()], ['iris_requests_total', 'iris_request_errors_total', 'iris_request_duration_seconds']);
    const requests = e.families.get('iris_requests_total');
    assert.equal(requests?.type, 'counter');
    assert.equal(requests?.help, 'HTTP requests answered, by path, method and status.');
    assert.deepEqual(
      requests?.samples.map((s) => [s.labels.path, s.labels.status, s.value]),
      [
        ['/health', '200', 1],
        ['/metrics', '200', 1],
        ['/predict', '200', 25],
        ['/predict', '400', 5],
      ],
    );
    const duration = e.families.get('iris_request_duration_seconds');
    assert.equal(duration?.type, 'histogram');
    // 3 series × (14 buckets + sum + count), all in the one family
    assert.equal(duration?.samples.length, 3 * 16);
    const inf = duration?.samples.find((s) => s.name.endsWith('_bucket') && s.labels.path === '/predict' && s.labels.le === '+Inf');
    assert.equal(inf?.value, 30);
    const count = duration?.samples.find((s) => s.name === 'iris_request_duration_seconds_count' && s.labels.path === '/predict');
    assert.equal(count?.value, 30);
    assert.ok(isExposition('text/plain; version=0.0.4; charset=utf-8', e));
  });

  test('escapes in label values and HELP, +Inf/-Inf/NaN, timestamps, comments, blank lines and CRLF', () => {
    const text = [
      '# A comment that is not metadata',
      '# HELP msdos_file_access_time_seconds Access time\\nof a file with a \\\\ in its help.',
      '# TYPE msdos_file_access_time_seconds gauge',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      '',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'negative_inf -Inf',
      'not_a_number NaN 1395066363000',
      'spaced_labels { a = "1" , b="2", } 3\r',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
    ].join('\n');
    const e = parseExposition(text);
    assert.deepEqual(e.errors, []);
    const msdos = e.families.get('msdos_file_access_time_seconds');
    assert.equal(msdos?.type, 'gauge');
    assert.equal(msdos?.help, 'Access time\nof a file with a \\ in its help.');
    assert.deepEqual(msdos?.samples[0]?.labels, { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    assert.equal(msdos?.samples[0]?.value, 1.458255915e9);
    assert.equal(e.families.get('metric_without_timestamp_and_labels')?.samples[0]?.value, 12.47);
    const weird = e.families.get('something_weird')?.samples[0];
    assert.equal(weird?.value, Infinity);
    assert.equal(weird?.timestamp, -3982045);
    assert.equal(e.families.get('negative_inf')?.samples[0]?.value, -Infinity);
    const nan = e.families.get('not_a_number')?.samples[0];
    assert.ok(Number.isNaN(nan?.value));
    assert.equal(nan?.timestamp, 1395066363000);
    assert.deepEqual(e.families.get('spaced_labels')?.samples[0]?.labels, { a: '1', b: '2' });
    assert.equal(e.families.get('http_requests_total')?.type, 'untyped');
    assert.equal(e.families.get('http_requests_total')?.samples[0]?.timestamp, 1395066363000);
  });

  test('a bad line is said and skipped; the rest is read', () => {
    const e = parseExposition(
      [
        '# TYPE ok counter',
        'ok 1',
        'bad{le="1} 2',
        'bad2{x="\\q"} 1',
        '9starts_with_digit 1',
        'novalue',
        'ok_too{a="b"} notanumber',
        'ok 2 3 4',
        '# TYPE x wrongtype',
        'last 5',
      ].join('\n'),
    );
    assert.equal(e.errors.length, 7);
    assert.match(e.errors[0] ?? '', /^line 3: /);
    assert.match(e.errors.join('\n'), /unknown escape/);
    assert.match(e.errors.join('\n'), /not a number: notanumber/);
    assert.match(e.errors.join('\n'), /unknown type 'wrongtype'/);
    assert.deepEqual(
      [...e.families.values()].map((f) => [f.name, f.samples.map((s) => s.value)]),
      [
        ['ok', [1]],
        ['x', []],
        ['last', [5]],
      ],
    );
  });

  test('samples of a declared histogram, summary and counter go to their family by suffix', () => {
    const e = parseExposition(
      [
        '# TYPE rpc_duration_seconds summary',
        'rpc_duration_seconds{quantile="0.5"} 4773',
        'rpc_duration_seconds_sum 1.7560473e+07',
        'rpc_duration_seconds_count 2693',
        '# TYPE jobs counter',
        'jobs_total 3',
        'jobs_created 1.7e9',
        '# TYPE lat histogram',
        'lat_bucket{le="0.1"} 1',
        'lat_bucket{le="+Inf"} 2',
        'lat_count 2',
        'lat_sum 0.3',
        // an undeclared _total is a family of its own
        'free_total 1',
      ].join('\n'),
    );
    assert.deepEqual(e.errors, []);
    assert.deepEqual(
      [...e.families.values()].map((f) => [f.name, f.type, f.samples.length]),
      [
        ['rpc_duration_seconds', 'summary', 3],
        ['jobs', 'counter', 2],
        ['lat', 'histogram', 4],
        ['free_total', 'untyped', 1],
      ],
    );
  });

  test('OpenMetrics text: # EOF and # UNIT are comments, exemplars ignored, fractional-second timestamps', () => {
    const e = parseExposition(
      [
        '# TYPE foo histogram',
        '# UNIT foo seconds',
        'foo_bucket{le="0.5"} 3 # {trace_id="abc"} 0.3 1520879607.789',
        'foo_bucket{le="+Inf"} 4',
        'g 1 1520879607.789',
        '# EOF',
      ].join('\n'),
    );
    assert.deepEqual(e.errors, []);
    assert.equal(e.families.get('foo')?.samples[0]?.value, 3);
    assert.equal(e.families.get('g')?.samples[0]?.timestamp, 1520879607789);
  });

  test('isExposition: an HTML page, JSON or an empty body is not metrics', () => {
    assert.equal(isExposition('text/html', parseExposition('<html><body>hi</body></html>')), false);
    assert.equal(isExposition('application/json', parseExposition('{"a": 1}')), false);
    assert.equal(isExposition('text/plain', parseExposition('Not Found')), false);
    assert.equal(isExposition('text/plain', parseExposition('')), false);
    assert.equal(isExposition(undefined, parseExposition('up 1\n')), true);
    assert.equal(isExposition('application/openmetrics-text; version=1.0.0', parseExposition('up 1\n# EOF\n')), true);
  });

  test('parseValue reads the format’s numbers and nothing else', () => {
    assert.equal(parseValue('1e3'), 1000);
    assert.equal(parseValue('-0.5'), -0.5);
    assert.equal(parseValue('+Inf'), Infinity);
    assert.equal(parseValue('Inf'), Infinity);
    assert.ok(Number.isNaN(parseValue('NaN')));
    assert.equal(parseValue('0x10'), undefined);
    assert.equal(parseValue(''), undefined);
    assert.equal(parseValue('1,5'), undefined);
  });
});
