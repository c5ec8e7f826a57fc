import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { pngSize } from '../../../../src/core/notebook/images';
import {
  isPython,
  languageOfKernelName,
  multiline,
  notebookLanguage,
  NotebookFormatError,
  parseNotebook,
  parseOutput,
  type CellOutput,
} from '../../../../src/core/notebook/nbformat';

const FIXTURES = path.join(__dirname, '../../../fixtures/notebooks');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

function only<K extends CellOutput['kind']>(o: CellOutput | undefined, kind: K): Extract<CellOutput, { kind: K }> {
  assert.ok(o, `expected a ${kind} output`);
  assert.equal(o.kind, kind);
  return o as Extract<CellOutput, { kind: K }>;
}

describe('parseNotebook: nbformat 4.0, sources and outputs stored as single strings', () => {
  const nb = parseNotebook(fixture('v4.0-strings.ipynb'));

  test('format, language and kernel fields from the metadata', () => {
    assert.equal(nb.nbformat, 4);
    assert.equal(nb.nbformatMinor, 0);
    assert.equal(nb.language, 'python');
    assert.equal(nb.languageDeclared, true);
    assert.equal(nb.kernelName, 'python3');
    assert.equal(nb.kernelDisplayName, 'Python 3');
    assert.equal(nb.languageVersion, '3.6.9');
    assert.equal(isPython(nb), true);
  });

  test('cells: count, types, positions; 4.0 cells have no id', () => {
    assert.deepEqual(
      nb.cells.map((c) => [c.index, c.type, c.executionCount]),
      [
        [0, 'markdown', null],
        [1, 'code', 1],
        [2, 'code', 2],
        [3, 'code', 3],
        [4, 'code', null],
      ],
    );
    for (const c of nb.cells) assert.equal('id' in c, false, `cell ${c.index} should have no id`);
  });

  test('a single-string source and stream text read as written', () => {
    const cell = nb.cells[1]!;
    assert.equal(
      cell.source,
      "import math\nimport numpy as np\n\nlosses = [1.0 / (1 + k) for k in range(5)]\nprint(len(losses), 'epochs')\nprint('last loss: %.4f' % losses[-1])",
    );
    assert.deepEqual(cell.outputs, [{ kind: 'stream', name: 'stdout', text: '5 epochs\nlast loss: 0.2000\n' }]);
  });

  test('execute_result becomes a result with its text/plain', () => {
    assert.deepEqual(nb.cells[2]!.outputs, [{ kind: 'result', data: { 'text/plain': '0.45666666666666667' } }]);
  });

  test('an error keeps ename, evalue and the ANSI-coloured traceback lines', () => {
    const err = only(nb.cells[3]!.outputs[0], 'error');
    assert.equal(err.ename, 'KeyError');
    assert.equal(err.evalue, "'missing'");
    assert.equal(err.traceback.length, 4);
    assert.equal(err.traceback[0], `\x1b[0;31m${'-'.repeat(75)}\x1b[0m`);
    assert.match(err.traceback[2]!, /<ipython-input-3-6c1a4b4e2f0d>/);
    assert.equal(err.traceback[3], "\x1b[0;31mKeyError\x1b[0m: 'missing'");
  });

  test('a cell that was never run: no execution count, no outputs', () => {
    const cell = nb.cells[4]!;
    assert.equal(cell.executionCount, null);
    assert.deepEqual(cell.outputs, []);
    assert.equal(cell.source, 'losses[-1] * 100');
  });

  test('markdown cells carry their source but never outputs', () => {
    assert.equal(nb.cells[0]!.source, '# Loss curve\n\nA quick look at the training loss per epoch.');
    assert.deepEqual(nb.cells[0]!.outputs, []);
  });
});

