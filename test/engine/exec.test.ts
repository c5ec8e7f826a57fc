import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/engine/engine';
import { runExec, startExec } from '../../src/engine/exec';
import { cleanup, connect, run } from './harness';

describe('engine: exec', { timeout: 60_000 }, () => {
  let engine: Engine;
  let id: string;
  before(async () => {
    engine = await connect();
    id = await run(engine);
  });
  after(() => cleanup(engine));

  test('round trip: stdin in, stdout and stderr apart, exit code back', async () => {
    const input = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const echo = await runExec(engine, id, { cmd: ['cat'], input });
    assert.equal(echo.exitCode, 0);
    assert.equal(echo.stdout, input);
    assert.equal(echo.stderr, '');

    const mixed = await runExec(engine, id, { cmd: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'] });
    assert.deepEqual(mixed, { exitCode: 3, stdout: 'to-out\n', stderr: 'to-err\n' });
  });

  test('TTY with resize: the process sees the new size', async () => {
    const session = await startExec(engine, id, { cmd: ['sh', '-c', 'read x; stty size'], tty: true, stdin: true });
    const chunks: Buffer[] = [];
    const reading = (async () => {
      for await (const c of session.output) chunks.push(c.data);
    })();
    await session.resize(123, 45);
    session.write('\n');
    await reading;
    assert.match(Buffer.concat(chunks).toString(), /45 123/);
    assert.equal(await session.exitCode(), 0);
  });

  test('a command that does not exist: a non-zero exit and the engine message', async () => {
    const result = await runExec(engine, id, { cmd: ['bash', '-c', 'true'] });
    assert.notEqual(result.exitCode, 0);
    assert.match(result.stdout + result.stderr, /executable file not found|no such file/i);
  });
});
