import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FrameDemuxer, LineAssembler, splitTimestamp, timestampToSince } from '../../../../src/core/engine/logs';

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