describe('parseNotebook: nbformat 4.2, the same notebook stored as lists of strings', () => {
  const strings = parseNotebook(fixture('v4.0-strings.ipynb'));
  const lists = parseNotebook(fixture('v4.2-lists.ipynb'));

  test('the fixture really stores lists where the 4.0 one stores strings', () => {
    const raw = JSON.parse(fixture('v4.2-lists.ipynb')) as { cells: { source: unknown; outputs?: { text?: unknown }[] }[] };
    assert.ok(Array.isArray(raw.cells[1]!.source));
    assert.ok(Array.isArray(raw.cells[1]!.outputs![0]!.text));
    const rawStrings = JSON.parse(fixture('v4.0-strings.ipynb')) as { cells: { source: unknown }[] };
    assert.equal(typeof rawStrings.cells[1]!.source, 'string');
  });

  test('cells read identically: sources and outputs joined the same way', () => {
    assert.equal(lists.nbformatMinor, 2);
    assert.equal(lists.languageVersion, '3.7.3');
    assert.deepEqual(lists.cells, strings.cells);
  });

  test('multiline joins lists without adding separators, and treats missing as empty', () => {
    assert.equal(multiline(['a\n', 'b\n', 'c'], 'x'), 'a\nb\nc');
    assert.equal(multiline(['ab', 'cd'], 'x'), 'abcd');
    assert.equal(multiline('one\ntwo', 'x'), 'one\ntwo');
    assert.equal(multiline(undefined, 'x'), '');
    assert.equal(multiline(null, 'x'), '');
    assert.throws(() => multiline(['a', 3], 'Cell 2.source'), {
      name: 'NotebookFormatError',
      message: 'Cell 2.source must be a string or a list of strings.',
    });
  });
});

describe('parseNotebook: nbformat 4.4, every output type', () => {
  const nb = parseNotebook(fixture('v4.4-all-outputs.ipynb'));
  const code = nb.cells;

  test('seven code cells, no ids, Python 3.8.10', () => {
    assert.equal(nb.nbformatMinor, 4);
    assert.equal(code.length, 7);
    assert.ok(code.every((c) => c.type === 'code' && !('id' in c)));
    assert.deepEqual(
      code.map((c) => c.executionCount),
      [1, 2, 3, 4, 5, 6, null],
    );
    assert.equal(nb.languageVersion, '3.8.10');
  });

  test('stdout and stderr streams, in order', () => {
    assert.deepEqual(code[1]!.outputs, [
      { kind: 'stream', name: 'stdout', text: 'rows: 150\n' },
      {
        kind: 'stream',
        name: 'stderr',
        text: '/home/ana/.venv/lib/python3.8/site-packages/ipykernel_launcher.py:2: UserWarning: the sample is small\n  \n',
      },
    ]);
  });

  test('execute_result with text/plain', () => {
    assert.deepEqual(code[2]!.outputs, [{ kind: 'result', data: { 'text/plain': '6.05' } }]);
  });

  test('display_data with text/html and text/plain: both kept, list form joined', () => {
    const d = only(code[3]!.outputs[0], 'display');
    assert.deepEqual(Object.keys(d.data).sort(), ['text/html', 'text/plain']);
    assert.equal(d.data['text/plain'], '   sepal_length     species\n0           5.1      setosa\n1           7.0  versicolor');
    assert.match(d.data['text/html']!, /^<div>\n<style scoped>/);
    assert.match(d.data['text/html']!, /<td>versicolor<\/td>/);
    assert.match(d.data['text/html']!, /<\/table>\n<\/div>$/);
  });

  test('display_data with image/png: base64 kept (with its trailing newline) and decodable', () => {
    const d = only(code[4]!.outputs[0], 'display');
    assert.equal(d.data['text/plain'], '<Figure size 23.76x15.84 with 1 Axes>');
    const png = d.data['image/png']!;
    assert.match(png, /^iVBORw0KGgo[A-Za-z0-9+/]+=*\n$/);
    assert.deepEqual(pngSize(png), { width: 24, height: 16 });
  });

  test('error with IPython 7 colours', () => {
    const err = only(code[5]!.outputs[0], 'error');
    assert.equal(err.ename, 'ZeroDivisionError');
    assert.equal(err.evalue, 'division by zero');
    assert.equal(err.traceback.at(-1), '\x1b[0;31mZeroDivisionError\x1b[0m: division by zero');
  });

  test('the cell never run', () => {
    assert.equal(code[6]!.executionCount, null);
    assert.deepEqual(code[6]!.outputs, []);
  });
});

