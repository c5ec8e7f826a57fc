/**
 * Reading Jupyter notebooks (nbformat 4, any minor version) into a small typed model: cells with
 * their source and saved outputs. Multi-line strings may be stored as one string or a list of
 * strings; both read the same. Anything else — JSON that does not parse, nbformat 3, a cell
 * without a type — is a NotebookFormatError that says what is wrong and where.
 */

/** Output data by MIME type; text joined into one string, images as base64. */
export type MimeBundle = Readonly<Record<string, string>>;

export type CellOutput =
  | { readonly kind: 'stream'; readonly name: 'stdout' | 'stderr'; readonly text: string }
  /** execute_result: the value of the cell's last expression. */
  | { readonly kind: 'result'; readonly data: MimeBundle }
  | { readonly kind: 'display'; readonly data: MimeBundle }
  | { readonly kind: 'error'; readonly ename: string; readonly evalue: string; readonly traceback: readonly string[] };

export interface NotebookCell {
  /** Position in the notebook, counting every cell (markdown too), from 0. */
  readonly index: number;
  readonly id?: string;
  readonly type: 'code' | 'markdown' | 'raw';
  readonly source: string;
  /** null when the cell was never run in the saved notebook. */
  readonly executionCount: number | null;
  readonly outputs: readonly CellOutput[];
}

export interface Notebook {
  readonly nbformat: number;
  readonly nbformatMinor: number;
  /** The kernel's language, lower case ('python' when the metadata does not say). */
  readonly language: string;
  /** Whether the metadata names the language at all. */
  readonly languageDeclared: boolean;
  readonly kernelName?: string;
  readonly kernelDisplayName?: string;
  /** The kernel's Python version as recorded (metadata.language_info.version). */
  readonly languageVersion?: string;
  readonly cells: readonly NotebookCell[];
}

export class NotebookFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotebookFormatError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** nbformat's multiline string: a string, or a list of strings to concatenate. */
export function multiline(v: Json | undefined, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('');
  throw new NotebookFormatError(`${where} must be a string or a list of strings.`);
}

function mimeBundle(v: Json | undefined, where: string): MimeBundle {
  if (v === undefined) return {};
  if (!isObject(v)) throw new NotebookFormatError(`${where} must be an object of MIME types.`);
  const out: Record<string, string> = {};
  for (const [mime, value] of Object.entries(v)) {
    // JSON outputs (application/json, vnd.*+json) are objects: keep them comparable as text
    out[mime] =
      mime.endsWith('json') && typeof value === 'object' && value !== null ? JSON.stringify(value) : multiline(value, `${where}.${mime}`);
  }
  return out;
}

/** One output in nbformat 4 form (also what Berth's runner emits). */
export function parseOutput(o: Json, where: string): CellOutput {
  if (!isObject(o)) throw new NotebookFormatError(`${where} is not an object.`);
  switch (o.output_type) {
    case 'stream': {
      const name = o.name === 'stderr' ? 'stderr' : 'stdout';
      return { kind: 'stream', name, text: multiline(o.text, `${where}.text`) };
    }
    case 'execute_result':
      return { kind: 'result', data: mimeBundle(o.data, `${where}.data`) };
    case 'display_data':
    case 'update_display_data':
      return { kind: 'display', data: mimeBundle(o.data, `${where}.data`) };
    case 'error': {
      const traceback = Array.isArray(o.traceback) ? o.traceback.map((t) => (typeof t === 'string' ? t : JSON.stringify(t))) : [];
      return {
        kind: 'error',
        ename: typeof o.ename === 'string' ? o.ename : 'Error',
        evalue: typeof o.evalue === 'string' ? o.evalue : JSON.stringify(o.evalue ?? ''),
        traceback,
      };
    }
    default:
      throw new NotebookFormatError(`${where} has an unknown output_type ${JSON.stringify(o.output_type ?? null)}.`);
  }
}

export function parseNotebook(text: string): Notebook {
  let doc: Json;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
  } catch (err) {
    throw new NotebookFormatError(`The notebook is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isObject(doc)) throw new NotebookFormatError('The notebook is not a JSON object: is this a Jupyter notebook?');
  const major = doc.nbformat;
  if (typeof major !== 'number') throw new NotebookFormatError('The file has no "nbformat" field: it is not a Jupyter notebook.');
  if (major !== 4)
    throw new NotebookFormatError(
      `This notebook is nbformat ${major}; Berth reads nbformat 4. Open and save it in Jupyter or VS Code to convert it.`,
    );
  const minor = typeof doc.nbformat_minor === 'number' ? doc.nbformat_minor : 0;
  if (!Array.isArray(doc.cells)) throw new NotebookFormatError('The notebook has no "cells" list.');
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  const kernelspec = isObject(metadata.kernelspec) ? metadata.kernelspec : {};
  const languageInfo = isObject(metadata.language_info) ? metadata.language_info : {};
  const declared =
    typeof kernelspec.language === 'string' ? kernelspec.language : typeof languageInfo.name === 'string' ? languageInfo.name : undefined;

  const cells = doc.cells.map((c, index): NotebookCell => {
    const where = `Cell ${index + 1}`;
    if (!isObject(c)) throw new NotebookFormatError(`${where} is not an object.`);
    const type = c.cell_type;
    if (type !== 'code' && type !== 'markdown' && type !== 'raw')
      throw new NotebookFormatError(`${where} has an unknown cell_type ${JSON.stringify(type ?? null)}.`);
    const source = multiline(c.source, `${where}.source`);
    const id = typeof c.id === 'string' ? c.id : undefined;
    if (type !== 'code') return { index, ...(id ? { id } : {}), type, source, executionCount: null, outputs: [] };
    const rawOutputs = c.outputs ?? [];
    if (!Array.isArray(rawOutputs)) throw new NotebookFormatError(`${where}.outputs must be a list.`);
    return {
      index,
      ...(id ? { id } : {}),
      type,
      source,
      executionCount: typeof c.execution_count === 'number' ? c.execution_count : null,
      outputs: rawOutputs.map((o, k) => parseOutput(o, `${where} output ${k + 1}`)),
    };
  });

  return {
    nbformat: major,
    nbformatMinor: minor,
    language: (declared ?? 'python').toLowerCase(),
    languageDeclared: declared !== undefined,
    ...(typeof kernelspec.name === 'string' ? { kernelName: kernelspec.name } : {}),
    ...(typeof kernelspec.display_name === 'string' ? { kernelDisplayName: kernelspec.display_name } : {}),
    ...(typeof languageInfo.version === 'string' ? { languageVersion: languageInfo.version } : {}),
    cells,
  };
}

export const isPython = (nb: Notebook): boolean => nb.language === 'python' || nb.language === 'python3';
