// nbformat 2 and 3 upgraded to 4 as nbformat's own reader does. The expected documents next to the
// fixtures (*.nbformat-read.json) were written by the nbformat library itself (5.5.0, Debian's
// python3-nbformat): nbformat.read(f, as_version=4), dumped as JSON. They are data here; the tests
// do not need the library.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { pngSize } from '../../../../src/core/notebook/images';
import { isPython, NotebookFormatError, parseNotebook, type CellOutput, type Notebook } from '../../../../src/core/notebook/nbformat';
import { pySplitlines, upgradeToV4, UpgradeError, type JsonObject } from '../../../../src/core/notebook/upgrade';

const FIXTURES = path.join(__dirname, '../../../fixtures/notebooks');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const json = (name: string): JsonObject => JSON.parse(fixture(name)) as JsonObject;

/** nbformat's result without the cell ids it makes up at random on every read. */
function withoutIds(doc: JsonObject): JsonObject {
  const copy = structuredClone(doc);
  for (const cell of copy.cells as JsonObject[]) delete cell.id;
  return copy;
}

const cellsWithoutIds = (nb: Notebook): unknown[] => nb.cells.map(({ id: _id, ...rest }) => rest);

function only<K extends CellOutput['kind']>(o: CellOutput | undefined, kind: K): Extract<CellOutput, { kind: K }> {
  assert.ok(o, `expected a ${kind} output`);
  assert.equal(o.kind, kind);
  return o as Extract<CellOutput, { kind: K }>;
}

describe('upgradeToV4: nbformat 3 as IPython 2 wrote it, against nbformat.read(as_version=4)', () => {
  const raw = json('v3-ipython2-all-outputs.ipynb');
  const expected = json('v3-ipython2-all-outputs.nbformat-read.json');

  test('the whole document equals what nbformat read, cell ids aside', () => {
    assert.deepEqual(upgradeToV4(raw), withoutIds(expected));
  });

  test('nbformat made up an id for every cell; Berth makes up none', () => {
    assert.ok((expected.cells as JsonObject[]).every((c) => typeof c.id === 'string' && /^[0-9a-f]{8}$/.test(c.id)));
    assert.ok((upgradeToV4(raw).cells as JsonObject[]).every((c) => !('id' in c)));
  });

  test('the fixture is left as it was', () => {
    const before = JSON.stringify(raw);
    upgradeToV4(raw);
    assert.equal(JSON.stringify(raw), before);
    assert.ok(Array.isArray(raw.worksheets));
  });

  test('the notebook fields: 4.5, the original format in the metadata, name and signature gone', () => {
    const nb = upgradeToV4(raw);
    assert.equal(nb.nbformat, 4);
    assert.equal(nb.nbformat_minor, 5);
    assert.deepEqual(nb.metadata, { orig_nbformat: 3, orig_nbformat_minor: 0 });
    assert.equal('worksheets' in nb, false);
  });

  test('code cells: input → source, prompt_number → execution_count, language dropped, collapsed into metadata', () => {
    const cells = upgradeToV4(raw).cells as JsonObject[];
    const first = cells[2]!;
    assert.deepEqual(Object.keys(first).sort(), ['cell_type', 'execution_count', 'metadata', 'outputs', 'source']);
    assert.equal(first.execution_count, 1);
    assert.deepEqual(first.metadata, { collapsed: false });
    assert.equal(
      first.source,
      "import json\nimport math\nimport sys\n\nreadings = [20.1, 20.4, 19.8]\nprint('sensors: %d' % len(readings))\nsys.stderr.write('calibration file missing, using defaults\\n')",
    );
    const neverRun = cells.at(-1)!;
    assert.equal(neverRun.execution_count, null);
    assert.deepEqual(neverRun.metadata, { collapsed: true });
    assert.deepEqual(neverRun.outputs, []);
  });

  test('outputs: pyout → execute_result with data by MIME type, its metadata keys too', () => {
    const cells = upgradeToV4(raw).cells as JsonObject[];
    const [plot, figure] = cells[6]!.outputs as JsonObject[];
    assert.deepEqual(plot, {
      data: { 'text/plain': '[<matplotlib.lines.Line2D at 0x10a4b5d10>]' },
      execution_count: 4,
      metadata: {},
      output_type: 'execute_result',
    });
    assert.equal(figure!.output_type, 'display_data');
    assert.deepEqual(Object.keys(figure!.data as JsonObject).sort(), ['image/png', 'text/plain']);
    assert.deepEqual(figure!.metadata, { 'image/png': { height: 16, width: 24 } });
    const [json] = cells[9]!.outputs as JsonObject[];
    // application/json is parsed back into an object, as nbformat does
    assert.deepEqual((json!.data as JsonObject)['application/json'], { mean: 20.1, sensors: ['a', 'b', 'c'] });
    const [error] = cells[11]!.outputs as JsonObject[];
    assert.equal(error!.output_type, 'error');
    assert.equal(error!.ename, 'IndexError');
  });
});

