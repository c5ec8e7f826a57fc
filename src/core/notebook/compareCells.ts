/**
 * Cell by cell: the outputs saved in the notebook against the outputs of the same cell run in
 * the container. Each cell gets one status and one reason a user can act on; errors that only
 * happen in the container get a hint from what is known (a module missing from the image, a
 * path outside the mounted workspace, the read-only mount).
 */
import { diffLines } from 'diff';
import { OUTPUT_MOUNT, WORKSPACE_MOUNT, type ExecutedCell, type PythonEnvironment, type RunOutcome } from './containerRun';
import { comparePng, pngSize } from './images';
import type { CellOutput, MimeBundle, NotebookCell } from './nbformat';
import { compareText, DEFAULT_TOLERANCE, normaliseText, type NormaliseOptions, type Tolerance } from './normalise';
import type { CellPlan } from './plan';
import { formatBytes } from '../project/units';
import type { CellStatus } from './summary';

export { summarise, type CellStatus, type Summary } from './summary';

export interface CompareSettings {
  readonly tolerance: Tolerance;
  /** Share of pixels that may differ in an image still within tolerance. */
  readonly pixelRatio: number;
  /** Count differences on stderr (warnings) as differences; otherwise they are noted only. */
  readonly compareStderr: boolean;
  /** Paths that mean the same folder on both sides (the host workspace and its mount). */
  readonly aliases: readonly string[];
  readonly timeoutSeconds: number;
  /**
   * A cell that differs and is likely nondeterministic (an unseeded random generator, the clock,
   * …) counts as "nondeterministic" instead of "differs", and so does not fail the comparison.
   */
  readonly allowNondeterministic: boolean;
}

export const DEFAULT_SETTINGS: CompareSettings = {
  tolerance: DEFAULT_TOLERANCE,
  pixelRatio: 0.01,
  compareStderr: false,
  aliases: [],
  timeoutSeconds: 120,
  allowNondeterministic: false,
};

/** One row of a side-by-side diff; kinds say which side has the line. */
export interface DiffRow {
  readonly kind: 'same' | 'changed' | 'removed' | 'added';
  readonly left?: string;
  readonly right?: string;
}

export interface CellComparison {
  /** Position in the notebook (all cells), from 0: what the editor reveals. */
  readonly index: number;
  /** 1-based number among the code cells. */
  readonly ordinal: number;
  readonly id?: string;
  readonly status: CellStatus;
  readonly reason: string;
  readonly notes: readonly string[];
  /** The first line of the cell's source, for the table. */
  readonly title: string;
  readonly durationMs?: number;
  /** IPython lines the container did not run. */
  readonly skipped: readonly string[];
  /** Both sides rendered as text, for display and export. */
  readonly saved: string;
  readonly container: string;
  /** Side-by-side rows, for cells that differ in any way. */
  readonly diff?: readonly DiffRow[];
  /** PNG outputs (base64) of each side, for cells whose images differ. */
  readonly images?: { readonly saved: readonly string[]; readonly container: readonly string[] };
}

const SEVERITY: Record<CellStatus, number> = {
  identical: 0,
  'no-reference': 1,
  skipped: 1,
  'not-run': 1,
  'within-tolerance': 2,
  nondeterministic: 2,
  'error-notebook': 3,
  differs: 3,
  'error-container': 4,
};

/** Statuses that make a comparison fail (and the command-line entry point exit non-zero). */
export const FAILING: ReadonlySet<CellStatus> = new Set(['differs', 'error-container', 'error-notebook']);

function richText(data: MimeBundle): string {
  if (data['image/png'] !== undefined) {
    const size = pngSize(data['image/png']);
    return `[image/png${size ? ` ${size.width}×${size.height}` : ''}]`;
  }
  if (data['text/plain'] !== undefined) return data['text/plain'];
  const mime = Object.keys(data)[0];
  return mime ? `[${mime}]\n${data[mime] ?? ''}` : '[empty output]';
}

