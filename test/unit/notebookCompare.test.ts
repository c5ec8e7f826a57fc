import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { PNG, type PackerOptions } from 'pngjs';
import * as tarStream from 'tar-stream';
import type { GpuDetection } from '../../src/core/engine/gpu';
import { toCreateOptions } from '../../src/core/project/createOptions';
import {
  compareCell,
  DEFAULT_SETTINGS,
  errorHint,
  FAILING,
  renderOutputs,
  sideBySide,
  summarise,
  type CellComparison,
  type CompareContext,
} from '../../src/core/notebook/compareCells';
import { formatReport, outcomeMessage, REPORT_VERSION, type ComparisonReport } from '../../src/core/notebook/comparison';
import {
  compareContainerOptions,
  containerPathOf,
  NotebookRunError,
  parseRunnerLine,
  planLine,
  runnerArchive,
  runnerFilesArchive,
  runnerSource,
  waitingCommand,
  type ExecutedCell,
  type PythonEnvironment,
  type RunOutcome,
} from '../../src/core/notebook/containerRun';
import { describeDifferences, describePackage, environmentDiff } from '../../src/core/notebook/environment';
import { comparePng, pngSize } from '../../src/core/notebook/images';
import { parseNotebook, type CellOutput, type NotebookCell } from '../../src/core/notebook/nbformat';
import { close, compareText, DEFAULT_TOLERANCE, normaliseText, skeleton } from '../../src/core/notebook/normalise';
import { planNotebook, type CellPlan } from '../../src/core/notebook/plan';
import { parseBerthConfig } from '../../src/core/project/runProfile';

type TarEntry = { mode: number | undefined; type: string | null | undefined; body: string };

/** The entries of a tar, in archive order. */
async function tarEntries(tar: Buffer): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  await new Promise<void>((resolve, reject) => {
    const extract = tarStream.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        entries.set(header.name, { mode: header.mode, type: header.type, body: Buffer.concat(chunks).toString('utf8') });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    extract.end(tar);
  });
  return entries;
}

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../fixtures/notebooks', name), 'utf8');

// ---------------------------------------------------------------------------------------------
// outputs as the runner reports them

const stdout = (text: string): CellOutput => ({ kind: 'stream', name: 'stdout', text });
const stderr = (text: string): CellOutput => ({ kind: 'stream', name: 'stderr', text });
const result = (text: string): CellOutput => ({ kind: 'result', data: { 'text/plain': text } });
const display = (data: Record<string, string>): CellOutput => ({ kind: 'display', data });
const error = (ename: string, evalue: string, ordinal = 1): CellOutput => ({
  kind: 'error',
  ename,
  evalue,
  traceback: ['Traceback (most recent call last):', `  File "<cell ${ordinal}>", line 1, in <module>`, `${ename}: ${evalue}`],
});
const ran = (plan: CellPlan, outputs: CellOutput[], timedOut = false): ExecutedCell => ({
  index: plan.index,
  outputs,
  durationMs: 41,
  timedOut,
});
const ctx = (over: Partial<CompareContext> = {}): CompareContext => ({
  settings: DEFAULT_SETTINGS,
  outcome: { kind: 'completed' },
  ...over,
});

/** A code cell typed in by hand (index 0, ordinal 1 unless said). */
function handCell(source: string, outputs: CellOutput[], executionCount: number | null = 1, index = 0, ordinal = 1) {
  const nb = parseNotebook(
    JSON.stringify({
      cells: [
        ...Array.from({ length: index }, () => ({ cell_type: 'markdown', metadata: {}, source: 'notes' })),
        { cell_type: 'code', execution_count: executionCount, metadata: {}, outputs: [], source },
      ],
      metadata: {},
      nbformat: 4,
      nbformat_minor: 5,
    }),
  );
  const saved: NotebookCell = { ...nb.cells[index]!, outputs };
  const plan: CellPlan = { ...planNotebook(nb)[0]!, ordinal };
  return { plan, saved };
}

const nb44 = parseNotebook(fixture('v4.4-all-outputs.ipynb'));
const plans44 = planNotebook(nb44);
const nb45 = parseNotebook(fixture('v4.5-ids-attachments.ipynb'));
const plans45 = planNotebook(nb45);
const nb40 = parseNotebook(fixture('v4.0-strings.ipynb'));
const plans40 = planNotebook(nb40);
/** The plan and the saved cell of a fixture's code cell, by its 1-based ordinal. */
function codeCell(nb: typeof nb44, plans: CellPlan[], ordinal: number): { plan: CellPlan; saved: NotebookCell } {
  const plan = plans[ordinal - 1]!;
  return { plan, saved: nb.cells[plan.index]! };
}

// ---------------------------------------------------------------------------------------------
// PNGs made here, with pngjs

type Rgba = readonly [number, number, number, number];
function canvas(width: number, height: number, paint: (x: number, y: number) => Rgba): PNG {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(paint(x, y), (y * width + x) * 4);
  return png;
}
const gradient = (x: number, y: number): Rgba => [(x * 5) % 256, (y * 7) % 256, (x * y) % 256, 255];
const encode = (png: PNG, options: PackerOptions = {}): string => PNG.sync.write(png, options).toString('base64');
/** A copy of `png` with the red channel of its first `n` pixels (row by row) moved by `by`, away from the nearer end. */
function withChanged(png: PNG, n: number, by = 128): PNG {
  const copy = canvas(png.width, png.height, (x, y) => {
    const i = (y * png.width + x) * 4;
    return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!, png.data[i + 3]!];
  });
  for (let p = 0; p < n; p++) {
    const v = copy.data[p * 4]!;
    copy.data[p * 4] = v < 128 ? v + by : v - by;
  }
  return copy;
}

// =============================================================================================

