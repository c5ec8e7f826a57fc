import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResumePoint } from '../../src/core/engine/logFollower';
import {
  canonicalTime,
  FrameDemuxer,
  LineAssembler,
  nanosToTime,
  splitTimestamp,
  timestampToSince,
  timeToNanos,
  type LogLine,
} from '../../src/core/engine/logs';
import { formatLine, formatMarker, MARKER_GLYPH, prefixColour, sanitizeLogText } from '../../src/ui/logs/formatLog';

function frame(stream: 0 | 1 | 2, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('FrameDemuxer', () => {
  const frames = [frame(1, 'out one\n'), frame(2, 'err one\n'), frame(1, Buffer.alloc(70_000, 'x')), frame(2, ''), frame(1, 'tail\n')];
  const whole = Buffer.concat(frames);

  test('any chunking gives the same frames', () => {
    for (const size of [1, 3, 7, 8, 9, 1000, 65_536, whole.length]) {
      const demuxer = new FrameDemuxer();
      const out: { stream: string; text: string }[] = [];
      for (let i = 0; i < whole.length; i += size) {
        for (const f of demuxer.push(whole.subarray(i, i + size))) out.push({ stream: f.stream, text: f.payload.toString() });
      }
      assert.equal(out.length, 5, `chunk size ${size}`);
      assert.deepEqual(
        out.map((f) => f.stream),
        ['stdout', 'stderr', 'stdout', 'stderr', 'stdout'],
      );
      assert.equal(out[2]?.text.length, 70_000);
      assert.equal(out[4]?.text, 'tail\n');
      assert.equal(demuxer.pendingBytes, 0);
    }
  });

  test('a bad header is reported, not silently passed through', () => {
    assert.throws(() => new FrameDemuxer().push(Buffer.from('hello world, not framed')), /Malformed log stream/);
  });
});

describe('LineAssembler', () => {
  const T1 = '2026-11-25T12:00:00.000000001Z';
  const T2 = '2026-11-25T12:00:00.000000002Z';

  test('strips the timestamp of each message and keeps it', () => {
    const a = new LineAssembler();
    const lines = [
      ...a.pushMessage('stdout', Buffer.from(`${T1} hello\n`), 'x'),
      ...a.pushMessage('stderr', Buffer.from(`${T2} oops\r\n`), 'x'),
    ];
    assert.deepEqual(lines, [
      { stream: 'stdout', text: 'hello', time: T1 },
      { stream: 'stderr', text: 'oops', time: T2 },
    ]);
  });

  test('a long line split into partial messages is joined, with the first fragment time', () => {
    const a = new LineAssembler();
    const out = [
      ...a.pushMessage('stdout', Buffer.from(`${T1} ${'a'.repeat(16384)}`), 'x'),
      ...a.pushMessage('stderr', Buffer.from(`${T2} interleaved\n`), 'x'),
      ...a.pushMessage('stdout', Buffer.from(`${T2} ${'b'.repeat(100)}\n`), 'x'),
    ];
    assert.equal(out.length, 2);
    assert.deepEqual(out[0], { stream: 'stderr', text: 'interleaved', time: T2 });
    assert.equal(out[1]?.text, 'a'.repeat(16384) + 'b'.repeat(100));
    assert.equal(out[1]?.time, T1);
  });

  test('a character split across two messages decodes whole', () => {
    const a = new LineAssembler();
    const euro = Buffer.from('€'); // 3 bytes
    const out = [
      ...a.pushMessage('stdout', Buffer.concat([Buffer.from(`${T1} price `), euro.subarray(0, 1)]), 'x'),
      ...a.pushMessage('stdout', Buffer.concat([Buffer.from(`${T2} `), euro.subarray(1), Buffer.from('5\n')]), 'x'),
    ];
    assert.deepEqual(out, [{ stream: 'stdout', text: 'price €5', time: T1 }]);
  });

  test('raw TTY bytes: lines with timestamps, split anywhere', () => {
    const a = new LineAssembler();
    const text = `${T1} one\r\n${T2} two\r\n`;
    const out = [];
    for (const ch of text) out.push(...a.pushRaw(Buffer.from(ch), 'x'));
    assert.deepEqual(out, [
      { stream: 'stdout', text: 'one', time: T1 },
      { stream: 'stdout', text: 'two', time: T2 },
    ]);
  });

  test('flush returns an unterminated last line', () => {
    const a = new LineAssembler();
    assert.deepEqual(a.pushMessage('stdout', Buffer.from(`${T1} no newline`), 'x'), []);
    assert.deepEqual(a.flush('y'), [{ stream: 'stdout', text: 'no newline', time: T1 }]);
  });

  test('timestamps', () => {
    assert.deepEqual(splitTimestamp(`${T1} x y`), { time: T1, text: 'x y' });
    assert.deepEqual(splitTimestamp('no stamp'), { time: undefined, text: 'no stamp' });
    assert.equal(timestampToSince('2026-11-25T12:00:00.123456789Z'), `${Date.UTC(2026, 10, 25, 12) / 1000}.123456789`);
    assert.equal(timestampToSince('2026-11-25T12:00:00Z'), `${Date.UTC(2026, 10, 25, 12) / 1000}.000000000`);
  });
});

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

describe('log text in the terminal', () => {
  const line = (text: string, stream: 'stdout' | 'stderr' = 'stdout'): LogLine => ({
    stream,
    text,
    time: '2026-11-25T12:00:00.000000000Z',
  });
  const plain = { timestamps: false };
  /** The control sequences a rendered line still holds. */
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  const controls = (s: string): string[] => s.match(/\x1b\[[0-9;:]*m|[\x00-\x08\x0a-\x1f\x7f-\x9f]/g) ?? [];

  test('clearing the screen, moving the cursor, saving and restoring it are shown, not obeyed', () => {
    assert.equal(sanitizeLogText('\x1b[2J\x1b[H'), '^[[2J^[[H');
    assert.equal(sanitizeLogText('a\x1b[5Ab\x1b[10;20Hc\x1b[?25l\x1b7d\x1b8'), 'a^[[5Ab^[[10;20Hc^[[?25l^[7d^[8');
    assert.equal(sanitizeLogText('reset\x1bc'), 'reset^[c');
  });

  test('an OSC 8 hyperlink and an OSC 0 title are shown as text', () => {
    assert.equal(
      sanitizeLogText('\x1b]8;;https://example.invalid/x\x1b\\click me\x1b]8;;\x1b\\'),
      '^[]8;;https://example.invalid/x^[\\click me^[]8;;^[\\',
    );
    assert.equal(sanitizeLogText('\x1b]0;pwned\x07rest'), '^[]0;pwned^Grest');
    assert.equal(
      sanitizeLogText('\x1bP1$r0m\x1b\\ \x1b_apc\x1b\\ \x1b^pm\x1b\\ \x1bXsos\x1b\\'),
      '^[P1$r0m^[\\ ^[_apc^[\\ ^[^pm^[\\ ^[Xsos^[\\',
    );
  });

  test('8-bit (C1) controls are shown as text: CSI, OSC, and the rest', () => {
    assert.equal(sanitizeLogText('\x9b2J\x9d0;title\x9c\x85'), '\\x9b2J\\x9d0;title\\x9c\\x85');
  });

  test('a carriage return cannot overwrite the line; other C0 controls and DEL are shown; tab stays', () => {
    assert.equal(sanitizeLogText('secret\rpublic'), 'secret^Mpublic');
    assert.equal(sanitizeLogText('ab\b\bXY\x00\x07\x7f'), 'ab^H^HXY^@^G^?');
    assert.equal(sanitizeLogText('a\tb'), 'a\tb');
  });

  test('colours are kept, and end with the line', () => {
    const text = '\x1b[1;31merror\x1b[0m \x1b[38;2;255;128;0mtrue colour \x1b[38:5:208mcolon form';
    assert.equal(sanitizeLogText(text), text);
    const out = formatLine(line('\x1b[41mred from here on'), plain);
    assert.ok(out.endsWith('red from here on\x1b[0m\r\n'), JSON.stringify(out));
  });

  test('whatever a container prints, a rendered line holds no control but colours and its own line end', () => {
    const every = Array.from({ length: 0x200 }, (_, c) => String.fromCharCode(c)).join('');
    const hostile = [every, `\x1b${every}`, '\x1b[', '\x1b[31', '\x1b]', '\x9b', '\x1b[2J\x1b[H', 'x\r'];
    for (const text of hostile) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const out = formatLine(line(text, stream), {
          timestamps: true,
          prefix: { text: 'web\x1b[2J', colour: prefixColour(0), width: 10 },
        });
        const body = out.slice(0, -2);
        assert.ok(out.endsWith('\r\n'));
        // eslint-disable-next-line no-control-regex -- the point is to find control characters
        for (const c of controls(body)) assert.match(c, /^\x1b\[[0-9;:]*m$/, `${JSON.stringify(text)} left ${JSON.stringify(c)}`);
      }
    }
  });

  test("a line printing Berth's marker cannot pass for one: the marker glyph is escaped in log text", () => {
    const real = formatMarker({ kind: 'stopped', exitCode: 0, oomKilled: false, time: '2026-11-25T12:00:00Z' });
    assert.ok(real.includes(MARKER_GLYPH));
    // the same bytes, printed by a container
    const forged = formatLine(line(real.replace(/\r\n$/, '')), plain);
    assert.ok(!forged.includes(MARKER_GLYPH), JSON.stringify(forged));
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    const visible = (s: string): string => s.replace(/\x1b\[[0-9;:]*m/g, '');
    assert.ok(visible(real).startsWith(MARKER_GLYPH));
    assert.ok(!visible(forged).startsWith(MARKER_GLYPH));
    assert.ok(visible(forged).startsWith('\\u2590 ── container stopped'), JSON.stringify(visible(forged)));
    // a container name cannot smuggle controls into a marker either
    const named = formatMarker({ kind: 'removed', time: '' }, 'web\x1b[2J');
    assert.ok(named.includes('web^[[2J'));
  });
});
