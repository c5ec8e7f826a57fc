/**
 * The notebook comparison against the real engine: notebooks (the sample, and ones written here
 * with outputs saved the way Jupyter stores them) run cell by cell in a labelled container of the
 * local Python image, and each cell's status and reason checked at its ordinal.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import type { Engine } from '../../src/core/engine/engine';
import { containerLogs } from '../../src/core/engine/logs';
import { DEFAULT_SETTINGS, type CompareSettings } from '../../src/core/notebook/compareCells';
import { compareNotebook, type CompareEvents, type ComparisonReport } from '../../src/core/notebook/comparison';
import { NotebookRunError, type PythonEnvironment } from '../../src/core/notebook/containerRun';
import { probeLocalPython } from '../../src/core/notebook/localProbe';
import { BUSYBOX, cleanup, collect, connect, labels, PYTHON, run, RUN_ID, TEST_LABEL } from './harness';
import { cellOf, explainReport } from './report';

const SAMPLE = path.resolve(__dirname, '../../examples/iris-classifier');

// ---------------------------------------------------------------------------------------------
// notebooks as Jupyter writes them (nbformat 4.5: cell ids, multi-line strings as lists of lines)

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** nbformat's multiline string: a list of lines, each keeping its newline. */
const lines = (text: string): string[] => (text === '' ? [] : text.split(/(?<=\n)/));

const out = {
  stdout: (text: string): Json => ({ name: 'stdout', output_type: 'stream', text: lines(text) }),
  stderr: (text: string): Json => ({ name: 'stderr', output_type: 'stream', text: lines(text) }),
  result: (count: number, data: Record<string, string>): Json => ({
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k.startsWith('image/') ? v : lines(v)])),
    execution_count: count,
    metadata: {},
    output_type: 'execute_result',
  }),
  display: (data: Record<string, string>): Json => ({
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, k.startsWith('image/') ? v : lines(v)])),
    metadata: {},
    output_type: 'display_data',
  }),
  error: (ename: string, evalue: string, traceback: string[] = []): Json => ({ ename, evalue, output_type: 'error', traceback }),
};

interface CellSpec {
  readonly source: string;
  /** The outputs as saved; `count` is the execution count they were saved with. */
  readonly outputs?: (count: number) => Json[];
  readonly markdown?: boolean;
}

const PYTHON_METADATA = {
  kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
  language_info: {
    codemirror_mode: { name: 'ipython', version: 3 },
    file_extension: '.py',
    mimetype: 'text/x-python',
    name: 'python',
    nbconvert_exporter: 'python',
    pygments_lexer: 'ipython3',
    version: '3.12.4',
  },
};

function notebook(cells: readonly CellSpec[], metadata: Json = PYTHON_METADATA): Json {
  let count = 0;
  return {
    cells: cells.map((c): Json => {
      const id = crypto.randomBytes(4).toString('hex');
      if (c.markdown) return { cell_type: 'markdown', id, metadata: {}, source: lines(c.source) };
      count++;
      return { cell_type: 'code', execution_count: count, id, metadata: {}, outputs: c.outputs?.(count) ?? [], source: lines(c.source) };
    }),
    metadata,
    nbformat: 4,
    nbformat_minor: 5,
  };
}

// ---------------------------------------------------------------------------------------------