/** All outputs of a cell as text, each kind marked, the way the panel and the export show them. */
export function renderOutputs(outputs: readonly CellOutput[]): string {
  const parts: string[] = [];
  for (const o of outputs) {
    if (o.kind === 'stream') parts.push(o.name === 'stderr' ? `[stderr]\n${o.text.replace(/\n$/, '')}` : o.text.replace(/\n$/, ''));
    else if (o.kind === 'result') parts.push(`Out: ${richText(o.data)}`);
    else if (o.kind === 'display') parts.push(richText(o.data));
    else parts.push(`${o.ename}: ${o.evalue}`);
  }
  return parts.join('\n');
}

/** How much work a side-by-side diff may take: the size of its inputs and the number of edits it looks for. */
export const DIFF_LIMITS = { chars: 2_000_000, lines: 20_000, edits: 5_000 };

const countLines = (s: string): number => {
  let n = 1;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
};

/** The note that stands for a diff too large to make, naming both sizes. */
export function tooLargeToDiff(left: string, right: string): string {
  return `outputs too large to diff, sizes ${left.length.toLocaleString('en-US')} and ${right.length.toLocaleString('en-US')} characters (${countLines(left).toLocaleString('en-US')} and ${countLines(right).toLocaleString('en-US')} lines) in the notebook and the container`;
}

/** Side-by-side rows of two texts; one row with tooLargeToDiff's note when the diff would take too much work. */
export function sideBySide(left: string, right: string): DiffRow[] {
  const rows: DiffRow[] = [];
  const lines = (s: string): string[] => s.replace(/\n$/, '').split('\n');
  // both sides end with a newline, so a last line is not "changed" for lacking one
  const terminated = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
  const tooLarge = (): DiffRow[] => [{ kind: 'changed', left: `[${tooLargeToDiff(left, right)}]`, right: '' }];
  if (left.length + right.length > DIFF_LIMITS.chars || countLines(left) + countLines(right) > DIFF_LIMITS.lines) return tooLarge();
  const changes = diffLines(terminated(left), terminated(right), { maxEditLength: DIFF_LIMITS.edits });
  if (!changes) return tooLarge();
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    if (!c) continue;
    if (!c.added && !c.removed) {
      for (const l of lines(c.value)) rows.push({ kind: 'same', left: l, right: l });
      continue;
    }
    const next = changes[i + 1];
    if (c.removed && next?.added) {
      const a = lines(c.value);
      const b = lines(next.value);
      for (let k = 0; k < Math.max(a.length, b.length); k++) {
        const l = a[k];
        const r = b[k];
        rows.push(
          l !== undefined && r !== undefined
            ? { kind: 'changed', left: l, right: r }
            : l !== undefined
              ? { kind: 'removed', left: l }
              : { kind: 'added', right: r ?? '' },
        );
      }
      i++;
      continue;
    }
    for (const l of lines(c.value)) rows.push(c.removed ? { kind: 'removed', left: l } : { kind: 'added', right: l });
  }
  return rows;
}

interface Part {
  readonly status: 'identical' | 'within-tolerance' | 'differs';
  readonly reason: string;
  readonly notes: readonly string[];
}

const streamText = (outputs: readonly CellOutput[], name: 'stdout' | 'stderr'): string =>
  outputs
    .filter((o): o is Extract<CellOutput, { kind: 'stream' }> => o.kind === 'stream' && o.name === name)
    .map((o) => o.text)
    .join('');

const richOutputs = (outputs: readonly CellOutput[]): MimeBundle[] =>
  outputs
    .filter((o): o is Extract<CellOutput, { kind: 'result' | 'display' }> => o.kind === 'result' || o.kind === 'display')
    .map((o) => o.data);

