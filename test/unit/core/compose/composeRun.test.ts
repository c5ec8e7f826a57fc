import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  ComposeCancelledError,
  ComposeCommandError,
  portInUse,
  runCompose,
  serviceErrors,
  tail,
} from '../../../../src/core/compose/composeRun';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../../fixtures/compose', name), 'utf8');

describe('per-service errors from Compose output', () => {
  it('v1 port in use: one error for web, folded from its container twin, naming the port', () => {
    const errors = serviceErrors(fixture('v1/up-port-in-use.stderr'), ['web', 'qdrant'], 'berthcap1');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.service, 'web');
    assert.match(errors[0]?.message ?? '', /127\.0\.0\.1:18099: bind: address already in use/);
    assert.equal(errors[0]?.portInUse, '127.0.0.1:18099');
  });
  it('v1 missing image: the pull error attributed to the service being pulled', () => {
    const errors = serviceErrors(fixture('v1/up-missing-image.stderr'), ['web', 'qdrant'], 'berthcap1');
    assert.deepEqual(
      errors.map((e) => e.service),
      ['qdrant'],
    );
    assert.match(errors[0]?.message ?? '', /^pull failed: .*no such host/);
  });
  it('v2 forms: service "x" …, progress "x Error …", a daemon error naming a container', () => {
    const out = [
      'service "db" refers to undefined volume data: invalid compose project',
      ' ✘ qdrant Error pull access denied for qdrant/qdrant, repository does not exist',
      'Error response from daemon: driver failed programming external connectivity on endpoint stack-web-1 (abc): Bind for 127.0.0.1:8080 failed: port is already allocated',
    ].join('\n');
    const errors = serviceErrors(out, ['db', 'qdrant', 'web'], 'stack');
    assert.deepEqual(
      errors.map((e) => e.service),
      ['db', 'qdrant', 'web'],
    );
    assert.match(errors[1]?.message ?? '', /pull access denied/);
    assert.match(errors[2]?.message ?? '', /port is already allocated/);
    assert.equal(errors[2]?.portInUse, '127.0.0.1:8080');
    assert.equal(errors[1]?.portInUse, undefined);
  });
  it('names that are not services are ignored', () => {
    assert.deepEqual(serviceErrors('ERROR: for nothing  went wrong\nservice "ghost" is bad', ['web']), []);
  });
  it('tail keeps the last non-blank lines', () => {
    assert.equal(tail('a\n\nb\nc\n', 2), 'b\nc');
  });
});

/** A command that runs this Node with a script: a real process standing in for Compose. */
const node = (script: string, verb = 'up') => ({ file: process.execPath, args: ['-e', script], verb });
const env = { PATH: process.env.PATH ?? '' };

describe('running a command', () => {
  it('streams stdout and stderr lines as they come, and returns the output', async () => {
    const lines: string[] = [];
    const r = await runCompose(node('console.log("out 1"); console.error("Creating p_web_1 ... done"); console.log("out 2")'), {
      env,
      onLine: (l, stream) => lines.push(`${stream}:${l}`),
    });
    assert.deepEqual(lines.sort(), ['stderr:Creating p_web_1 ... done', 'stdout:out 1', 'stdout:out 2']);
    assert.equal(r.stdout, 'out 1\nout 2');
  });
  it('a failure: exit code, stderr tail and the service errors as the message', async () => {
    const script = 'console.error("ERROR: for web  Cannot start service web: boom"); console.error("Encountered errors"); process.exit(3)';
    await assert.rejects(runCompose(node(script), { env, services: ['web'] }), (err: unknown) => {
      assert.ok(err instanceof ComposeCommandError);
      assert.equal(err.exitCode, 3);
      assert.equal(err.message, 'web: Cannot start service web: boom');
      assert.match(err.stderrTail, /Encountered errors$/);
      return true;
    });
    await assert.rejects(runCompose(node('console.error("no such file"); process.exit(1)'), { env }), /^Error: no such file$|no such file/);
  });
  it('cancel ends the process', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = runCompose(node('setTimeout(() => {}, 60000)'), { env, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    await assert.rejects(run, ComposeCancelledError);
    assert.ok(Date.now() - started < 30_000);
  });
  it('bounded in time', async () => {
    await assert.rejects(runCompose(node('setTimeout(() => {}, 60000)'), { env, timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof ComposeCommandError);
      assert.match(err.message, /did not finish within/);
      return true;
    });
  });
  it('portInUse reads both wordings', () => {
    assert.equal(portInUse('listen tcp4 0.0.0.0:80: bind: address already in use'), '0.0.0.0:80');
    assert.equal(portInUse('Bind for [::]:9090 failed: port is already allocated'), '[::]:9090');
    assert.equal(portInUse('something else'), undefined);
  });
});
