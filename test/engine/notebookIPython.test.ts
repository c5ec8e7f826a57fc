/**
 * Notebooks with IPython syntax, in both kinds of image: where the image has IPython, the runner
 * gives each cell as written to IPython's own shell, and the outputs agree with those Jupyter
 * saved from the same image (test/fixtures/notebooks/ipython-magics.make.sh made them); where it
 * has none, the same notebook runs its planned Python with the IPython lines skipped.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonReport } from '../../src/core/notebook/comparison';
import { compareContainerOptions, runInContainer } from '../../src/core/notebook/containerRun';
import { planNotebook } from '../../src/core/notebook/plan';
import { parseNotebook } from '../../src/core/notebook/nbformat';
import { WARM_LABEL, WarmRunners } from '../../src/core/notebook/warmRunners';
import { cleanup, connect, IPYTHON, labels, PYTHON, RUN_ID, TEST_LABEL } from './harness';
import { cellOf, explainReport } from './report';

const FIXTURES = path.resolve(__dirname, '../fixtures/notebooks');
const NOTEBOOK = path.join(FIXTURES, 'ipython-magics.ipynb');
/** The fixture's timing cells (%%time, %timeit): they run, but their figures are the clock's, so they agree within tolerance. */
const TIMING = new Set([9, 10]);

describe('engine: IPython syntax, through IPython where the image has it', { timeout: 180_000 }, () => {
  let engine: Engine;
  const compare = (image: string): Promise<ComparisonReport> =>
    compareNotebook(engine, {
      notebookPath: NOTEBOOK,
      workspaceDir: FIXTURES,
      image,
      settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 60 },
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

  test('in the IPython image every cell runs, identical to what Jupyter saved but for the timings, which are within tolerance', async () => {
    const report = await compare(IPYTHON);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.match(report.containerEnvironment?.ipython ?? '', /^\d+\.\d+/, 'the runner says it runs IPython');
    assert.equal(report.cells.length, 18);
    assert.deepEqual(report.stray, []);
    for (const c of report.cells) {
      assert.deepEqual(c.skipped, [], `cell ${c.ordinal}: nothing skipped in IPython's shell`);
      assert.notEqual(c.status, 'skipped', explain(report));
      if (!TIMING.has(c.ordinal)) assert.equal(c.status, 'identical', `cell ${c.ordinal}\n${explain(report)}`);
    }
    assert.match(cell(report, 9).status, /^(identical|within-tolerance)$/, explain(report));
    assert.equal(cell(report, 10).status, 'within-tolerance', explain(report));
    assert.match(cell(report, 10).reason, /timings differ/);
    // the magics, the shell line and the display machinery really ran
    assert.match(cell(report, 2).container, /env: BERTH_FIXTURE=ipython/);
    assert.match(cell(report, 3).container, /hello from a shell line/);
    assert.match(cell(report, 4).container, /\/tmp/);
    assert.match(cell(report, 8).container, /second/);
    assert.doesNotMatch(cell(report, 8).container, /first/);
    assert.match(cell(report, 11).container, /from bash/);
    assert.match(cell(report, 18).reason, /fails the same way in both: ZeroDivisionError/);
    assert.match(cell(report, 9).container, /Wall time: /, explain(report));
    assert.match(cell(report, 10).container, /per loop \(mean ± std\. dev\. of 2 runs, 3 loops each\)/, explain(report));
  });

  test('in the image without IPython the same notebook runs its planned Python, the IPython lines skipped, the cells made only of them skipped whole', async () => {
    const report = await compare(PYTHON);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.equal(report.containerEnvironment?.ipython, undefined);
    assert.equal(report.cells.length, 18);
    assert.equal(cell(report, 11).status, 'skipped', explain(report));
    assert.match(cell(report, 11).reason, /%%bash is IPython syntax/);
    assert.deepEqual(cell(report, 2).skipped, ['%env BERTH_FIXTURE=ipython']);
    assert.deepEqual(cell(report, 3).skipped, ['!echo hello from a shell line']);
    assert.deepEqual(cell(report, 12).skipped, ['len?']);
    assert.match(cell(report, 2).notes.join('\n'), /not run in the container \(IPython syntax\): %env BERTH_FIXTURE=ipython/);
    // a shell line, %cd, %timeit or help alone: skipped, not "differs"
    for (const ordinal of [3, 4, 10, 11, 12]) assert.equal(cell(report, ordinal).status, 'skipped', `cell ${ordinal}\n${explain(report)}`);
    assert.match(cell(report, 3).reason, /^!echo hello from a shell line is IPython syntax/);
    assert.match(cell(report, 10).reason, /^%timeit -n 3 -r 2 sum\(range\(100\)\) is IPython syntax/);
    // %%time runs its body untimed: the timing lines are left out, with a note
    assert.equal(cell(report, 9).status, 'within-tolerance', explain(report));
    // plain Python agrees all the same
    for (const ordinal of [1, 7, 13, 14, 18])
      assert.equal(cell(report, ordinal).status, 'identical', `cell ${ordinal}\n${explain(report)}`);
  });

  test('a container started ahead of time runs the next comparison through IPython just the same', async () => {
    const warm = new WarmRunners(engine);
    const input = { notebookPath: NOTEBOOK, workspaceDir: FIXTURES, image: IPYTHON, settings: DEFAULT_SETTINGS, labels: labels(), warm };
    try {
      await compareNotebook(engine, input);
      await warm.settled();
      const prepared = await engine.listContainers({
        filters: { label: [`${TEST_LABEL}=${RUN_ID}`, `${WARM_LABEL}=true`], status: ['running'] },
      });
      assert.equal(prepared.length, 1, 'a runner waits for the next plan');
      const report = await compareNotebook(engine, input);
      assert.match(report.containerEnvironment?.ipython ?? '', /^\d+\.\d+/);
      for (const c of report.cells)
        if (!TIMING.has(c.ordinal)) assert.equal(c.status, 'identical', `cell ${c.ordinal}\n${explain(report)}`);
      await assert.rejects(engine.inspectContainerJson(prepared[0]!.id), /no such container|not found/i, 'the waiting one was used');
    } finally {
      await warm.dispose();
    }
  });

  test("IPython's shell keeps the runner's bounds: a cell past its timeout is stopped and the next one runs", async () => {
    const nb = parseNotebook(
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', language: 'python' } },
        cells: [
          { cell_type: 'code', id: 'a', metadata: {}, execution_count: null, outputs: [], source: 'import time\n%time time.sleep(60)' },
          { cell_type: 'code', id: 'b', metadata: {}, execution_count: null, outputs: [], source: '!echo still here\n40 + 2' },
        ],
      }),
    );
    const options = compareContainerOptions({ image: IPYTHON, workspaceDir: FIXTURES, notebookDir: FIXTURES, labels: labels() });
    const result = await runInContainer(engine, options, { cwd: '/workspace', modules: [], timeoutSeconds: 2, cells: planNotebook(nb) });
    assert.deepEqual(result.outcome, { kind: 'completed' });
    assert.equal(result.cells.length, 2);
    assert.equal(result.cells[0]!.timedOut, true);
    assert.deepEqual(result.cells[0]!.outputs.at(-1), {
      kind: 'error',
      ename: 'TimeoutError',
      evalue: 'the cell ran longer than 2 s',
      traceback: [],
    });
    assert.deepEqual(result.cells[1]!.outputs, [
      { kind: 'stream', name: 'stdout', text: 'still here\r\n' },
      { kind: 'result', data: { 'text/plain': '42' } },
    ]);
  });
});