describe('parseNotebook: nbformat 4.5, ids, attachments, raw cells', () => {
  const nb = parseNotebook(fixture('v4.5-ids-attachments.ipynb'));

  test('every cell keeps its id; types in order', () => {
    assert.equal(nb.nbformatMinor, 5);
    assert.deepEqual(
      nb.cells.map((c) => [c.type, c.id]),
      [
        ['markdown', '3f9c1a2e'],
        ['code', '8b7e0d41'],
        ['code', 'c0a5e6f7'],
        ['code', '1d2e3f40'],
        ['raw', '9a8b7c6d'],
        ['code', '5e4d3c2b'],
        ['code', '0f1e2d3c'],
      ],
    );
  });

  test('a markdown cell with an image attachment reads as markdown (attachments are tolerated, not outputs)', () => {
    const md = nb.cells[0]!;
    assert.equal(md.type, 'markdown');
    assert.equal(md.source, '## Training\n\nThe loss we expect:\n\n![loss.png](attachment:loss.png)');
    assert.deepEqual(md.outputs, []);
    assert.equal(md.executionCount, null);
  });

  test('the kernel as VS Code records it', () => {
    assert.equal(nb.kernelDisplayName, 'Python 3 (ipykernel)');
    assert.equal(nb.kernelName, 'python3');
    assert.equal(nb.languageVersion, '3.11.4');
  });

  test('a raw cell has its text and nothing else', () => {
    assert.deepEqual(nb.cells[4], {
      index: 4,
      id: '9a8b7c6d',
      type: 'raw',
      source: 'Notes for the reviewer: nothing to run here.',
      executionCount: null,
      outputs: [],
    });
  });

  test('IPython 8 traceback ("Cell In[4], line 1") kept as lines', () => {
    const err = only(nb.cells[5]!.outputs[0], 'error');
    assert.equal(err.ename, 'ModuleNotFoundError');
    assert.equal(err.evalue, "No module named 'torch'");
    assert.ok(err.traceback[2]!.startsWith('Cell \x1b[0;32mIn[4], line 1\x1b[0m\n'), err.traceback[2]);
  });
});