describe('normaliseText: what changes from run to run', () => {
  test('memory addresses', () => {
    assert.deepEqual(normaliseText('<__main__.Model object at 0x7f3a2c1b9d30>'), {
      text: '<__main__.Model object at <address>>',
      notes: [],
    });
  });

  test('ISO timestamps (T or space, fractions, zones) and clock times', () => {
    assert.equal(
      normaliseText('saved 2024-03-05T14:22:31.123456+00:00, 2024-03-05 14:22:31 and 2024-03-05T14:22:31Z.').text,
      'saved <timestamp>, <timestamp> and <timestamp>.',
    );
    assert.equal(normaliseText('epoch 3 done at 14:22:31').text, 'epoch 3 done at <time>');
    // a date alone is data, not a timestamp
    assert.equal(normaliseText('cutoff 2024-03-05').text, 'cutoff 2024-03-05');
  });

  test('uuids, temporary files, process ids', () => {
    assert.equal(normaliseText('run 3f2504e0-4f89-11d3-9a0c-0305e82c3301 ok').text, 'run <uuid> ok');
    assert.equal(normaliseText('wrote /tmp/tmpa1b2c3d4/model.pt').text, 'wrote <tmp>/model.pt');
    assert.equal(normaliseText('worker pid=123456 started').text, 'worker pid=<id> started');
  });

  test('ANSI colour codes and CRLF line ends are dropped, trailing whitespace and blank lines trimmed', () => {
    assert.equal(normaliseText('\x1b[0;31mKeyError\x1b[0m: \x1b[1m42\x1b[0m  \r\nnext\r\n\n\n').text, 'KeyError: 42\nnext');
  });

  test('%time output and tqdm progress', () => {
    assert.equal(
      // the container runs %time cells untimed: the timing lines are dropped, not compared
      normaliseText('CPU times: user 1.21 ms, sys: 0 ns, total: 1.21 ms\nWall time: 1.2 s\nresult 3').text,
      'result 3',
    );
    assert.equal(normaliseText('100%|██████████| 10/10 [00:01<00:00,  9.50it/s]').text, '100%|██████████| 10/10 [<progress>]');
    assert.equal(normaliseText('epoch 1: 1.5 s/it, 32/32 - 0s 2ms/step').text, 'epoch 1: <rate>, 32/32 - 0s <rate>');
  });

  test('IPython and runner tracebacks name the cell the same way', () => {
    assert.equal(normaliseText('Cell In[3], line 2').text, normaliseText('  File "<cell 3>", line 2').text.trim());
  });

  test('numpy 2 scalars become numpy 1 reprs, with a note for each kind', () => {
    const n = normaliseText("np.float64(0.5) np.int64(3) np.True_ np.str_('a')");
    assert.equal(n.text, "0.5 3 True 'a'");
    assert.deepEqual(n.notes, [
      'numpy 2 prints scalars as np.float64(…); the values are compared',
      'numpy 2 prints booleans as np.True_',
      'numpy 2 prints strings as np.str_(…)',
    ]);
    assert.deepEqual(normaliseText('0.5').notes, []);
  });

  test('workspace aliases: the host folder and /workspace read the same; longer aliases first; no partial names', () => {
    const options = { aliases: ['/home/ana', '/home/ana/proj', '/workspace'] };
    assert.equal(normaliseText('/home/ana/proj/data/x.csv', options).text, '<workspace>/data/x.csv');
    assert.equal(normaliseText('/workspace/data/x.csv', options).text, '<workspace>/data/x.csv');
    assert.equal(normaliseText('/workspace', options).text, '<workspace>');
    assert.equal(normaliseText('/home/ana/project/y', { aliases: ['/home/ana/proj'] }).text, '/home/ana/project/y');
  });
});

describe('skeleton and close', () => {
  test('skeleton: numbers out (ints, decimals, exponents, signs, nan, inf), whitespace collapsed', () => {
    const s = skeleton('  loss: 0.25, acc: 95%,\tlr=1e-3,  -2.5 nan inf -inf NaN information 3. .5 ');
    assert.equal(s.shape, 'loss: #, acc: #%, lr=#, # # # # # information # #');
    assert.deepEqual(s.numbers, [0.25, 95, 0.001, -2.5, NaN, Infinity, -Infinity, NaN, 3, 0.5]);
  });

  test('close: numpy.isclose semantics with the default tolerance (rtol 1e-3, atol 1e-6)', () => {
    assert.deepEqual(DEFAULT_TOLERANCE, { rtol: 1e-3, atol: 1e-6 });
    assert.equal(close(1, 1.0005, DEFAULT_TOLERANCE), true);
    assert.equal(close(1, 1.002, DEFAULT_TOLERANCE), false);
    assert.equal(close(0, 9e-7, DEFAULT_TOLERANCE), true);
    assert.equal(close(0, 2e-6, DEFAULT_TOLERANCE), false);
    assert.equal(close(-3, 3, DEFAULT_TOLERANCE), false);
  });

  test('close: nan equals only nan; inf equals only the same inf', () => {
    assert.equal(close(NaN, NaN, DEFAULT_TOLERANCE), true);
    assert.equal(close(NaN, 0, DEFAULT_TOLERANCE), false);
    assert.equal(close(1, NaN, DEFAULT_TOLERANCE), false);
    assert.equal(close(Infinity, Infinity, DEFAULT_TOLERANCE), true);
    assert.equal(close(-Infinity, -Infinity, DEFAULT_TOLERANCE), true);
    assert.equal(close(Infinity, -Infinity, DEFAULT_TOLERANCE), false);
    assert.equal(close(Infinity, 1e308, DEFAULT_TOLERANCE), false);
    assert.equal(close(1e308, Infinity, { rtol: 1, atol: 1 }), false);
  });
});

describe('compareText', () => {
  test('identical text', () => {
    assert.deepEqual(compareText('accuracy: 0.9533\n', 'accuracy: 0.9533\n', DEFAULT_TOLERANCE), { kind: 'identical', notes: [] });
  });

  test('equal once volatile content is replaced: identical', () => {
    assert.deepEqual(
      compareText('done at 09:41:07\n<Model at 0x7f3a2c1b9d30>', 'done at 17:03:55\n<Model at 0x55d1e0a2b6f0>', DEFAULT_TOLERANCE),
      {
        kind: 'identical',
        notes: [],
      },
    );
  });

  test('equal once a representation change is undone (numpy 2 scalars): within tolerance, with the note', () => {
    const note = 'numpy 2 prints scalars as np.float64(…); the values are compared';
    assert.deepEqual(
      compareText('mean 0.5\n<Model at 0x7f3a2c1b9d30>', 'mean np.float64(0.5)\n<Model at 0x55d1e0a2b6f0>', DEFAULT_TOLERANCE),
      {
        kind: 'within-tolerance',
        reason: `equal values, printed differently: ${note}`,
        notes: [note],
      },
    );
  });

  test('versions are words, not numbers: they must match exactly', () => {
    assert.deepEqual(skeleton('numpy 1.24.2, acc 0.5'), { shape: 'numpy 1.24.2, acc #', numbers: [0.5] });
    assert.deepEqual(compareText('numpy 1.24.2', 'numpy 1.24.3', DEFAULT_TOLERANCE), {
      kind: 'differs',
      reason: 'line 1: "numpy 1.24.2" in the notebook, "numpy 1.24.3" in the container',
      notes: [],
    });
  });

  test('numbers within tolerance: the reason gives the largest difference', () => {
    const v = compareText('accuracy: 0.9533\nloss: 0.1210\nf1: 0.90', 'accuracy: 0.9534\nloss: 0.12101\nf1: 0.90', DEFAULT_TOLERANCE);
    assert.equal(v.kind, 'within-tolerance');
    assert.equal(v.reason, 'numbers within tolerance: largest difference 0.9533 vs 0.9534 (abs 0.00010, rel 0.00010)');
  });

  test('the absolute tolerance covers values near zero', () => {
    const v = compareText('bias: 0.0', 'bias: 5e-7', DEFAULT_TOLERANCE);
    assert.equal(v.kind, 'within-tolerance');
  });

  test('numbers beyond tolerance: differs, naming both numbers and the tolerance', () => {
    assert.deepEqual(compareText('accuracy: 0.9533\nloss: 0.1210', 'accuracy: 0.9612\nloss: 0.1210', DEFAULT_TOLERANCE), {
      kind: 'differs',
      reason: '0.9533 in the notebook, 0.9612 in the container (beyond rtol 0.001, atol 0.000001)',
      notes: [],
    });
  });

  test('a looser tolerance lets the same numbers through', () => {
    assert.equal(compareText('accuracy: 0.9533', 'accuracy: 0.9612', { rtol: 0.01, atol: 0 }).kind, 'within-tolerance');
  });

  test('only spacing differs: within tolerance', () => {
    assert.deepEqual(compareText('   sepal  species\n0    5.1  setosa', ' sepal species\n0 5.1 setosa', DEFAULT_TOLERANCE), {
      kind: 'within-tolerance',
      reason: 'only the spacing differs',
      notes: [],
    });
  });

  test('different words: differs, quoting the first different line of each side', () => {
    assert.deepEqual(compareText('rows: 150\nspecies: setosa', 'rows: 150\nspecies: virginica', DEFAULT_TOLERANCE), {
      kind: 'differs',
      reason: 'line 2: "species: setosa" in the notebook, "species: virginica" in the container',
      notes: [],
    });
  });

  test('a missing line and a different count of numbers differ', () => {
    const v = compareText('epoch 1\nepoch 2', 'epoch 1', DEFAULT_TOLERANCE);
    assert.equal(v.kind, 'differs');
    assert.ok(v.kind === 'differs' && v.reason === 'line 2: "epoch 2" in the notebook, (nothing) in the container');
    assert.equal(compareText('[1 2 3]', '[1 2]', DEFAULT_TOLERANCE).kind, 'differs');
  });

  test('long lines are shortened in the reason', () => {
    const v = compareText('x'.repeat(100), 'y'.repeat(100), DEFAULT_TOLERANCE);
    assert.ok(v.kind === 'differs');
    assert.equal(v.reason, `line 1: "${'x'.repeat(77)}…" in the notebook, "${'y'.repeat(77)}…" in the container`);
  });

  test('workspace aliases make host and container paths equal', () => {
    const options = { aliases: ['/home/ana/proj', '/workspace'] };
    assert.equal(
      compareText('saved /home/ana/proj/model/iris.npz', 'saved /workspace/model/iris.npz', DEFAULT_TOLERANCE, options).kind,
      'identical',
    );
    assert.equal(compareText('saved /home/ana/proj/model/iris.npz', 'saved /workspace/model/iris.npz', DEFAULT_TOLERANCE).kind, 'differs');
  });
});

