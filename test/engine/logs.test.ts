import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { containerLogs, nanosToTime, timestampToSince, timeToNanos, type LogLine } from '../../src/core/engine/logs';
import { cleanup, collect, connect, run } from './harness';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/;

describe('engine: logs', { timeout: 120_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('interleaved stdout and stderr are demultiplexed exactly', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'for i in $(seq 1 2000); do echo "out $i"; echo "err $i" >&2; done'] });
    await engine.waitContainer(id);
    const lines = await collect(containerLogs(engine, id));
    const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
    const err = lines.filter((l) => l.stream === 'stderr').map((l) => l.text);
    assert.deepEqual(
      out,
      Array.from({ length: 2000 }, (_, i) => `out ${i + 1}`),
    );
    assert.deepEqual(
      err,
      Array.from({ length: 2000 }, (_, i) => `err ${i + 1}`),
    );
    assert.ok(
      lines.every((l) => TIME.test(l.time)),
      'every line carries the engine time',
    );
  });

  test('100,000 lines followed live: none lost, none reordered', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'sleep 0.5; seq 1 100000'] });
    // follow from the start: the stream ends when the container exits
    const lines = await collect(containerLogs(engine, id, { follow: true }));
    assert.equal(lines.length, 100_000);
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.text !== String(i + 1)) assert.fail(`line ${i + 1} is "${lines[i]!.text}"`);
    }
    const times = lines.map((l) => l.time);
    assert.deepEqual([...times].sort(), times, 'timestamps are in order');
  });

  test('a single 100 KB line arrives as one line', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', "head -c 102400 /dev/zero | tr '\\0' x; echo; echo after"] });
    await engine.waitContainer(id);
    const lines = await collect(containerLogs(engine, id));
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.text.length, 102_400);
    assert.match(lines[0]!.text, /^x+$/);
    assert.equal(lines[1]!.text, 'after');
  });

  test('a TTY container is read raw', async () => {
    const id = await run(engine, { Tty: true, Cmd: ['sh', '-c', 'echo tty one; echo tty two >&2; printf "no newline"'] });
    await engine.waitContainer(id);
    const lines = await collect(containerLogs(engine, id));
    assert.deepEqual(
      lines.map((l: LogLine) => [l.stream, l.text]),
      [
        ['stdout', 'tty one'],
        ['stdout', 'tty two'],
        ['stdout', 'no newline'],
      ],
    );
  });

  test('tail and since select lines; aborting a follow ends it quietly', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'seq 1 10; sleep 1.2; seq 11 20; sleep 300'] });
    await new Promise((r) => setTimeout(r, 2000));
    const tail = await collect(containerLogs(engine, id, { tail: 3 }));
    assert.deepEqual(
      tail.map((l) => l.text),
      ['18', '19', '20'],
    );
    const all = await collect(containerLogs(engine, id));
    const since = await collect(containerLogs(engine, id, { since: all[10]!.time }));
    assert.deepEqual(
      since.map((l) => l.text),
      Array.from({ length: 10 }, (_, i) => String(i + 11)),
    );

    const controller = new AbortController();
    const seen: string[] = [];
    for await (const line of containerLogs(engine, id, { follow: true, signal: controller.signal })) {
      seen.push(line.text);
      if (seen.length === 20) controller.abort();
    }
    assert.equal(seen.length, 20);
  });

  test('since is inclusive to the nanosecond (a reopened follow relies on it)', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'for i in $(seq 1 50); do echo "out $i"; echo "err $i" >&2; done'] });
    await engine.waitContainer(id);
    const all = await collect(containerLogs(engine, id));
    const pick = all[37]!;
    const from = await collect(containerLogs(engine, id, { since: timestampToSince(pick.time) }));
    assert.deepEqual(
      from,
      all.filter((l) => l.time >= pick.time),
      'exactly the lines stamped at or after the time, in log order',
    );
    assert.ok(from.some((l) => l.time === pick.time && l.text === pick.text));
    const after = timestampToSince(nanosToTime(timeToNanos(pick.time) + 1n));
    assert.ok(!(await collect(containerLogs(engine, id, { since: after }))).some((l) => l.time === pick.time));
  });
});