describe('every old fixture against what nbformat read from it', () => {
  for (const name of ['v3-ipython2-all-outputs', 'v3-numpy-same-outputs', 'v2-ipython013']) {
    test(name, () => {
      const expected = json(`${name}.nbformat-read.json`);
      assert.deepEqual(upgradeToV4(json(`${name}.ipynb`)), withoutIds(expected));
      assert.deepEqual(
        cellsWithoutIds(parseNotebook(fixture(`${name}.ipynb`))),
        cellsWithoutIds(parseNotebook(fixture(`${name}.nbformat-read.json`))),
      );
    });
  }
});

describe('parseNotebook: the nbformat 3 fixture, cell by cell', () => {
  const nb = parseNotebook(fixture('v3-ipython2-all-outputs.ipynb'));
  const cells = nb.cells;

  test('reads exactly as the v4 notebook nbformat made of it', () => {
    assert.deepEqual(cellsWithoutIds(nb), cellsWithoutIds(parseNotebook(fixture('v3-ipython2-all-outputs.nbformat-read.json'))));
  });

  test('format: read as 4.5, upgraded from 3.0; no kernel named, so Python is assumed', () => {
    assert.equal(nb.nbformat, 4);
    assert.equal(nb.nbformatMinor, 5);
    assert.deepEqual(nb.upgradedFrom, { nbformat: 3, nbformatMinor: 0 });
    assert.equal(nb.language, 'python');
    assert.equal(nb.languageDeclared, false);
    assert.equal(isPython(nb), true);
  });

  test('one worksheet becomes 14 cells; headings become markdown, the raw cell stays raw', () => {
    assert.deepEqual(
      cells.map((c) => [c.index, c.type, c.executionCount]),
      [
        [0, 'markdown', null],
        [1, 'markdown', null],
        [2, 'code', 1],
        [3, 'markdown', null],
        [4, 'code', 2],
        [5, 'code', 3],
        [6, 'code', 4],
        [7, 'code', 5],
        [8, 'code', 6],
        [9, 'code', 7],
        [10, 'markdown', null],
        [11, 'code', 9],
        [12, 'raw', null],
        [13, 'code', null],
      ],
    );
  });

  test('heading cells: # × level, a space, the lines joined by spaces', () => {
    assert.equal(cells[0]!.source, '# Sensor calibration');
    assert.equal(cells[3]!.source, '## Summary');
    assert.equal(cells[10]!.source, '### Drift per sensor');
    assert.equal(cells[1]!.source, 'Readings from three sensors, calibrated against the reference.\n\n*Run top to bottom.*');
  });

  test('stream: stream → name, stdout and stderr, lines joined as written', () => {
    assert.deepEqual(cells[2]!.outputs, [
      { kind: 'stream', name: 'stdout', text: 'sensors: 3\n' },
      { kind: 'stream', name: 'stderr', text: 'calibration file missing, using defaults\n' },
    ]);
  });

  test('pyout: a result with text/plain', () => {
    assert.deepEqual(cells[4]!.outputs, [{ kind: 'result', data: { 'text/plain': '20.099999999999998' } }]);
  });

  test('pyout with html: text/html and text/plain', () => {
    const r = only(cells[5]!.outputs[0], 'result');
    assert.deepEqual(Object.keys(r.data).sort(), ['text/html', 'text/plain']);
    assert.equal(r.data['text/plain'], '  sensor  reading\n0      a     20.1\n1      b     20.4');
    assert.match(
      r.data['text/html']!,
      /^<div style="max-height:1000px;max-width:1500px;overflow:auto;">\n<table border="1" class="dataframe">\n/,
    );
    assert.match(r.data['text/html']!, /<\/table>\n<\/div>$/);
  });

  test('display_data with png: image/png kept and decodable', () => {
    assert.deepEqual(only(cells[6]!.outputs[0], 'result').data, { 'text/plain': '[<matplotlib.lines.Line2D at 0x10a4b5d10>]' });
    const d = only(cells[6]!.outputs[1], 'display');
    assert.equal(d.data['text/plain'], '<matplotlib.figure.Figure at 0x10a3c7a90>');
    assert.deepEqual(pngSize(d.data['image/png']!), { width: 24, height: 16 });
  });

  test('pyout with jpeg: image/jpeg, the base64 as stored', () => {
    const r = only(cells[7]!.outputs[0], 'result');
    assert.equal(r.data['text/plain'], '<IPython.core.display.Image at 0x10a6e2f10>');
    assert.match(r.data['image/jpeg']!, /^\/9j\/4AAQSkZJRg/);
    assert.equal(Buffer.from(r.data['image/jpeg']!, 'base64').subarray(0, 2).toString('hex'), 'ffd8');
  });

  test('display_data with svg and with latex', () => {
    const svg = only(cells[8]!.outputs[0], 'display');
    assert.deepEqual(Object.keys(svg.data).sort(), ['image/svg+xml', 'text/plain']);
    assert.equal(
      svg.data['image/svg+xml'],
      '<svg height="20" width="40" xmlns="http://www.w3.org/2000/svg">\n  <rect fill="#3366cc" height="20" width="40"/>\n</svg>',
    );
    assert.deepEqual(only(cells[8]!.outputs[1], 'display').data, {
      'text/latex': '$$\\bar{x} = 20.1$$',
      'text/plain': '<IPython.core.display.Math at 0x10a6e2d90>',
    });
  });

  test('display_data with json (parsed, kept as JSON text) and javascript', () => {
    assert.deepEqual(only(cells[9]!.outputs[0], 'display').data, {
      'application/json': '{"mean":20.1,"sensors":["a","b","c"]}',
      'text/plain': '<IPython.core.display.JSON at 0x10a6f1050>',
    });
    assert.deepEqual(only(cells[9]!.outputs[1], 'display').data, {
      'application/javascript': 'console.log("calibrated")',
      'text/plain': '<IPython.core.display.Javascript at 0x10a6f10d0>',
    });
  });

  test('pyerr: an error with ename, evalue and the IPython 2 traceback', () => {
    const err = only(cells[11]!.outputs[0], 'error');
    assert.equal(err.ename, 'IndexError');
    assert.equal(err.evalue, 'list index out of range');
    assert.equal(err.traceback.length, 3);
    assert.equal(err.traceback[2], '\x1b[1;31mIndexError\x1b[0m: list index out of range');
  });

  test('the raw cell and the cell never run', () => {
    assert.deepEqual(cells[12], {
      index: 12,
      type: 'raw',
      source: 'Reviewed on 2014-06-02: the reference probe was replaced.',
      executionCount: null,
      outputs: [],
    });
    assert.deepEqual(cells[13], {
      index: 13,
      type: 'code',
      source: 'math.sqrt(sum(r * r for r in readings))',
      executionCount: null,
      outputs: [],
    });
  });
});