describe('engine: a notebook compared with its cells run in a container', { timeout: 120_000 }, () => {
  let engine: Engine;
  const dirs: string[] = [];
  const tempDir = (prefix: string): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
  /** A workspace folder holding `name` with this notebook; returns the notebook's path. */
  const workspace = (nb: Json | string, name = 'notebook.ipynb'): { dir: string; file: string } => {
    const dir = tempDir('berth-nb-');
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof nb === 'string' ? nb : `${JSON.stringify(nb, null, 1)}\n`);
    return { dir, file };
  };
  const outputDir = (): string => {
    const dir = tempDir('berth-nb-out-');
    fs.chmodSync(dir, 0o777); // the image may run as another uid
    return dir;
  };
  const compare = (
    ws: { dir: string; file: string },
    options: {
      settings?: Partial<CompareSettings>;
      image?: string;
      memoryBytes?: number;
      local?: PythonEnvironment;
      events?: CompareEvents;
      output?: string;
      engine?: Engine;
    } = {},
  ): Promise<ComparisonReport> =>
    compareNotebook(
      options.engine ?? engine,
      {
        notebookPath: ws.file,
        workspaceDir: ws.dir,
        image: options.image ?? PYTHON,
        settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 30, ...options.settings },
        labels: labels(),
        ...(options.output ? { outputDir: options.output } : {}),
        ...(options.memoryBytes === undefined ? {} : { memoryBytes: options.memoryBytes }),
        ...(options.local ? { local: options.local } : {}),
      },
      options.events ?? {},
    );
  /** Containers of this run, stopped ones included. */
  const remaining = async (): Promise<string[]> =>
    (await engine.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } })).map((c) => `${c.id} ${c.state}`);
  const cell = cellOf;
  const explain = (report: ComparisonReport): string => explainReport(report);

  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('a. the sample notebook in the sample image: every cell matches, the model is written to the output folder', async () => {
    const output = outputDir();
    const report = await compare({ dir: SAMPLE, file: path.join(SAMPLE, 'train.ipynb') }, { output });
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.equal(report.cells.length, 11);
    for (const c of report.cells) assert.ok(c.status === 'identical' || c.status === 'within-tolerance', explain(report));
    assert.equal(report.passed, true, explain(report));
    assert.equal(report.summary.cells, 11);
    assert.ok(report.cellsMs > 0 && report.cellsMs < report.durationMs);
    assert.ok(fs.statSync(path.join(output, 'iris.npz')).size > 0, 'iris.npz written to the output folder');
    assert.deepEqual(await remaining(), []);
  });

  test('b. what differs in the container: a missing module, a host-only file, numpy 2 reprs and versions, a knock-on NameError', async (t) => {
    const hostDir = tempDir('berth-host-only-');
    const hostFile = path.join(hostDir, 'measurements.txt');
    fs.writeFileSync(hostFile, 'only on the host\n');
    const ws = workspace(
      notebook([
        { source: 'import numpy as np' },
        {
          source: 'import pandas as pd\n\ndf = pd.DataFrame({"a": [1, 2], "b": [0.5, 0.25]})\ndf',
          outputs: (n) => [
            out.result(n, {
              'text/html': '<div>\n<table border="1" class="dataframe">…</table>\n</div>',
              'text/plain': '   a     b\n0  1  0.50\n1  2  0.25',
            }),
          ],
        },
        {
          source: `with open(${JSON.stringify(hostFile)}) as f:\n    print(f.read(), end="")`,
          outputs: () => [out.stdout('only on the host\n')],
        },
        { source: 'np.float64(0.5)', outputs: (n) => [out.result(n, { 'text/plain': 'np.float64(0.5)' })] },
        { source: 'print(np.__version__)', outputs: () => [out.stdout('2.1.0\n')] },
        { source: 'df.shape', outputs: (n) => [out.result(n, { 'text/plain': '(2, 2)' })] },
      ]),
    );
    const report = await compare(ws);
    // one subtest per cell, so that each wrong status shows on its own
    await t.test('the run completes and fails the comparison', () => {
      assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
      assert.equal(report.passed, false);
      assert.equal(cell(report, 1).status, 'identical', explain(report));
    });
    await t.test('cell 2, import pandas: error-container, the module missing from the image', () => {
      const pandas = cell(report, 2);
      assert.equal(pandas.status, 'error-container', explain(report));
      assert.match(pandas.reason, /ModuleNotFoundError/);
      assert.match(pandas.reason, /pandas is not installed in the image/);
    });
    await t.test('cell 3, a host-only absolute path: error-container with the absolute-path hint', () => {
      const hostOnly = cell(report, 3);
      assert.equal(hostOnly.status, 'error-container', explain(report));
      assert.match(hostOnly.reason, /FileNotFoundError/);
      assert.ok(hostOnly.reason.includes(`${hostFile} is an absolute path outside the workspace`), hostOnly.reason);
    });
    await t.test('cell 4, np.float64(0.5) saved by numpy 2: within-tolerance, with a note about numpy 2', () => {
      const scalar = cell(report, 4);
      assert.equal(scalar.status, 'within-tolerance', explain(report));
      assert.ok(
        scalar.notes.some((n) => /numpy 2/.test(n)),
        `a note about numpy 2: ${JSON.stringify(scalar.notes)}`,
      );
    });
    await t.test('cell 5, np.__version__: differs, both versions in the reason', () => {
      const imageNumpy = report.containerEnvironment?.packages.numpy?.version;
      assert.ok(imageNumpy, 'the image reports its numpy version');
      const version = cell(report, 5);
      assert.equal(version.status, 'differs', explain(report));
      assert.ok(
        version.reason.includes('2.1.0') && version.reason.includes(imageNumpy),
        `both 2.1.0 and ${imageNumpy} in: ${version.reason}`,
      );
    });
    await t.test('cell 6, a name cell 2 should have defined: error-container, noted as a consequence of cell 2', () => {
      const knockOn = cell(report, 6);
      assert.equal(knockOn.status, 'error-container', explain(report));
      assert.match(knockOn.reason, /NameError: name 'df' is not defined/);
      assert.ok(
        knockOn.notes.some((n) => n.includes('probably because cell 2 failed')),
        `a note pointing at cell 2: ${JSON.stringify(knockOn.notes)}`,
      );
    });
  });

  test('c. the environment diff shows the real versions of the image, the notebook metadata and the local interpreter', async () => {
    // the truth, asked of the image directly
    const probe = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', 'import platform, numpy; print(platform.python_version()); print(numpy.__version__)'],
    });
    assert.equal(await engine.waitContainer(probe), 0);
    const [imagePython, imageNumpy] = (await collect(containerLogs(engine, probe))).filter((l) => l.stream === 'stdout').map((l) => l.text);
    await engine.removeContainer(probe, { force: true });
    assert.match(imagePython ?? '', /^3\.\d+\.\d+$/);
    assert.match(imageNumpy ?? '', /^\d+\.\d+/);

    const { execa } = await import('execa');
    const host = await execa('python3', [
      '-c',
      'import platform\ntry:\n    import numpy\n    v = numpy.__version__\nexcept ImportError:\n    v = "missing"\nprint(platform.python_version())\nprint(v)',
    ]);
    const [localPython, localNumpy] = host.stdout.split('\n');

    const ws = workspace(
      notebook([
        {
          source:
            'import json\nimport numpy as np\ntry:\n    import pandas\nexcept ImportError:\n    pandas = None\nprint(json.dumps([1]))',
          outputs: () => [out.stdout('[1]\n')],
        },
      ]),
    );
    const rowsSeen: string[] = [];
    const local = await probeLocalPython('python3', ['json', 'numpy', 'pandas']);
    const report = await compare(ws, { local, events: { onEnvironment: (rows) => rowsSeen.push(...rows.map((r) => r.name)) } });
    assert.equal(report.passed, true, explain(report));

    const row = (name: string) => {
      const r = report.environment.find((e) => e.name === name);
      assert.ok(r, `no ${name} row in ${JSON.stringify(report.environment)}`);
      return r;
    };
    const py = row('Python');
    assert.equal(py.container, imagePython);
    assert.equal(py.notebook, '3.12.4');
    assert.equal(py.local, localPython);
    assert.equal(py.differs, true);
    const numpy = row('numpy');
    assert.equal(numpy.container, imageNumpy);
    assert.equal(numpy.notebook, undefined);
    assert.equal(numpy.local, localNumpy);
    assert.equal(row('pandas').container, 'missing');
    assert.equal(
      report.environment.find((e) => e.name === 'json'),
      undefined,
      'the standard library has no row of its own',
    );
    assert.equal(report.containerEnvironment?.python, imagePython);
    assert.ok(rowsSeen.includes('numpy'), 'onEnvironment reported the rows before the cells ran');
  });

  test('d. a cell past the per-cell timeout is stopped by the runner and the next cell still runs', async () => {
    const ws = workspace(
      notebook([
        { source: 'import time\ntime.sleep(60)' },
        { source: 'print("after the sleep")', outputs: () => [out.stdout('after the sleep\n')] },
      ]),
    );
    const started = performance.now();
    const report = await compare(ws, { settings: { timeoutSeconds: 2 } });
    assert.ok(performance.now() - started < 20_000, 'the 60 s sleep did not run to its end');
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    const slept = cell(report, 1);
    assert.equal(slept.status, 'error-container', explain(report));
    assert.match(slept.reason, /timed out/);
    assert.match(slept.reason, /longer than the 2 s cell timeout/);
    assert.equal(cell(report, 2).status, 'identical', explain(report));
    assert.equal(report.passed, false);
  });

  test('e. a cell that blocks SIGALRM: the container is killed, the cell is the error, later cells are not run', async () => {
    const ws = workspace(
      notebook([
        { source: 'print("first")', outputs: () => [out.stdout('first\n')] },
        { source: 'import signal, time\n\nsignal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])\ntime.sleep(60)' },
        { source: 'print("never")', outputs: () => [out.stdout('never\n')] },
      ]),
    );
    const started = performance.now();
    const report = await compare(ws, { settings: { timeoutSeconds: 2 } });
    assert.ok(performance.now() - started < 30_000, 'killed well before the sleep ends');
    const hung = cell(report, 2);
    assert.deepEqual(report.outcome, { kind: 'timeout', cellIndex: hung.index, seconds: 2 }, explain(report));
    assert.equal(cell(report, 1).status, 'identical', explain(report));
    assert.equal(hung.status, 'error-container', explain(report));
    assert.match(hung.reason, /2 s cell timeout/);
    assert.equal(cell(report, 3).status, 'not-run', explain(report));
    assert.match(report.message, /^Cell 2 ran past the 2 s cell timeout/);
    assert.equal(report.passed, false);
    assert.deepEqual(await remaining(), []);
  });

  test('f. a cell past the memory limit: outcome oom, the cell an error about memory, later cells not run', async () => {
    const ws = workspace(
      notebook([
        { source: 'print("small")', outputs: () => [out.stdout('small\n')] },
        { source: 'x = b"x" * (512 * 2**20)\nlen(x)', outputs: (n) => [out.result(n, { 'text/plain': '536870912' })] },
        { source: 'print("after")', outputs: () => [out.stdout('after\n')] },
      ]),
    );
    const report = await compare(ws, { memoryBytes: 64 * 2 ** 20 });
    const hog = cell(report, 2);
    assert.deepEqual(report.outcome, { kind: 'oom', cellIndex: hog.index, limitBytes: 64 * 2 ** 20 }, explain(report));
    assert.equal(cell(report, 1).status, 'identical', explain(report));
    assert.equal(hog.status, 'error-container', explain(report));
    assert.match(hog.reason, /out of memory/);
    assert.match(hog.reason, /64 MiB/);
    assert.equal(cell(report, 3).status, 'not-run', explain(report));
    assert.match(report.message, /killed for running out of memory in cell 2/);
    assert.equal(report.passed, false);
  });

  test('g. cancelling while a cell sleeps: outcome cancelled, a prompt return, no container left', async () => {
    const ws = workspace(
      notebook([
        { source: 'print("before")', outputs: () => [out.stdout('before\n')] },
        { source: 'import time\ntime.sleep(60)' },
        { source: 'print("after")', outputs: () => [out.stdout('after\n')] },
      ]),
    );
    const controller = new AbortController();
    let abortedAt: number | undefined;
    const report = await compare(ws, {
      events: {
        signal: controller.signal,
        onCellStart: (plan) => {
          if (plan.ordinal === 2)
            setTimeout(() => {
              abortedAt = performance.now();
              controller.abort();
            }, 300);
        },
      },
    });
    assert.ok(abortedAt !== undefined, 'the sleeping cell started');
    const lag = performance.now() - abortedAt;
    assert.ok(lag < 5_000, `returned ${lag.toFixed(0)} ms after the abort`);
    const slept = cell(report, 2);
    assert.deepEqual(report.outcome, { kind: 'cancelled', cellIndex: slept.index }, explain(report));
    assert.equal(cell(report, 1).status, 'identical', explain(report));
    assert.equal(slept.status, 'not-run', explain(report));
    assert.match(slept.reason, /cancelled/);
    assert.equal(cell(report, 3).status, 'not-run', explain(report));
    assert.equal(report.passed, false);
    assert.deepEqual(await remaining(), []);
  });

  test('h. IPython syntax: magics and shell lines are skipped, the rest of the cell runs; a %%bash cell is skipped', async () => {
    const ws = workspace(
      notebook([
        { source: '%matplotlib inline\nimport os\n!pip list\nprint("ran", os.sep)', outputs: () => [out.stdout('ran /\n')] },
        { source: '%%bash\necho from bash', outputs: () => [out.stdout('from bash\n')] },
        { source: 'print("last")', outputs: () => [out.stdout('last\n')] },
      ]),
    );
    const report = await compare(ws);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    const mixed = cell(report, 1);
    assert.deepEqual(mixed.skipped, ['%matplotlib inline', '!pip list']);
    assert.equal(mixed.status, 'identical', explain(report));
    assert.equal(mixed.container, 'ran /');
    assert.ok(
      mixed.notes.some((n) => n.includes('IPython syntax')),
      JSON.stringify(mixed.notes),
    );
    const bash = cell(report, 2);
    assert.equal(bash.status, 'skipped', explain(report));
    assert.deepEqual(bash.skipped, ['%%bash']);
    assert.match(bash.reason, /%%bash is IPython syntax/);
    assert.equal(cell(report, 3).status, 'identical', explain(report));
    assert.equal(report.passed, true);
  });

  test('i. an image without python3: a NotebookRunError that says so, and no container left', async () => {
    const ws = workspace(notebook([{ source: 'print(1)', outputs: () => [out.stdout('1\n')] }]));
    await assert.rejects(compare(ws, { image: BUSYBOX }), (err: unknown) => {
      assert.ok(err instanceof NotebookRunError, `a NotebookRunError, got ${String(err)}`);
      assert.match(err.message, new RegExp(`The image ${BUSYBOX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no python3`));
      return true;
    });
    assert.deepEqual(await remaining(), []);
  });

  test('j. PNG display output: the same pixels encoded differently are identical; many changed pixels differ', async () => {
    const SIZE = 16;
    const pixel = (x: number, y: number): [number, number, number] => [x * 16, y * 16, 128];
    const encode = (changed: (x: number, y: number) => boolean): string => {
      const png = new PNG({ width: SIZE, height: SIZE });
      for (let y = 0; y < SIZE; y++)
        for (let x = 0; x < SIZE; x++) {
          const [r, g, b] = pixel(x, y);
          const o = (y * SIZE + x) * 4;
          png.data[o] = r;
          png.data[o + 1] = g;
          png.data[o + 2] = changed(x, y) ? 0 : b;
          png.data[o + 3] = 255;
        }
      // RGBA with adaptive filters: other bytes than the cell's RGB, unfiltered, zlib level 9
      return `${PNG.sync.write(png, { colorType: 6, filterType: -1 }).toString('base64')}\n`;
    };
    const swatch = [
      'import struct, zlib',
      '',
      'class Swatch:',
      '    """A 16×16 gradient, encoded as PNG by hand."""',
      '',
      '    def _repr_png_(self):',
      `        n = ${SIZE}`,
      '        rows = (b"\\x00" + bytes(c for x in range(n) for c in (x * 16, y * 16, 128)) for y in range(n))',
      '        raw = b"".join(rows)',
      '',
      '        def chunk(kind, data):',
      '            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)',
      '',
      '        header = struct.pack(">IIBBBBB", n, n, 8, 2, 0, 0, 0)',
      '        return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")',
      '',
      'display(Swatch())',
    ].join('\n');
    const same = encode(() => false);
    const half = encode((x, y) => (x + y) % 2 === 0);
    const text = '<__main__.Swatch at 0x7f3a2c1b5e10>';
    const ws = workspace(
      notebook([
        { source: swatch, outputs: () => [out.display({ 'image/png': same, 'text/plain': text })] },
        { source: 'display(Swatch())', outputs: () => [out.display({ 'image/png': half, 'text/plain': text })] },
      ]),
    );
    const report = await compare(ws);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    assert.equal(cell(report, 1).status, 'identical', explain(report));
    const changed = cell(report, 2);
    assert.equal(changed.status, 'differs', explain(report));
    assert.match(changed.reason, /50\.0 % of pixels differ \(16×16\)/);
    assert.equal(changed.images?.saved.length, 1);
    assert.equal(changed.images?.container.length, 1);
  });

  test('k. output written straight to file descriptor 1 belongs to the cell that wrote it', async () => {
    const ws = workspace(
      notebook([
        { source: 'import os\n_ = os.write(1, b"raw\\n")', outputs: () => [out.stdout('raw\n')] },
        { source: 'print("next")', outputs: () => [out.stdout('next\n')] },
      ]),
    );
    const report = await compare(ws);
    assert.deepEqual(report.outcome, { kind: 'completed' }, explain(report));
    const raw = cell(report, 1);
    assert.equal(raw.container, 'raw');
    assert.equal(raw.status, 'identical', explain(report));
    assert.equal(cell(report, 2).container, 'next');
    assert.deepEqual(report.stray, []);
  });

  test('l. a malformed notebook and an R notebook are refused before any container is created', async () => {
    const calls: string[] = [];
    const spy = new Proxy(engine, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown => {
          calls.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const broken = workspace('{"cells": [{"cell_type": "code", "source": "print(1)"');
    await assert.rejects(compare(broken, { engine: spy }), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'NotebookFormatError');
      assert.match(err.message, /^The notebook is not valid JSON/);
      return true;
    });
    const r = workspace(
      notebook([{ source: 'print("hi")', outputs: () => [out.stdout('hi\n')] }], {
        kernelspec: { display_name: 'R', language: 'R', name: 'ir' },
        language_info: { name: 'R', version: '4.3.1' },
      }),
    );
    await assert.rejects(compare(r, { engine: spy }), (err: unknown) => {
      assert.ok(err instanceof NotebookRunError, `a NotebookRunError, got ${String(err)}`);
      assert.match(err.message, /kernel language is r \(R\); Berth compares Python notebooks only/);
      return true;
    });
    assert.deepEqual(calls, [], 'the engine was not called');
    assert.deepEqual(await remaining(), []);
  });
});
