/**
 * The comparison's scratch folders against the real engine: the sample notebook writes its model
 * to OUTPUT_DIR whoever the image runs as (root, a uid, a user name looked up in the image), and
 * no folder Berth made is open to every user.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import type { RunPlan } from '../../src/core/project/createOptions';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonReport } from '../../src/core/notebook/comparison';
import { currentIds, notebookScratch, runName, scratchRoot } from '../../src/core/notebook/scratch';
import { cleanup, connect, labels, PYTHON, RUN_ID, TEST_LABEL } from './harness';

const SAMPLE = path.resolve(__dirname, '../../examples/iris-classifier');
const NAMED = `berth-test-named-user:${RUN_ID}`;

/** Every folder under `dir` (itself included) with its mode and owner, never following a link. */
function folders(dir: string): { dir: string; mode: number; uid: number }[] {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) return [];
  const out = [{ dir, mode: st.mode & 0o7777, uid: st.uid }];
  for (const name of fs.readdirSync(dir)) out.push(...folders(path.join(dir, name)));
  return out;
}

describe('engine: the comparison writes to a private run folder', { timeout: 180_000 }, () => {
  let engine: Engine;
  const bases: string[] = [];
  before(async () => {
    engine = await connect();
    // an image that runs as a user known only by name (nobody, in the image's /etc/passwd)
    const id = await engine.createContainer({ Image: PYTHON, Cmd: ['true'], Labels: labels() });
    try {
      const [repo = '', tag = ''] = NAMED.split(':');
      await engine.commitContainer(id, { repo, tag, changes: ['USER nobody'] });
    } finally {
      await engine.removeContainer(id, { force: true });
    }
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(NAMED, { force: true }).catch(() => undefined);
    for (const b of bases) fs.rmSync(b, { recursive: true, force: true });
  });

  const compareIn = async (
    image: string,
    base?: RunPlan,
  ): Promise<{ report: ComparisonReport; root: string; run: string; notes: readonly string[] }> => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scratch-engine-'));
    bases.push(tmp);
    const root = scratchRoot(tmp);
    const outputDir = notebookScratch(root, SAMPLE);
    const outputRun = runName(path.join(SAMPLE, 'train.ipynb'), new Date());
    const report = await compareNotebook(engine, {
      notebookPath: path.join(SAMPLE, 'train.ipynb'),
      workspaceDir: SAMPLE,
      image,
      settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 60 },
      labels: labels(),
      outputDir,
      outputRun,
      ...(base ? { base } : {}),
    });
    return { report, root, run: path.join(outputDir, outputRun), notes: report.stray };
  };

  const assertPrivate = (root: string): void => {
    for (const f of folders(root)) assert.equal(f.mode & 0o002, 0, `${f.dir} is writable by everyone (mode 0${f.mode.toString(8)})`);
    assert.equal(fs.lstatSync(root).mode & 0o077, 0, 'the root is private');
  };

  test('an image that runs as root: the model lands in the run folder; no folder is open to every user', async () => {
    const { report, root, run } = await compareIn(PYTHON);
    assert.equal(report.passed, true, JSON.stringify(report.cells.map((c) => c.reason)));
    assert.ok(fs.statSync(path.join(run, 'iris.npz')).size > 0);
    assert.equal(fs.lstatSync(run).mode & 0o777, 0o700);
    assertPrivate(root);
  });

  test('a profile that runs as uid 1234: the run folder is handed to it (Berth as root) and it writes the model there', async (t) => {
    const ids = currentIds();
    const { report, root, run, notes } = await compareIn(PYTHON, {
      options: { Image: PYTHON, User: '1234:1234' },
      usesGpu: false,
      notes: [],
    });
    assert.equal(report.passed, true, JSON.stringify([report.cells.map((c) => c.reason), notes]));
    const model = fs.statSync(path.join(run, 'iris.npz'));
    if (ids?.uid === 0) {
      assert.equal(fs.lstatSync(run).uid, 1234);
      assert.equal(model.uid, 1234, 'written by the container user');
    } else {
      t.diagnostic('not root: the container ran as the host user instead');
      assert.equal(model.uid, ids?.uid);
    }
    assertPrivate(root);
  });

  test('an image whose USER is a name (nobody): looked up in the image, the folder handed to that uid', async () => {
    const ids = currentIds();
    const { report, root, run, notes } = await compareIn(NAMED);
    assert.equal(report.passed, true, JSON.stringify([report.cells.map((c) => c.reason), notes]));
    const model = fs.statSync(path.join(run, 'iris.npz'));
    if (ids?.uid === 0) assert.equal(model.uid, 65534, 'written as nobody');
    assertPrivate(root);
    // the look-up container is gone too
    assert.deepEqual(await engine.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } }), []);
  });
});