describe('comparePng and pngSize: pictures, not bytes', () => {
  const base = canvas(100, 100, gradient);

  test('the same pixels encoded with other deflate levels, filters and colour type: identical although the bytes differ', () => {
    const a = encode(base, { deflateLevel: 0, filterType: 0 });
    const b = encode(base, { deflateLevel: 9, filterType: 4 });
    const c = encode(base, { colorType: 2, filterType: 1 });
    assert.notEqual(a, b);
    assert.notEqual(b, c);
    assert.deepEqual(comparePng(a, b, 0), { kind: 'identical', width: 100, height: 100 });
    assert.deepEqual(comparePng(b, c, 0), { kind: 'identical', width: 100, height: 100 });
  });

  test('antialiasing-sized channel differences (up to 16 of 255) do not count', () => {
    assert.equal(comparePng(encode(base), encode(withChanged(base, 10_000, 16)), 0).kind, 'identical');
    assert.equal(comparePng(encode(base), encode(withChanged(base, 10_000, 17)), 0).kind, 'differs');
  });

  test('a few changed pixels: within tolerance, with the share in the reason', () => {
    const v = comparePng(encode(base), encode(withChanged(base, 50)), 0.01);
    assert.deepEqual(v, { kind: 'within-tolerance', reason: '0.5 % of pixels differ (100×100)', ratio: 0.005 });
  });

  test('a single pixel in ten thousand shows with more decimals', () => {
    const v = comparePng(encode(base), encode(withChanged(base, 1)), 0.01);
    assert.ok(v.kind === 'within-tolerance');
    assert.equal(v.reason, '0.010 % of pixels differ (100×100)');
  });

  test('many changed pixels: differs', () => {
    assert.deepEqual(comparePng(encode(base), encode(withChanged(base, 500)), 0.01), {
      kind: 'differs',
      reason: '5.0 % of pixels differ (100×100)',
      ratio: 0.05,
    });
  });

  test('different sizes: differs, naming both', () => {
    const v = comparePng(encode(base), encode(canvas(100, 80, gradient)), 0.5);
    assert.deepEqual(v, { kind: 'differs', reason: 'image size 100×100 in the notebook, 100×80 in the container' });
  });

  test('garbage base64: differs, "could not be decoded", naming the side', () => {
    const good = encode(base);
    const v1 = comparePng('bm90IGEgcG5nIGF0IGFsbA==', good, 1);
    assert.equal(v1.kind, 'differs');
    assert.ok(v1.kind === 'differs' && /^a PNG could not be decoded \(notebook: /.test(v1.reason));
    const v2 = comparePng(good, good.slice(0, 60), 1);
    assert.ok(v2.kind === 'differs' && /^a PNG could not be decoded \(container: /.test(v2.reason));
  });

  test('base64 with line breaks (and the trailing newline Jupyter writes) decodes', () => {
    const b64 = encode(base);
    const wrapped = `${b64.replace(/(.{76})/g, '$1\n')}\n`;
    assert.deepEqual(comparePng(wrapped, b64, 0), { kind: 'identical', width: 100, height: 100 });
  });

  test('pngSize reads the header; undefined for anything else', () => {
    assert.deepEqual(pngSize(encode(canvas(640, 480, () => [255, 255, 255, 255]))), { width: 640, height: 480 });
    assert.deepEqual(pngSize(encode(canvas(3, 1000, gradient))), { width: 3, height: 1000 });
    assert.equal(pngSize('/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDA=='), undefined); // a JPEG
    assert.equal(pngSize('iVBORw0K'), undefined);
    assert.equal(pngSize(''), undefined);
  });
});

describe('renderOutputs and sideBySide', () => {
  test('every output kind rendered as text, each marked', () => {
    const png = encode(canvas(24, 16, gradient));
    assert.equal(
      renderOutputs([
        stdout('rows: 150\n'),
        stderr('UserWarning: small\n'),
        result('6.05'),
        display({ 'text/html': '<b>x</b>', 'text/plain': 'x' }),
        display({ 'image/png': png, 'text/plain': '<Figure size 432x288 with 1 Axes>' }),
        display({ 'text/html': '<b>only html</b>' }),
        display({}),
        error('ZeroDivisionError', 'division by zero'),
      ]),
      [
        'rows: 150',
        '[stderr]\nUserWarning: small',
        'Out: 6.05',
        'x',
        '[image/png 24×16]',
        '[text/html]\n<b>only html</b>',
        '[empty output]',
        'ZeroDivisionError: division by zero',
      ].join('\n'),
    );
    assert.equal(renderOutputs([]), '');
  });

  test('rows: same, changed, added', () => {
    assert.deepEqual(sideBySide('a\nb\nc\nd', 'a\nB\nc\ne\nf'), [
      { kind: 'same', left: 'a', right: 'a' },
      { kind: 'changed', left: 'b', right: 'B' },
      { kind: 'same', left: 'c', right: 'c' },
      { kind: 'changed', left: 'd', right: 'e' },
      { kind: 'added', right: 'f' },
    ]);
  });

  test('rows: removed lines in the middle', () => {
    assert.deepEqual(sideBySide('epoch 1\nwarning: slow\nepoch 2\n', 'epoch 1\nepoch 2\n'), [
      { kind: 'same', left: 'epoch 1', right: 'epoch 1' },
      { kind: 'removed', left: 'warning: slow' },
      { kind: 'same', left: 'epoch 2', right: 'epoch 2' },
    ]);
  });

  test('one side empty', () => {
    assert.deepEqual(sideBySide('', 'x'), [{ kind: 'added', right: 'x' }]);
  });

  test('a line shared at the end of the shorter side is the same, not changed', () => {
    // what renderOutputs produces never ends with a newline: the container printing one more line
    // must show as one added line, not as a "changed" line with equal text on both sides
    assert.deepEqual(sideBySide('rows: 150\nacc 0.95', 'rows: 150\nacc 0.95\nextra'), [
      { kind: 'same', left: 'rows: 150', right: 'rows: 150' },
      { kind: 'same', left: 'acc 0.95', right: 'acc 0.95' },
      { kind: 'added', right: 'extra' },
    ]);
    assert.deepEqual(sideBySide('x\ny\nz', 'x'), [
      { kind: 'same', left: 'x', right: 'x' },
      { kind: 'removed', left: 'y' },
      { kind: 'removed', left: 'z' },
    ]);
  });

  test('a trailing newline on one side only is no difference', () => {
    const same = [
      { kind: 'same', left: 'a', right: 'a' },
      { kind: 'same', left: 'b', right: 'b' },
    ];
    assert.deepEqual(sideBySide('a\nb\n', 'a\nb'), same);
    assert.deepEqual(sideBySide('a\nb', 'a\nb\n'), same);
  });
});

describe('errorHint', () => {
  const local: PythonEnvironment = { python: '3.12.1', packages: { sklearn: { version: '1.5.2', distribution: 'scikit-learn' } } };

  test('a module missing from the image, with the local version when known', () => {
    assert.equal(
      errorHint({ ename: 'ModuleNotFoundError', evalue: "No module named 'sklearn'" }, { local }),
      'sklearn is not installed in the image (the local interpreter has 1.5.2): add it to the Dockerfile',
    );
    assert.equal(
      errorHint({ ename: 'ModuleNotFoundError', evalue: "No module named 'torch.nn'" }, { local }),
      'torch is not installed in the image: add it to the Dockerfile',
    );
    assert.equal(
      errorHint({ ename: 'ImportError', evalue: "No module named 'yaml'" }, {}),
      'yaml is not installed in the image: add it to the Dockerfile',
    );
  });

  test('files: absolute paths outside the workspace, and missing relative files', () => {
    assert.equal(
      errorHint({ ename: 'FileNotFoundError', evalue: "[Errno 2] No such file or directory: '/home/ana/data/iris.csv'" }, {}),
      '/home/ana/data/iris.csv is an absolute path outside the workspace; the container sees only the workspace (at /workspace): use a path relative to the notebook',
    );
    assert.equal(
      errorHint({ ename: 'FileNotFoundError', evalue: "[Errno 2] No such file or directory: 'data/iris.csv'" }, {}),
      "data/iris.csv is missing in the container: is it ignored, generated by another step, or outside the notebook's folder?",
    );
    assert.match(
      errorHint({ ename: 'FileNotFoundError', evalue: "[Errno 2] No such file or directory: '/workspace/data/iris.csv'" }, {})!,
      /^\/workspace\/data\/iris\.csv is missing in the container/,
    );
  });

  test('the read-only workspace mount', () => {
    assert.equal(
      errorHint({ ename: 'OSError', evalue: "[Errno 30] Read-only file system: 'model/iris.npz'" }, {}),
      'the workspace is mounted read-only in the comparison: write files under $OUTPUT_DIR (the scratch folder)',
    );
  });

  test('timeouts name the setting; anything else has no hint', () => {
    assert.equal(
      errorHint({ ename: 'TimeoutError', evalue: 'ran longer than 30 s' }, { timeoutSeconds: 30 }),
      'it ran longer than the 30 s cell timeout (setting berth.compare.cellTimeoutSeconds)',
    );
    assert.equal(errorHint({ ename: 'ValueError', evalue: 'bad shape' }, { local }), undefined);
  });
});

describe('compareCell: one status per cell', () => {
  test('identical: same stdout and stderr', () => {
    const { plan, saved } = codeCell(nb44, plans44, 2);
    const c = compareCell(plan, saved, ran(plan, saved.outputs.slice()), ctx());
    assert.equal(c.status, 'identical');
    assert.equal(c.reason, 'same output');
    assert.deepEqual(c.notes, []);
    assert.equal(c.diff, undefined);
    assert.equal(c.index, 1);
    assert.equal(c.ordinal, 2);
    assert.equal(c.title, "print('rows:', 150)");
    assert.equal(c.durationMs, 41);
    assert.equal(c.saved, c.container);
  });

  test('within tolerance: a numpy 2 result against numpy 1, with the note (4.5 fixture)', () => {
    const { plan, saved } = codeCell(nb45, plans45, 3);
    const c = compareCell(plan, saved, ran(plan, [result('0.5')]), ctx());
    assert.equal(c.status, 'within-tolerance');
    assert.equal(c.id, '1d2e3f40');
    assert.equal(c.reason, 'output: equal values, printed differently: numpy 2 prints scalars as np.float64(…); the values are compared');
    assert.deepEqual(c.notes, ['numpy 2 prints scalars as np.float64(…); the values are compared']);
    assert.deepEqual(c.diff, [{ kind: 'changed', left: 'Out: np.float64(0.5)', right: 'Out: 0.5' }]);
  });

  test('identical: the same figure encoded differently', () => {
    const { plan, saved } = codeCell(nb44, plans44, 5);
    const savedPng = (saved.outputs[0] as Extract<CellOutput, { kind: 'display' }>).data['image/png']!;
    const decoded = PNG.sync.read(Buffer.from(savedPng, 'base64'));
    const again = encode(decoded, { deflateLevel: 1, filterType: 2 });
    assert.notEqual(again, savedPng.trim());
    const c = compareCell(
      plan,
      saved,
      ran(plan, [display({ 'image/png': again, 'text/plain': '<Figure size 23.76x15.84 with 1 Axes>' })]),
      ctx(),
    );
    assert.equal(c.status, 'identical');
    assert.equal(c.images, undefined);
  });

  test('a %%time cell: the timing lines the runner does not print are no difference', () => {
    // planCell runs the body of %%time untimed, so the container prints no "CPU times"/"Wall time"
    const { plan, saved } = codeCell(nb45, plans45, 2);
    const c = compareCell(plan, saved, ran(plan, [stdout('LogisticRegression(max_iter=200)\n')]), ctx());
    assert.ok(!FAILING.has(c.status), `status ${c.status}: ${c.reason}`);
  });

  test('within tolerance: a result a little off', () => {
    const { plan, saved } = codeCell(nb44, plans44, 3);
    const c = compareCell(plan, saved, ran(plan, [result('6.0500001')]), ctx());
    assert.equal(c.status, 'within-tolerance');
    assert.equal(c.reason, 'output: numbers within tolerance: largest difference 6.05 vs 6.0500001 (abs 1.0e-7, rel 1.7e-8)');
    assert.deepEqual(c.diff, [{ kind: 'changed', left: 'Out: 6.05', right: 'Out: 6.0500001' }]);
  });

  test('within tolerance: a few pixels of the figure, with both images attached', () => {
    const { plan, saved } = codeCell(nb44, plans44, 5);
    const savedPng = (saved.outputs[0] as Extract<CellOutput, { kind: 'display' }>).data['image/png']!;
    const changed = encode(withChanged(PNG.sync.read(Buffer.from(savedPng, 'base64')), 3));
    const c = compareCell(plan, saved, ran(plan, [display({ 'image/png': changed, 'text/plain': 'fig' })]), {
      ...ctx(),
      settings: { ...DEFAULT_SETTINGS, pixelRatio: 0.01 },
    });
    assert.equal(c.status, 'within-tolerance');
    assert.equal(c.reason, 'output: 0.8 % of pixels differ (24×16)');
    assert.deepEqual(c.images, { saved: [savedPng], container: [changed] });
  });

  test('differs: numbers on stdout', () => {
    const { plan, saved } = handCell("print('accuracy:', acc)", [stdout('accuracy: 0.9533\n')]);
    const c = compareCell(plan, saved, ran(plan, [stdout('accuracy: 0.9612\n')]), ctx());
    assert.equal(c.status, 'differs');
    assert.equal(c.reason, 'stdout: 0.9533 in the notebook, 0.9612 in the container (beyond rtol 0.001, atol 0.000001)');
    assert.deepEqual(c.diff, [{ kind: 'changed', left: 'accuracy: 0.9533', right: 'accuracy: 0.9612' }]);
  });

  test('differs: the result text', () => {
    const { plan, saved } = codeCell(nb44, plans44, 3);
    const c = compareCell(plan, saved, ran(plan, [result('5.1')]), ctx());
    assert.equal(c.status, 'differs');
    assert.match(c.reason, /^output: 6\.05 in the notebook, 5\.1 in the container/);
  });

  test('differs: the DataFrame display, compared by its text/plain', () => {
    const { plan, saved } = codeCell(nb44, plans44, 4);
    const html = (saved.outputs[0] as Extract<CellOutput, { kind: 'display' }>).data['text/html']!;
    const c = compareCell(
      plan,
      saved,
      ran(plan, [
        display({
          'text/html': html,
          'text/plain': '   sepal_length     species\n0           5.1      setosa\n1           7.0   virginica',
        }),
      ]),
      ctx(),
    );
    assert.equal(c.status, 'differs');
    assert.equal(c.reason, 'output: line 3: "1           7.0  versicolor" in the notebook, "1           7.0   virginica" in the container');
  });

  test('differs: the count of results', () => {
    const { plan, saved } = codeCell(nb44, plans44, 5);
    const c = compareCell(plan, saved, ran(plan, []), ctx());
    assert.equal(c.status, 'differs');
    assert.equal(c.reason, 'the notebook shows 1 result(s), the container 0');
  });

  test('differs: an image on one side, text on the other', () => {
    const { plan, saved } = codeCell(nb44, plans44, 5);
    const c = compareCell(plan, saved, ran(plan, [display({ 'text/plain': '<Figure size 23.76x15.84 with 0 Axes>' })]), ctx());
    assert.equal(c.status, 'differs');
    assert.equal(c.reason, 'output: an image in the notebook, text in the container');
  });

  test('error-container: a module missing from the image, with the local version', () => {
    const { plan, saved } = handCell('from sklearn.linear_model import LogisticRegression', []);
    const local: PythonEnvironment = { python: '3.12.1', packages: { sklearn: { version: '1.5.2' } } };
    const c = compareCell(plan, saved, ran(plan, [error('ModuleNotFoundError', "No module named 'sklearn'")]), ctx({ local }));
    assert.equal(c.status, 'error-container');
    assert.equal(
      c.reason,
      "ModuleNotFoundError: No module named 'sklearn' — only in the container; sklearn is not installed in the image (the local interpreter has 1.5.2): add it to the Dockerfile",
    );
  });

  test('error-container: an absolute path outside /workspace', () => {
    const { plan, saved } = handCell("df = pd.read_csv('/home/ana/data/iris.csv')\nlen(df)", [result('150')]);
    const c = compareCell(
      plan,
      saved,
      ran(plan, [error('FileNotFoundError', "[Errno 2] No such file or directory: '/home/ana/data/iris.csv'")]),
      ctx(),
    );
    assert.equal(c.status, 'error-container');
    assert.match(
      c.reason,
      /^FileNotFoundError: .* — only in the container; \/home\/ana\/data\/iris\.csv is an absolute path outside the workspace/,
    );
    assert.deepEqual(c.diff, [
      { kind: 'changed', left: 'Out: 150', right: "FileNotFoundError: [Errno 2] No such file or directory: '/home/ana/data/iris.csv'" },
    ]);
  });

  test('error-container: writing into the read-only workspace', () => {
    const { plan, saved } = handCell("np.savez('model/iris.npz', W=W)", []);
    const c = compareCell(plan, saved, ran(plan, [error('OSError', "[Errno 30] Read-only file system: 'model/iris.npz'")]), ctx());
    assert.equal(c.status, 'error-container');
    assert.match(c.reason, /; the workspace is mounted read-only in the comparison: write files under \$OUTPUT_DIR/);
  });

  test('error-container: a cell that timed out', () => {
    const { plan, saved } = handCell('train(epochs=1000)', [stdout('done\n')]);
    const c = compareCell(
      plan,
      saved,
      ran(plan, [stdout('epoch 1\n')], true),
      ctx({ settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 30 } }),
    );
    assert.equal(c.status, 'error-container');
    assert.equal(
      c.reason,
      'timed out — only in the container; it ran longer than the 30 s cell timeout (setting berth.compare.cellTimeoutSeconds)',
    );
  });

  test('error-notebook: the saved error does not happen in the container', () => {
    const { plan, saved } = codeCell(nb44, plans44, 6);
    const c = compareCell(plan, saved, ran(plan, []), ctx());
    assert.equal(c.status, 'error-notebook');
    assert.equal(c.reason, 'ZeroDivisionError: division by zero in the notebook; the container runs it without error');
  });

  test('both fail the same way (the tracebacks differ): identical', () => {
    const { plan, saved } = codeCell(nb44, plans44, 6);
    const c = compareCell(plan, saved, ran(plan, [error('ZeroDivisionError', 'division by zero', 6)]), ctx());
    assert.equal(c.status, 'identical');
    assert.equal(c.reason, 'fails the same way in both: ZeroDivisionError');
  });

  test('both fail the same way, up to a memory address in the message: identical', () => {
    const { plan, saved } = handCell('model.fit()', [error('RuntimeError', 'bad state in <Net at 0x7f3a2c1b9d30>')]);
    const c = compareCell(plan, saved, ran(plan, [error('RuntimeError', 'bad state in <Net at 0x55d1e0a2b6f0>')]), ctx());
    assert.equal(c.status, 'identical');
  });

  test('both fail, differently: differs', () => {
    const { plan, saved } = codeCell(nb40, plans40, 3);
    const c = compareCell(plan, saved, ran(plan, [error('NameError', "name 'd' is not defined", 3)]), ctx());
    assert.equal(c.status, 'differs');
    assert.equal(c.reason, "KeyError: 'missing' in the notebook, NameError: name 'd' is not defined in the container");
  });

  test('a NameError after an earlier container error: "probably because cell N failed"', () => {
    const { plan, saved } = handCell('model.predict(X_test)', [result('array([0, 1, 2])')], 5, 6, 5);
    const run = ran(plan, [error('NameError', "name 'model' is not defined", 5)]);
    const c = compareCell(plan, saved, run, ctx({ firstContainerError: 2 }));
    assert.equal(c.status, 'error-container');
    assert.deepEqual(c.notes, ['probably because cell 2 failed in the container']);
    // no earlier failure, or a failure that is not a NameError: no such note
    assert.deepEqual(compareCell(plan, saved, run, ctx()).notes, []);
    const keyError = ran(plan, [error('KeyError', "'model'", 5)]);
    assert.deepEqual(compareCell(plan, saved, keyError, ctx({ firstContainerError: 2 })).notes, []);
  });

  test('skipped: a %%bash cell is not run', () => {
    const { plan, saved } = codeCell(nb45, plans45, 5);
    const c = compareCell(plan, saved, undefined, ctx());
    assert.equal(c.status, 'skipped');
    assert.equal(c.reason, '%%bash is IPython syntax: the cell is not run in the container');
    assert.equal(c.container, '');
    assert.equal(c.saved, 'disk usage:\n12K\tdata');
    assert.deepEqual(c.skipped, ['%%bash']);
  });

  test('skipped lines are noted on a cell that ran', () => {
    const { plan, saved } = codeCell(nb45, plans45, 1);
    const c = compareCell(plan, saved, ran(plan, []), ctx());
    assert.equal(c.status, 'identical');
    assert.equal(c.reason, 'no output on either side');
    assert.deepEqual(c.notes, ['not run in the container (IPython syntax): !pip install -q scikit-learn']);
  });

  test('no-reference: never run in the notebook, output in the container', () => {
    const { plan, saved } = codeCell(nb40, plans40, 4);
    assert.equal(saved.executionCount, null);
    const c = compareCell(plan, saved, ran(plan, [result('20.0')]), ctx());
    assert.equal(c.status, 'no-reference');
    assert.equal(c.reason, 'the notebook has no saved outputs for this cell (it was never run)');
  });

  test('never run and silent in the container: no output on either side', () => {
    const { plan, saved } = codeCell(nb44, plans44, 7);
    const c = compareCell(plan, saved, ran(plan, []), ctx());
    assert.equal(c.status, 'identical');
    assert.equal(c.reason, 'no output on either side');
  });

  test('stderr differences are only noted, unless compareStderr', () => {
    const { plan, saved } = codeCell(nb44, plans44, 2);
    const container = [
      stdout('rows: 150\n'),
      stderr("<cell 2>:2: UserWarning: the sample is small\n  warnings.warn('the sample is small')\n"),
    ];
    const noted = compareCell(plan, saved, ran(plan, container), ctx());
    assert.equal(noted.status, 'identical');
    assert.equal(noted.reason, 'same output');
    assert.equal(noted.notes.length, 1);
    assert.match(noted.notes[0]!, /^stderr: line 1: .* \(stderr is not compared\)$/);
    const counted = compareCell(plan, saved, ran(plan, container), ctx({ settings: { ...DEFAULT_SETTINGS, compareStderr: true } }));
    assert.equal(counted.status, 'differs');
    assert.match(counted.reason, /^stderr: line 1: "\/home\/ana\/\.venv\/.*UserWarning/);
  });
});

describe('compareCell: cells the container did not run, for each outcome', () => {
  const { plan, saved } = codeCell(nb44, plans44, 3); // index 2
  const other = plans44[1]!.index;
  const notRun = (outcome: RunOutcome): CellComparison => compareCell(plan, saved, undefined, ctx({ outcome }));

  test('out of memory in this cell: error-container with the limit', () => {
    const c = notRun({ kind: 'oom', cellIndex: plan.index, limitBytes: 512 * 2 ** 20 });
    assert.equal(c.status, 'error-container');
    assert.equal(
      c.reason,
      'the Python process was killed for running out of memory in this cell (limit 512 MiB): raise the profile\'s "memory" or use less',
    );
    assert.equal(c.container, '');
    assert.deepEqual(c.diff, [{ kind: 'removed', left: 'Out: 6.05' }]);
    assert.doesNotMatch(notRun({ kind: 'oom', cellIndex: plan.index, limitBytes: 0 }).reason, /limit/);
  });

  test('out of memory earlier: not-run', () => {
    const c = notRun({ kind: 'oom', cellIndex: other, limitBytes: 512 * 2 ** 20 });
    assert.equal(c.status, 'not-run');
    assert.equal(c.reason, 'not run: the Python process was killed for memory in an earlier cell');
    assert.equal(notRun({ kind: 'oom', limitBytes: 0 }).status, 'not-run');
  });

  test('timeout here / earlier', () => {
    const here = notRun({ kind: 'timeout', cellIndex: plan.index, seconds: 120 });
    assert.equal(here.status, 'error-container');
    assert.equal(here.reason, 'ran past the 120 s cell timeout and did not stop, so the container was killed');
    const earlier = notRun({ kind: 'timeout', cellIndex: other, seconds: 120 });
    assert.deepEqual([earlier.status, earlier.reason], ['not-run', 'not run: an earlier cell hung and the container was killed']);
  });

  test('the process died here (with the signal) / ended early', () => {
    const here = notRun({ kind: 'exited', exitCode: 139, cellIndex: plan.index });
    assert.deepEqual([here.status, here.reason], ['error-container', 'the Python process died in this cell (exit 139, SIGSEGV)']);
    const earlier = notRun({ kind: 'exited', exitCode: 1, cellIndex: other });
    assert.deepEqual([earlier.status, earlier.reason], ['not-run', 'not run: the Python process ended early (exit 1)']);
    const killed = notRun({ kind: 'exited', exitCode: 137 });
    assert.deepEqual([killed.status, killed.reason], ['not-run', 'not run: the Python process ended early (exit 137, SIGKILL)']);
  });

  test('cancelled (even in this cell) and completed without a result: not-run', () => {
    assert.deepEqual(
      [notRun({ kind: 'cancelled', cellIndex: plan.index }).status, notRun({ kind: 'cancelled', cellIndex: plan.index }).reason],
      ['not-run', 'not run: the comparison was cancelled'],
    );
    assert.deepEqual([notRun({ kind: 'completed' }).status, notRun({ kind: 'completed' }).reason], ['not-run', 'not run']);
  });
});

describe('summarise and FAILING', () => {
  const { plan, saved } = handCell('x', []);
  const as = (status: CellComparison['status']): CellComparison => ({ ...compareCell(plan, saved, ran(plan, []), ctx()), status });

  test('counts per status group', () => {
    const cells = (
      [
        'identical',
        'identical',
        'within-tolerance',
        'differs',
        'error-container',
        'error-notebook',
        'not-run',
        'skipped',
        'no-reference',
      ] as const
    ).map(as);
    assert.deepEqual(summarise(cells), {
      cells: 9,
      identical: 2,
      withinTolerance: 1,
      differs: 1,
      errors: 2,
      notRun: 2,
      noReference: 1,
    });
    assert.deepEqual(summarise([]), { cells: 0, identical: 0, withinTolerance: 0, differs: 0, errors: 0, notRun: 0, noReference: 0 });
  });

  test('what fails a comparison', () => {
    assert.deepEqual([...FAILING].sort(), ['differs', 'error-container', 'error-notebook']);
  });
});

describe('environmentDiff and describeDifferences', () => {
  const container: PythonEnvironment = {
    python: '3.11.4',
    implementation: 'CPython',
    packages: {
      numpy: { version: '1.24.2', distribution: 'numpy' },
      os: { stdlib: true },
      sklearn: { version: '1.3.0', distribution: 'scikit-learn' },
      torch: { missing: true },
      json: { stdlib: true, present: true },
      mylib: { present: true },
    },
  };
  const local: PythonEnvironment = {
    python: '3.12.1 (main, Dec  8 2023, 05:40:51) [GCC 11.4.0]',
    packages: {
      numpy: { version: '2.1.0' },
      os: { stdlib: true },
      sklearn: { version: '1.3.0' },
      torch: { version: '2.4.1' },
      json: { stdlib: true },
    },
  };
  const modules = ['numpy', 'os', 'sklearn', 'torch', 'json', 'mylib'];

  test('rows: Python from container, notebook and local; stdlib left out; missing and versions', () => {
    assert.deepEqual(environmentDiff(modules, container, '3.11.4', local), [
      { name: 'Python', kind: 'python', container: '3.11.4', notebook: '3.11.4', local: '3.12.1', differs: true },
      { name: 'numpy', kind: 'package', container: '1.24.2', local: '2.1.0', differs: true },
      { name: 'sklearn', kind: 'package', container: '1.3.0', local: '1.3.0', differs: false },
      { name: 'torch', kind: 'package', container: 'missing', local: '2.4.1', differs: true },
      { name: 'mylib', kind: 'package', container: 'installed', differs: false },
    ]);
  });

  test('optional fields are absent, not undefined', () => {
    const rows = environmentDiff(['numpy'], undefined, '3.8.10', undefined);
    assert.deepEqual(rows, [
      { name: 'Python', kind: 'python', notebook: '3.8.10', differs: false },
      { name: 'numpy', kind: 'package', differs: false },
    ]);
    assert.equal('container' in rows[0]!, false);
    assert.equal('local' in rows[1]!, false);
  });

  test('before the container reports: stdlib known from the local interpreter is left out too', () => {
    assert.deepEqual(
      environmentDiff(['os', 'numpy'], undefined, undefined, local).map((r) => r.name),
      ['Python', 'numpy'],
    );
  });

  test('the same Python release is no difference', () => {
    const rows = environmentDiff([], { python: '3.11.4', packages: {} }, '3.11.4', { python: '3.11.4 (main, Jun  7 2023)', packages: {} });
    assert.equal(rows[0]!.differs, false);
    assert.equal(rows[0]!.local, '3.11.4');
  });

  test('describePackage', () => {
    assert.equal(describePackage(undefined), undefined);
    assert.equal(describePackage({ missing: true }), 'missing');
    assert.equal(describePackage({ version: '2.1.0' }), '2.1.0');
    assert.equal(describePackage({ present: true }), 'installed');
  });

  test('one sentence per difference', () => {
    assert.deepEqual(describeDifferences(environmentDiff(modules, container, '3.11.4', local)), [
      "Python: 3.11.4 in the container, 3.11.4 in the notebook's metadata, 3.12.1 in the local interpreter",
      'numpy: 1.24.2 in the container, 2.1.0 in the local interpreter',
      'torch: missing in the container, 2.4.1 in the local interpreter',
    ]);
  });
});

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

describe('the runner protocol and the comparison container', () => {
  test('parseRunnerLine accepts only whole marker lines with the token and JSON', () => {
    assert.deepEqual(parseRunnerLine('\x1eberth: .{"t":"start","index":3}'), { t: 'start', index: 3 });
    assert.deepEqual(parseRunnerLine('\x1eberth: .{"t":"hello","python":"3.11.4","packages":{"numpy":{"version":"1.24.2"}}}'), {
      t: 'hello',
      python: '3.11.4',
      packages: { numpy: { version: '1.24.2' } },
    });
    assert.deepEqual(parseRunnerLine('\x1eberth:abc .{"t":"end"}', 'abc'), { t: 'end' });
    assert.equal(parseRunnerLine('\x1eberth:abc .{"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('\x1eberth: .{"t":"end"}', 'abc'), undefined);
    assert.equal(parseRunnerLine('{"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('berth {"t":"end"}'), undefined);
    assert.equal(parseRunnerLine(' \x1eberth: .{"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('\x1eberth {"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('\x1eberth: .{"t":"cell", "outputs": ['), undefined);
    assert.equal(parseRunnerLine('epoch 1/10 - loss 0.52'), undefined);
  });

  test('containerPathOf: the notebook folder under /workspace', () => {
    assert.equal(containerPathOf('/home/ana/proj', '/home/ana/proj'), '/workspace');
    assert.equal(containerPathOf('/home/ana/proj', '/home/ana/proj/notebooks/eda'), '/workspace/notebooks/eda');
    assert.equal(containerPathOf('/home/ana/proj/', '/home/ana/proj/notebooks'), '/workspace/notebooks');
  });

  test('containerPathOf: outside the workspace is a NotebookRunError', () => {
    for (const outside of ['/home/ana/other', '/home/ana', '/home/ana/proj-old/nb'])
      assert.throws(
        () => containerPathOf('/home/ana/proj', outside),
        (err: unknown) =>
          err instanceof NotebookRunError &&
          err.message === `The notebook ${outside} is outside the workspace folder /home/ana/proj, which is what Berth mounts.`,
      );
  });

  test('containerPathOf: a folder whose name starts with two dots is still inside', () => {
    assert.equal(containerPathOf('/home/ana/proj', '/home/ana/proj/..data/nb'), '/workspace/..data/nb');
  });

  test('compareContainerOptions: read-only workspace, the runner as command, no health check, Berth labels', () => {
    const o = compareContainerOptions({ image: 'iris:dev', workspaceDir: '/home/ana/proj', notebookDir: '/home/ana/proj/notebooks' });
    assert.equal(o.Image, 'iris:dev');
    assert.deepEqual(o.Entrypoint, ['python3']);
    assert.deepEqual(o.Cmd, ['-u', '/berth-runner/runner.py', '/berth-runner/plan.json']);
    assert.equal(o.WorkingDir, '/workspace/notebooks');
    assert.deepEqual(o.HostConfig?.Binds, ['/home/ana/proj:/workspace:ro']);
    assert.deepEqual(o.Env, [
      'PYTHONUNBUFFERED=1',
      'PYTHONDONTWRITEBYTECODE=1',
      'MPLBACKEND=Agg',
      'MATPLOTLIBRC=/berth-runner/matplotlibrc',
      'MPLCONFIGDIR=/tmp/berth-matplotlib',
    ]);
    assert.deepEqual(o.Labels, {
      'berth.managed': 'true',
      'berth.project': '/home/ana/proj',
      'berth.compare': '/home/ana/proj/notebooks',
    });
    assert.deepEqual(o.Healthcheck, { Test: ['NONE'] });
    assert.equal(o.Tty, false);
    assert.deepEqual(o.HostConfig?.RestartPolicy, { Name: '' });
    assert.equal(o.HostConfig?.PortBindings, undefined);
    assert.equal(o.ExposedPorts, undefined);
    assert.equal(o.HostConfig?.Memory, undefined);
  });

  test('compareContainerOptions: a writable output folder, named in OUTPUT_DIR', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      outputDir: '/home/ana/.cache/berth/compare-1',
    });
    assert.deepEqual(o.HostConfig?.Binds, ['/home/ana/proj:/workspace:ro', '/home/ana/.cache/berth/compare-1:/output']);
    assert.ok(o.Env?.includes('OUTPUT_DIR=/output'));
    assert.equal(o.WorkingDir, '/workspace');
  });

  const NVIDIA: GpuDetection = {
    available: true,
    summary: 'GPU: 1 × T4',
    found: ['nvidia-runtime'],
    devices: [],
    cdiDevices: [],
    reasons: [],
    requestStyle: 'device-requests',
  };
  function base(volumes = '["./data:/data:ro"]') {
    const { profiles, problems } = parseBerthConfig(
      `profiles:\n  train:\n    image: iris:dev\n    command: ["python", "serve.py"]\n    user: "1000:1000"\n    ports: ["8000"]\n    volumes: ${volumes}\n    env: { SEED: "42" }\n    memory: 2g\n    cpus: 2\n    shmSize: 1g\n    gpus: all\n    healthcheck: /health\n    restart: unless-stopped\n    labels: { team: vision }\n`,
    );
    assert.deepEqual(problems, []);
    return toCreateOptions(profiles[0]!, { image: 'iris:dev', projectDir: '/home/ana/proj', gpu: NVIDIA });
  }

  test("compareContainerOptions: the profile's env, limits, GPU, user and volumes kept; its ports, health check, restart and command dropped", () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj/notebooks',
      base: base(),
      labels: { 'berth.run': 'compare' },
    });
    assert.equal(o.User, '1000:1000');
    assert.equal(o.Env?.[0], 'SEED=42');
    assert.deepEqual(o.Cmd, ['-u', '/berth-runner/runner.py', '/berth-runner/plan.json']);
    assert.deepEqual(o.Entrypoint, ['python3']);
    const host = o.HostConfig!;
    assert.deepEqual(host.Binds, ['/home/ana/proj/data:/data:ro', '/home/ana/proj:/workspace:ro']);
    assert.equal(host.Memory, 2 * 2 ** 30);
    assert.equal(host.MemorySwap, 2 * 2 ** 30);
    assert.equal(host.NanoCpus, 2e9);
    assert.equal(host.ShmSize, 2 ** 30);
    assert.equal(host.DeviceRequests?.[0]?.Driver, 'nvidia');
    assert.equal(host.PortBindings, undefined);
    assert.equal(o.ExposedPorts, undefined);
    assert.deepEqual(host.RestartPolicy, { Name: '' });
    assert.deepEqual(o.Healthcheck, { Test: ['NONE'] });
    assert.equal(o.Labels?.['berth.managed'], 'true');
    assert.equal(o.Labels?.['berth.compare'], '/home/ana/proj/notebooks');
    assert.equal(o.Labels?.team, 'vision');
    assert.equal(o.Labels?.['berth.run'], 'compare');
  });

  test('compareContainerOptions: an explicit memory limit overrides the profile', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      base: base(),
      memoryBytes: 512 * 2 ** 20,
    });
    assert.equal(o.HostConfig?.Memory, 512 * 2 ** 20);
    assert.equal(o.HostConfig?.MemorySwap, 512 * 2 ** 20);
  });

  test('compareContainerOptions: a profile that mounts the project at /workspace itself leaves one read-only mount there', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      base: base('[".:/workspace"]'),
    });
    const atWorkspace = (o.HostConfig?.Binds ?? []).filter((b) => b.split(':')[1] === '/workspace');
    // Docker refuses two mounts at one path ("Duplicate mount point"), and a writable one defeats :ro
    assert.deepEqual(atWorkspace, ['/home/ana/proj:/workspace:ro']);
  });

  test('compareContainerOptions: a notebook outside the workspace is refused', () => {
    assert.throws(
      () => compareContainerOptions({ image: 'iris:dev', workspaceDir: '/home/ana/proj', notebookDir: '/tmp/nb' }),
      NotebookRunError,
    );
  });

  test('runnerArchive: runner.py, plan.json (without skipped-whole cells) and matplotlibrc, mode 0644', async () => {
    const tar = await runnerArchive({
      cwd: '/workspace/notebooks',
      modules: ['numpy', 'sklearn', 'torch'],
      timeoutSeconds: 90,
      cells: plans45,
    });
    const entries = await tarEntries(tar);
    assert.deepEqual(
      [...entries.keys()],
      ['berth-runner/', 'berth-runner/runner.py', 'berth-runner/plan.json', 'berth-runner/matplotlibrc'],
    );
    assert.equal(entries.get('berth-runner/')?.type, 'directory');
    for (const f of ['runner.py', 'plan.json', 'matplotlibrc']) {
      assert.equal(entries.get(`berth-runner/${f}`)?.mode, 0o644, f);
      assert.equal(entries.get(`berth-runner/${f}`)?.type, 'file', f);
    }
    const runner = entries.get('berth-runner/runner.py')!.body;
    assert.equal(runner, runnerSource());
    assert.match(runner, /^"""Berth's notebook runner/);
    assert.deepEqual(JSON.parse(entries.get('berth-runner/plan.json')!.body), {
      cwd: '/workspace/notebooks',
      modules: ['numpy', 'sklearn', 'torch'],
      timeout: 90,
      cells: [
        { index: 1, ordinal: 1, source: 'pass\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression' },
        { index: 2, ordinal: 2, source: '\nmodel = LogisticRegression(max_iter=200)\nprint(model)' },
        { index: 3, ordinal: 3, source: 'np.float64(0.25) * 2' },
        { index: 5, ordinal: 4, source: 'import torch' },
      ],
    });
    const rc = entries.get('berth-runner/matplotlibrc')!.body;
    assert.match(rc, /^backend: Agg$/m);
    assert.match(rc, /^figure\.dpi: 72$/m);
    assert.match(rc, /^figure\.figsize: 6\.0, 4\.0$/m);
  });

  test('a runner started ahead of time: its files copied in first; the plan is one line for its stdin', async () => {
    const files = await tarEntries(await runnerFilesArchive());
    assert.deepEqual([...files.keys()], ['berth-runner/', 'berth-runner/runner.py', 'berth-runner/matplotlibrc']);
    const line = planLine({ cwd: '/workspace', modules: ['numpy'], timeoutSeconds: 5, cells: plans45 });
    assert.equal(line.indexOf('\n'), line.length - 1, 'exactly one line');
    const plan = JSON.parse(line) as { cwd: string; cells: unknown[]; timeout: number };
    assert.equal(plan.cells.length, 4);
    assert.equal(plan.timeout, 5);
    assert.deepEqual(waitingCommand(600), ['-u', '/berth-runner/runner.py', '--wait', '600']);
  });
});