function compareParts(saved: readonly CellOutput[], actual: readonly CellOutput[], settings: CompareSettings): Part[] {
  const norm: NormaliseOptions = { aliases: settings.aliases };
  const parts: Part[] = [];
  const text = (label: string, a: string, b: string): Part => {
    const v = compareText(a, b, settings.tolerance, norm);
    return v.kind === 'identical'
      ? { status: 'identical', reason: '', notes: v.notes }
      : { status: v.kind, reason: `${label}: ${v.reason}`, notes: v.notes };
  };
  parts.push(text('stdout', streamText(saved, 'stdout'), streamText(actual, 'stdout')));
  const stderr = text('stderr', streamText(saved, 'stderr'), streamText(actual, 'stderr'));
  if (settings.compareStderr) parts.push(stderr);
  else if (stderr.status !== 'identical')
    parts.push({ status: 'identical', reason: '', notes: [`${stderr.reason} (stderr is not compared)`] });

  const a = richOutputs(saved);
  const b = richOutputs(actual);
  if (a.length !== b.length)
    parts.push({ status: 'differs', reason: `the notebook shows ${a.length} result(s), the container ${b.length}`, notes: [] });
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? {};
    const y = b[i] ?? {};
    const label = a.length > 1 ? `output ${i + 1}` : 'output';
    const px = x['image/png'];
    const py = y['image/png'];
    if (px !== undefined && py !== undefined) {
      const v = comparePng(px, py, settings.pixelRatio);
      parts.push(
        v.kind === 'identical'
          ? { status: 'identical', reason: '', notes: [] }
          : { status: v.kind, reason: `${label}: ${v.reason}`, notes: [] },
      );
    } else if ((px === undefined) !== (py === undefined)) {
      parts.push({
        status: 'differs',
        reason: `${label}: ${px ? 'an image in the notebook, text in the container' : 'text in the notebook, an image in the container'}`,
        notes: [],
      });
    } else {
      const key = x['text/plain'] !== undefined && y['text/plain'] !== undefined ? 'text/plain' : 'text/html';
      parts.push(text(label, x[key] ?? '', y[key] ?? ''));
    }
  }
  return parts;
}

const errorOf = (outputs: readonly CellOutput[]): Extract<CellOutput, { kind: 'error' }> | undefined =>
  outputs.find((o): o is Extract<CellOutput, { kind: 'error' }> => o.kind === 'error');

/** What is known about an error that only the container raises. */
export function errorHint(
  err: { ename: string; evalue: string },
  context: { local?: PythonEnvironment; timeoutSeconds?: number },
): string | undefined {
  if (err.ename === 'ModuleNotFoundError' || err.ename === 'ImportError') {
    const name = /No module named '([^'.]+)/.exec(err.evalue)?.[1];
    if (name) {
      const local = context.local?.packages[name]?.version;
      return `${name} is not installed in the image${local ? ` (the local interpreter has ${local})` : ''}: add it to the Dockerfile`;
    }
  }
  if (err.ename === 'SyntaxError' && /Missing parentheses in call to '(print|exec)'/.test(err.evalue))
    return 'Python 2 syntax (a print or exec statement): the notebook was written for Python 2, and the image runs Python 3';
  if (/Read-only file system/i.test(err.evalue))
    return 'the workspace is mounted read-only in the comparison: write files under $OUTPUT_DIR (the scratch folder)';
  if (err.ename === 'FileNotFoundError' || err.ename === 'OSError') {
    const file = /: '([^']+)'/.exec(err.evalue)?.[1];
    if (file?.startsWith('/') && !file.startsWith(`${WORKSPACE_MOUNT}/`) && !file.startsWith(`${OUTPUT_MOUNT}/`))
      return `${file} is an absolute path outside the workspace; the container sees only the workspace (at /workspace): use a path relative to the notebook`;
    if (file) return `${file} is missing in the container: is it ignored, generated by another step, or outside the notebook's folder?`;
  }
  if (err.ename === 'TimeoutError' && context.timeoutSeconds)
    return `it ran longer than the ${context.timeoutSeconds} s cell timeout (setting berth.compare.cellTimeoutSeconds)`;
  return undefined;
}

const signalName: Record<number, string> = { 134: 'SIGABRT', 135: 'SIGBUS', 136: 'SIGFPE', 137: 'SIGKILL', 139: 'SIGSEGV', 143: 'SIGTERM' };

