import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  close,
  compareText,
  DEFAULT_TOLERANCE,
  normaliseText,
  skeleton,
  TIMING_NOTE,
  UNTIMED_NOTE,
} from '../../../../src/core/notebook/normalise';

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

  test('%time output and tqdm progress: durations and rates become placeholders, with a note', () => {
    const t = normaliseText('CPU times: user 1.21 ms, sys: 0 ns, total: 1.21 ms\nWall time: 1.2 s\nresult 3');
    assert.equal(t.text, 'CPU times: user <duration>, sys: <duration>, total: <duration>\nWall time: <duration>\nresult 3');
    assert.deepEqual(t.notes, [TIMING_NOTE]);
    assert.equal(normaliseText('Wall time: 1min 5s').text, 'Wall time: <duration>');
    assert.equal(
      normaliseText('CPU times: user 6 µs, sys: 1 µs, total: 7 µs\nWall time: 10.3 µs').text,
      normaliseText('CPU times: user 2h 3min 4s, sys: 0 ns, total: 1e+03 ns\nWall time: 3 us').text,
    );
    // printed only when compiling or parsing was slow
    assert.equal(
      normaliseText('Compiler : 123 ms\nParser   : 105 ms\nCPU times: user 1 s, sys: 0 ns, total: 1 s').text,
      'CPU times: user <duration>, sys: <duration>, total: <duration>',
    );
    assert.equal(normaliseText('100%|██████████| 10/10 [00:01<00:00,  9.50it/s]').text, '100%|██████████| 10/10 [<progress>]');
    assert.equal(normaliseText('45it [00:01, 30.2it/s]').text, '45it [<progress>]');
    assert.equal(normaliseText('  0%|          | 0/100 [00:00<?, ?it/s]').text, '  0%|          | 0/100 [<progress>]');
    // a bracketed clock time without a rate is no progress bar
    assert.deepEqual(normaliseText('[12:30] standup'), { text: '[12:30] standup', notes: [] });
    assert.equal(normaliseText('epoch 1: 1.5 s/it, 32/32 - 0s 2ms/step').text, 'epoch 1: <rate>, 32/32 - <duration> <rate>');
    // ordinary durations in a program's own output are data
    assert.deepEqual(normaliseText('timeout after 5 s, 30 ms backoff'), { text: 'timeout after 5 s, 30 ms backoff', notes: [] });
  });

  test('%timeit: every form, the loop count included, reads the same', () => {
    const forms = [
      '659 ns ± 95.3 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)',
      '1.2 ms ± 3 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)',
      '3.1 s ± 0 ns per loop (mean ± std. dev. of 1 run, 1 loop each)',
      '12.5 us +- 100 ns per loop (mean +- std. dev. of 2 runs, 3 loops each)',
      '1000000 loops, best of 3: 659 ns per loop',
      '100 loops, best of 5: 2.1 ms per loop',
      '1 loop, best of 3: 1.5 s per loop',
    ];
    for (const form of forms) assert.deepEqual(normaliseText(form), { text: '<duration> per loop (timeit)', notes: [TIMING_NOTE] }, form);
    // the warning about caching comes and goes with the clock
    assert.equal(
      normaliseText(
        'The slowest run took 5.32 times longer than the fastest. This could mean that an intermediate result is being cached.\n1.2 ms ± 3 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)',
      ).text,
      '<duration> per loop (timeit)',
    );
  });

  test('progress bars redrawn after a carriage return read as their last drawing', () => {
    const tqdm = (rates: number[]): string =>
      rates
        .map((r, i) => `\r${String((i + 1) * 25).padStart(3)}%|${'█'.repeat(i + 1)}| ${(i + 1) * 25}/100 [00:0${i}<00:0${3 - i}, ${r}it/s]`)
        .join('') + '\n';
    const saved = normaliseText(tqdm([30.2, 31.5, 29.9, 30.0]));
    assert.equal(saved.text, '100%|████| 100/100 [<progress>]');
    // fewer redraws, other rates: the same last drawing
    assert.equal(normaliseText(`\r  0%|| 0/100 [00:00<?, ?it/s]${tqdm([12.5, 3, 4, 80])}`).text, saved.text);
    // keras 2 redraws with backspaces and a carriage return
    assert.equal(
      normaliseText('Epoch 1/5\n 16/32 [==>...] - ETA: 1s - loss: 0.5\b\b\b\b\r32/32 [======] - 1s 3ms/step - loss: 0.2500\n').text,
      'Epoch 1/5\n32/32 [======] - <duration> <rate> - loss: 0.2500',
    );
    assert.equal(
      normaliseText('32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 14ms/step - loss: 0.25').text,
      '32/32 ━━━━━━━━━━━━━━━━━━━━ <duration> <rate> - loss: 0.25',
    );
    // CRLF line ends are line ends, and a carriage return ending the text erases nothing
    assert.equal(normaliseText('a\r\nb\r').text, 'a\nb');
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

  test('only the timings differ: within tolerance, saying so', () => {
    assert.deepEqual(
      compareText(
        '659 ns ± 95.3 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)\n',
        '702 ns ± 12.1 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)\n',
        DEFAULT_TOLERANCE,
      ),
      { kind: 'within-tolerance', reason: TIMING_NOTE, notes: [TIMING_NOTE] },
    );
    const time = (cpu: string, wall: string): string => `CPU times: user ${cpu}, sys: 0 ns, total: ${cpu}\nWall time: ${wall}\nOut: 45`;
    assert.equal(compareText(time('6 µs', '10.3 µs'), time('1.2 ms', '1.5 ms'), DEFAULT_TOLERANCE).kind, 'within-tolerance');
    // a different result next to the timing still differs
    assert.equal(compareText(time('6 µs', '10.3 µs'), time('6 µs', '10.3 µs').replace('45', '46'), DEFAULT_TOLERANCE).kind, 'differs');
  });

  test('%time lines on one side only (the statement ran untimed): left out, with a note', () => {
    const v = compareText('CPU times: user 1.21 ms, sys: 0 ns, total: 1.21 ms\nWall time: 1.2 s\n5000\n', '5000\n', DEFAULT_TOLERANCE);
    assert.deepEqual(v, { kind: 'within-tolerance', reason: `${TIMING_NOTE}; ${UNTIMED_NOTE}`, notes: [TIMING_NOTE, UNTIMED_NOTE] });
    assert.equal(compareText('Wall time: 1.2 s\n5000', '6000', DEFAULT_TOLERANCE).kind, 'differs');
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
