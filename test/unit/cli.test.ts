/**
 * The command line's answers that come before any engine: the usage (on stdout for --help, exit 0;
 * on stderr with exit 2 otherwise) and the options it refuses. The comparisons themselves are
 * tested against a real engine (test/engine/cli.test.ts).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { main } from '../../src/cli';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function cli(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const out = new Capture();
  const err = new Capture();
  const exitCode = await main(argv, out, err);
  return { exitCode, stdout: out.text, stderr: err.text };
}

const USAGE = /^Usage: node dist\/cli\.js compare NOTEBOOK --image IMAGE/m;

describe('berth compare on the command line, before any engine', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const notebook = path.join(tmp, 'n.ipynb');
  fs.writeFileSync(notebook, JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));

  test('--help: the usage on stdout, exit 0, whatever else is given', async () => {
    for (const argv of [['--help'], ['-h'], ['compare', notebook, '--help']]) {
      const r = await cli(argv);
      assert.equal(r.exitCode, 0, argv.join(' '));
      assert.match(r.stdout, USAGE);
      assert.equal(r.stderr, '');
    }
  });

  test('an unknown command is named; a missing notebook or image, or one argument too many, gets the usage; exit 2', async () => {
    const unknown = await cli(['diff', notebook, '--image', 'python:3.12']);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /^Unknown command "diff"\.\n\nUsage: /);
    for (const argv of [[], ['compare'], ['compare', notebook], ['compare', notebook, 'extra', '--image', 'python:3.12']]) {
      const r = await cli(argv);
      assert.equal(r.exitCode, 2, argv.join(' '));
      assert.match(r.stderr, /^Usage: /, argv.join(' '));
      assert.equal(r.stdout, '');
    }
  });

  test('an unknown option: the parser says which, then the usage; exit 2', async () => {
    const r = await cli(['compare', notebook, '--image', 'python:3.12', '--colour']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /--colour/);
    assert.match(r.stderr, USAGE);
  });

  test('numbers and sizes it refuses, each named, before the engine is asked for anything', async () => {
    const cases: [string[], RegExp][] = [
      [['--rtol', 'lots'], /^--rtol must be a non-negative number, not "lots"\./],
      [['--atol=-1'], /^--atol must be a non-negative number, not "-1"\./],
      [['--pixel-ratio', 'x'], /^--pixel-ratio must be a non-negative number/],
      [['--timeout', 'Infinity'], /^--timeout must be a non-negative number/],
      [['--memory', 'lots'], /^--memory "lots" is not a size such as 512m or 2g\./],
    ];
    for (const [extra, message] of cases) {
      // an engine that cannot be reached: reaching it would be another message
      const r = await cli(['compare', notebook, '--image', 'python:3.12', '--host', 'tcp://127.0.0.1:1', ...extra]);
      assert.equal(r.exitCode, 2, extra.join(' '));
      assert.match(r.stderr, message, extra.join(' '));
      assert.match(r.stderr, USAGE);
    }
  });

  test('a notebook that does not exist is named before anything else is checked', async () => {
    const r = await cli(['compare', path.join(tmp, 'nope.ipynb'), '--image', 'python:3.12', '--rtol', 'lots']);
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /nope\.ipynb does not exist\./);
  });
});