describe('parseNotebook: other kernels and notebooks without code', () => {
  test('an R (IRkernel) notebook: language r, not Python; its rich display is read', () => {
    const nb = parseNotebook(fixture('r-kernel.ipynb'));
    assert.equal(nb.language, 'r');
    assert.equal(nb.languageDeclared, true);
    assert.equal(nb.kernelName, 'ir');
    assert.equal(nb.kernelDisplayName, 'R');
    assert.equal(nb.languageVersion, '4.3.1');
    assert.equal(isPython(nb), false);
    const d = only(nb.cells[0]!.outputs[0], 'display');
    assert.equal(d.data['text/plain'], '[1] 5.2');
    assert.equal(d.data['text/latex'], '5.2');
  });

  test('a markdown-only notebook parses with two markdown cells', () => {
    const nb = parseNotebook(fixture('markdown-only.ipynb'));
    assert.deepEqual(
      nb.cells.map((c) => c.type),
      ['markdown', 'markdown'],
    );
    assert.equal(isPython(nb), true);
  });

  test('no language in the metadata: Python assumed, but not declared', () => {
    const nb = parseNotebook(JSON.stringify({ cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    assert.equal(nb.language, 'python');
    assert.equal(nb.languageDeclared, false);
    assert.equal(nb.kernelName, undefined);
    assert.equal(isPython(nb), true);
  });

  test('language_info.name is used when the kernelspec has no language', () => {
    const nb = parseNotebook(JSON.stringify({ cells: [], metadata: { language_info: { name: 'Julia' } }, nbformat: 4, nbformat_minor: 4 }));
    assert.equal(nb.language, 'julia');
    assert.equal(nb.languageDeclared, true);
    assert.equal(isPython(nb), false);
  });

  test('a UTF-8 byte order mark before the JSON is ignored', () => {
    const nb = parseNotebook(`\uFEFF${fixture('markdown-only.ipynb')}`);
    assert.equal(nb.cells.length, 2);
  });
});

describe('the language: the kernelspec, language_info, or what the kernel is called', () => {
  // [kernelspec, language_info, the language found (undefined: nothing says)]
  const cases: [Record<string, string> | undefined, Record<string, string> | undefined, string | undefined][] = [
    [{ name: 'python3', display_name: 'Python 3', language: 'python' }, undefined, 'python'],
    [{ name: 'python3', display_name: 'Python 3', language: '' }, undefined, 'python'],
    [{ name: 'python3', display_name: 'Python 3 (ipykernel)', language: '' }, { name: '' }, 'python'],
    [{ name: 'python3', language: '' }, { name: 'python', version: '3.11.4' }, 'python'],
    [{ name: 'python2', display_name: 'Python 2' }, undefined, 'python'],
    [{ name: 'py39', display_name: '' }, undefined, 'python'],
    [{ name: 'conda-env-ml-py', display_name: 'Python [conda env:ml]', language: '' }, undefined, 'python'],
    [{ name: 'conda-root-py', display_name: 'Python [Root]' }, undefined, 'python'],
    [{ name: 'conda-env-py-r', display_name: 'R [conda env:py]' }, undefined, 'r'],
    [{ name: 'conda-env-r-py', display_name: 'Python [conda env:r]' }, undefined, 'python'],
    [{ name: 'myenv', display_name: 'Python 3 (ipykernel)', language: '' }, undefined, 'python'],
    [{ name: '.venv', display_name: 'Python 3.12 (.venv)' }, undefined, 'python'],
    [{ name: 'pysparkkernel', display_name: 'PySpark' }, undefined, 'python'],
    [{ name: 'ir', display_name: 'R', language: 'R' }, { name: 'R' }, 'r'],
    [{ name: 'ir', display_name: 'R', language: '' }, undefined, 'r'],
    [{ name: 'julia-1.9', display_name: 'Julia 1.9.3', language: '' }, undefined, 'julia'],
    [undefined, { name: 'julia', version: '1.9.3' }, 'julia'],
    [{ name: 'python3', display_name: 'Python 3' }, { name: 'Julia' }, 'julia'],
    [{ name: 'xcpp17', display_name: 'C++17' }, undefined, 'c++'],
    [{ name: 'bash', display_name: 'Bash' }, undefined, 'bash'],
    [{ name: 'tslab', display_name: 'TypeScript' }, undefined, 'typescript'],
    [{ name: 'myenv', display_name: 'My environment', language: '' }, undefined, undefined],
    [{}, {}, undefined],
    [undefined, undefined, undefined],
  ];
  for (const [kernelspec, languageInfo, language] of cases) {
    test(`${JSON.stringify(kernelspec ?? null)} ${JSON.stringify(languageInfo ?? null)} → ${language ?? 'not said'}`, () => {
      const metadata = { ...(kernelspec ? { kernelspec } : {}), ...(languageInfo ? { language_info: languageInfo } : {}) };
      assert.equal(notebookLanguage(metadata), language);
      const nb = parseNotebook(JSON.stringify({ cells: [], metadata, nbformat: 4, nbformat_minor: 5 }));
      assert.equal(nb.language, language ?? 'python');
      assert.equal(nb.languageDeclared, language !== undefined);
      assert.equal(isPython(nb), language === undefined || language === 'python');
    });
  }

  test('kernel names alone', () => {
    assert.equal(languageOfKernelName('Python 3 (ipykernel)'), 'python');
    assert.equal(languageOfKernelName('python3'), 'python');
    assert.equal(languageOfKernelName('conda-env-ml-py'), 'python');
    assert.equal(languageOfKernelName('conda-env-stats-r'), 'r');
    assert.equal(languageOfKernelName('R 4.3'), 'r');
    assert.equal(languageOfKernelName('.net-csharp'), 'c#');
    assert.equal(languageOfKernelName('deno'), 'typescript');
    assert.equal(languageOfKernelName('base'), undefined);
    assert.equal(languageOfKernelName(''), undefined);
  });

  test('the language at the top of the metadata (IJulia and IRkernel notebooks of nbformat 3)', () => {
    assert.equal(notebookLanguage({ language: 'Julia', name: '' }), 'julia');
    assert.equal(notebookLanguage({ language: '', kernelspec: { name: 'python3' } }), 'python');
  });

  test('a python3 kernelspec with an empty language is Python, and is compared', () => {
    const doc = JSON.parse(fixture('v4.5-ids-attachments.ipynb')) as {
      metadata: { kernelspec: { language: string }; language_info?: unknown };
    };
    doc.metadata.kernelspec.language = '';
    delete doc.metadata.language_info;
    const nb = parseNotebook(JSON.stringify(doc));
    assert.equal(nb.language, 'python');
    assert.equal(nb.languageDeclared, true);
    assert.equal(isPython(nb), true);
  });

  test('an R notebook whose kernelspec language is empty is still R', () => {
    const doc = JSON.parse(fixture('r-kernel.ipynb')) as { metadata: { kernelspec: { language: string }; language_info?: unknown } };
    doc.metadata.kernelspec.language = '';
    delete doc.metadata.language_info;
    const nb = parseNotebook(JSON.stringify(doc));
    assert.equal(nb.language, 'r');
    assert.equal(isPython(nb), false);
  });
});

describe('parseNotebook: nbformat 3 and 2 are read, upgraded as Jupyter reads them', () => {
  test('the IPython 2 notebook with one cell: upgraded from 3.0, its stream output kept', () => {
    const nb = parseNotebook(fixture('v3-worksheets.ipynb'));
    assert.deepEqual(nb.upgradedFrom, { nbformat: 3, nbformatMinor: 0 });
    assert.equal(nb.nbformat, 4);
    assert.deepEqual(nb.cells, [
      {
        index: 0,
        type: 'code',
        source: "print 'hello from IPython 2'",
        executionCount: 1,
        outputs: [{ kind: 'stream', name: 'stdout', text: 'hello from IPython 2\n' }],
      },
    ]);
  });

  test('nbformat 4 notebooks say nothing of an upgrade', () => {
    assert.equal('upgradedFrom' in parseNotebook(fixture('v4.4-all-outputs.ipynb')), false);
  });
});

describe('parseNotebook: errors say what is wrong and where', () => {
  test('nbformat 1 and 5: NotebookFormatError naming the version, what Berth reads and how to convert', () => {
    for (const major of [1, 5]) {
      assert.throws(
        () => parseNotebook(JSON.stringify({ nbformat: major, nbformat_minor: 0, cells: [], worksheets: [] })),
        (err: unknown) => {
          assert.ok(err instanceof NotebookFormatError);
          assert.equal(err.name, 'NotebookFormatError');
          assert.equal(
            err.message,
            `This notebook is nbformat ${major}; Berth reads nbformat 2, 3 and 4. Open and save it in Jupyter or VS Code to convert it.`,
          );
          return true;
        },
      );
    }
  });

  test('a truncated file: NotebookFormatError "not valid JSON"', () => {
    assert.throws(
      () => parseNotebook(fixture('malformed-truncated.ipynb')),
      (err: unknown) => err instanceof NotebookFormatError && /^The notebook is not valid JSON: /.test(err.message),
    );
  });

  test('JSON that is not a notebook', () => {
    assert.throws(() => parseNotebook('[1, 2]'), { name: 'NotebookFormatError', message: /not a JSON object/ });
    assert.throws(() => parseNotebook('{"cells": []}'), { name: 'NotebookFormatError', message: /no "nbformat" field/ });
    assert.throws(() => parseNotebook('{"nbformat": 4, "nbformat_minor": 5}'), { message: /no "cells" list/ });
  });

  test('an unknown output_type: the error names the cell and the output', () => {
    const doc = JSON.parse(fixture('v4.4-all-outputs.ipynb')) as { cells: { outputs: object[] }[] };
    doc.cells[2]!.outputs.push({ output_type: 'pyout', text: '6.05' });
    assert.throws(() => parseNotebook(JSON.stringify(doc)), {
      name: 'NotebookFormatError',
      message: 'Cell 3 output 2 has an unknown output_type "pyout".',
    });
  });

  test('an unknown cell_type names the cell', () => {
    const doc = JSON.parse(fixture('v4.5-ids-attachments.ipynb')) as { cells: { cell_type: string }[] };
    doc.cells[4]!.cell_type = 'heading';
    assert.throws(() => parseNotebook(JSON.stringify(doc)), { message: 'Cell 5 has an unknown cell_type "heading".' });
  });

  test('outputs that are not a list', () => {
    const doc = JSON.parse(fixture('v4.0-strings.ipynb')) as { cells: { outputs?: unknown }[] };
    doc.cells[1]!.outputs = { text: 'x' };
    assert.throws(() => parseNotebook(JSON.stringify(doc)), { message: 'Cell 2.outputs must be a list.' });
  });
});

describe('parseOutput: the runner speaks nbformat 4 too', () => {
  test('stream, execute_result, display_data, update_display_data, error', () => {
    assert.deepEqual(parseOutput({ output_type: 'stream', name: 'stderr', text: ['warn\n'] }, 'o'), {
      kind: 'stream',
      name: 'stderr',
      text: 'warn\n',
    });
    assert.deepEqual(parseOutput({ output_type: 'execute_result', data: { 'text/plain': '42' }, execution_count: 1 }, 'o'), {
      kind: 'result',
      data: { 'text/plain': '42' },
    });
    assert.deepEqual(parseOutput({ output_type: 'update_display_data', data: { 'text/plain': ['50%'] } }, 'o'), {
      kind: 'display',
      data: { 'text/plain': '50%' },
    });
    assert.deepEqual(parseOutput({ output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: ['a', 'b'] }, 'o'), {
      kind: 'error',
      ename: 'ValueError',
      evalue: 'bad',
      traceback: ['a', 'b'],
    });
  });

  test('JSON MIME types (objects) are kept as JSON text', () => {
    const out = parseOutput(
      { output_type: 'display_data', data: { 'application/json': { a: [1, 2] }, 'application/vnd.plotly.v1+json': { data: [] } } },
      'o',
    );
    assert.deepEqual(out, {
      kind: 'display',
      data: { 'application/json': '{"a":[1,2]}', 'application/vnd.plotly.v1+json': '{"data":[]}' },
    });
  });

  test('an error without a traceback or ename still parses', () => {
    assert.deepEqual(parseOutput({ output_type: 'error', evalue: 'x' }, 'o'), {
      kind: 'error',
      ename: 'Error',
      evalue: 'x',
      traceback: [],
    });
  });

  test('a non-object output and an unknown type', () => {
    assert.throws(() => parseOutput('text', 'Runner output 1'), { message: 'Runner output 1 is not an object.' });
    assert.throws(() => parseOutput({ text: 'x' }, 'Runner output 2'), { message: 'Runner output 2 has an unknown output_type null.' });
  });
});
