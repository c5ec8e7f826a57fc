/**
 * The runner's pretty printer (src/core/notebook/pretty.py, a standard-library port of IPython's)
 * against the real thing: a notebook whose outputs are what Jupyter saved compares identical in
 * the Python image, which has no IPython; and, in an image with both, Berth's printer and
 * IPython's print the same text for several hundred values (prettyDifferential.py).
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { containerLogs } from '../../src/core/engine/logs';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonReport } from '../../src/core/notebook/comparison';
import { cleanup, collect, connect, labels, PYTHON, run } from './harness';

const ROOT = path.resolve(__dirname, '../..');
/** An image with Python, numpy and IPython (scripts/base-images.sh); without it the differential test is skipped. */
const IPYTHON_IMAGE = process.env.BERTH_IPYTHON_IMAGE ?? 'berth-python-ipython:latest';

const lines = (text: string): string[] => (text === '' ? [] : text.split(/(?<=\n)/));

/**
 * Cells and the text/plain Jupyter saved for their value: printed by IPython 8.5.0's display
 * formatter (Debian bookworm's python3-ipython, Python 3.11.2, numpy 1.24.2, as in the image).
 */
const CELLS: readonly { source: string; saved?: string }[] = [
  { source: 'import collections\nimport numpy as np' },
  { source: 'type(3)', saved: 'int' },
  { source: "[type(1.5), type('s'), type(None), np.ndarray]", saved: '[float, str, NoneType, numpy.ndarray]' },
  { source: 'list(range(30))', saved: `[${Array.from({ length: 30 }, (_, k) => String(k)).join(',\n ')}]` },
  { source: "{'b': 1, 'a': [0] * 30}", saved: `{'b': 1,\n 'a': [${Array<string>(30).fill('0').join(',\n  ')}]}` },
  { source: '{3, 1, 2}', saved: '{1, 2, 3}' },
  { source: 'def area(w, h=1):\n    return w * h\n\narea', saved: '<function __main__.area(w, h=1)>' },
  { source: 'class Point:\n    pass\n\nPoint', saved: '__main__.Point' },
  { source: '(7,)', saved: '(7,)' },
  { source: "collections.Counter('abracadabra')", saved: "Counter({'a': 5, 'b': 2, 'r': 2, 'c': 1, 'd': 1})" },
  { source: "collections.defaultdict(list, {'k': [1]})", saved: "defaultdict(list, {'k': [1]})" },
  { source: '[np.eye(2), np.arange(3) * 1.5]', saved: '[array([[1., 0.],\n        [0., 1.]]),\n array([0. , 1.5, 3. ])]' },
  { source: 'len', saved: '<function len(obj, /)>' },
  {
    source: "{'nested': {'deeper': list(range(25))}}",
    saved: `{'nested': {'deeper': [${Array.from({ length: 25 }, (_, k) => String(k)).join(',\n   ')}]}}`,
  },
  { source: 'x = [1]\nx.append(x)\nx', saved: '[1, [...]]' },
];