/** Why a cell has no result from the container. */
function notRunReason(plan: CellPlan, outcome: RunOutcome): { status: CellStatus; reason: string } {
  const here = 'cellIndex' in outcome && outcome.cellIndex === plan.index;
  switch (outcome.kind) {
    case 'oom':
      return here
        ? {
            status: 'error-container',
            reason: `the Python process was killed for running out of memory in this cell${outcome.limitBytes > 0 ? ` (limit ${formatBytes(outcome.limitBytes)})` : ''}: raise the profile's "memory" or use less`,
          }
        : { status: 'not-run', reason: 'not run: the Python process was killed for memory in an earlier cell' };
    case 'timeout':
      return here
        ? {
            status: 'error-container',
            reason: `ran past the ${outcome.seconds} s cell timeout and did not stop, so the container was killed`,
          }
        : { status: 'not-run', reason: 'not run: an earlier cell hung and the container was killed' };
    case 'exited': {
      const sig = signalName[outcome.exitCode];
      return here
        ? { status: 'error-container', reason: `the Python process died in this cell (exit ${outcome.exitCode}${sig ? `, ${sig}` : ''})` }
        : { status: 'not-run', reason: `not run: the Python process ended early (exit ${outcome.exitCode}${sig ? `, ${sig}` : ''})` };
    }
    case 'cancelled':
      return { status: 'not-run', reason: 'not run: the comparison was cancelled' };
    case 'stalled':
      return {
        status: 'not-run',
        reason: `not run: the Python process stopped responding for ${outcome.seconds} s and the container was killed`,
      };
    case 'completed':
      return { status: 'not-run', reason: 'not run' };
  }
}

export interface CompareContext {
  readonly settings: CompareSettings;
  readonly outcome: RunOutcome;
  readonly local?: PythonEnvironment;
  /** The ordinal of the first earlier cell that failed only in the container. */
  readonly firstContainerError?: number;
  /** What may make this cell's output change between runs (nondeterminismByCell). */
  readonly nondeterminism?: string;
}

function withDiff(c: Omit<CellComparison, 'diff'>): CellComparison {
  if (c.status === 'identical' || c.saved === c.container) return c;
  const diff = sideBySide(c.saved, c.container);
  const first = diff[0];
  if (diff.length === 1 && first?.left?.startsWith('[outputs too large to diff'))
    return { ...c, diff, notes: [...c.notes, first.left.slice(1, -1)] };
  return { ...c, diff };
}

export function compareCell(plan: CellPlan, saved: NotebookCell, run: ExecutedCell | undefined, ctx: CompareContext): CellComparison {
  const c = likelyNondeterministic(compareCellOutputs(plan, saved, run, ctx), ctx);
  if (!run?.cut) return c;
  return {
    ...c,
    notes: [
      ...c.notes,
      `truncated: ${formatCount(run.cut)} characters of the container's output were cut (its first and last part are kept)`,
    ],
  };
}

const formatCount = (n: number): string => n.toLocaleString('en-US');

/** A cell that differs and uses something nondeterministic says so (and counts apart, when the settings allow). */
function likelyNondeterministic(c: CellComparison, ctx: CompareContext): CellComparison {
  if (c.status !== 'differs' || ctx.nondeterminism === undefined) return c;
  return {
    ...c,
    status: ctx.settings.allowNondeterministic ? 'nondeterministic' : 'differs',
    reason: `${c.reason} — likely nondeterministic: ${ctx.nondeterminism}`,
  };
}

/** Why a cell made only of IPython syntax is not run: the syntax named, and that a timing needs IPython. */
export function skippedReason(skipped: readonly string[]): string {
  const named = skipped.length > 0 ? skipped.join('; ') : 'cell magic';
  const timing = skipped.some((l) => /^%%?timeit\b/.test(l));
  return `${named} ${skipped.length > 1 ? 'are' : 'is'} IPython syntax: the cell is not run in the container${timing ? " (%timeit's output is a timing, which only IPython makes)" : ''}`;
}

