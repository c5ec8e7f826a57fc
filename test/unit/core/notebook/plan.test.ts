import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseNotebook } from '../../../../src/core/notebook/nbformat';
import { asRun, importedModules, planCell, planNotebook } from '../../../../src/core/notebook/plan';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../../fixtures/notebooks', name), 'utf8');

describe('planCell: IPython syntax becomes pass, reported as skipped', () => {
  test('line magics and shell escapes: pass with the same indentation', () => {
    const p = planCell('%matplotlib inline\nimport numpy as np\n!pip install -q scikit-learn\nif True:\n    !ls data\n    x = 1');
    assert.equal(p.source, 'pass\nimport numpy as np\npass\nif True:\n    pass\n    x = 1');
    assert.deepEqual(p.skipped, ['%matplotlib inline', '!pip install -q scikit-learn', '!ls data']);
    assert.equal(p.skippedWhole, false);
  });

  test('the line count is kept, so tracebacks point at the same lines', () => {
    const src = '%load_ext autoreload\n%autoreload 2\n\nimport pandas as pd\n!nvidia-smi\npd.__version__';
    const p = planCell(src);
    assert.equal(p.source.split('\n').length, src.split('\n').length);
    assert.equal(p.source.split('\n')[5], 'pd.__version__');
  });

  test('a shell capture `x = !ls` and a magic capture `t = %timeit -o f()`', () => {
    const p = planCell('files = !ls *.csv\nt = %timeit -o f()\n  d["k"] = !pwd\nprint(files)');
    assert.equal(p.source, 'pass\npass\n  pass\nprint(files)');
    assert.deepEqual(p.skipped, ['files = !ls *.csv', 't = %timeit -o f()', 'd["k"] = !pwd']);
  });

  test('%time runs its statement (untimed), indentation kept', () => {
    const p = planCell('def g():\n    return 2\n%time y = g()\nfor i in range(2):\n    %time z = g() * i\nprint(y)');
    assert.equal(p.source, 'def g():\n    return 2\ny = g()\nfor i in range(2):\n    z = g() * i\nprint(y)');
    // the statements run, so nothing is reported as skipped
    assert.deepEqual(p.skipped, []);
  });

  test('a bare %time (no statement) becomes pass', () => {
    assert.equal(planCell('x = 1\n%time').source, 'x = 1\npass');
  });

  test('%timeit with options runs the statement, not the options, when the cell has other code', () => {
    // `%timeit -n 10 -r 3 f()` is how timeit is usually written; `-n 10 -r 3 f()` is not Python
    const p = planCell('def f():\n    return 1\n%timeit -n 10 -r 3 f()');
    assert.equal(p.source, 'def f():\n    return 1\nf()');
    assert.deepEqual(p.skipped, []);
    assert.equal(p.skippedWhole, false);
  });

  test('%%time: the body runs, the magic line is blanked', () => {
    const p = planCell('%%time\nmodel = fit(X, y)\n%matplotlib inline\nprint(model)');
    assert.equal(p.source, '\nmodel = fit(X, y)\npass\nprint(model)');
    assert.deepEqual(p.skipped, ['%%time', '%matplotlib inline']);
    assert.equal(p.skippedWhole, false);
  });

  test('%%time and %%capture run their body', () => {
    assert.equal(planCell('%%time\nsum(range(10))').source, '\nsum(range(10))');
    assert.equal(planCell('%%capture out\nprint(1)').source, '\nprint(1)');
  });

  test('%%bash and %%writefile are skipped whole', () => {
    assert.deepEqual(planCell('%%bash\necho "disk usage:"\ndu -sh data'), { source: 'pass\n', skipped: ['%%bash'], skippedWhole: true });
    assert.deepEqual(planCell('\n%%writefile serve.py\nimport flask\n'), {
      source: 'pass\n',
      skipped: ['%%writefile serve.py'],
      skippedWhole: true,
    });
  });

  test('help lines: obj?, obj??, ?obj', () => {
    const p = planCell('import numpy as np\nnp.mean?\nnp.linalg.norm??\n?np.std\nnp.mean([1, 2])');
    assert.equal(p.source, 'import numpy as np\npass\npass\npass\nnp.mean([1, 2])');
    assert.deepEqual(p.skipped, ['np.mean?', 'np.linalg.norm??', '?np.std']);
  });

  test('a % or ! at the start of a line inside a triple-quoted string is not touched', () => {
    const src = 'usage = """\n%matplotlib inline\n!pip install berth\n    %time f()\n"""\nprint(usage)\n%who';
    const p = planCell(src);
    assert.equal(p.source, 'usage = """\n%matplotlib inline\n!pip install berth\n    %time f()\n"""\nprint(usage)\npass');
    assert.deepEqual(p.skipped, ['%who']);
  });

  test("single-quoted triple strings too, and a string opened and closed on one line doesn't flip the state", () => {
    const p = planCell("a = '''one line'''\nb = '''\n!not shell\n'''\n!echo hi");
    assert.equal(p.source, "a = '''one line'''\nb = '''\n!not shell\n'''\npass");
    assert.deepEqual(p.skipped, ['!echo hi']);
  });

  test('ordinary Python is untouched: % and != mid-line, ? in strings, dict and comparison lines', () => {
    const src = [
      'import numpy as np',
      'r = a % b',
      "msg = 'acc: %.3f' % acc",
      'if x != y:',
      '    print("what?")',
      "d = {'a': 1 % 3}",
      'ok = x!=y',
      '# %matplotlib inline in a comment',
      'y = np.where(x > 0, x, -x)',
    ].join('\n');
    assert.deepEqual(planCell(src), { source: src, skipped: [], skippedWhole: false });
  });

  test('continuation lines that start with an operator (black style) are Python, not magics', () => {
    // black breaks long expressions before binary operators; IPython only treats % and ! as
    // escapes at the start of a logical line
    const src = [
      'ok = (',
      '    predictions.shape[0]',
      '    != labels.shape[0]',
      ')',
      'msg = (',
      '    "%d of %d correct"',
      '    % (hits, total)',
      ')',
    ].join('\n');
    assert.deepEqual(planCell(src), { source: src, skipped: [], skippedWhole: false });
  });

  test('empty cell', () => {
    assert.deepEqual(planCell(''), { source: '', skipped: [], skippedWhole: false });
  });
});

