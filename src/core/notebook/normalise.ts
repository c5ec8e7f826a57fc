/**
 * Making two renderings of the same result comparable: content that changes from run to run
 * (memory addresses, timestamps, temporary paths, uuids, object ids, colour codes; the durations,
 * rates and loop counts of %time, %timeit, tqdm and keras progress) is replaced by a placeholder
 * (timings with the note "timings differ", so a cell that differs only there is within tolerance,
 * not identical), lines redrawn after a carriage return read as their last drawing, %time's and
 * %timeit's report lines present on one side only (run untimed without IPython) are left out with
 * a note, and known representation changes are undone (numpy
 * 2 prints scalars as `np.float64(0.5)` where numpy 1 printed `0.5`). Then numbers are compared
 * with relative and absolute tolerances, the way numpy.isclose does.
 */

export interface Tolerance {
  /** Relative tolerance: |a - b| <= atol + rtol * |b|. */
  readonly rtol: number;
  readonly atol: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-3, atol: 1e-6 };

export interface NormaliseOptions {
  /** Paths that mean the same place on each side, replaced by `<workspace>` (e.g. the host folder and /workspace). */
  readonly aliases?: readonly string[];
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Rule {
  readonly pattern: RegExp;
  readonly replace: string | ((...m: string[]) => string);
  /** A note for the user when the rule changed something that differed. */
  readonly note?: string;
}

/** The note of the rules that take durations and rates out of timing output. */
export const TIMING_NOTE = 'timings differ: durations and rates are not compared';

/** A duration as IPython's %time/%timeit, tqdm and keras print it: "1.2 ms", "659 ns", "10.3 µs", "1min 5s", "3s". */
const DURATION = /\d+(?:\.\d+)?(?:e[-+]?\d+)?\s?(?:ns|[µμu]s|ms|s|min|h|d)\b(?:\s+\d+(?:\.\d+)?\s?(?:ns|[µμu]s|ms|s|min|h|d)\b)*/g;
const durations = (line: string): string => line.replace(DURATION, '<duration>');
/** %timeit's result line, in every form, once normalised. */
const TIMEIT = '<duration> per loop (timeit)';

const VOLATILE: readonly Rule[] = [
  // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
  { pattern: /\x1b\[[0-9;?]*[A-Za-z]/g, replace: '' },
  { pattern: /\r+\n/g, replace: '\n' },
  // a line redrawn after a carriage return (progress bars) reads as its last drawing, as in Jupyter
  { pattern: /[^\n]*\r(?=[^\r\n])/g, replace: '' },
  { pattern: /\r/g, replace: '' },
  // "Cell In[3], line 2" (IPython) and "<cell 3>" (Berth's runner) name the same cell differently
  { pattern: /Cell In\s*\[\d*\],?\s*line (\d+)/g, replace: '<cell>, line $1' },
  { pattern: /File "<(?:cell \d+|ipython-input-[\w-]+|string)>"/g, replace: '<cell>' },
  { pattern: /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, replace: '<uuid>' },
  { pattern: /\b0x[0-9a-fA-F]{6,16}\b/g, replace: '<address>' },
  {
    pattern: /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?\b/g,
    replace: '<timestamp>',
  },
  // %time / %%time: "CPU times: user 1.2 ms, sys: 0 ns, total: 1.2 ms" and "Wall time: 1.5 ms"
  { pattern: /^(?:CPU times|Wall time): .*$/gm, replace: durations, note: TIMING_NOTE },
  // printed only when compiling or parsing took long
  { pattern: /^(?:Compiler|Parser)\s*: .*(?:\n|$)/gm, replace: '', note: TIMING_NOTE },
  // %timeit: "659 ns ± 95.3 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)", and
  // before IPython 6 "1000000 loops, best of 3: 659 ns per loop": the loop count is the clock's too
  {
    pattern: /^.*? (?:±|\+-) .*? per loop \(mean (?:±|\+-) std\. dev\. of [\d,]+ runs?, [\d,]+ loops? each\)$/gm,
    replace: TIMEIT,
    note: TIMING_NOTE,
  },
  { pattern: /^[\d,]+ loops?, best of \d+: .*? per loop$/gm, replace: TIMEIT, note: TIMING_NOTE },
  { pattern: /^The slowest run took .*(?:\n|$)/gm, replace: '', note: TIMING_NOTE },
  // progress bars: tqdm's "[00:01<00:01, 30.2it/s]" or "[00:01, 30.2it/s]", rates, keras' "1s 3ms/step" and "ETA: 2s"
  { pattern: /\[\d+:\d{2}(?::\d{2})?(?:<[^\],]*(?:,[^\]]*)?|,[^\]]*\/[^\]]*)\]/g, replace: '[<progress>]', note: TIMING_NOTE },
  {
    pattern: /\b\d+(?:\.\d+)?\s?(?:it\/s|s\/it|(?:[µμun]s|ms|s)\/(?:step|sample|it|epoch))(?![\w/])/g,
    replace: '<rate>',
    note: TIMING_NOTE,
  },
  { pattern: /(^|\s)\d+(?:\.\d+)?(?:[µμu]s|ms|s|min)(?= <rate>)/gm, replace: '$1<duration>', note: TIMING_NOTE },
  { pattern: /\bETA: \d+(?::\d{2})*(?:\.\d+)?(?:[µμu]s|ms|s|min)?/g, replace: 'ETA: <duration>', note: TIMING_NOTE },
  { pattern: /\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, replace: '<time>' },
  { pattern: /\/tmp\/[\w.-]*tmp[\w.-]*/g, replace: '<tmp>' },
  { pattern: /\b(id|pid|object id)([=:]\s*)\d{5,}\b/gi, replace: '$1$2<id>' },
];

