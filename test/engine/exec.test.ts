import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { runExec, startExec } from '../../src/core/engine/exec';
import { containerLogs } from '../../src/core/engine/logs';
import { cleanup, collect, connect, run } from './harness';

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

describe('engine: writeStdin', { timeout: 60_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('writes everything, then detaches so a stdin-once process sees the end of its input', async () => {
    const id = await run(engine, { Cmd: ['wc', '-c'], OpenStdin: true, StdinOnce: true, AttachStdin: true });
    const data = 'x'.repeat(2 * 1024 * 1024);
    await engine.writeStdin(id, data);
    // without the detach, `wc` never sees end-of-input and the wait hangs into the test timeout
    assert.equal(await engine.waitContainer(id), 0);
    const details = await engine.inspectContainerJson(id);
    assert.equal(details.State.Running, false);
    const lines = await collect(containerLogs(engine, id, { tty: false }));
    assert.deepEqual(
      lines.map((l) => l.text.trim()),
      [String(data.length)],
    );
  });
});
