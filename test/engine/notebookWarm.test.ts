/**
 * Containers started ahead of time for the next comparison: the next comparison uses one (and
 * still gets a fresh process: nothing carries over), a stale one (its tag now names another
 * image) is not used, an idle one exits by itself and is swept, and dispose removes them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook } from '../../src/core/notebook/comparison';
import { compareContainerOptions } from '../../src/core/notebook/containerRun';
import { sweepIdle, WARM_LABEL, WarmRunners } from '../../src/core/notebook/warmRunners';
import { cleanup, connect, labels, PYTHON, run, RUN_ID, TEST_LABEL } from './harness';

const TAG = `berth-test-warm:${RUN_ID}`;

function notebook(): string {
  const cell = (n: number, source: string, text: string): unknown => ({
    cell_type: 'code',
    execution_count: n,
    id: `c${n}`,
    metadata: {},
    outputs: [{ name: 'stdout', output_type: 'stream', text: [text] }],
    source: [source],
  });
  return JSON.stringify({
    cells: [
      // counts the comparisons this Python process has run: always 0 in a fresh one
      cell(1, "import builtins\nprint(getattr(builtins, 'berth_runs', 0))\nbuiltins.berth_runs = 1", '0\n'),
      cell(2, 'import os\nprint(os.getcwd())', '/workspace\n'),
      // the cells get no stdin (a waiting runner reads its plan from it)
      cell(3, "try:\n    input()\nexcept EOFError:\n    print('no stdin')", 'no stdin\n'),
    ],
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

async function waiting(engine: Engine): Promise<string[]> {
  const list = await engine.listContainers({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`, `${WARM_LABEL}=true`], status: ['running'] } });
  return list.map((c) => c.id);
}

describe('engine: comparison containers started ahead of time', { timeout: 120_000 }, () => {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-warm-'));
  const nb = path.join(workspace, 'runs.ipynb');
  fs.writeFileSync(nb, notebook());
  after(async () => {
    const engine = await connect();
    await cleanup(engine);
    await engine.removeImage(TAG, { force: true }).catch(() => undefined);
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  test('the next comparison runs in the container prepared after the last one, in a fresh process', async () => {
    const engine = await connect();
    const warm = new WarmRunners(engine);
    const input = { notebookPath: nb, workspaceDir: workspace, image: PYTHON, settings: DEFAULT_SETTINGS, labels: labels(), warm };
    try {
      const first = await compareNotebook(engine, input);
      assert.equal(first.passed, true, JSON.stringify(first.cells.map((c) => c.reason)));
      await warm.settled();
      const [prepared, ...more] = await waiting(engine);
      assert.ok(prepared, 'a container is waiting after the first comparison');
      assert.deepEqual(more, []);
      const details = await engine.inspectContainerJson(prepared);
      assert.deepEqual(details.Config.Cmd?.slice(-2), ['--wait', '600']);
      assert.equal(details.Config.OpenStdin, true, 'the plan arrives on stdin');

      const second = await compareNotebook(engine, input);
      assert.equal(second.passed, true, JSON.stringify(second.cells.map((c) => c.reason)));
      assert.deepEqual(
        second.cells.map((c) => c.status),
        ['identical', 'identical', 'identical'],
      );
      // the waiting one was used (and removed), and the next one is on its way
      await assert.rejects(engine.inspectContainerJson(prepared), /no such container|not found/i);
      await warm.settled();
      const next = await waiting(engine);
      assert.equal(next.length, 1);
      assert.notEqual(next[0], prepared);
    } finally {
      await warm.dispose();
    }
    assert.deepEqual(await waiting(engine), [], 'dispose removes the waiting containers');
  });

  test('a waiting container whose tag now names another image is not used', async () => {
    const engine = await connect();
    const [repo, tag] = TAG.split(':') as [string, string];
    await engine.tagImage(PYTHON, { repo, tag });
    const options = compareContainerOptions({ image: TAG, workspaceDir: workspace, notebookDir: workspace, labels: labels() });
    const warm = new WarmRunners(engine);
    try {
      warm.prepare(options);
      await warm.settled();
      const [stale] = await waiting(engine);
      assert.ok(stale);
      // the tag moves to a new image (a commit of a container of the old one, with a change)
      const source = await run(engine, { Image: PYTHON, Cmd: ['sleep', '300'] });
      await engine.commitContainer(source, { repo, tag, changes: ['LABEL berth.test.moved=1'] });
      assert.equal(await warm.take(options), undefined);
      await assert.rejects(engine.inspectContainerJson(stale), /no such container|not found/i);
    } finally {
      await warm.dispose();
    }
  });

  test('a waiting runner nobody uses exits by itself (status 3) and is swept', async () => {
    const engine = await connect();
    const options = compareContainerOptions({ image: PYTHON, workspaceDir: workspace, notebookDir: workspace, labels: labels() });
    const warm = new WarmRunners(engine, 1);
    warm.prepare(options);
    await warm.settled();
    const [idle] = await waiting(engine);
    assert.ok(idle);
    assert.equal(await engine.waitContainer(idle), 3);
    await sweepIdle(engine);
    await assert.rejects(engine.inspectContainerJson(idle), /no such container|not found/i);
    assert.equal(await warm.take(options), undefined, 'the pool does not hand out a runner that is gone');
  });

  test('each run writes to its own output folder, so one prepared container fits the next run', async () => {
    const engine = await connect();
    const sample = path.resolve(__dirname, '../../examples/iris-classifier');
    // like the extension's per-notebook folder: the container's user may pass through, nobody else write
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-warm-out-'));
    fs.chmodSync(outputDir, 0o711);
    const warm = new WarmRunners(engine);
    const input = {
      notebookPath: path.join(sample, 'train.ipynb'),
      workspaceDir: sample,
      image: PYTHON,
      settings: DEFAULT_SETTINGS,
      labels: labels(),
      outputDir,
      warm,
    };
    try {
      const first = await compareNotebook(engine, { ...input, outputRun: 'run-1' });
      assert.equal(first.passed, true, first.message);
      await warm.settled();
      const [prepared] = await waiting(engine);
      assert.ok(prepared);
      const second = await compareNotebook(engine, { ...input, outputRun: 'run-2' });
      assert.equal(second.passed, true, second.message);
      await assert.rejects(
        engine.inspectContainerJson(prepared),
        /no such container|not found/i,
        'the second run used the prepared container',
      );
      // OUTPUT_DIR named each run's own folder
      assert.ok(fs.existsSync(path.join(outputDir, 'run-1', 'iris.npz')));
      assert.ok(fs.existsSync(path.join(outputDir, 'run-2', 'iris.npz')));
    } finally {
      await warm.dispose();
      fs.rmSync(outputDir, { recursive: true, force: true });
    }
  });
});
