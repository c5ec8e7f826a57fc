/**
 * The runner's channel on the container's stdout: messages carry the run's token (a forged one
 * without it is the cell's output), output without a newline is kept apart from the message that
 * follows it, long messages arrive in pieces and are joined up to a bound; a cell's fd-level
 * output keeps its head and tail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BoundedOutput, RunnerChannel, runToken } from '../../src/core/notebook/containerRun';

const TOKEN = 'f00dfeed';
const line = (flag: string, payload: string, token = TOKEN): string => `\x1eberth:${token} ${flag}${payload}`;

describe('RunnerChannel', () => {
  test('a whole message, and a plain line of output', () => {
    const ch = new RunnerChannel(TOKEN);
    assert.deepEqual(ch.push(line('.', '{"t":"start","index":2}')), { message: { t: 'start', index: 2 } });
    assert.deepEqual(ch.push('loss 0.5'), { output: { text: 'loss 0.5', newline: true } });
  });

  test('output without a trailing newline: kept as output (no newline), the message after it still read', () => {
    const ch = new RunnerChannel(TOKEN);
    assert.deepEqual(ch.push(`50%${line('.', '{"t":"cell","index":1,"outputs":[],"ms":1,"timedOut":false}')}`), {
      output: { text: '50%', newline: false },
      message: { t: 'cell', index: 1, outputs: [], ms: 1, timedOut: false },
    });
  });

  test('forged messages (the old marker, another token, no token) are the cell output', () => {
    const ch = new RunnerChannel(TOKEN);
    for (const forged of ['\x1eberth {"t":"end"}', line('.', '{"t":"end"}', 'guess'), line('.', '{"t":"end"}', '')])
      assert.deepEqual(ch.push(forged), { output: { text: forged, newline: true } });
  });

  test('pieces are joined into one message; output between them stays output', () => {
    const ch = new RunnerChannel(TOKEN);
    const json = JSON.stringify({ t: 'cell', index: 4, outputs: [{ output_type: 'stream', name: 'stdout', text: 'x'.repeat(9000) }] });
    const parts = [json.slice(0, 4000), json.slice(4000, 8000), json.slice(8000)];
    assert.deepEqual(ch.push(line('+', parts[0]!)), {});
    assert.deepEqual(ch.push('from a thread'), { output: { text: 'from a thread', newline: true } });
    assert.deepEqual(ch.push(line('+', parts[1]!)), {});
    assert.deepEqual(ch.push(line('=', parts[2]!)).message, JSON.parse(json));
  });

  test('a message past the bound is dropped and its size reported; the next one is read', () => {
    const ch = new RunnerChannel(TOKEN, 10_000);
    for (let i = 0; i < 5; i++) assert.deepEqual(ch.push(line('+', 'y'.repeat(3000))), {});
    assert.deepEqual(ch.push(line('=', 'y'.repeat(100))), { lost: 15_100 });
    assert.deepEqual(ch.push(line('.', '{"t":"end"}')), { message: { t: 'end' } });
  });

  test('binary-looking output (control characters, replacement characters, the record separator) is output', () => {
    const ch = new RunnerChannel(TOKEN);
    const text = String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i).filter((c) => c !== 10)) + '\ufffd\x1eberth';
    assert.deepEqual(ch.push(text), { output: { text, newline: true } });
  });

  test('tokens are 32 hex characters and differ from run to run', () => {
    const a = runToken();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, runToken());
  });
});

describe('BoundedOutput', () => {
  test('small output is kept whole, same-stream runs merged', () => {
    const b = new BoundedOutput(100, 100);
    b.add('stdout', 'a\n');
    b.add('stdout', 'b\n');
    b.add('stderr', 'warn\n');
    assert.deepEqual(b.outputs(), [
      { kind: 'stream', name: 'stdout', text: 'a\nb\n' },
      { kind: 'stream', name: 'stderr', text: 'warn\n' },
    ]);
    assert.equal(b.cut, 0);
  });

  test('large output keeps its head and tail and says how much was cut', () => {
    const b = new BoundedOutput(10, 10);
    for (let i = 0; i < 1000; i++) b.add('stdout', `${String(i).padStart(3, '0')}\n`);
    const [out] = b.outputs();
    assert.equal(b.cut, 4000 - 20);
    assert.ok(out?.kind === 'stream');
    assert.equal(out.text, `000\n001\n00\n[... 3980 characters of output cut ...]\n7\n998\n999\n`);
  });
});
