/**
 * The command-line entry point, as CI would run it: the built bundle (dist/cli.js) in a child
 * process against the real engine. Exit 0 when the notebook matches, 1 when a cell differs, 2 for
 * a usage error; --json writes the same report the panel exports.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { connect, PYTHON } from './harness';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const SAMPLE = path.join(ROOT, 'examples', 'iris-classifier', 'train.ipynb');

async function cli(
  args: string[],
  env: Record<string, string> = {},
  timeout = 120_000,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { execa } = await import('execa');
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, timeout, env });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('engine: node dist/cli.js compare', { timeout: 240_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the bundle is built (npm run build)', () => {
    assert.ok(fs.existsSync(CLI), `${CLI} is missing`);
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'runner.py')), 'dist/runner.py ships next to the CLI');
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'pretty.py')), 'dist/pretty.py ships next to the runner');
  });

  test('the sample notebook matches its image: exit 0, a PASS table and a JSON report', async () => {
    const json = path.join(tmp, 'report.json');
    const output = path.join(tmp, 'out');
    const r = await cli(['compare', SAMPLE, '--image', PYTHON, '--json', json, '--output', output, '--local-python', 'python3']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /train\.ipynb in .*: 11 identical, 0 within tolerance, 0 differ, 0 errors/);
    assert.match(r.stdout, /\nPASS$/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as {
      passed: boolean;
      summary: { identical: number };
      cells: unknown[];
      environment: { name: string; local?: string }[];
    };
    assert.equal(report.passed, true);
    assert.equal(report.summary.identical, 11);
    assert.equal(report.cells.length, 11);
    // the local interpreter's Python is listed next to the container's
    const python = report.environment.find((e) => e.name === 'Python');
    assert.match(python?.local ?? '', /^3\.\d+\.\d+$/);
    // what the notebook wrote went to --output
    assert.ok(fs.existsSync(path.join(output, 'iris.npz')));
    // nothing of the run is left on the engine
    const engine = await connect();
    assert.deepEqual(await engine.listContainers({ all: true, filters: { label: ['berth.cli=compare'] } }), []);
  });

  test('without --output: the notebook writes into a private run folder under $TMPDIR/berth-compare-<uid>, none open to all', async () => {
    const base = path.join(tmp, 'tmpdir');
    fs.mkdirSync(base);
    const r = await cli(['compare', SAMPLE, '--image', PYTHON], { TMPDIR: base });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const root = path.join(base, `berth-compare-${process.getuid?.() ?? 'user'}`);
    const walk = (dir: string): string[] => {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory()) return [dir];
      assert.equal(st.mode & 0o002, 0, `${dir} is writable by everyone (mode 0${(st.mode & 0o777).toString(8)})`);
      return [dir, ...fs.readdirSync(dir).flatMap((n) => walk(path.join(dir, n)))];
    };
    assert.equal(fs.lstatSync(root).mode & 0o077, 0, 'the root is private');
    assert.ok(
      walk(root).some((f) => f.endsWith('iris.npz')),
      'the model is in a run folder',
    );
    // and the command says where
    const said = /the notebook's files are in (.+)$/m.exec(r.stderr)?.[1];
    assert.ok(said?.startsWith(root), r.stderr);
    assert.ok(fs.existsSync(path.join(said ?? '', 'iris.npz')));
  });

  test('a cell that differs beyond tolerance: exit 1 and FAIL naming the cell; --rtol loosens it', async () => {
    const dir = path.join(tmp, 'differs');
    fs.mkdirSync(dir);
    const nb = path.join(dir, 'drift.ipynb');
    const cell = (source: string, text: string, n: number): unknown => ({
      cell_type: 'code',
      execution_count: n,
      metadata: {},
      outputs: [{ name: 'stdout', output_type: 'stream', text: [text] }],
      source: [source],
    });
    fs.writeFileSync(
      nb,
      JSON.stringify({
        cells: [cell('print(1 + 1)', '2\n', 1), cell('print(round(2 / 3, 4))', '0.66\n', 2)],
        metadata: { kernelspec: { language: 'python', name: 'python3', display_name: 'Python 3' } },
        nbformat: 4,
        nbformat_minor: 2,
      }),
    );
    const strict = await cli(['compare', nb, '--image', PYTHON, '--workspace', dir]);
    assert.equal(strict.exitCode, 1, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /\[ {2}2\] differs +stdout: 0\.66 in the notebook, 0\.6667 in the container/);
    assert.match(strict.stdout, /\nFAIL$/);
    const loose = await cli(['compare', nb, '--image', PYTHON, '--workspace', dir, '--rtol', '0.02']);
    assert.equal(loose.exitCode, 0, loose.stdout + loose.stderr);
    assert.match(loose.stdout, /\[ {2}2\] within-tolerance/);
  });

  test('in CI, a notebook that leaves a thread and a child process running still ends: exit 0, no container left', async () => {
    const dir = path.join(tmp, 'lingers');
    fs.mkdirSync(dir);
    const nb = path.join(dir, 'lingers.ipynb');
    const source = [
      'import multiprocessing, threading, time\n',
      'threading.Thread(target=time.sleep, args=(10**6,)).start()\n',
      'multiprocessing.Process(target=time.sleep, args=(10**6,)).start()\n',
      'print("left running")',
    ];
    fs.writeFileSync(
      nb,
      JSON.stringify({
        cells: [
          {
            cell_type: 'code',
            execution_count: 1,
            metadata: {},
            outputs: [{ name: 'stdout', output_type: 'stream', text: ['left running\n'] }],
            source,
          },
        ],
        metadata: { kernelspec: { language: 'python', name: 'python3', display_name: 'Python 3' } },
        nbformat: 4,
        nbformat_minor: 2,
      }),
    );
    const r = await cli(['compare', nb, '--image', PYTHON, '--workspace', dir], {}, 60_000);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const engine = await connect();
    assert.deepEqual(await engine.listContainers({ all: true, filters: { label: ['berth.cli=compare', `berth.compare=${dir}`] } }), []);
  });

  test('usage errors and notebooks that cannot be compared: exit 2 with the reason', async () => {
    const noImage = await cli(['compare', SAMPLE]);
    assert.equal(noImage.exitCode, 2);
    assert.match(noImage.stderr, /Usage: node dist\/cli\.js compare NOTEBOOK --image IMAGE/);
    const missing = await cli(['compare', path.join(tmp, 'nope.ipynb'), '--image', PYTHON]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /nope\.ipynb does not exist/);
    const bad = path.join(tmp, 'bad.ipynb');
    fs.writeFileSync(bad, '{"cells": [');
    const malformed = await cli(['compare', bad, '--image', PYTHON]);
    assert.equal(malformed.exitCode, 2);
    assert.match(malformed.stderr, /not valid JSON/);
    const rtol = await cli(['compare', SAMPLE, '--image', PYTHON, '--rtol', 'lots']);
    assert.equal(rtol.exitCode, 2);
    assert.match(rtol.stderr, /--rtol must be a non-negative number/);
  });
});
