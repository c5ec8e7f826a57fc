/**
 * What the runner executes for each code cell. In an image with IPython the runner gives each
 * cell's original source to IPython's own shell, which runs all of it. Without IPython it runs
 * the planned Python: plain Python as is, while IPython syntax — line magics (`%`), cell magics
 * (`%%`), shell escapes (`!`) and help (`obj?`) — is replaced by `pass` (keeping the
 * indentation) and reported as skipped; `%time` and `%%time` run their statement or body,
 * untimed. Also: the top-level modules the notebook imports, for the environment diff.
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
const PYTHON_BODY_MAGICS = new Set(['time', 'timeit', 'capture']);
/** Line magics whose argument is a Python statement: run the statement. */
const PYTHON_LINE_MAGICS = new Set(['time', 'timeit']);

const MAGIC_LINE = /^(\s*)(?:[\w.[\]'"]+\s*=\s*)?[%!]/;
const HELP_LINE = /^\s*[\w.]+\?\??\s*$|^\s*\?\??[\w.]+\s*$/;

/** Count unescaped triple quotes to know whether a line starts inside a multi-line string. */
function tripleQuotes(line: string): number {
  return (line.match(/"""|'''/g) ?? []).length;
}

export function planCell(source: string): { source: string; skipped: string[]; skippedWhole: boolean } {
  const lines = source.split('\n');
  const first = lines.findIndex((l) => l.trim() !== '');
  const firstLine = first >= 0 ? (lines[first] ?? '') : '';
  const cellMagic = /^\s*%%(\w+)/.exec(firstLine);
  if (cellMagic) {
    if (!PYTHON_BODY_MAGICS.has(cellMagic[1] ?? '')) return { source: 'pass\n', skipped: [firstLine.trim()], skippedWhole: true };
    lines[first] = '';
    const rest = planCell(lines.join('\n'));
    return { ...rest, skipped: [firstLine.trim(), ...rest.skipped] };
  }
  const skipped: string[] = [];
  let inString = false;
  let depth = 0;
  let continued = false;
  const out = lines.map((line) => {
    const startsInString = inString;
    // IPython syntax only starts a logical line: not inside brackets, strings or after a backslash
    const continuation = startsInString || depth > 0 || continued;
    if (tripleQuotes(line) % 2 === 1) inString = !inString;
    const code = line.replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"/g, '').replace(/#.*$/, '');
    if (!startsInString) depth = Math.max(0, depth + (code.match(/[([{]/g) ?? []).length - (code.match(/[)\]}]/g) ?? []).length);
    continued = /\\\s*$/.test(code);
    if (continuation) return line;
    const magic = MAGIC_LINE.exec(line);
    if (magic) {
      const indent = magic[1] ?? '';
      const lineMagic = /^\s*%(\w+)\s+(.*)$/.exec(line);
      if (lineMagic && PYTHON_LINE_MAGICS.has(lineMagic[1] ?? '') && lineMagic[2]?.trim()) {
        // the statement runs, untimed; %timeit's own options are not Python
        const statement = lineMagic[2].replace(/^(?:\s*-[nrp]\s*\d+|\s*-[tcqo])+\s+/, '');
        return `${indent}${statement}`;
      }
      skipped.push(line.trim());
      return `${indent}pass`;
    }
    if (HELP_LINE.test(line)) {
      skipped.push(line.trim());
      return `${/^\s*/.exec(line)?.[0] ?? ''}pass`;
    }
    return line;
  });
  return { source: out.join('\n'), skipped, skippedWhole: false };
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
