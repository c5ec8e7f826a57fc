// One status per cell, its rendering, hints and summary; diffs of huge or very different outputs
// are not attempted, and a cell whose output was cut says so.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PNG } from 'pngjs';
import {
  compareCell,
  DEFAULT_SETTINGS,
  DIFF_LIMITS,
  errorHint,
  FAILING,
  renderOutputs,
  sideBySide,
  summarise,
  type CellComparison,
} from '../../../../src/core/notebook/compareCells';
import type { PythonEnvironment, RunOutcome } from '../../../../src/core/notebook/containerRun';
import type { CellOutput } from '../../../../src/core/notebook/nbformat';
import { TIMING_NOTE, UNTIMED_NOTE } from '../../../../src/core/notebook/normalise';
import { asRun } from '../../../../src/core/notebook/plan';
import {
  cellWith,
  codeCell,
  completed,
  ctx,
  display,
  error,
  handCell,
  nb40,
  nb44,
  nb45,
  plans40,
  plans44,
  plans45,
  ran,
  ranCut,
  result,
  stderr,
  stdout,
} from './cells';
import { canvas, encode, gradient, withChanged } from './pngs';

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

  test('skipped: a cell made only of IPython syntax is not run, the syntax named, not "differs"', () => {
    const timeit = handCell('%timeit sum(range(100))', [
      stdout('659 ns ± 95.3 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)\n'),
    ]);
    const c = compareCell(timeit.plan, timeit.saved, undefined, ctx());
    assert.equal(c.status, 'skipped');
    assert.equal(
      c.reason,
      "%timeit sum(range(100)) is IPython syntax: the cell is not run in the container (%timeit's output is a timing, which only IPython makes)",
    );
    assert.deepEqual(c.skipped, ['%timeit sum(range(100))']);
    const ext = handCell('%load_ext autoreload\n%autoreload 2', []);
    assert.equal(
      compareCell(ext.plan, ext.saved, undefined, ctx()).reason,
      '%load_ext autoreload; %autoreload 2 are IPython syntax: the cell is not run in the container',
    );
    const pip = handCell('!pip install x', [stdout('Requirement already satisfied: x in /usr/lib/python3/dist-packages\n')]);
    assert.equal(compareCell(pip.plan, pip.saved, undefined, ctx()).status, 'skipped');
  });

  test('timings: a %timeit or %%time cell run by IPython on both sides is within tolerance, saying the timings differ', () => {
    const timeit = handCell('%timeit -n 3 -r 2 sum(range(100))', [
      stdout('659 ns ± 95.3 ns per loop (mean ± std. dev. of 2 runs, 3 loops each)\n'),
    ]);
    const plan = asRun(timeit.plan, '8.5.0');
    const c = compareCell(
      plan,
      timeit.saved,
      ran(plan, [stdout('1.21 µs ± 310 ns per loop (mean ± std. dev. of 2 runs, 3 loops each)\n')]),
      ctx(),
    );
    assert.equal(c.status, 'within-tolerance');
    assert.equal(c.reason, `stdout: ${TIMING_NOTE}`);
    const time = handCell('%%time\ntotal = sum(range(1000))\ntotal', [
      stdout('CPU times: user 6 µs, sys: 1 µs, total: 7 µs\nWall time: 10.3 µs\n'),
      result('499500'),
    ]);
    const t = asRun(time.plan, '8.5.0');
    const d = compareCell(
      t,
      time.saved,
      ran(t, [stdout('CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms\nWall time: 1.5 ms\n'), result('499500')]),
      ctx(),
    );
    assert.equal(d.status, 'within-tolerance');
    assert.equal(d.reason, `stdout: ${TIMING_NOTE}`);
    // the same timings, a different result: differs
    assert.equal(
      compareCell(t, time.saved, ran(t, [stdout('CPU times: user 6 µs, sys: 1 µs, total: 7 µs\nWall time: 10.3 µs\n'), result('1')]), ctx())
        .status,
      'differs',
    );
  });

  test('timings: %time runs untimed without IPython, its statement compared and the timing lines noted', () => {
    const { plan, saved } = handCell('%time x = sum(range(100))\nprint(x)', [
      stdout('CPU times: user 3 µs, sys: 0 ns, total: 3 µs\nWall time: 4.77 µs\n4950\n'),
    ]);
    assert.equal(plan.skippedWhole, false);
    const c = compareCell(plan, saved, ran(plan, [stdout('4950\n')]), ctx());
    assert.equal(c.status, 'within-tolerance');
    assert.equal(c.reason, `stdout: ${TIMING_NOTE}; ${UNTIMED_NOTE}`);
  });

  test('a cell mixing a skipped line with real code runs its code and is compared', () => {
    const { plan, saved } = handCell('%load_ext autoreload\nvalue = 6 * 7\nvalue', [result('42')]);
    assert.equal(plan.skippedWhole, false);
    const c = compareCell(plan, saved, ran(plan, [result('42')]), ctx());
    assert.equal(c.status, 'identical');
    assert.deepEqual(c.notes, ['not run in the container (IPython syntax): %load_ext autoreload']);
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
        'nondeterministic',
        'error-container',
        'error-notebook',
        'not-run',
        'skipped',
        'no-reference',
      ] as const
    ).map(as);
    assert.deepEqual(summarise(cells), {
      cells: 10,
      identical: 2,
      withinTolerance: 1,
      differs: 1,
      nondeterministic: 1,
      errors: 2,
      notRun: 2,
      noReference: 1,
    });
    assert.deepEqual(summarise([]), {
      cells: 0,
      identical: 0,
      withinTolerance: 0,
      differs: 0,
      nondeterministic: 0,
      errors: 0,
      notRun: 0,
      noReference: 0,
    });
  });

  test('what fails a comparison', () => {
    assert.deepEqual([...FAILING].sort(), ['differs', 'error-container', 'error-notebook']);
  });
});

