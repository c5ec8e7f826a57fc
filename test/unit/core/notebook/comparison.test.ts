import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareCell, DEFAULT_SETTINGS, summarise, type CellComparison } from '../../../../src/core/notebook/compareCells';
import {
  CellComparisons,
  formatReport,
  outcomeMessage,
  prepareNotebook,
  REPORT_VERSION,
  type ComparisonReport,
} from '../../../../src/core/notebook/comparison';
import { NotebookRunError, type PythonEnvironment, type RunOutcome } from '../../../../src/core/notebook/containerRun';
import { environmentDiff } from '../../../../src/core/notebook/environment';
import { NotebookFormatError } from '../../../../src/core/notebook/nbformat';
import { codeCell, ctx, error, fixture, handCell, nb40, nb44, nb45, plans40, plans44, plans45, ran, result } from './cells';

describe('outcomeMessage and formatReport', () => {
  test('outcome messages name the cell by its ordinal', () => {
    assert.equal(outcomeMessage({ kind: 'completed' }, plans44), 'All 7 code cells ran in the container.');
    assert.equal(
      outcomeMessage({ kind: 'oom', cellIndex: 3, limitBytes: 2 * 2 ** 30 }, plans45),
      'The Python process was killed for running out of memory in cell 3 (limit 2.0 GiB); later cells did not run.',
    );
    assert.equal(
      outcomeMessage({ kind: 'timeout', cellIndex: 5, seconds: 60 }, plans45),
      'Cell 4 ran past the 60 s cell timeout and did not stop; the container was killed.',
    );
    assert.equal(
      outcomeMessage({ kind: 'exited', exitCode: 139 }, plans45),
      'The Python process ended early (exit 139); later cells did not run.',
    );
    assert.equal(
      outcomeMessage({ kind: 'exited', exitCode: 1, cellIndex: 1 }, plans45),
      'The Python process ended early (exit 1) in cell 1; later cells did not run.',
    );
    assert.equal(outcomeMessage({ kind: 'cancelled' }, plans45), 'The comparison was cancelled; the container was stopped and removed.');
  });

  function report(cells: CellComparison[], passed: boolean, outcome: RunOutcome = { kind: 'completed' }): ComparisonReport {
    const container: PythonEnvironment = { python: '3.11.4', packages: { numpy: { version: '1.24.2' } } };
    const local: PythonEnvironment = { python: '3.11.4', packages: { numpy: { version: '2.1.0' } } };
    return {
      version: REPORT_VERSION,
      notebook: '/home/ana/proj/notebooks/train.ipynb',
      image: 'iris:dev',
      startedAt: '2025-11-25T15:00:00.000Z',
      durationMs: 5230,
      cellsMs: 4100,
      settings: DEFAULT_SETTINGS,
      outcome,
      message: outcomeMessage(outcome, plans44),
      environment: environmentDiff(['numpy'], container, '3.8.10', local),
      containerEnvironment: container,
      localEnvironment: local,
      cells,
      summary: summarise(cells),
      passed,
      stray: [],
    };
  }

  test('a failing report: summary line, one line per cell with its notes, the environment table, FAIL', () => {
    const a = codeCell(nb44, plans44, 2);
    const b = codeCell(nb44, plans44, 3);
    const c = handCell('import sklearn', [], 1, 3, 3);
    const d = codeCell(nb45, plans45, 5);
    const cells = [
      compareCell(a.plan, a.saved, ran(a.plan, a.saved.outputs.slice()), ctx()),
      compareCell(b.plan, b.saved, ran(b.plan, [result('6.0500001')]), ctx()),
      compareCell(c.plan, c.saved, ran(c.plan, [error('ModuleNotFoundError', "No module named 'sklearn'")]), ctx()),
      { ...compareCell(d.plan, d.saved, undefined, ctx()), ordinal: 4 },
    ];
    const text = formatReport(report(cells, false));
    assert.deepEqual(text.split('\n'), [
      'train.ipynb in iris:dev: 1 identical, 1 within tolerance, 0 differ, 1 errors, 1 not run',
      'All 7 code cells ran in the container.',
      '',
      '  [  2] identical',
      '  [  3] within-tolerance output: numbers within tolerance: largest difference 6.05 vs 6.0500001 (abs 1.0e-7, rel 1.7e-8)',
      "  [  3] error-container  ModuleNotFoundError: No module named 'sklearn' — only in the container; sklearn is not installed in the image: add it to the Dockerfile",
      '  [  4] skipped          %%bash is IPython syntax: the cell is not run in the container',
      '',
      '  environment           container        notebook         local',
      '  ≠ Python              3.11.4           3.8.10           3.11.4',
      '  ≠ numpy               1.24.2           —                2.1.0',
      '',
      'FAIL',
    ]);
  });

  test('a passing report ends with PASS; notes and cells without saved output are listed', () => {
    const n = codeCell(nb40, plans40, 4);
    const s = codeCell(nb45, plans45, 1);
    const cells = [
      compareCell(s.plan, s.saved, ran(s.plan, []), ctx()),
      compareCell(n.plan, n.saved, ran(n.plan, [result('20.0')]), ctx()),
    ];
    const lines = formatReport(report(cells, true)).split('\n');
    assert.equal(lines[0], 'train.ipynb in iris:dev: 1 identical, 0 within tolerance, 0 differ, 0 errors, 1 without saved output');
    assert.ok(lines.includes('        note: not run in the container (IPython syntax): !pip install -q scikit-learn'));
    assert.equal(lines.at(-1), 'PASS');
    assert.equal(lines.filter((l) => l === 'FAIL').length, 0);
  });
});

