/**
 * searchLogs over a stand-in engine that answers the logs endpoint with the engine's framing: a few
 * containers read at a time, one container's failure reported while the others go on, the result
 * limit, and aborting closing every stream at once.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import type { Engine } from '../../../../src/core/engine/engine';
import { EngineError, NotFoundError } from '../../../../src/core/engine/errors';
import { chooseContainers, searchLogs, type LogSearchEvent } from '../../../../src/core/logsearch/search';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

interface FakeLog {
  readonly lines: readonly [1 | 2, string, string][];
  /** ms between lines */
  readonly pace?: number;
  readonly missing?: boolean;
}

function fakeEngine(logs: Record<string, FakeLog>) {
  let open = 0;
  let maxOpen = 0;
  let closed = 0;
  const queries: Record<string, unknown>[] = [];
  const records = Object.keys(logs).map((id) => ({ id, name: `c-${id}`, labels: {} }) as unknown as ContainerRecord);
  const engine = {
    listContainers: () => Promise.resolve(records),
    inspectContainerJson: (id: string) =>
      logs[id]?.missing === true
        ? Promise.reject(new NotFoundError(`No such container: ${id}`))
        : Promise.resolve({ Config: { Tty: false } }),
    translate: (err: unknown) => (err instanceof EngineError ? err : new EngineError('request', String(err))),
    openStream: (request: { path: string; query: Record<string, unknown>; signal?: AbortSignal }) => {
      const id = decodeURIComponent(request.path.split('/')[2]!);
      queries.push(request.query);
      const log = logs[id]!;
      open++;
      maxOpen = Math.max(maxOpen, open);
      async function* body(): AsyncGenerator<Buffer> {
        for (const [stream, time, text] of log.lines) {
          if (log.pace) await new Promise((r) => setTimeout(r, log.pace));
          if (stream === 1 && request.query.stdout === false) continue;
          yield frame(stream, `${time} ${text}\n`);
        }
      }
      const readable = Readable.from(body());
      readable.once('close', () => {
        open--;
        closed++;
      });
      request.signal?.addEventListener('abort', () => readable.destroy(), { once: true });
      return Promise.resolve(readable);
    },
  } as unknown as Engine;
  return { engine, stats: () => ({ open, maxOpen, closed }), queries };
}

const at = (s: number): string => `2026-12-02T10:00:${String(s).padStart(2, '0')}.000000001Z`;
const many = (n: number, text: (i: number) => string): [1 | 2, string, string][] =>
  Array.from({ length: n }, (_, i) => [1, at(i % 60), text(i)] as [1, string, string]);

