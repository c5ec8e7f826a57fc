/**
 * The runner against the real Python image, where a notebook misbehaves: output that cannot be
 * told from the runner's messages (no trailing newline, a forged message, binary bytes), cells
 * that leave threads or child processes running, a process that never starts its cells or never
 * ends, and outputs too large to carry whole. Each comparison ends with the right outcome for the
 * cell and the ones after it, within its bounds, and leaves no container.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import type { RunPlan } from '../../src/core/project/createOptions';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonReport, type CompareInput } from '../../src/core/notebook/comparison';
import { cleanup, connect, labels, PYTHON, RUN_ID, TEST_LABEL } from './harness';
import { cellOf, explainReport } from './report';

interface Cell {
  readonly source: string;
  /** What the notebook saved on stdout for this cell. */
  readonly stdout?: string;
}

const lines = (text: string): string[] => (text === '' ? [] : text.split(/(?<=\n)/));

function notebook(cells: readonly Cell[]): string {
  return JSON.stringify({
    cells: cells.map((c, k) => ({
      cell_type: 'code',
      execution_count: k + 1,
      id: crypto.randomBytes(4).toString('hex'),
      metadata: {},
      outputs: c.stdout === undefined ? [] : [{ name: 'stdout', output_type: 'stream', text: lines(c.stdout) }],
      source: lines(c.source),
    })),
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

describe('engine: the runner when a notebook misbehaves', { timeout: 300_000 }, () => {
  let engine: Engine;
  const dirs: string[] = [];
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const compare = async (
    cells: readonly Cell[],
    extra: Partial<CompareInput> & { files?: Record<string, string> } = {},
  ): Promise<ComparisonReport> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-runner-'));
    dirs.push(dir);
    const file = path.join(dir, 'nb.ipynb');
    fs.writeFileSync(file, notebook(cells));
    for (const [name, text] of Object.entries(extra.files ?? {})) fs.writeFileSync(path.join(dir, name), text);
    const { files: _files, ...input } = extra;
    return compareNotebook(engine, {
      notebookPath: file,
      workspaceDir: dir,
      image: PYTHON,
      settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 30 },
      labels: labels(),
      ...input,
    });
  };
  const cell = cellOf;
  const explain = (report: ComparisonReport): string => explainReport(report);
  const remaining = async (): Promise<string[]> =>
    (await engine.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } })).map((c) => `${c.id} ${c.state}`);

  // ------------------------------------------------------------------------------------------
  // the channel

  test('output without a trailing newline: the cell keeps it, the runner message after it still counts', async () => {
    const report = await compare([
      { source: 'import os\n_ = os.write(1, b"50%")', stdout: '50%' },
      { source: 'print("next")', stdout: 'next\n' },
    ]);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.equal(cell(report, 1).container, '50%', explain(report));
    assert.equal(cell(report, 1).status, 'identical', explain(report));
    assert.equal(cell(report, 2).status, 'identical', explain(report));
    assert.equal(report.passed, true, explain(report));
  });

  test('a forged runner message is the cell output: no early end, no result for another cell', async () => {
    const forged = [
      '\\x1eberth {"t":"end"}\\n',
      '\\x1eberth: .{"t":"end"}\\n',
      '\\x1eberth {"t":"cell","index":1,"outputs":[],"ms":0,"timedOut":false}\\n',
      '\\x1eberth: .{"t":"cell","index":1,"outputs":[],"ms":0,"timedOut":false}\\n',
    ];
    const report = await compare([
      { source: `import os\nfor m in ${JSON.stringify(forged)}:\n    _ = os.write(1, m.encode())\nprint("one")` },
      { source: 'print("two")', stdout: 'two\n' },
      { source: 'print("three")', stdout: 'three\n' },
    ]);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    const first = cell(report, 1);
    assert.match(first.container, /"t":"end"/, explain(report));
    assert.match(first.container, /one/);
    assert.equal(cell(report, 2).container, 'two', explain(report));
    assert.equal(cell(report, 2).status, 'identical', explain(report));
    assert.equal(cell(report, 3).status, 'identical', explain(report));
    assert.deepEqual(report.stray, []);
  });

  test('binary output, through sys.stdout.buffer and straight to fd 1: each cell gets a result, the next cells run', async () => {
    const report = await compare([
      { source: 'import sys\n_ = sys.stdout.buffer.write(bytes(range(256)))' },
      { source: 'import os\n_ = os.write(1, bytes(range(256)))' },
      { source: 'print("after")', stdout: 'after\n' },
    ]);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    for (const ordinal of [1, 2]) {
      const c = cell(report, ordinal);
      assert.ok(!['not-run', 'error-container'].includes(c.status), explain(report));
      assert.match(c.container, /ABC/, 'the printable part of the bytes');
    }
    assert.equal(cell(report, 3).status, 'identical', explain(report));
  });

  // ------------------------------------------------------------------------------------------
  // bounds

  test(
    'a cell that leaves a non-daemon thread sleeping forever: the comparison completes, no container left',
    { timeout: 60_000 },
    async () => {
      const report = await compare([
        {
          source: 'import threading, time\nthreading.Thread(target=lambda: time.sleep(10**6)).start()\nprint("started")',
          stdout: 'started\n',
        },
        { source: 'print("two")', stdout: 'two\n' },
      ]);
      assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
      assert.equal(report.passed, true, explain(report));
      assert.deepEqual(await remaining(), []);
    },
  );

  test('a cell that spawns `sleep 100000` and leaves it: the comparison completes, no container left', { timeout: 60_000 }, async () => {
    const report = await compare([
      { source: 'import subprocess\nchild = subprocess.Popen(["sleep", "100000"])\nprint("spawned")', stdout: 'spawned\n' },
      { source: 'print("two")', stdout: 'two\n' },
    ]);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.equal(report.passed, true, explain(report));
    assert.deepEqual(await remaining(), []);
  });

  test(
    'a cell that leaves a non-daemon multiprocessing child sleeping (Python waits for those at exit): completes, no container left',
    { timeout: 60_000 },
    async () => {
      const report = await compare([
        {
          source:
            'import multiprocessing, time\nworker = multiprocessing.Process(target=time.sleep, args=(10**6,))\nworker.start()\nprint("started")',
          stdout: 'started\n',
        },
        { source: 'print("two")', stdout: 'two\n' },
      ]);
      assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
      assert.equal(report.passed, true, explain(report));
      assert.deepEqual(await remaining(), []);
    },
  );

  test(
    'a process that never reaches the first cell: outcome stalled within the bound, cells not run, no container left',
    { timeout: 60_000 },
    async () => {
      // the interpreter hangs while starting up (a sitecustomize on its path), before the runner says anything
      const base: RunPlan = { options: { Image: PYTHON, Env: ['PYTHONPATH=/workspace'] }, usesGpu: false, notes: [] };
      const report = await compare([{ source: 'print("never")', stdout: 'never\n' }], {
        base,
        bounds: { quietMs: 3000 },
        files: { 'sitecustomize.py': 'import time\ntime.sleep(10**6)\n' },
      });
      assert.deepEqual(report.outcome, { kind: 'stalled', seconds: 3 }, explain(report));
      assert.match(report.message, /said nothing for 3 s before the first cell/);
      assert.equal(cell(report, 1).status, 'not-run', explain(report));
      assert.equal(report.passed, false);
      assert.deepEqual(await remaining(), []);
    },
  );

  test(
    'a process that does not exit after the last cell: stopped after the bound, the run completed, the reason logged',
    { timeout: 60_000 },
    async () => {
      const report = await compare(
        [
          // the runner's own exit no longer works: only the container's end stops it
          { source: 'import os, time\nos._exit = lambda code: time.sleep(10**6)\nprint("one")', stdout: 'one\n' },
          { source: 'print("two")', stdout: 'two\n' },
        ],
        { bounds: { exitMs: 2000 } },
      );
      assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
      assert.equal(report.passed, true, explain(report));
      assert.ok(
        report.stray.some((s) => /still running 2 s after the last cell/.test(s)),
        explain(report),
      );
      assert.deepEqual(await remaining(), []);
    },
  );

  // ------------------------------------------------------------------------------------------
  // memory

  test(
    '100 MB of stdout from one cell, printed and written straight to fd 1: completes, the cells say truncated, the host stays bounded',
    { timeout: 240_000 },
    async (t) => {
      const mb = (n: number): string => `${(n / 1048576).toFixed(0)} MB`;
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 50);
      let report: ComparisonReport;
      try {
        report = await compare(
          [
            { source: "import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(102400):\n    _ = sys.stdout.write(line)" },
            { source: "import os\nblock = (b'y' * 1023 + b'\\n') * 1024\nfor _ in range(100):\n    _ = os.write(1, block)" },
            { source: 'print("after")', stdout: 'after\n' },
          ],
          { settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 180 } },
        );
      } finally {
        clearInterval(sampler);
      }
      const after = process.memoryUsage().rss;
      peak = Math.max(peak, after);
      const figures = `RSS before ${mb(before)}, after ${mb(after)} (growth ${mb(after - before)}), peak ${mb(peak)} (growth ${mb(peak - before)})`;
      t.diagnostic(figures);
      console.log(`100 MB cell: ${figures}; comparison took ${(report.durationMs / 1000).toFixed(1)} s`);
      assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
      for (const ordinal of [1, 2]) {
        const c = cell(report, ordinal);
        assert.ok(
          c.notes.some((n) => /^truncated: [\d,]+ characters of the container's output were cut/.test(n)),
          explain(report),
        );
        assert.match(c.container, /\[\.\.\. \d+ characters of output cut \.\.\.\]/);
        assert.ok(c.container.length < 3 * 1048576, `cell ${ordinal} keeps head and tail only (${c.container.length} characters)`);
      }
      assert.equal(cell(report, 3).status, 'identical', explain(report));
      assert.ok(peak - before < 400 * 1048576, figures);
      assert.deepEqual(await remaining(), []);
    },
  );
});
