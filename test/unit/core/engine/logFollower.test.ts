import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResumePoint } from '../../../../src/core/engine/logFollower';
import { canonicalTime, nanosToTime, timestampToSince, timeToNanos, type LogLine } from '../../../../src/core/engine/logs';

describe('ResumePoint', () => {
  const BASE = timeToNanos('2026-11-25T12:00:00.000000000Z');
  /** A line stamped `ms` milliseconds (fractional allowed) after BASE. */
  const at = (ms: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogLine => ({
    stream,
    text,
    time: nanosToTime(BASE + BigInt(Math.round(ms * 1_000_000))),
  });
  /** What the engine sends for `since` ("<s>.<ns>", inclusive): the log's lines stamped at or after it, in log order. */
  const engineSince = (log: LogLine[], since: string): LogLine[] => {
    const [s, ns] = since.split('.');
    const from = BigInt(s!) * 1_000_000_000n + BigInt(ns!);
    return log.filter((l) => timeToNanos(l.time) >= from);
  };
  /** Follow `log`, cut after `cut` lines, reopen and follow the rest: what is shown. */
  const followWithCut = (log: LogLine[], cut: number, point = new ResumePoint()): LogLine[] => {
    const shown: LogLine[] = [];
    for (const line of log.slice(0, cut)) if (point.accept(line)) shown.push(line);
    point.reopen();
    const since = point.since;
    assert.ok(since !== undefined);
    for (const line of engineSince(log, since)) if (point.accept(line)) shown.push(line);
    return shown;
  };

  test('on the live stream a line stamped earlier than the one before it is kept (stdout and stderr are stamped apart)', () => {
    const point = new ResumePoint();
    const live = [at(5, 'out 1'), at(3, 'err 1', 'stderr'), at(6, 'out 2'), at(4, 'err 2', 'stderr')];
    assert.deepEqual(
      live.filter((l) => point.accept(l)),
      live,
    );
  });

  test('identical timestamps: a reopen drops exactly the lines already seen', () => {
    const log = [at(1, 'a'), at(1, 'b'), at(1, 'b'), at(1, 'c'), at(1, 'b'), at(2, 'd')];
    for (let cut = 1; cut <= log.length; cut++) assert.deepEqual(followWithCut(log, cut), log, `cut after ${cut} lines`);
  });

  test('out-of-order timestamps: every line exactly once whatever the cut', () => {
    const log = [
      at(10, 'out 1'),
      at(9.999, 'err 1', 'stderr'),
      at(10.5, 'out 2'),
      at(10.2, 'err 2', 'stderr'),
      at(10.2, 'err 2', 'stderr'),
      at(11, 'out 3'),
      at(10.9, 'out 4'), // the clock stepped back
      at(400, 'out 5'),
      at(399.5, 'err 3', 'stderr'),
      at(401, 'out 6'),
    ];
    for (let cut = 1; cut <= log.length; cut++) assert.deepEqual(followWithCut(log, cut), log, `cut after ${cut} lines`);
  });

  test('a reopen asks from a little before the newest time seen', () => {
    const point = new ResumePoint(2_000_000_000n);
    for (const l of [at(1000, 'x'), at(9000, 'y'), at(8500, 'z')]) point.accept(l);
    assert.equal(point.since, timestampToSince(at(7000, '').time));
  });

  test('history before the first line shown (beyond the tail) is not shown by a reopen', () => {
    const history = [at(500, 'h1'), at(900, 'h2'), at(1000, 'h3')];
    const shown = [at(1000, 's1'), at(999.9, 'e1', 'stderr'), at(1500, 's2')];
    const later = [at(1499, 'e2', 'stderr'), at(1600, 'n1')];
    const point = new ResumePoint();
    for (const l of shown) assert.ok(point.accept(l));
    point.reopen();
    assert.deepEqual(
      engineSince([...history, ...shown, ...later], point.since!).filter((l) => point.accept(l)),
      later,
    );
  });

  test('if the lines seen are gone from the log, a reopen still shows the ones after them', () => {
    const point = new ResumePoint();
    for (const l of [at(1000, 'seen 1'), at(1001, 'seen 2')]) point.accept(l);
    point.reopen();
    const rotated = [at(1001, 'unseen, as old as what was seen'), at(1002, 'new')];
    assert.deepEqual(
      rotated.filter((l) => point.accept(l)),
      [at(1002, 'new')],
    );
  });

  test('a first open that showed no line: a reopen starts when following began, not at the beginning of history', () => {
    const point = new ResumePoint();
    assert.equal(point.since, undefined);
    point.startAt(at(5000, '').time);
    point.reopen();
    assert.equal(point.since, timestampToSince(at(5000, '').time));
    const log = [at(1, 'old history'), at(4999, 'before the follow'), at(5000, 'new 1'), at(5001, 'new 2')];
    assert.deepEqual(
      engineSince(log, point.since).filter((l) => point.accept(l)),
      log.slice(2),
    );
  });

  test('when too many lines are remembered, a reopen starts after the forgotten ones and still repeats none', () => {
    const log = Array.from({ length: 50 }, (_, i) => at(1 + i * 0.001, `line ${i}`));
    const point = new ResumePoint(2_000_000_000n, 10);
    const shown = followWithCut([...log, at(2, 'after')], 50, point);
    assert.deepEqual(shown, [...log, at(2, 'after')]);
  });

  test('times are compared as times, whatever their form', () => {
    assert.equal(canonicalTime('2026-11-25T13:00:00.5+01:00'), '2026-11-25T12:00:00.500000000Z');
    assert.equal(canonicalTime('2026-11-25T12:00:00Z'), '2026-11-25T12:00:00.000000000Z');
    assert.equal(canonicalTime('yesterday'), undefined);
    assert.equal(nanosToTime(timeToNanos('2026-11-25T12:00:00.000000001Z') - 2n), '2026-11-25T11:59:59.999999999Z');
  });
});
