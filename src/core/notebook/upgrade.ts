/**
 * Old notebooks (nbformat 2 and 3) brought to nbformat 4 the way Jupyter reads them: the same
 * steps as the nbformat library's reader (`v2`/`v3` `rejoin_lines`) and converters
 * (`v3.convert.upgrade` for 2 → 3, `v4.convert.upgrade`, `upgrade_cell` and `upgrade_output` for
 * 3 → 4), on plain JSON, so that the result reads as the v4 notebook Jupyter would save.
 *
 * - Worksheets are flattened into one list of cells, in order.
 * - Code cells: `input` → `source`, `prompt_number` → `execution_count`, the per-cell `language`
 *   dropped, `collapsed` moved into the cell's metadata.
 * - Heading cells become markdown: `#` × level, a space, and the heading's lines joined by spaces.
 *   `html` cells (nbformat 2) become markdown.
 * - Outputs: `pyout` → `execute_result` (its `prompt_number` → `execution_count`), `pyerr` →
 *   `error`, a stream's `stream` → `name`; the data of `pyout` and `display_data` moves into
 *   `data` under MIME keys (`text` → text/plain, `html` → text/html, `svg` → image/svg+xml, `png` →
 *   image/png, `jpeg` → image/jpeg, `latex` → text/latex, `json` → application/json, parsed,
 *   `javascript` → application/javascript), and likewise the keys of its metadata.
 * - Multi-line text stored as a list: nbformat 2 lists were written without line ends and are
 *   joined with "\n"; nbformat 3 lists are joined as they are, or with "\n" when the first line
 *   has no line end (files written by IPython's early splitlines()).
 * - The notebook's metadata loses `name` and `signature` and records `orig_nbformat` and
 *   `orig_nbformat_minor`.
 *
 * Two differences from nbformat, both deliberate: no cell ids are made up (nbformat 5 invents
 * random ones on every read, so nothing can refer to them), and an nbformat 3 file without
 * `nbformat_minor` is read as 3.0 (nbformat 5 stops there; earlier versions read it).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The notebook cannot be upgraded: nbformat would stop reading it too. */
export class UpgradeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpgradeError';
  }
}

/** nbformat 4's minor version that the upgrade writes (nbformat 5's `v4.nbformat_minor`). */
export const UPGRADED_MINOR = 5;

/** Output keys nbformat 2 and 3 store as lists of lines (`_multiline_outputs`). */
const MULTILINE_OUTPUTS = ['text', 'html', 'svg', 'latex', 'javascript', 'json'];

/** Old output keys and their MIME types, in nbformat's order (`_mime_map`). */
const MIME_MAP: readonly (readonly [string, string])[] = [
  ['text', 'text/plain'],
  ['html', 'text/html'],
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpeg', 'image/jpeg'],
  ['latex', 'text/latex'],
  ['json', 'application/json'],
  ['javascript', 'application/javascript'],
];

/** Python's truthiness, for nbformat's `x or default`. */
const truthy = (v: Json | undefined): boolean =>
  !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0));

const isStringList = (v: Json | undefined): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