function compareCellOutputs(plan: CellPlan, saved: NotebookCell, run: ExecutedCell | undefined, ctx: CompareContext): CellComparison {
  const base = {
    index: plan.index,
    ordinal: plan.ordinal,
    ...(plan.id ? { id: plan.id } : {}),
    title: plan.title,
    skipped: plan.skipped,
    saved: renderOutputs(saved.outputs),
    ...(run ? { durationMs: run.durationMs } : {}),
  };
  if (plan.skippedWhole)
    return {
      ...base,
      container: '',
      status: 'skipped',
      reason: skippedReason(plan.skipped),
      notes: [],
    };
  const skippedNote = plan.skipped.length > 0 ? [`not run in the container (IPython syntax): ${plan.skipped.join('; ')}`] : [];
  if (!run) return withDiff({ ...base, container: '', ...notRunReason(plan, ctx.outcome), notes: skippedNote });
  const full = { ...base, container: renderOutputs(run.outputs) };
  const failed = errorVerdict(plan, saved, run, ctx);
  if (failed) return withDiff({ ...full, ...failed, notes: [...skippedNote, ...failed.notes] });
  if (saved.executionCount === null && saved.outputs.length === 0 && run.outputs.length > 0)
    return withDiff({
      ...full,
      status: 'no-reference',
      reason: 'the notebook has no saved outputs for this cell (it was never run)',
      notes: skippedNote,
    });
  return outputsCompared(full, saved, run, ctx.settings, skippedNote);
}

type Verdict = Pick<CellComparison, 'status' | 'reason' | 'notes'>;

/** When either side raised an error: the same error on both sides, different ones, or an error on one side only. */
function errorVerdict(plan: CellPlan, saved: NotebookCell, run: ExecutedCell, ctx: CompareContext): Verdict | undefined {
  const savedErr = errorOf(saved.outputs);
  const runErr = run.timedOut
    ? { ename: 'TimeoutError', evalue: `ran longer than ${ctx.settings.timeoutSeconds} s`, traceback: [] }
    : errorOf(run.outputs);
  const norm = (s: string): string => normaliseText(s, { aliases: ctx.settings.aliases }).text;
  if (savedErr && runErr) {
    if (savedErr.ename === runErr.ename && norm(savedErr.evalue) === norm(runErr.evalue))
      return { status: 'identical', reason: `fails the same way in both: ${runErr.ename}`, notes: [] };
    return {
      status: 'differs',
      reason: `${savedErr.ename}: ${savedErr.evalue} in the notebook, ${runErr.ename}: ${runErr.evalue} in the container`,
      notes: [],
    };
  }
  if (runErr) {
    const hint = errorHint(runErr, { ...ctx, timeoutSeconds: ctx.settings.timeoutSeconds });
    // a name the failed cell would have defined
    const earlier = ctx.firstContainerError !== undefined && ctx.firstContainerError < plan.ordinal && runErr.ename === 'NameError';
    return {
      status: 'error-container',
      reason: `${run.timedOut ? 'timed out' : `${runErr.ename}: ${runErr.evalue}`} — only in the container${hint ? `; ${hint}` : ''}`,
      notes: earlier ? [`probably because cell ${ctx.firstContainerError} failed in the container`] : [],
    };
  }
  if (savedErr)
    return {
      status: 'error-notebook',
      reason: `${savedErr.ename}: ${savedErr.evalue} in the notebook; the container runs it without error`,
      notes: [],
    };
  return undefined;
}

/** Neither side failed: the outputs compared part by part, the cell taking its worst part's status; both sides' images when they differ. */
function outputsCompared(
  full: Omit<CellComparison, 'diff' | 'status' | 'reason' | 'notes'>,
  saved: NotebookCell,
  run: ExecutedCell,
  settings: CompareSettings,
  skippedNote: readonly string[],
): CellComparison {
  const parts = compareParts(saved.outputs, run.outputs, settings);
  const worst = parts.reduce<Part>((w, p) => (SEVERITY[p.status] > SEVERITY[w.status] ? p : w), {
    status: 'identical',
    reason: '',
    notes: [],
  });
  const notes = [...skippedNote, ...new Set(parts.flatMap((p) => p.notes))];
  const reason =
    worst.status === 'identical'
      ? saved.outputs.length === 0 && run.outputs.length === 0
        ? 'no output on either side'
        : 'same output'
      : worst.reason;
  const compared = withDiff({ ...full, status: worst.status, reason, notes });
  const pngs = (outputs: readonly CellOutput[]): string[] => richOutputs(outputs).flatMap((d) => (d['image/png'] ? [d['image/png']] : []));
  if (worst.status !== 'identical' && /image|pixels/.test(worst.reason))
    return { ...compared, images: { saved: pngs(saved.outputs), container: pngs(run.outputs) } };
  return compared;
}
