/**
 * What the runner executes for each code cell. In an image with IPython the runner gives each
 * cell's original source to IPython's own shell, which runs all of it, and nothing is skipped.
 * Without IPython it runs the planned Python:
 * - plain Python runs as is;
 * - IPython syntax — line magics (`%`), shell escapes (`!`, `x = !cmd`), magic captures
 *   (`t = %timeit -o f()`) and help (`obj?`, `?obj`) — is replaced by `pass` (keeping the
 *   indentation; lines continuing it with `\` or open brackets become blank) and reported as
 *   skipped;
 * - `%time stmt` runs its statement, untimed (its names are kept, as in IPython); `%%time` and
 *   `%%capture` run their body;
 * - `%timeit stmt` runs its statement once, untimed, when the cell has other code to run;
 * - any other cell magic (`%%bash`, `%%writefile`, `%%timeit`, …) skips the whole cell.
 * A cell that runs nothing but such syntax is skipped whole (`skippedWhole`, status "skipped"
 * with the syntax named): every line that is not blank or a comment is one replaced by `pass` or
 * a `%timeit` line (IPython times its statement in a scope of its own, so it defines nothing
 * later cells use, and its output is the timing, which cannot be reproduced without IPython).
 * So `%timeit f()` alone, `%matplotlib inline`, `!pip install x`, `%load_ext autoreload` +
 * `%autoreload 2`, `obj?`, `%%capture` over `%pip install x` are skipped, while `%time x = f()`
 * followed by `print(x)` runs, and so does any cell mixing such lines with Python.
 * Also: the top-level modules the notebook imports, for the environment diff.
 */
import type { Notebook } from './nbformat';

export interface CellPlan {
  /** Position in the notebook (all cells counted), from 0. */
  readonly index: number;
  /** 1-based number among the code cells, as users count them. */
  readonly ordinal: number;
  readonly id?: string;
  /** The cell's first non-blank line, for tables. */
  readonly title: string;
  /** The cell's source as written: what IPython's shell runs, when the image has IPython. */
  readonly original: string;
  /** The Python the runner executes without IPython. */
  readonly source: string;
  /** IPython lines that the runner does not run without IPython, as written. */
  readonly skipped: readonly string[];
  /** The whole cell is a cell magic the runner cannot run without IPython (e.g. %%bash). */
  readonly skippedWhole: boolean;
}

/**
 * The plan as the runner carried it out: in IPython's shell every line runs, so nothing is
 * skipped; without IPython (`ipython` undefined) the plan stands.
 */
export function asRun(plan: CellPlan, ipython: string | undefined): CellPlan {
  if (ipython === undefined || (plan.skipped.length === 0 && !plan.skippedWhole)) return plan;
  return { ...plan, skipped: [], skippedWhole: false };
}

/** Cell magics whose body is plain Python: run the body. */
const PYTHON_BODY_MAGICS = new Set(['time', 'capture']);
/** Line magics whose argument is a Python statement: run the statement. */
const PYTHON_LINE_MAGICS = new Set(['time', 'timeit']);
/** Line magics that only time their statement: a cell made only of them is skipped. */
const TIMING_ONLY_MAGICS = new Set(['timeit']);