describe('nbformat 2 as IPython 0.13 wrote it (lines without their ends)', () => {
  const raw = json('v2-ipython013.ipynb');
  const expected = json('v2-ipython013.nbformat-read.json');
  const nb = parseNotebook(fixture('v2-ipython013.ipynb'));

  test('the whole document equals what nbformat read (by way of nbformat 3), cell ids aside', () => {
    assert.deepEqual(upgradeToV4(raw), withoutIds(expected));
    assert.deepEqual((upgradeToV4(raw).metadata as JsonObject).orig_nbformat, 2);
  });

  test('reads exactly as the v4 notebook nbformat made of it', () => {
    assert.deepEqual(cellsWithoutIds(nb), cellsWithoutIds(parseNotebook(fixture('v2-ipython013.nbformat-read.json'))));
    assert.deepEqual(nb.upgradedFrom, { nbformat: 2, nbformatMinor: 0 });
  });

  test('lists of lines are joined with "\\n": sources, markdown, and stream text (which loses its last line end)', () => {
    assert.equal(nb.cells[0]!.source, '# Population growth\n\nA logistic model, one year at a time.');
    assert.equal(
      nb.cells[1]!.source,
      "r = 0.3\nK = 1000.0\np = 10.0\nfor year in range(3):\n    p = p + r * p * (1 - p / K)\n    print('%d %.1f' % (year, p))",
    );
    assert.deepEqual(nb.cells[1]!.outputs, [{ kind: 'stream', name: 'stdout', text: '0 13.0\n1 16.8\n2 21.8' }]);
  });

  test('pyout with text and html; display_data with a png', () => {
    assert.deepEqual(nb.cells[2]!.outputs, [{ kind: 'result', data: { 'text/plain': '21.76891563571376' } }]);
    assert.deepEqual(nb.cells[3]!.outputs, [
      { kind: 'result', data: { 'text/html': '<b>21.8</b> after 3 years', 'text/plain': '<IPython.core.display.HTML at 0x2f3c490>' } },
    ]);
    const figure = only(nb.cells[4]!.outputs[1], 'display');
    assert.deepEqual(pngSize(figure.data['image/png']!), { width: 24, height: 16 });
  });

  test('pyerr and a stderr stream', () => {
    const err = only(nb.cells[5]!.outputs[0], 'error');
    assert.deepEqual([err.ename, err.evalue, err.traceback.length], ['ZeroDivisionError', 'float division by zero', 3]);
    assert.deepEqual(nb.cells[6]!.outputs, [
      {
        kind: 'stream',
        name: 'stderr',
        text: "/home/ana/population/<ipython-input-6-1f0e2d3c4b5a>:2: UserWarning: K is a guess\n  warnings.warn('K is a guess')",
      },
    ]);
  });

  test('nbformat 2 always joins with "\\n", even lines that kept their ends (as nbformat 5.5 reads them)', () => {
    const doc: JsonObject = {
      nbformat: 2,
      metadata: { name: 'x' },
      worksheets: [
        {
          cells: [
            {
              cell_type: 'code',
              input: ['a = 1\n', 'a'],
              language: 'python',
              collapsed: false,
              outputs: [
                { output_type: 'stream', stream: 'stdout', text: ['one\n', 'two\n'] },
                { output_type: 'pyout', prompt_number: 1, text: ['1'], png: 'iVBORw0KGgo=' },
              ],
              prompt_number: 1,
            },
            { cell_type: 'markdown', source: ['# T\n', 'body'] },
          ],
        },
      ],
    };
    assert.deepEqual(upgradeToV4(doc), {
      cells: [
        {
          cell_type: 'code',
          execution_count: 1,
          metadata: { collapsed: false },
          outputs: [
            { name: 'stdout', output_type: 'stream', text: 'one\n\ntwo\n' },
            { data: { 'image/png': 'iVBORw0KGgo=', 'text/plain': '1' }, execution_count: 1, metadata: {}, output_type: 'execute_result' },
          ],
          source: 'a = 1\n\na',
        },
        { cell_type: 'markdown', metadata: {}, source: '# T\n\nbody' },
      ],
      metadata: { orig_nbformat: 2, orig_nbformat_minor: 0 },
      nbformat: 4,
      nbformat_minor: 5,
    });
  });

  test('a prompt number that is not a number ("&nbsp;", as IPython 0.12 left it) reads as never run', () => {
    assert.equal((upgradeToV4(raw).cells as JsonObject[])[7]!.execution_count, '&nbsp;');
    assert.equal(nb.cells[7]!.executionCount, null);
    assert.equal(nb.cells[7]!.source, '');
  });

  test("nbformat 2's own writer named the error type etype: read as the ename", () => {
    const doc = structuredClone(raw);
    const output = ((((doc.worksheets as JsonObject[])[0]!.cells as JsonObject[])[5]!.outputs as JsonObject[])[0] = {
      etype: 'ZeroDivisionError',
      evalue: 'float division by zero',
      output_type: 'pyerr',
      traceback: [],
    });
    assert.equal(output.output_type, 'pyerr');
    const err = only(parseNotebook(JSON.stringify(doc)).cells[5]!.outputs[0], 'error');
    assert.equal(err.ename, 'ZeroDivisionError');
  });
});

