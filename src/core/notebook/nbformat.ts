/**
 * Reading Jupyter notebooks into a small typed model: cells with their source and saved outputs.
 * nbformat 4 (any minor version) is read as it is; nbformat 2 and 3 are first upgraded to 4 as
 * Jupyter's own reader does (./upgrade). Multi-line strings may be stored as one string or a list
 * of strings; both read the same. Anything else — JSON that does not parse, nbformat 1, a cell
 * without a type — is a NotebookFormatError that says what is wrong and where.
 */
import { isObject, UpgradeError, upgradeToV4, type Json, type JsonObject } from './upgrade';

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
  /** The format read: 4 for an old notebook upgraded on read (see upgradedFrom). */
  readonly nbformat: number;
  readonly nbformatMinor: number;
  /** The format of the file when it was an older one, upgraded as Jupyter does. */
  readonly upgradedFrom?: { readonly nbformat: number; readonly nbformatMinor: number };
  /** The kernel's language, lower case ('python' when the metadata does not say). */
  readonly language: string;
  /** Whether the metadata names the language at all (its kernel's name or display name count). */
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
        // nbformat 2's own writer called it etype; the upgrade keeps it as it is
        ename: typeof o.ename === 'string' ? o.ename : typeof o.etype === 'string' ? o.etype : 'Error',
        evalue: typeof o.evalue === 'string' ? o.evalue : JSON.stringify(o.evalue ?? ''),
        traceback,
      };
    }
    default:
      throw new NotebookFormatError(`${where} has an unknown output_type ${JSON.stringify(o.output_type ?? null)}.`);
  }
}

/** Kernel names (and words of display names) of other languages, as their kernels install them. */
const OTHER_KERNELS: readonly (readonly [RegExp, string])[] = [
  [/^i?r\d*$/, 'r'],
  [/^i?julia/, 'julia'],
  [/^(ijavascript|javascript|nodejs)$/, 'javascript'],
  [/^(typescript|tslab|deno)$/, 'typescript'],
  [/^(bash|zsh)$/, 'bash'],
  [/^(scala|almond|spylon)$/, 'scala'],
  [/^i?java$/, 'java'],
  [/^kotlin$/, 'kotlin'],
  [/^(go|gophernotes|gonb)$/, 'go'],
  [/^(rust|evcxr)$/, 'rust'],
  [/^xcpp\d*$/, 'c++'],
  [/^(ruby|iruby)$/, 'ruby'],
  [/^(haskell|ihaskell)$/, 'haskell'],
  [/^octave$/, 'octave'],
  [/^i?matlab$/, 'matlab'],
  [/^sas$/, 'sas'],
  [/^stata$/, 'stata'],
  [/^x?sql$/, 'sql'],
  [/^csharp$/, 'c#'],
  [/^fsharp$/, 'f#'],
  [/^powershell$/, 'powershell'],
  [/^(sagemath|sage)$/, 'sage'],
];

/**
 * The language a kernel's name or display name says, as Jupyter would find a kernel for it:
 * python, python2/3, py39, "Python 3 (ipykernel)", conda kernels ("conda-env-ml-py",
 * "conda-root-py", "conda-env-stats-r"), and the common kernels of other languages; undefined
 * when the name says nothing known.
 */
export function languageOfKernelName(name: string): string | undefined {
  const lower = name.trim().toLowerCase();
  // nb_conda_kernels: conda-env-<env>-<language>, conda-root-<language>; the env name may hold anything
  const conda = /^conda-(?:env-.+|root)-([a-z]+)$/.exec(lower);
  if (conda) return conda[1] === 'py' ? 'python' : conda[1];
  const words = lower.split(/[^a-z0-9+]+/).filter(Boolean);
  if (words.some((w) => /^(i?python|py)(\d+)?$/.test(w) || w === 'ipykernel' || w === 'pyspark' || w === 'xpython')) return 'python';
  for (const [pattern, language] of OTHER_KERNELS) if (words.some((w) => pattern.test(w))) return language;
  return undefined;
}

const nonEmpty = (v: Json | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * A notebook's language from its metadata: the kernelspec's language, else language_info's name,
 * else the language named at the top of the metadata (nbformat 3 notebooks of IJulia and
 * IRkernel), else what the kernelspec's name or display name says. Empty strings count as absent.
 */
export function notebookLanguage(metadata: Json | undefined): string | undefined {
  const m = isObject(metadata) ? metadata : {};
  const kernelspec = isObject(m.kernelspec) ? m.kernelspec : {};
  const languageInfo = isObject(m.language_info) ? m.language_info : {};
  const stated = nonEmpty(kernelspec.language) ?? nonEmpty(languageInfo.name) ?? nonEmpty(m.language);
  if (stated !== undefined) return stated.toLowerCase();
  for (const name of [nonEmpty(kernelspec.name), nonEmpty(kernelspec.display_name)]) {
    const language = name === undefined ? undefined : languageOfKernelName(name);
    if (language !== undefined) return language;
  }
  return undefined;
}

export function parseNotebook(text: string): Notebook {
  let parsed: Json;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
  } catch (err) {
    throw new NotebookFormatError(`The notebook is not valid JSON: ${(err as Error).message}.`);
  }
  if (!isObject(parsed)) throw new NotebookFormatError('The notebook is not a JSON object: is this a Jupyter notebook?');
  let doc: JsonObject = parsed;
  const major = doc.nbformat;
  if (typeof major !== 'number') throw new NotebookFormatError('The file has no "nbformat" field: it is not a Jupyter notebook.');
  let upgradedFrom: Notebook['upgradedFrom'];
  if (major === 2 || major === 3) {
    upgradedFrom = { nbformat: major, nbformatMinor: typeof doc.nbformat_minor === 'number' ? doc.nbformat_minor : 0 };
    try {
      doc = upgradeToV4(doc);
    } catch (err) {
      if (err instanceof UpgradeError)
        throw new NotebookFormatError(`This nbformat ${major} notebook cannot be upgraded to nbformat 4: ${err.message}`);
      throw err;
    }
  } else if (major !== 4) {
    throw new NotebookFormatError(
      `This notebook is nbformat ${major}; Berth reads nbformat 2, 3 and 4. Open and save it in Jupyter or VS Code to convert it.`,
    );
  }
  const minor = typeof doc.nbformat_minor === 'number' ? doc.nbformat_minor : 0;
  if (!Array.isArray(doc.cells)) throw new NotebookFormatError('The notebook has no "cells" list.');
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  const kernelspec = isObject(metadata.kernelspec) ? metadata.kernelspec : {};
  const languageInfo = isObject(metadata.language_info) ? metadata.language_info : {};
  const declared = notebookLanguage(metadata);

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
    nbformat: 4,
    nbformatMinor: minor,
    ...(upgradedFrom ? { upgradedFrom } : {}),
    language: declared ?? 'python',
    languageDeclared: declared !== undefined,
    ...(typeof kernelspec.name === 'string' ? { kernelName: kernelspec.name } : {}),
    ...(typeof kernelspec.display_name === 'string' ? { kernelDisplayName: kernelspec.display_name } : {}),
    ...(typeof languageInfo.version === 'string' ? { languageVersion: languageInfo.version } : {}),
    cells,
  };
}

export const isPython = (nb: Notebook): boolean => nb.language === 'python' || nb.language === 'python3';