describe('searchLogs', () => {
  test('matches with container, stream, time and ranges; each container done; an unknown container reported, not fatal', async () => {
    const { engine } = fakeEngine({
      a: {
        lines: [
          [1, at(1), 'ok'],
          [2, at(2), 'ERROR one'],
          [1, at(3), 'error two'],
        ],
      },
      b: { lines: [[2, at(4), 'nothing']] },
      gone: { lines: [], missing: true },
    });
    const events: LogSearchEvent[] = [];
    for await (const e of searchLogs(engine, { pattern: 'error', containers: ['a', 'b', 'gone', 'ffffffffffff'] })) events.push(e);
    const matches = events.flatMap((e) => (e.kind === 'match' ? [e.match] : []));
    assert.deepEqual(
      matches.map((m) => [m.containerName, m.stream, m.timestamp, m.line, m.ranges]),
      [
        ['c-a', 'stderr', at(2), 'ERROR one', [[0, 5]]],
        ['c-a', 'stdout', at(3), 'error two', [[0, 5]]],
      ],
    );
    assert.equal(matches[0]!.time.toISOString(), '2026-12-02T10:00:02.000Z');
    const failed = events.filter((e) => e.kind === 'failed').map((e) => e.kind === 'failed' && [e.container.name, e.reason]);
    assert.deepEqual(failed.sort(), [
      ['c-gone', 'removed'],
      ['ffffffffffff', 'removed'],
    ]);
    assert.deepEqual(
      events
        .filter((e) => e.kind === 'done')
        .map((e) => e.kind === 'done' && [e.container.id, e.lines, e.matches])
        .sort(),
      [
        ['a', 3, 2],
        ['b', 1, 0],
      ],
    );
    assert.equal(events[0]!.kind, 'started');
  });

  test('a few containers at a time (the bound), every one searched', async () => {
    const logs: Record<string, FakeLog> = {};
    for (let i = 0; i < 10; i++) logs[`c${i}`] = { lines: many(20, (j) => `line ${j} hit`), pace: 1 };
    const { engine, stats } = fakeEngine(logs);
    let found = 0;
    for await (const e of searchLogs(engine, { pattern: 'hit', concurrency: 3 })) if (e.kind === 'match') found++;
    assert.equal(found, 200);
    assert.equal(stats().maxOpen, 3);
    assert.equal(stats().open, 0);
  });

  test('stderr only asks the engine for stderr alone; since and until are passed and held to', async () => {
    const { engine, queries } = fakeEngine({
      a: {
        lines: [
          [1, at(1), 'x out'],
          [2, at(2), 'x err'],
          [2, at(40), 'x late'],
        ],
      },
    });
    const found: string[] = [];
    const since = new Date(Date.parse(at(1)));
    const until = new Date(Date.parse('2026-12-02T10:00:30Z'));
    for await (const e of searchLogs(engine, { pattern: 'x', stderrOnly: true, since, until }))
      if (e.kind === 'match') found.push(e.match.line);
    assert.deepEqual(found, ['x err'], 'the engine stand-in ignores until: the search holds to it');
    assert.equal(queries[0]!.stdout, false);
    assert.equal(queries[0]!.stderr, true);
    assert.equal(queries[0]!.since, `${Math.floor(since.getTime() / 1000)}.000000000`);
    assert.equal(queries[0]!.until, `${Math.floor(until.getTime() / 1000)}.000000000`);
  });

  test('the result limit ends the search and closes every stream', async () => {
    const { engine, stats } = fakeEngine({ a: { lines: many(10_000, (i) => `hit ${i}`) }, b: { lines: many(10_000, (i) => `hit ${i}`) } });
    const events: LogSearchEvent[] = [];
    for await (const e of searchLogs(engine, { pattern: 'hit', maxResults: 25 })) events.push(e);
    assert.equal(events.filter((e) => e.kind === 'match').length, 25);
    assert.deepEqual(events.at(-1), { kind: 'limit', maxResults: 25 });
    await new Promise((r) => setImmediate(r));
    assert.equal(stats().open, 0, 'no stream left open');
  });

  test('aborting ends the search at once, however slow the logs, and closes every stream', async () => {
    const { engine, stats } = fakeEngine({
      a: { lines: many(1000, (i) => `hit ${i}`), pace: 20 },
      b: { lines: many(1000, (i) => `hit ${i}`), pace: 20 },
    });
    const controller = new AbortController();
    let matches = 0;
    let abortedAt = 0;
    for await (const e of searchLogs(engine, { pattern: 'hit' }, controller.signal)) {
      if (e.kind === 'match' && ++matches === 3) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
    assert.ok(performance.now() - abortedAt < 100, 'ended within 100 ms');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stats().open, 0, 'no stream left open');
    assert.ok(matches < 10);
  });

  test('a slow consumer holds the readers: events waiting stay bounded', async () => {
    const { engine } = fakeEngine({ a: { lines: many(5000, (i) => `hit ${i}`) } });
    let seen = 0;
    for await (const e of searchLogs(engine, { pattern: 'hit', maxResults: 10_000 })) {
      if (e.kind === 'match') seen++;
      if (seen % 1000 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(seen, 5000);
  });

  test('aborted while the containers are listed: the search ends quietly; an unreachable engine throws', async () => {
    const controller = new AbortController();
    const engine = {
      listContainers: (_options: unknown, signal: AbortSignal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new EngineError('cancelled', 'list containers was cancelled'))),
        ),
    } as unknown as Engine;
    const search = searchLogs(engine, { pattern: 'x' }, controller.signal).next();
    controller.abort();
    assert.deepEqual(await search, { done: true, value: undefined });
    const down = { listContainers: () => Promise.reject(new EngineError('unreachable', 'Cannot reach Docker')) } as unknown as Engine;
    await assert.rejects(searchLogs(down, { pattern: 'x' }).next(), /Cannot reach Docker/);
  });

  test('a bad pattern throws before the engine is asked for anything', async () => {
    const { engine, queries } = fakeEngine({ a: { lines: [] } });
    await assert.rejects(searchLogs(engine, { pattern: '/(/' }).next(), /Invalid regular expression/);
    assert.equal(queries.length, 0);
  });
});

describe('chooseContainers', () => {
  const records = [
    { id: 'aaaa1111', name: 'one', labels: { 'com.docker.compose.project': 'p', 'com.docker.compose.service': 'web' } },
    { id: 'aaaa2222', name: 'two', labels: {} },
  ] as unknown as ContainerRecord[];
  test('all, by full id, by unique prefix; an ambiguous or unknown id is missing', () => {
    assert.deepEqual(chooseContainers(records, undefined).found, [
      { id: 'aaaa1111', name: 'one', service: 'web', project: 'p' },
      { id: 'aaaa2222', name: 'two' },
    ]);
    const { found, missing } = chooseContainers(records, ['aaaa2222', 'aaaa1', 'aaaa', 'bbbb', 'aaaa1111']);
    assert.deepEqual(
      found.map((c) => c.name),
      ['two', 'one'],
    );
    assert.deepEqual(missing, ['aaaa', 'bbbb']);
  });
});