describe('planCell: a cell made only of syntax the runner does not run is skipped whole', () => {
  const skippedWhole = (source: string, skipped: string[]): void =>
    assert.deepEqual(planCell(source), { source: 'pass\n', skipped, skippedWhole: true }, source);

  test('%timeit alone: its output is the timing, and IPython keeps none of its names', () => {
    skippedWhole('%timeit sum(range(100))', ['%timeit sum(range(100))']);
    skippedWhole('# how fast?\n%timeit -n 3 -r 2 sum(range(100))\n\n%timeit sorted(x)\n', [
      '%timeit -n 3 -r 2 sum(range(100))',
      '%timeit sorted(x)',
    ]);
    skippedWhole('%%timeit\nsum(range(10))', ['%%timeit']);
    skippedWhole('%%timeit x = list(range(10))\nsorted(x)', ['%%timeit x = list(range(10))']);
  });

  test('magics, shell escapes and help alone', () => {
    skippedWhole('%matplotlib inline', ['%matplotlib inline']);
    skippedWhole('!pip install x', ['!pip install x']);
    skippedWhole('%load_ext autoreload\n%autoreload 2', ['%load_ext autoreload', '%autoreload 2']);
    skippedWhole('obj?', ['obj?']);
    skippedWhole('%time', ['%time']);
    skippedWhole('  \n%cd /tmp\n# back later\n', ['%cd /tmp']);
    // the lines continuing a shell escape are part of it
    skippedWhole('!pip install \\\n    numpy \\\n    pandas', ['!pip install \\']);
  });

  test('%%capture or %%time over nothing but such syntax', () => {
    skippedWhole('%%capture\n%pip install -q numpy\n!apt-get -y install graphviz', [
      '%%capture',
      '%pip install -q numpy',
      '!apt-get -y install graphviz',
    ]);
    skippedWhole('%%time\n%timeit f()', ['%%time', '%timeit f()']);
  });

  test('%time runs: a cell of %time statements is not skipped (its names are kept for later cells)', () => {
    assert.deepEqual(planCell('%time x = f()\nprint(x)'), { source: 'x = f()\nprint(x)', skipped: [], skippedWhole: false });
    assert.deepEqual(planCell('%time x = f()'), { source: 'x = f()', skipped: [], skippedWhole: false });
  });

  test('a cell mixing skipped lines with real code still runs its code', () => {
    assert.deepEqual(planCell('%load_ext autoreload\nvalue = 6 * 7\nvalue'), {
      source: 'pass\nvalue = 6 * 7\nvalue',
      skipped: ['%load_ext autoreload'],
      skippedWhole: false,
    });
    assert.deepEqual(planCell('%timeit sum(range(100))\nprint("done")'), {
      source: 'sum(range(100))\nprint("done")',
      skipped: [],
      skippedWhole: false,
    });
    assert.deepEqual(planCell('!pip install x\n"""a docstring"""'), {
      source: 'pass\n"""a docstring"""',
      skipped: ['!pip install x'],
      skippedWhole: false,
    });
    assert.equal(planCell('%%capture\n!ls\nprint(1)').skippedWhole, false);
  });

  test('a cell of comments and blank lines only is not skipped (nothing IPython in it)', () => {
    assert.deepEqual(planCell('# notes\n\n'), { source: '# notes\n\n', skipped: [], skippedWhole: false });
  });

  test("as run in IPython's shell, nothing is skipped", () => {
    const p = { index: 0, ordinal: 1, title: '%timeit f()', original: '%timeit f()', ...planCell('%timeit f()') };
    assert.equal(p.skippedWhole, true);
    assert.deepEqual(asRun(p, '8.5.0'), { ...p, skipped: [], skippedWhole: false });
    assert.equal(asRun(p, undefined), p);
  });
});