/** A line of %time's or %timeit's report, once normalised. */
const TIMING_LINE = /^(?:CPU times: |Wall time: |<duration> per loop \(timeit\)$)/;
/** The note for timing lines on one side only. */
export const UNTIMED_NOTE =
  "%time/%timeit's timing lines are on one side only (without IPython their statement runs untimed): not compared";

/** Both texts without %time's and %timeit's report lines, when one side has more of them than the other. */
function withoutUntimed(a: string, b: string): [string, string] | undefined {
  const count = (s: string): number => s.split('\n').filter((l) => TIMING_LINE.test(l)).length;
  if (count(a) === count(b)) return undefined;
  const strip = (s: string): string =>
    s
      .split('\n')
      .filter((l) => !TIMING_LINE.test(l))
      .join('\n');
  return [strip(a), strip(b)];
}

/** numpy 2's scalar repr, undone: np.float64(0.5) → 0.5, np.True_ → True, np.str_('a') → 'a'. */
const NUMPY_SCALAR: readonly Rule[] = [
  {
    pattern: /\bnp\.(?:float|int|uint|complex|longdouble|clongdouble)(?:16|32|64|128|256)?\(([^()]*)\)/g,
    replace: '$1',
    note: 'numpy 2 prints scalars as np.float64(…); the values are compared',
  },
  { pattern: /\bnp\.(True|False)_\b/g, replace: '$1', note: 'numpy 2 prints booleans as np.True_' },
  { pattern: /\bnp\.(?:str|bytes)_\(('[^']*'|"[^"]*")\)/g, replace: '$1', note: 'numpy 2 prints strings as np.str_(…)' },
];

export interface Normalised {
  readonly text: string;
  /** Notes from rules that changed this text. */
  readonly notes: readonly string[];
}

export function normaliseText(text: string, options: NormaliseOptions = {}): Normalised {
  let out = text;
  const notes: string[] = [];
  for (const alias of [...(options.aliases ?? [])].sort((a, b) => b.length - a.length)) {
    if (alias) out = out.replace(new RegExp(`${escapeRegExp(alias)}(?=/|\\b|$)`, 'g'), '<workspace>');
  }
  for (const rule of [...VOLATILE, ...NUMPY_SCALAR]) {
    const before = out;
    out = out.replace(rule.pattern, rule.replace as string);
    if (rule.note && out !== before && !notes.includes(rule.note)) notes.push(rule.note);
  }
  out = out
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
  return { text: out, notes };
}

/** A version (two dots or more), else a number: integers, decimals ("3.", ".5"), exponents, nan and inf. */
const VERSION_OR_NUMBER = /(\d+(?:\.\d+){2,})|[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b/gi;

interface Skeleton {
  readonly shape: string;
  readonly numbers: readonly number[];
}

/** The text with every number replaced by '#' and runs of whitespace collapsed, and the numbers. */
export function skeleton(text: string): Skeleton {
  const numbers: number[] = [];
  const shape = text
    .replace(VERSION_OR_NUMBER, (m, version: string | undefined) => {
      // a version (1.24.2) is a word, not two numbers: it must match exactly
      if (version !== undefined) return version;
      numbers.push(Number(m.replace(/^([-+]?)(inf)$/i, '$1Infinity').replace(/^[-+]?nan$/i, 'NaN')));
      return '#';
    })
    .replace(/\s+/g, ' ')
    .trim();
  return { shape, numbers };
}

export function close(a: number, b: number, tol: Tolerance): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
}

export type TextVerdict =
  | { readonly kind: 'identical'; readonly notes: readonly string[] }
  | { readonly kind: 'within-tolerance'; readonly reason: string; readonly notes: readonly string[] }
  | { readonly kind: 'differs'; readonly reason: string; readonly notes: readonly string[] };

function firstDifferentLine(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) {
      const show = (s: string | undefined): string =>
        s === undefined ? '(nothing)' : JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}…` : s);
      return `line ${i + 1}: ${show(al[i])} in the notebook, ${show(bl[i])} in the container`;
    }
  }
  return 'the text differs';
}

/** Compare the notebook's text (`saved`) with the container's (`actual`). */
export function compareText(saved: string, actual: string, tol: Tolerance, options: NormaliseOptions = {}): TextVerdict {
  if (saved === actual) return { kind: 'identical', notes: [] };
  let a = normaliseText(saved, options);
  let b = normaliseText(actual, options);
  const notes = [...new Set([...a.notes, ...b.notes])];
  const untimed = a.text === b.text ? undefined : withoutUntimed(a.text, b.text);
  if (untimed) {
    a = { text: untimed[0], notes: a.notes };
    b = { text: untimed[1], notes: b.notes };
    notes.push(UNTIMED_NOTE);
  }
  if (a.text === b.text) {
    // equal only once a known representation change is undone or the timings are taken out: close, but not the same text
    if (notes.length === 0) return { kind: 'identical', notes };
    const timingOnly = notes.every((n) => n === TIMING_NOTE || n === UNTIMED_NOTE);
    return {
      kind: 'within-tolerance',
      reason: timingOnly ? notes.join('; ') : `equal values, printed differently: ${notes.join('; ')}`,
      notes,
    };
  }
  const sa = skeleton(a.text);
  const sb = skeleton(b.text);
  if (sa.shape !== sb.shape || sa.numbers.length !== sb.numbers.length)
    return { kind: 'differs', reason: firstDifferentLine(a.text, b.text), notes };
  let worstAbs = 0;
  let worstRel = 0;
  let worst: [number, number] | undefined;
  for (let i = 0; i < sa.numbers.length; i++) {
    const x = sa.numbers[i] ?? 0;
    const y = sb.numbers[i] ?? 0;
    if (!close(x, y, tol)) {
      return {
        kind: 'differs',
        reason: `${formatNumber(x)} in the notebook, ${formatNumber(y)} in the container (beyond rtol ${tol.rtol}, atol ${tol.atol})`,
        notes,
      };
    }
    const abs = Math.abs(x - y);
    if (abs > worstAbs) {
      worstAbs = abs;
      worstRel = y === 0 ? 0 : abs / Math.abs(y);
      worst = [x, y];
    }
  }
  if (!worst) return { kind: 'within-tolerance', reason: 'only the spacing differs', notes };
  return {
    kind: 'within-tolerance',
    reason: `numbers within tolerance: largest difference ${formatNumber(worst[0])} vs ${formatNumber(worst[1])} (abs ${worstAbs.toPrecision(2)}, rel ${worstRel.toPrecision(2)})`,
    notes,
  };
}

const formatNumber = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(8))));
