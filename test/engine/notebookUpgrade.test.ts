/**
 * An nbformat 3 notebook, as IPython 2 saved it, compared through the built CLI (dist/cli.js) in
 * the numpy image: it is upgraded on read as Jupyter does, and its saved outputs (heading cells
 * around them, a pyout, a pyerr, streams) compare with the container's as a v4 notebook would.
 * The saved outputs are what this code prints in that image.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { connect, PYTHON } from './harness';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'notebooks', 'v3-numpy-same-outputs.ipynb');

async function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const { execa } = await import('execa');
  const r = await execa(process.execPath, [CLI, ...args], { reject: false, timeout: 120_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

interface Report {
  passed: boolean;
  summary: { cells: number; identical: number; differs: number; errors: number };
  cells: { index: number; ordinal: number; status: string; reason: string; saved: string; container: string }[];
}

describe('engine: an nbformat 3 notebook through node dist/cli.js compare', { timeout: 240_000 }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-nb3-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('the fixture really is nbformat 3 with worksheets, heading cells, pyout and pyerr', () => {
    assert.ok(fs.existsSync(CLI), `${CLI} is missing: npm run build`);
    const raw = fs.readFileSync(FIXTURE, 'utf8');
    const doc = JSON.parse(raw) as { nbformat: number; worksheets: { cells: { cell_type: string }[] }[] };
    assert.equal(doc.nbformat, 3);
    assert.deepEqual(
      doc.worksheets[0]!.cells.map((c) => c.cell_type),
      ['heading', 'markdown', 'code', 'code', 'heading', 'code', 'code', 'code', 'heading', 'code', 'raw'],
    );
    for (const word of ['"pyout"', '"pyerr"', '"prompt_number"', '"input"', '"stream": "stdout"']) assert.ok(raw.includes(word), word);
  });

  test('outputs saved from the same code: every cell identical, exit 0, PASS', async () => {
    const dir = path.join(tmp, 'same');
    fs.mkdirSync(dir);
    const nb = path.join(dir, 'arrays.ipynb');
    fs.copyFileSync(FIXTURE, nb);
    const json = path.join(tmp, 'same.json');
    const r = await cli(['compare', nb, '--image', PYTHON, '--workspace', dir, '--json', json]);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /arrays\.ipynb in .*: 6 identical, 0 within tolerance, 0 differ, 0 errors/);
    assert.match(r.stdout, /\nPASS$/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as Report;
    assert.equal(report.passed, true);
    assert.deepEqual(
      report.cells.map((c) => [c.index, c.ordinal, c.status]),
      [
        [2, 1, 'identical'],
        [3, 2, 'identical'],
        [5, 3, 'identical'],
        [6, 4, 'identical'],
        [7, 5, 'identical'],
        [9, 6, 'identical'],
      ],
    );
    // the saved side is what the upgrade read: streams, results ("Out:") and the error
    const byOrdinal = (n: number): Report['cells'][number] => report.cells.find((c) => c.ordinal === n)!;
    assert.equal(byOrdinal(1).saved, 'numpy ready');
    assert.equal(byOrdinal(2).saved, 'Out: array([[0, 1, 2],\n       [3, 4, 5]])');
    assert.equal(byOrdinal(3).saved, '5.0\nOut: 15.0');
    assert.equal(byOrdinal(6).saved, 'ZeroDivisionError: float division by zero');
    assert.equal(byOrdinal(6).reason, 'fails the same way in both: ZeroDivisionError');
    for (const c of report.cells) assert.equal(c.container, c.saved, `cell ${c.ordinal}`);
    const engine = await connect();
    assert.deepEqual(await engine.listContainers({ all: true, filters: { label: ['berth.cli=compare', `berth.compare=${dir}`] } }), []);
  });

  test('the saved outputs are really compared: one changed pyout makes that cell differ, exit 1', async () => {
    const dir = path.join(tmp, 'changed');
    fs.mkdirSync(dir);
    const nb = path.join(dir, 'arrays.ipynb');
    const raw = fs.readFileSync(FIXTURE, 'utf8');
    assert.ok(raw.includes('"15.0"'));
    fs.writeFileSync(nb, raw.replace('"15.0"', '"17.0"'));
    const r = await cli(['compare', nb, '--image', PYTHON, '--workspace', dir]);
    assert.equal(r.exitCode, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /5 identical, 0 within tolerance, 1 differ, 0 errors/);
    assert.match(r.stdout, /\[ {2}3\] differs/);
    assert.match(r.stdout, /\nFAIL$/);
  });
});
