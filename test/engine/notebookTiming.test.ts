/**
 * Timings and IPython syntax alone in a cell, on a notebook whose outputs Jupyter saved from the
 * IPython image (test/fixtures/notebooks/timing-and-magics.make.sh): where the image has IPython
 * every cell runs and agrees but for its durations and rates; where it has none, the cells made
 * only of syntax the runner does not run (%timeit alone, %load_ext, a shell line, help) are
 * skipped, and no cell differs.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonReport } from '../../src/core/notebook/comparison';
import { TIMING_NOTE, UNTIMED_NOTE } from '../../src/core/notebook/normalise';
import { cleanup, connect, IPYTHON, labels, PYTHON } from './harness';
import { cellOf, explainReport } from './report';

const FIXTURES = path.resolve(__dirname, '../fixtures/notebooks');
const NOTEBOOK = path.join(FIXTURES, 'timing-and-magics.ipynb');
/** Cells whose saved output holds durations or rates: %timeit, %%timeit, %time, %%time, a progress bar, a keras epoch. */
const TIMED = [2, 3, 4, 5, 9, 10];
/** Cells made only of IPython syntax the runner does not run without IPython. */
const SYNTAX_ONLY = [2, 3, 6, 7, 8];

describe('engine: timings and IPython syntax alone in a cell', { timeout: 180_000 }, () => {
  let engine: Engine;
  // stderr compared too: the progress bar is drawn there
  const compare = (image: string): Promise<ComparisonReport> =>
    compareNotebook(engine, {
      notebookPath: NOTEBOOK,
      workspaceDir: FIXTURES,
      image,
      settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 60, compareStderr: true },
      labels: labels(),
    });
  const cell = cellOf;
  const explain = (report: ComparisonReport): string => explainReport(report, { sides: true });

  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
  });

  test('in the IPython image every cell runs; the timed ones are within tolerance, saying the timings differ', async () => {
    const report = await compare(IPYTHON);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.match(report.containerEnvironment?.ipython ?? '', /^\d+\.\d+/);
    assert.equal(report.cells.length, 12);
    for (const c of report.cells) {
      assert.deepEqual(c.skipped, [], `cell ${c.ordinal}: nothing skipped in IPython's shell`);
      if (!TIMED.includes(c.ordinal)) assert.equal(c.status, 'identical', `cell ${c.ordinal}\n${explain(report)}`);
      // the clock may give the same figures twice, rarely: identical then
      else if (c.status !== 'identical') {
        assert.equal(c.status, 'within-tolerance', `cell ${c.ordinal}\n${explain(report)}`);
        assert.match(c.reason, new RegExp(TIMING_NOTE), `cell ${c.ordinal}\n${explain(report)}`);
      }
    }
    // %timeit's figures never come twice the same
    for (const ordinal of [2, 3]) assert.equal(cell(report, ordinal).status, 'within-tolerance', explain(report));
    // the timings were really made, by IPython
    assert.match(cell(report, 2).container, / per loop \(mean ± std\. dev\. of 7 runs, [\d,]+ loops? each\)/);
    assert.match(cell(report, 3).container, / per loop \(mean ± std\. dev\. of 3 runs, 100 loops each\)/);
    assert.match(cell(report, 4).container, /^CPU times: .*\nWall time: .*\n49995000/);
    assert.match(cell(report, 9).container, /100%\|██████████\| 100\/100 \[00:00<00:00, [\d.]+it\/s\]/);
    assert.match(cell(report, 10).container, /32\/32 \[==========\] - \d+s \d+ms\/step - loss: 0\.2500/);
  });

  test('in the image without IPython the syntax-only cells are skipped, naming the syntax, and no cell differs', async () => {
    const report = await compare(PYTHON);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.equal(report.containerEnvironment?.ipython, undefined);
    assert.equal(report.cells.length, 12);
    for (const c of report.cells) assert.notEqual(c.status, 'differs', `cell ${c.ordinal}\n${explain(report)}`);
    assert.deepEqual(
      report.cells.filter((c) => c.status === 'skipped').map((c) => c.ordinal),
      SYNTAX_ONLY,
      explain(report),
    );
    assert.equal(
      cell(report, 2).reason,
      "%timeit sum(range(100)) is IPython syntax: the cell is not run in the container (%timeit's output is a timing, which only IPython makes)",
    );
    assert.equal(cell(report, 6).reason, '%load_ext autoreload; %autoreload 2 are IPython syntax: the cell is not run in the container');
    assert.match(cell(report, 7).reason, /^!echo a shell line alone is IPython syntax/);
    assert.match(cell(report, 8).reason, /^len\? is IPython syntax/);
    // %time and %%time run their code untimed: the timing lines are left out, with a note
    for (const ordinal of [4, 5]) {
      assert.equal(cell(report, ordinal).status, 'within-tolerance', explain(report));
      assert.match(cell(report, ordinal).reason, new RegExp(UNTIMED_NOTE.replace(/[()]/g, '\\$&')), explain(report));
    }
    assert.equal(cell(report, 4).container, '49995000');
    // a cell mixing a skipped line with Python runs its Python; the names %time and %%time set are there
    assert.equal(cell(report, 11).status, 'identical', explain(report));
    assert.deepEqual(cell(report, 11).skipped, ['%autoreload 2']);
    assert.equal(cell(report, 12).status, 'identical', explain(report));
    for (const ordinal of [9, 10]) assert.ok(['identical', 'within-tolerance'].includes(cell(report, ordinal).status), explain(report));
  });
});