describe('prepareNotebook', () => {
  test('an R notebook: NotebookRunError naming the language and kernel', () => {
    assert.throws(
      () => prepareNotebook(fixture('r-kernel.ipynb')),
      (err: unknown) => {
        assert.ok(err instanceof NotebookRunError);
        assert.equal(err.message, "This notebook's kernel language is r (R); Berth compares Python notebooks only.");
        return true;
      },
    );
  });

  test('nbformat 1 is a format error, not a run error', () => {
    assert.throws(() => prepareNotebook('{"nbformat": 1, "nbformat_minor": 0, "worksheets": []}'), NotebookFormatError);
  });

  test('a markdown-only notebook: zero plans, zero modules', () => {
    const p = prepareNotebook(fixture('markdown-only.ipynb'));
    assert.equal(p.notebook.cells.length, 2);
    assert.deepEqual(p.plans, []);
    assert.deepEqual(p.modules, []);
  });

  test('the 4.5 notebook: one plan per code cell, modules from the planned sources', () => {
    const p = prepareNotebook(fixture('v4.5-ids-attachments.ipynb'));
    assert.deepEqual(
      p.plans.map((c) => [c.index, c.ordinal, c.id, c.skippedWhole]),
      [
        [1, 1, '8b7e0d41', false],
        [2, 2, 'c0a5e6f7', false],
        [3, 3, '1d2e3f40', false],
        [5, 4, '5e4d3c2b', false],
        [6, 5, '0f1e2d3c', true],
      ],
    );
    assert.deepEqual(p.modules, ['numpy', 'sklearn', 'torch']);
  });
});

describe('CellComparisons: each cell compared as its result arrives, reported once, in order', () => {
  const code = (source: string, outputs: object[] = []) => ({ cell_type: 'code', execution_count: 1, metadata: {}, outputs, source });
  const prepared = prepareNotebook(
    JSON.stringify({
      cells: [
        code('print(path)', [{ output_type: 'stream', name: 'stdout', text: '/home/u/proj/data.csv\n' }]),
        { cell_type: 'markdown', metadata: {}, source: 'notes' },
        code('%%bash\necho hi'),
        code('import torch'),
        code('print(torch.__version__)', [{ output_type: 'stream', name: 'stdout', text: '2.4.0\n' }]),
        code('print("end")'),
      ],
      metadata: { kernelspec: { name: 'python3', language: 'python' }, language_info: { name: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  const plan = (ordinal: number) => prepared.plans[ordinal - 1]!;
  const input = { notebookPath: '/home/u/proj/n.ipynb', workspaceDir: '/home/u/proj', image: 'python:3.12', settings: DEFAULT_SETTINGS };

  test('a skipped cell is reported when its turn comes, the rest as they run, the cells never reached at the end', () => {
    const seen: string[] = [];
    const cells = new CellComparisons(input, prepared, {
      onCellStart: (p, done) => seen.push(`start ${p.ordinal} (${done} done)`),
      onCell: (c, done) => seen.push(`cell ${c.ordinal} ${c.status} (${done} done)`),
    });
    cells.started(plan(1).index);
    cells.ran(ran(plan(1), [{ kind: 'stream', name: 'stdout', text: '/workspace/data.csv\n' }]));
    cells.ran(ran({ ...plan(1), index: 1 }, [])); // no code cell there: ignored
    cells.started(plan(3).index);
    cells.ran(ran(plan(3), [error('ModuleNotFoundError', "No module named 'torch'", 3)]));
    cells.started(plan(4).index);
    cells.ran(ran(plan(4), [error('NameError', "name 'torch' is not defined", 4)]));
    const all = cells.finish({ kind: 'exited', exitCode: 1 });
    assert.deepEqual(seen, [
      'start 1 (0 done)',
      'cell 1 identical (1 done)',
      'cell 2 skipped (2 done)',
      'start 3 (2 done)',
      'cell 3 error-container (3 done)',
      'start 4 (3 done)',
      'cell 4 error-container (4 done)',
      'cell 5 not-run (5 done)',
    ]);
    assert.deepEqual(
      all.map((c) => `${c.ordinal} ${c.status}`),
      ['1 identical', '2 skipped', '3 error-container', '4 error-container', '5 not-run'],
    );
    // the workspace folder and its mount are the same path
    assert.equal(all[0]?.reason, 'same output');
    // a later NameError is put down to the first cell that failed only in the container
    assert.deepEqual(all[3]?.notes, ['probably because cell 3 failed in the container']);
    assert.ok(cells.compareMs >= 0);
  });

  test('a run that ends before any cell: every cell compared at the end, the skipped one as skipped', () => {
    const seen: string[] = [];
    const cells = new CellComparisons(input, prepared, { onCell: (c, done) => seen.push(`${c.ordinal} ${c.status} ${done}`) });
    const all = cells.finish({ kind: 'cancelled' });
    assert.deepEqual(seen, ['1 not-run 1', '2 skipped 2', '3 not-run 3', '4 not-run 4', '5 not-run 5']);
    assert.equal(all.length, 5);
  });
});
