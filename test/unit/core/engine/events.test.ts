import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Readable } from 'node:stream';
import type { Engine } from '../../../../src/core/engine/engine';
import { engineEvents, parseEvent, sinceParam } from '../../../../src/core/engine/events';

// As Engine 20.10 (API 1.41) sends them: old fields and new side by side.
const OLD_AND_NEW =
  '{"status":"health_status: healthy","id":"4f3c2b1a","from":"berth-busybox:latest","Type":"container","Action":"health_status: healthy","Actor":{"ID":"4f3c2b1a","Attributes":{"image":"berth-busybox:latest","name":"web"}},"scope":"local","time":1764072000,"timeNano":1764072000123456789}';
// As newer engines send them: no status/id/from.
const NEW_ONLY =
  '{"Type":"container","Action":"die","Actor":{"ID":"9a8b7c6d","Attributes":{"exitCode":"137","image":"busybox","name":"oom"}},"scope":"local","time":1764072001,"timeNano":1764072001000000001}';
// As very old engines sent them: status/id/from only.
const OLD_ONLY = '{"status":"start","id":"1234abcd","from":"busybox","time":1764072002}';

describe('parseEvent', () => {
  test('old + new fields (Engine 20.10), compound action split', () => {
    const e = parseEvent(OLD_AND_NEW);
    assert.equal(e.type, 'container');
    assert.equal(e.action, 'health_status: healthy');
    assert.equal(e.verb, 'health_status');
    assert.equal(e.detail, 'healthy');
    assert.equal(e.id, '4f3c2b1a');
    assert.equal(e.attributes.name, 'web');
    assert.equal(e.time, 1764072000);
    // exact: JSON.parse would have rounded this
    assert.equal(e.timeNano, '1764072000123456789');
    assert.notEqual(String(JSON.parse(OLD_AND_NEW).timeNano), e.timeNano);
  });

  test('new fields only', () => {
    const e = parseEvent(NEW_ONLY);
    assert.equal(e.verb, 'die');
    assert.equal(e.detail, undefined);
    assert.equal(e.id, '9a8b7c6d');
    assert.equal(e.attributes.exitCode, '137');
    assert.equal(e.timeNano, '1764072001000000001');
  });

  test('old fields only: status/id/from understood', () => {
    const e = parseEvent(OLD_ONLY);
    assert.equal(e.type, 'container');
    assert.equal(e.action, 'start');
    assert.equal(e.id, '1234abcd');
    assert.equal(e.attributes.image, 'busybox');
    assert.equal(e.timeNano, '1764072002000000000');
  });

  test('exec actions keep their command as detail', () => {
    const e = parseEvent(
      '{"Type":"container","Action":"exec_start: sh -c echo a:b","Actor":{"ID":"x","Attributes":{}},"time":1,"timeNano":1000000000}',
    );
    assert.equal(e.verb, 'exec_start');
    assert.equal(e.detail, 'sh -c echo a:b');
  });

  test('sinceParam formats seconds.nanoseconds exactly', () => {
    assert.equal(sinceParam('1764072000123456789'), '1764072000.123456789');
    assert.equal(sinceParam('1764072000000000001'), '1764072000.000000001');
  });
});

describe('engineEvents over a cut stream (a scripted engine)', () => {
  const line = (id: string, seconds: number): string =>
    JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: id, Attributes: {} }, time: seconds, timeNano: seconds * 1e9 }) +
    '\n';

  test('out-of-order events are all yielded, and a reopened stream repeats none of them', async () => {
    const streams = [
      [line('a', 100), line('b', 99), line('c', 101)], // b arrives after a, stamped earlier
      [line('a', 100), line('b', 99), line('c', 101), line('d', 102)], // the replay, then new
    ];
    const queries: Record<string, unknown>[] = [];
    const engine = {
      openStream: (request: { query?: Record<string, unknown> }) => {
        queries.push(request.query ?? {});
        const next = streams.shift();
        return next ? Promise.resolve(Readable.from(next)) : new Promise(() => undefined);
      },
      translate: (err: unknown) => err,
    } as unknown as Engine;
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const e of engineEvents(engine, { signal: controller.signal, minBackoffMs: 1 })) {
      seen.push(e.id);
      if (seen.length === 4) controller.abort();
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'd']);
    // reopened two seconds before the newest event seen
    assert.equal(queries[1]?.since, '99.000000000');
  });
});