// eslint-disable-next-line no-control-regex -- the file, group and record separators end lines for Python too
const LINE_BOUNDARY = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** Python's str.splitlines(): every line boundary Python knows, no empty line after a final one. */
export function pySplitlines(text: string): string[] {
  const lines = text.split(LINE_BOUNDARY);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** nbformat 2's rejoin: lists were written by splitlines(), without line ends. */
const joinV2 = (lines: string[]): string => lines.join('\n');

/** nbformat 3's `_join_lines`: lists written by splitlines(True) keep their ends, older ones do not. */
const joinV3 = (lines: string[]): string => (lines.length > 0 && /[\n\r]$/.test(lines[0]!) ? lines.join('') : lines.join('\n'));

function cellsOf(ws: Json, where: string): Json[] {
  if (!isObject(ws)) throw new UpgradeError(`${where} is not an object.`);
  if (!Array.isArray(ws.cells)) throw new UpgradeError(`${where} has no "cells" list.`);
  return ws.cells;
}

function worksheetsOf(nb: JsonObject): Json[] {
  const ws = nb.worksheets ?? [];
  if (!Array.isArray(ws)) throw new UpgradeError('The notebook\'s "worksheets" is not a list.');
  return ws;
}

/** The readers' `rejoin_lines`: multi-line text stored as lists becomes strings. */
function rejoinLines(nb: JsonObject, join: (lines: string[]) => string): void {
  worksheetsOf(nb).forEach((ws, w) => {
    for (const cell of cellsOf(ws, `Worksheet ${w + 1}`)) {
      if (!isObject(cell)) continue;
      if (cell.cell_type === 'code') {
        if (isStringList(cell.input)) cell.input = join(cell.input);
        for (const output of Array.isArray(cell.outputs) ? cell.outputs : []) {
          if (!isObject(output)) continue;
          for (const key of MULTILINE_OUTPUTS) {
            const item = output[key];
            if (isStringList(item)) output[key] = join(item);
          }
        }
      } else {
        for (const key of ['source', 'rendered']) {
          const item = cell[key];
          if (isStringList(item)) cell[key] = join(item);
        }
      }
    }
  });
}

/** `v3.convert.upgrade` from nbformat 2. */
function upgradeV2toV3(nb: JsonObject): void {
  nb.nbformat = 3;
  nb.nbformat_minor = 0;
  nb.orig_nbformat = 2;
  worksheetsOf(nb).forEach((ws, w) => {
    for (const cell of cellsOf(ws, `Worksheet ${w + 1}`)) if (isObject(cell) && !('metadata' in cell)) cell.metadata = {};
  });
}

function toMimeKeys(d: JsonObject): void {
  for (const [alias, mime] of MIME_MAP) {
    if (alias in d) {
      const value = d[alias]!;
      delete d[alias];
      d[mime] = value;
    }
  }
}

/** `v4.convert.upgrade_output`. */
export function upgradeOutput(output: Json, where: string): Json {
  if (!isObject(output)) return output;
  const type = output.output_type;
  if (type === 'pyout' || type === 'display_data') {
    if (!('metadata' in output)) output.metadata = {};
    if (type === 'pyout') {
      output.output_type = 'execute_result';
      output.execution_count = output.prompt_number ?? null;
      delete output.prompt_number;
    }
    const data: JsonObject = {};
    for (const key of Object.keys(output)) {
      if (key === 'output_type' || key === 'execution_count' || key === 'metadata') continue;
      data[key] = output[key]!;
      delete output[key];
    }
    toMimeKeys(data);
    output.data = data;
    if (isObject(output.metadata)) toMimeKeys(output.metadata);
    const json = data['application/json'];
    if (typeof json === 'string') {
      try {
        data['application/json'] = JSON.parse(json) as Json;
      } catch (err) {
        throw new UpgradeError(`${where} has JSON output that does not parse: ${(err as Error).message}.`);
      }
    }
  } else if (type === 'pyerr') {
    output.output_type = 'error';
  } else if (type === 'stream') {
    output.name = output.stream ?? 'stdout';
    delete output.stream;
  }
  return output;
}

/** `v4.convert.upgrade_cell`. */
export function upgradeCell(cell: Json, where: string): Json {
  if (!isObject(cell)) return cell;
  if (!('metadata' in cell)) cell.metadata = {};
  if (cell.cell_type === 'code') {
    delete cell.language;
    if ('collapsed' in cell) {
      if (isObject(cell.metadata)) cell.metadata.collapsed = cell.collapsed!;
      delete cell.collapsed;
    }
    cell.source = cell.input ?? '';
    delete cell.input;
    cell.execution_count = cell.prompt_number ?? null;
    delete cell.prompt_number;
    const outputs = cell.outputs ?? [];
    cell.outputs = Array.isArray(outputs) ? outputs.map((o, k) => upgradeOutput(o, `${where} output ${k + 1}`)) : outputs;
  } else if (cell.cell_type === 'heading') {
    cell.cell_type = 'markdown';
    const level = cell.level ?? 1;
    delete cell.level;
    const source = cell.source ?? '';
    const text = typeof source === 'string' ? pySplitlines(source).join(' ') : '';
    cell.source = `${'#'.repeat(typeof level === 'number' && Number.isInteger(level) ? Math.max(0, level) : 1)} ${text}`;
  } else if (cell.cell_type === 'html') {
    cell.cell_type = 'markdown';
  }
  return cell;
}

/**
 * An nbformat 2 or 3 notebook as nbformat 4, read and upgraded as `nbformat.read(f, as_version=4)`
 * does. The document given is not changed.
 */
export function upgradeToV4(doc: JsonObject): JsonObject {
  const nb = structuredClone(doc);
  const major = nb.nbformat;
  if (major === 2) {
    rejoinLines(nb, joinV2);
    upgradeV2toV3(nb);
  } else if (major === 3) {
    rejoinLines(nb, joinV3);
  } else {
    throw new UpgradeError(`nbformat ${JSON.stringify(major ?? null)} is not nbformat 2 or 3.`);
  }

  // v4.convert.upgrade from 3
  const metadata: JsonObject = isObject(nb.metadata) ? nb.metadata : {};
  nb.metadata = metadata;
  const origMajor = nb.orig_nbformat;
  const origMinor = nb.orig_nbformat_minor;
  delete nb.orig_nbformat;
  delete nb.orig_nbformat_minor;
  metadata.orig_nbformat = truthy(origMajor) ? origMajor! : 3;
  metadata.orig_nbformat_minor = truthy(origMinor) ? origMinor! : 0;
  nb.nbformat = 4;
  nb.nbformat_minor = UPGRADED_MINOR;
  const cells: Json[] = [];
  for (const [w, ws] of worksheetsOf(nb).entries())
    for (const cell of cellsOf(ws, `Worksheet ${w + 1}`)) cells.push(upgradeCell(cell, `Cell ${cells.length + 1}`));
  delete nb.worksheets;
  nb.cells = cells;
  delete metadata.name;
  delete metadata.signature;
  return nb;
}