describe('planNotebook', () => {
  test('ordinals count code cells only; index counts every cell', () => {
    const plans = planNotebook(parseNotebook(fixture('v4.0-strings.ipynb')));
    assert.deepEqual(
      plans.map((p) => [p.index, p.ordinal]),
      [
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ],
    );
    assert.ok(plans.every((p) => !('id' in p)));
  });

  test('the 4.5 fixture: ids carried, magics planned, %%bash skipped whole, markdown and raw cells left out', () => {
    const plans = planNotebook(parseNotebook(fixture('v4.5-ids-attachments.ipynb')));
    assert.deepEqual(
      plans.map((p) => [p.index, p.ordinal, p.id]),
      [
        [1, 1, '8b7e0d41'],
        [2, 2, 'c0a5e6f7'],
        [3, 3, '1d2e3f40'],
        [5, 4, '5e4d3c2b'],
        [6, 5, '0f1e2d3c'],
      ],
    );
    assert.equal(plans[0]!.source, 'pass\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression');
    assert.deepEqual(plans[0]!.skipped, ['!pip install -q scikit-learn']);
    assert.equal(plans[1]!.source, '\nmodel = LogisticRegression(max_iter=200)\nprint(model)');
    assert.deepEqual(plans[1]!.skipped, ['%%time']);
    assert.deepEqual(
      plans.map((p) => p.skippedWhole),
      [false, false, false, false, true],
    );
    assert.deepEqual(plans[4]!.skipped, ['%%bash']);
  });

  test('the 4.4 fixture: %matplotlib inline skipped in the first cell, the rest runs as written', () => {
    const nb = parseNotebook(fixture('v4.4-all-outputs.ipynb'));
    const plans = planNotebook(nb);
    assert.equal(plans.length, 7);
    assert.deepEqual(plans[0]!.skipped, ['%matplotlib inline']);
    for (const p of plans.slice(1)) assert.equal(p.source, nb.cells[p.index]!.source);
  });
});

describe("the original source, for IPython's shell", () => {
  test('each plan carries its cell as written next to the planned Python', () => {
    const nb = parseNotebook(fixture('v4.5-ids-attachments.ipynb'));
    const plans = planNotebook(nb);
    for (const p of plans) assert.equal(p.original, nb.cells[p.index]!.source);
    assert.equal(
      plans[0]!.original,
      '!pip install -q scikit-learn\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression',
    );
    assert.notEqual(plans[0]!.source, plans[0]!.original);
    assert.equal(plans[4]!.original, '%%bash\necho "disk usage:"\ndu -sh data');
  });

  test("asRun: in IPython's shell nothing is skipped; without IPython the plan stands", () => {
    const plans = planNotebook(parseNotebook(fixture('v4.5-ids-attachments.ipynb')));
    const bash = plans[4]!;
    assert.equal(asRun(bash, undefined), bash);
    const inIPython = asRun(bash, '8.5.0');
    assert.deepEqual([inIPython.skipped, inIPython.skippedWhole], [[], false]);
    // what the cell is stays known: its source as written and the planned Python
    assert.equal(inIPython.original, bash.original);
    assert.equal(inIPython.source, bash.source);
    assert.deepEqual(asRun(plans[0]!, '8.5.0').skipped, []);
    assert.deepEqual(asRun(plans[0]!, undefined).skipped, ['!pip install -q scikit-learn']);
    assert.equal(asRun(plans[2]!, '8.5.0'), plans[2], 'a cell of plain Python is the same plan');
  });
});

describe('importedModules', () => {
  test('top-level names of import and from-import, aliases and dotted names', () => {
    assert.deepEqual(
      importedModules([
        'import numpy as np\nimport os, sys\nfrom sklearn.linear_model import LogisticRegression\nimport a.b.c\nimport xml.etree.ElementTree as ET',
      ]),
      ['numpy', 'os', 'sys', 'sklearn', 'a', 'xml'],
    );
  });

  test('relative imports are left out', () => {
    assert.deepEqual(importedModules(['from . import utils\nfrom .models import Net\nfrom ..data import load\nimport torch']), ['torch']);
  });

  test('order of first appearance across cells, no duplicates', () => {
    assert.deepEqual(
      importedModules([
        'import pandas as pd\nimport numpy as np',
        'import numpy\nfrom numpy.linalg import norm\nimport matplotlib.pyplot as plt',
        'from pandas import DataFrame\nimport json',
      ]),
      ['pandas', 'numpy', 'matplotlib', 'json'],
    );
  });

  test('indented imports count; comments and non-import lines do not', () => {
    assert.deepEqual(
      importedModules([
        'try:\n    import ujson as json  # faster\nexcept ImportError:\n    import json\n# import secret\nprint("import nothing")\nimportlib_thing = 1',
      ]),
      ['ujson', 'json'],
    );
  });

  test('no sources, no modules', () => {
    assert.deepEqual(importedModules([]), []);
    assert.deepEqual(importedModules(['x = 1']), []);
  });
});