const MAGIC_LINE = /^(\s*)(?:[\w.[\]'"]+\s*=\s*)?[%!]/;
const HELP_LINE = /^\s*[\w.]+\?\??\s*$|^\s*\?\??[\w.]+\s*$/;

/** Count unescaped triple quotes to know whether a line starts inside a multi-line string. */
function tripleQuotes(line: string): number {
  return (line.match(/"""|'''/g) ?? []).length;
}

export interface PlannedCell {
  readonly source: string;
  readonly skipped: string[];
  readonly skippedWhole: boolean;
}

/** The cell skipped whole, naming the syntax it is made of. */
const whole = (skipped: string[]): PlannedCell => ({ source: 'pass\n', skipped, skippedWhole: true });

export function planCell(source: string): PlannedCell {
  const lines = source.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  const firstLine = first >= 0 ? (lines[first] ?? '') : '';
  const cellMagic = /^\s*%%(\w+)/.exec(firstLine);
  if (cellMagic) {
    if (!PYTHON_BODY_MAGICS.has(cellMagic[1] ?? '')) return whole([firstLine.trim()]);
    lines[first] = '';
    const rest = planLines(lines);
    // a body with nothing to run (`%%capture` over `%pip install x`): the cell is skipped
    if (!rest.runs) return whole([firstLine.trim(), ...rest.named]);
    return { source: rest.source, skipped: [firstLine.trim(), ...rest.skipped], skippedWhole: false };
  }
  const planned = planLines(lines);
  if (!planned.runs && planned.named.length > 0) return whole(planned.named);
  return { source: planned.source, skipped: planned.skipped, skippedWhole: false };
}

interface PlannedLines {
  readonly source: string;
  /** Lines replaced by pass. */
  readonly skipped: string[];
  /** Those and the %timeit lines, in the cell's order. */
  readonly named: string[];
  /** Some Python other than a %timeit statement runs. */
  readonly runs: boolean;
}

function planLines(lines: readonly string[]): PlannedLines {
  const skipped: string[] = [];
  const named: string[] = [];
  let runs = false;
  let inString = false;
  let depth = 0;
  let continued = false;
  /** What the logical line being continued is. */
  let kind: 'code' | 'skipped' | 'timed' = 'code';
  const skip = (line: string): string => {
    kind = 'skipped';
    skipped.push(line.trim());
    named.push(line.trim());
    return `${/^\s*/.exec(line)?.[0] ?? ''}pass`;
  };
  const out = lines.map((line) => {
    const startsInString = inString;
    // IPython syntax only starts a logical line: not inside brackets, strings or after a backslash
    const continuation = startsInString || depth > 0 || continued;
    if (tripleQuotes(line) % 2 === 1) inString = !inString;
    const code = line.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, '').replace(/#.*$/, '');
    if (!startsInString) depth = Math.max(0, depth + (code.match(/[([{]/g) ?? []).length - (code.match(/[)\]}]/g) ?? []).length);
    continued = /\\\s*$/.test(code);
    if (continuation) {
      // the rest of a line replaced by pass is not Python either
      if (kind === 'skipped') return '';
      if (kind === 'code' && line.trim() !== '') runs = true;
      return line;
    }
    if (MAGIC_LINE.test(line)) {
      const lineMagic = /^(\s*)%(\w+)\s+(.*)$/.exec(line);
      const name = lineMagic?.[2] ?? '';
      if (!lineMagic || !PYTHON_LINE_MAGICS.has(name) || !lineMagic[3]?.trim()) return skip(line);
      if (TIMING_ONLY_MAGICS.has(name)) {
        kind = 'timed';
        named.push(line.trim());
      } else {
        kind = 'code';
        runs = true;
      }
      // the statement runs, untimed; %timeit's own options are not Python
      const statement = lineMagic[3].replace(/^(?:\s*-[nrp]\s*\d+|\s*-[tcqo])+\s+/, '');
      return `${lineMagic[1] ?? ''}${statement}`;
    }
    if (HELP_LINE.test(line)) return skip(line);
    kind = 'code';
    // blank lines and comments run nothing
    if (line.trim() !== '' && !/^\s*#/.test(line)) runs = true;
    return line;
  });
  return { source: out.join('\n'), skipped, named, runs };
}

/** A cell's first non-blank line, shortened to 100 characters. */
export function cellTitle(source: string): string {
  const first =
    source
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? '(empty cell)';
  return first.length > 100 ? `${first.slice(0, 97)}…` : first;
}

export function planNotebook(nb: Notebook): CellPlan[] {
  let ordinal = 0;
  const plans: CellPlan[] = [];
  for (const cell of nb.cells) {
    if (cell.type !== 'code') continue;
    ordinal++;
    plans.push({
      index: cell.index,
      ordinal,
      ...(cell.id ? { id: cell.id } : {}),
      title: cellTitle(cell.source),
      original: cell.source,
      ...planCell(cell.source),
    });
  }
  return plans;
}

/** Top-level module names the cells import, in first-seen order (relative imports left out). */
export function importedModules(sources: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const source of sources) {
    for (const line of source.split('\n')) {
      const from = /^\s*from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(line);
      if (from?.[1]) seen.add(from[1].split('.')[0] ?? from[1]);
      const imp = /^\s*import\s+(.+)$/.exec(line);
      if (!imp?.[1]) continue;
      for (const part of imp[1].split('#')[0]?.split(',') ?? []) {
        const name = /^\s*([A-Za-z_][\w.]*)/.exec(part)?.[1];
        if (name) seen.add(name.split('.')[0] ?? name);
      }
    }
  }
  return [...seen];
}