describe('diffs are bounded', () => {
  const numbered = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `${tag} line ${i}`).join('\n');

  test('inputs past the size limit: one row saying so, with both sizes', () => {
    const left = numbered(DIFF_LIMITS.lines, 'a');
    const right = numbered(DIFF_LIMITS.lines, 'b');
    const rows = sideBySide(left, right);
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.left ?? '', /^\[outputs too large to diff, sizes [\d,]+ and [\d,]+ characters \(20,000 and 20,000 lines\)/);
  });

  test('within the size limit but too different: the edit search gives up, one row saying so', () => {
    const left = numbered(DIFF_LIMITS.edits + 1000, 'a');
    const right = numbered(DIFF_LIMITS.edits + 1000, 'b');
    const rows = sideBySide(left, right);
    assert.equal(rows.length, 1);
    assert.match(rows[0]?.left ?? '', /outputs too large to diff/);
  });

  test('a few changes in a long output are still diffed line by line', () => {
    const left = numbered(5000, 'a');
    const right = left.replace('a line 2500', 'changed');
    const rows = sideBySide(left, right);
    assert.equal(rows.length, 5000);
    assert.deepEqual(
      rows.filter((r) => r.kind !== 'same'),
      [{ kind: 'changed', left: 'a line 2500', right: 'changed' }],
    );
  });

  test('in a cell: the note names the sizes', () => {
    const { plan, saved } = cellWith([{ kind: 'stream', name: 'stdout', text: numbered(30_000, 'a') }]);
    const c = compareCell(plan, saved, ranCut(plan.index, [{ kind: 'stream', name: 'stdout', text: numbered(30_000, 'b') }]), completed);
    assert.equal(c.status, 'differs');
    assert.ok(
      c.notes.some((n) => n.startsWith('outputs too large to diff, sizes')),
      JSON.stringify(c.notes),
    );
  });
});

describe('a cell whose output was cut', () => {
  test('says it was truncated and by how much', () => {
    const { plan, saved } = cellWith([{ kind: 'stream', name: 'stdout', text: 'x\n' }]);
    const c = compareCell(plan, saved, ranCut(plan.index, [{ kind: 'stream', name: 'stdout', text: 'x\n' }], 104_857_600), completed);
    assert.ok(
      c.notes.includes("truncated: 104,857,600 characters of the container's output were cut (its first and last part are kept)"),
      JSON.stringify(c.notes),
    );
  });
});

describe('errorHint: Python 2 code in a Python 3 image', () => {
  test('a print statement is named as Python 2 syntax', () => {
    assert.match(
      errorHint(
        { ename: 'SyntaxError', evalue: "Missing parentheses in call to 'print'. Did you mean print(...)? (<cell>, line 1)" },
        {},
      ) ?? '',
      /^Python 2 syntax/,
    );
    assert.equal(errorHint({ ename: 'SyntaxError', evalue: 'invalid syntax (<cell>, line 3)' }, {}), undefined);
  });
});
