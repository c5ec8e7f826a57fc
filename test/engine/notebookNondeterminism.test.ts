/**
 * A notebook whose cells draw unseeded random numbers, read the clock and draw seeded numbers,
 * saved with outputs of another run: compared through the built CLI (dist/cli.js) in the Python
 * image, the unseeded cells differ and say they are likely nondeterministic; the seeded one is
 * identical; with --allow-nondeterministic they count apart and the comparison passes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PYTHON } from './harness';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

const cell = (source: string, outputs: unknown[], n: number): unknown => ({
  cell_type: 'code',
  execution_count: n,
  metadata: {},
  outputs,
  source,
});
const stdout = (text: string): unknown => ({ name: 'stdout', output_type: 'stream', text });

/** Saved outputs as another run printed them: the unseeded draws and the clock are not what this run will print. */
const NOTEBOOK = {
  cells: [
    cell('import numpy as np\nimport random, time', [], 1),
    cell('print(np.random.rand(3).round(4))', [stdout('[0.1234 0.5678 0.9012]\n')], 2),
    cell('print(random.randint(10**8, 10**9))', [stdout('123456789\n')], 3),
    cell("print('started at', int(time.time()))", [stdout('started at 1000000000\n')], 4),
    // numpy 1.24 draws these for seed 0: identical in any run
    cell('np.random.seed(0)\nprint(np.random.rand(3).round(4))', [stdout('[0.5488 0.7152 0.6028]\n')], 5),
  ],
  metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
  nbformat: 4,
  nbformat_minor: 5,
};

async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { execa } = await import('execa');
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, timeout: 120_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface Report {
  passed: boolean;
  summary: { identical: number; differs: number; nondeterministic: number };
  cells: { ordinal: number; status: string; reason: string }[];
}

describe('engine: likely nondeterministic cells, through the CLI', { timeout: 240_000 }, () => {
  let dir: string;
  let notebook: string;
  before(() => {
    assert.ok(fs.existsSync(CLI), `${CLI} is missing: npm run build`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-nondeterminism-'));
    notebook = path.join(dir, 'draws.ipynb');
    fs.writeFileSync(notebook, JSON.stringify(NOTEBOOK, null, 1));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const byOrdinal = (r: Report, n: number): { status: string; reason: string } => r.cells.find((c) => c.ordinal === n)!;

  test('unseeded draws and the clock differ, each with its reason; the seeded draw is identical; exit 1', async () => {
    const json = path.join(dir, 'report.json');
    const r = await cli(['compare', notebook, '--image', PYTHON, '--workspace', dir, '--output', path.join(dir, 'out'), '--json', json]);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
    assert.equal(byOrdinal(report, 2).status, 'differs');
    assert.match(byOrdinal(report, 2).reason, /likely nondeterministic: np\.random\.rand without a seed$/);
    assert.equal(byOrdinal(report, 3).status, 'differs');
    assert.match(byOrdinal(report, 3).reason, /likely nondeterministic: random\.randint without a seed$/);
    assert.equal(byOrdinal(report, 4).status, 'differs');
    assert.match(byOrdinal(report, 4).reason, /likely nondeterministic: the clock \(time\.time\)$/);
    assert.equal(byOrdinal(report, 5).status, 'identical', byOrdinal(report, 5).reason);
    assert.match(r.stdout, /likely nondeterministic/);
  });

  test('with --allow-nondeterministic they count as nondeterministic and the comparison passes', async () => {
    const json = path.join(dir, 'report-allowed.json');
    const r = await cli([
      'compare',
      notebook,
      '--image',
      PYTHON,
      '--workspace',
      dir,
      '--output',
      path.join(dir, 'out2'),
      '--json',
      json,
      '--allow-nondeterministic',
    ]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
    assert.equal(report.passed, true);
    assert.deepEqual(
      [2, 3, 4, 5].map((n) => byOrdinal(report, n).status),
      ['nondeterministic', 'nondeterministic', 'nondeterministic', 'identical'],
    );
    assert.equal(report.summary.nondeterministic, 3);
    assert.match(r.stdout, /3 nondeterministic/);
    assert.match(r.stdout, /\nPASS$/);
  });
});
