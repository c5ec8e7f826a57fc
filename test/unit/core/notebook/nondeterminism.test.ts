import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareCell, DEFAULT_SETTINGS, FAILING } from '../../../../src/core/notebook/compareCells';
import { codeOnly, nondeterminismByCell } from '../../../../src/core/notebook/nondeterminism';
import { ctx, handCell, ran, stdout } from './cells';

const one = (source: string): string | undefined => nondeterminismByCell([source])[0];

describe('what makes a cell nondeterministic', () => {
  test('each kind, named as the user wrote it', () => {
    const cases: [string, string | undefined][] = [
      ['import numpy as np\nprint(np.random.rand(3))', 'np.random.rand without a seed'],
      ['x = numpy.random.normal(0, 1, 5)', 'numpy.random.normal without a seed'],
      ['rng = np.random.default_rng()\nrng.random()', 'np.random.default_rng() without a seed'],
      ['import random\nprint(random.choice([1, 2, 3]))', 'random.choice without a seed'],
      ['t = torch.randn(2, 2)', 'torch.randn without torch.manual_seed'],
      ['layer = nn.Linear(4, 2)\nprint(layer.weight)', "nn.Linear's random initial weights without torch.manual_seed"],
      ['a = np.empty((2, 2))\nprint(a)', 'np.empty (memory left uninitialised)'],
      ['print(datetime.now())', 'the clock (datetime.now)'],
      ['start = time.time()', 'the clock (time.time)'],
      ['print(uuid.uuid4())', 'uuid.uuid4'],
      ["print(hash('abc'))", 'hash(), which differs per process for strings (PYTHONHASHSEED)'],
      ['print(id(object()))', 'id(), an object address'],
      ["r = requests.get('http://127.0.0.1:8080/health')", 'the network'],
      // not these
      ['rng = np.random.default_rng(42)\nprint(rng.random(3))', undefined],
      ['print(np.zeros(3), np.arange(4))', undefined],
      ['user_id(3); rehash(x); my.random.choice(x)', undefined],
      ["print('np.random.rand(3) is what we avoid')  # np.random.rand()", undefined],
    ];
    for (const [source, expected] of cases) assert.equal(one(source), expected, source);
  });

  test('a seed helps the cells at and after it, of its own generator only', () => {
    assert.deepEqual(
      nondeterminismByCell([
        'print(np.random.rand(2))', // before the seed
        'np.random.seed(0)\nprint(np.random.rand(2))',
        'print(np.random.randint(0, 9, 3))',
        'print(random.random())', // numpy's seed does not seed random
        'random.seed(1)\nprint(random.random())',
        'torch.manual_seed(0)\nprint(torch.rand(2))',
      ]),
      ['np.random.rand without a seed', undefined, undefined, 'random.random without a seed', undefined, undefined],
    );
    // a seed with no value seeds nothing repeatable
    assert.equal(nondeterminismByCell(['np.random.seed()\nprint(np.random.rand(2))'])[0], 'np.random.rand without a seed');
  });

  test('comments and strings are not code', () => {
    assert.equal(codeOnly('x = "random.random()"  # np.empty(3)\ny = 1'), 'x = ""  \ny = 1');
    assert.equal(codeOnly('"""\nnp.random.rand()\n"""\nz = 2'), '""\nz = 2');
  });
});

describe('a differing cell that is likely nondeterministic', () => {
  const { plan, saved } = handCell('print(np.random.rand(1))', [stdout('[0.5488135]\n')]);
  const reason = 'np.random.rand without a seed';

  test('says so in its reason, and still differs by default', () => {
    const c = compareCell(plan, saved, ran(plan, [stdout('[0.71518937]\n')]), ctx({ nondeterminism: reason }));
    assert.equal(c.status, 'differs');
    assert.match(c.reason, / — likely nondeterministic: np\.random\.rand without a seed$/);
  });

  test('counts as nondeterministic, which does not fail, when the settings allow', () => {
    const c = compareCell(
      plan,
      saved,
      ran(plan, [stdout('[0.71518937]\n')]),
      ctx({ nondeterminism: reason, settings: { ...DEFAULT_SETTINGS, allowNondeterministic: true } }),
    );
    assert.equal(c.status, 'nondeterministic');
    assert.ok(!FAILING.has(c.status));
  });

  test('an identical cell is just identical; a cell without a use just differs', () => {
    assert.equal(compareCell(plan, saved, ran(plan, [stdout('[0.5488135]\n')]), ctx({ nondeterminism: reason })).status, 'identical');
    const plain = compareCell(plan, saved, ran(plan, [stdout('[0.71518937]\n')]), ctx());
    assert.equal(plain.status, 'differs');
    assert.doesNotMatch(plain.reason, /nondeterministic/);
  });
});