describe('upgradeToV4: the rarer cases nbformat handles', () => {
  // expected values as nbformat 5.5 produced them for this document (ids removed)
  const doc: JsonObject = {
    nbformat: 3,
    nbformat_minor: 0,
    metadata: { name: 'old', language: 'Julia' },
    orig_nbformat: 2,
    worksheets: [
      {
        cells: [
          { cell_type: 'heading', source: ['Intro', 'to it'], metadata: {} },
          {
            cell_type: 'code',
            input: ['a = 1', 'a'],
            language: 'python',
            outputs: [
              { output_type: 'pyout', prompt_number: 1, text: ['1'], metadata: { png: { width: 3 } } },
              { output_type: 'stream', text: ['x', 'y'] },
            ],
            prompt_number: 1,
            metadata: {},
          },
        ],
        metadata: {},
      },
      {
        cells: [
          { cell_type: 'heading', level: 4, source: 'Deep\r\nheading\n', metadata: {} },
          { cell_type: 'html', source: ['<p>', 'hi</p>'], metadata: {} },
          { cell_type: 'code', input: '', outputs: [{ output_type: 'display_data', json: ['{"a":', ' [1, 2]}'] }] },
        ],
        metadata: {},
      },
    ],
  };

  test('lists written by splitlines() joined with "\\n"; worksheets flattened; heading without level is 1; html cells are markdown', () => {
    assert.deepEqual(upgradeToV4(doc), {
      cells: [
        { cell_type: 'markdown', metadata: {}, source: '# Intro to it' },
        {
          cell_type: 'code',
          execution_count: 1,
          metadata: {},
          outputs: [
            { data: { 'text/plain': '1' }, execution_count: 1, metadata: { 'image/png': { width: 3 } }, output_type: 'execute_result' },
            { name: 'stdout', output_type: 'stream', text: 'x\ny' },
          ],
          source: 'a = 1\na',
        },
        { cell_type: 'markdown', metadata: {}, source: '#### Deep heading' },
        { cell_type: 'markdown', metadata: {}, source: '<p>\nhi</p>' },
        {
          cell_type: 'code',
          execution_count: null,
          metadata: {},
          outputs: [{ data: { 'application/json': { a: [1, 2] } }, metadata: {}, output_type: 'display_data' }],
          source: '',
        },
      ],
      metadata: { language: 'Julia', orig_nbformat: 2, orig_nbformat_minor: 0 },
      nbformat: 4,
      nbformat_minor: 5,
    });
  });

  test("the language at the top of an old notebook's metadata is kept, and names it", () => {
    const nb = parseNotebook(JSON.stringify(doc));
    assert.equal(nb.language, 'julia');
    assert.equal(isPython(nb), false);
  });

  test('Python splitlines: every line boundary Python knows, no empty last line', () => {
    const cases: [string, string[]][] = [
      ['', []],
      ['a', ['a']],
      ['a\n', ['a']],
      ['a\n\nb', ['a', '', 'b']],
      ['a\r\nb\rc\nd', ['a', 'b', 'c', 'd']],
      ['a\vb\fc\x1cd\x1de\x1ef\x85g\u2028h\u2029i', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']],
      ['\n', ['']],
    ];
    for (const [text, lines] of cases) assert.deepEqual(pySplitlines(text), lines, JSON.stringify(text));
  });

  test('malformed old notebooks: a NotebookFormatError that says where', () => {
    const bad = (worksheets: unknown): string => JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {}, worksheets });
    assert.throws(() => parseNotebook(bad({ cells: [] })), {
      name: 'NotebookFormatError',
      message: 'This nbformat 3 notebook cannot be upgraded to nbformat 4: The notebook\'s "worksheets" is not a list.',
    });
    assert.throws(() => parseNotebook(bad([{ cells: [] }, { metadata: {} }])), {
      message: 'This nbformat 3 notebook cannot be upgraded to nbformat 4: Worksheet 2 has no "cells" list.',
    });
    assert.throws(
      () => parseNotebook(bad([{ cells: [{ cell_type: 'code', input: 'x', outputs: [{ output_type: 'display_data', json: '{oops' }] }] }])),
      (err: unknown) =>
        err instanceof NotebookFormatError &&
        /^This nbformat 3 notebook cannot be upgraded to nbformat 4: Cell 1 output 1 has JSON output that does not parse: /.test(
          err.message,
        ),
    );
    assert.throws(() => upgradeToV4({ nbformat: 4, cells: [] }), UpgradeError);
  });

  test('no worksheets at all: an empty notebook, as nbformat reads it', () => {
    const nb = parseNotebook(JSON.stringify({ nbformat: 3, nbformat_minor: 0, metadata: {} }));
    assert.deepEqual(nb.cells, []);
    assert.deepEqual(nb.upgradedFrom, { nbformat: 3, nbformatMinor: 0 });
  });
});