function notebook(): string {
  return JSON.stringify({
    cells: CELLS.map((c, k) => ({
      cell_type: 'code',
      execution_count: k + 1,
      id: crypto.randomBytes(4).toString('hex'),
      metadata: {},
      outputs:
        c.saved === undefined
          ? []
          : [{ data: { 'text/plain': lines(c.saved) }, execution_count: k + 1, metadata: {}, output_type: 'execute_result' }],
      source: lines(c.source),
    })),
    metadata: { kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5,
  });
}

interface DifferentialReport {
  cases: number;
  equal: number;
  wrapped: number;
  unlikeRepr: number;
  /** Cases where an IPython shell's text/plain formatter (what Jupyter saves) prints as pretty does; null without a shell. */
  formatterAgrees: number | null;
  numpy: string | null;
  ipython: string;
  python: string;
  mismatches: { case: string; width: number; ipython: string; berth: string }[];
}

describe('engine: the runner shows values as Jupyter does, without IPython', { timeout: 300_000 }, () => {
  let engine: Engine;
  const dirs: string[] = [];
  const tempDir = (prefix: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /** Run `cmd` in a labelled container of `image`; its exit code and stdout lines. */
  const python = async (image: string, cmd: string[], binds: string[] = []): Promise<{ code: number; stdout: string[] }> => {
    const id = await run(engine, { Image: image, Cmd: cmd, HostConfig: { Binds: binds } });
    const code = await engine.waitContainer(id);
    const stdout = (await collect(containerLogs(engine, id))).filter((l) => l.stream === 'stdout').map((l) => l.text);
    await engine.removeContainer(id, { force: true });
    return { code, stdout };
  };

  test('a notebook saved by Jupyter compares identical in an image without IPython: types, functions, wrapped lists, dicts, sets, numpy arrays', async () => {
    // the runner's own printer is what is tested: the image must not have IPython's
    const probe = await python(PYTHON, ['python3', '-c', 'import importlib.util; print(importlib.util.find_spec("IPython") is None)']);
    assert.deepEqual(probe, { code: 0, stdout: ['True'] }, `${PYTHON} has no IPython`);

    const dir = tempDir('berth-pretty-nb-');
    const file = path.join(dir, 'display.ipynb');
    fs.writeFileSync(file, notebook());
    const report: ComparisonReport = await compareNotebook(
      engine,
      { notebookPath: file, workspaceDir: dir, image: PYTHON, settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 30 }, labels: labels() },
      {},
    );
    const explain = report.cells.map((c) => `[${c.ordinal}] ${c.status}: ${c.reason}`).join('\n');
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain);
    assert.equal(report.cells.length, CELLS.length);
    for (const c of report.cells) assert.equal(c.status, 'identical', explain);
    assert.equal(report.passed, true, explain);
  });

  test("Berth's printer prints what IPython's does, for several hundred values, in an image with both", async (t) => {
    const present = await engine.inspectImage(IPYTHON_IMAGE).then(
      () => true,
      () => false,
    );
    if (!present) {
      t.skip(`${IPYTHON_IMAGE} is missing: bash scripts/base-images.sh builds it`);
      return;
    }
    const out = tempDir('berth-pretty-diff-');
    fs.chmodSync(out, 0o777); // the image may run as another uid
    const { code, stdout } = await python(
      IPYTHON_IMAGE,
      ['python3', '/check/prettyDifferential.py', '/check/pretty.py', '/out/report.json'],
      [
        `${path.join(ROOT, 'src/core/notebook/pretty.py')}:/check/pretty.py:ro`,
        `${path.join(ROOT, 'test/engine/prettyDifferential.py')}:/check/prettyDifferential.py:ro`,
        `${out}:/out`,
      ],
    );
    assert.ok(fs.existsSync(path.join(out, 'report.json')), `no report; exit ${code}, stdout:\n${stdout.join('\n')}`);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as DifferentialReport;
    const shown = report.mismatches.map((m) => `${m.case} (width ${m.width}):\nIPython:\n${m.ipython}\nBerth:\n${m.berth}`).join('\n\n');
    assert.equal(report.equal, report.cases, `${report.cases - report.equal} of ${report.cases} differ:\n${shown}`);
    assert.equal(code, 0);
    // enough of it, and not only what repr would have printed anyway
    assert.ok(report.cases >= 650, `${report.cases} cases`);
    assert.ok(report.wrapped >= 200, `${report.wrapped} cases wrapped over several lines`);
    assert.ok(report.unlikeRepr >= 300, `${report.unlikeRepr} cases unlike repr`);
    assert.ok(report.numpy, 'numpy values were among them');
    // and IPython's pretty is what Jupyter saves: its shell's display formatter prints the same
    assert.equal(report.formatterAgrees, report.cases, 'the display formatter of an IPython shell agrees with pretty');
    t.diagnostic(`${report.equal}/${report.cases} equal (IPython ${report.ipython}, Python ${report.python}, numpy ${report.numpy})`);
  });
});
