/**
 * The whole comparison: read the notebook, plan its cells, run them in the container, compare
 * each cell as its result arrives, and assemble a report (the panel shows it; the JSON export
 * and the command line write it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerCreateOptions, Engine } from '../engine/engine';
import { formatBytes } from '../project/units';
import { compareCell, FAILING, summarise, type CellComparison, type CompareSettings, type Summary } from './compareCells';
import {
  compareContainerOptions,
  containerUserOf,
  containerPathOf,
  NotebookRunError,
  runInContainer,
  OUTPUT_MOUNT,
  WORKSPACE_MOUNT,
  type CompareContainerInput,
  type ExecutedCell,
  type PythonEnvironment,
  type RunBounds,
  type RunOutcome,
} from './containerRun';
import { environmentDiff, type EnvironmentRow } from './environment';
import { isPython, parseNotebook, type Notebook } from './nbformat';
import { isSnapshotImage } from './snapshot';
import type { WarmRunners } from './warmRunners';
import { accessFor, createRunDir, currentIds } from './scratch';
import { asRun, importedModules, planNotebook, type CellPlan } from './plan';

export const REPORT_VERSION = 1;

export interface ComparisonReport {
  readonly version: typeof REPORT_VERSION;
  readonly notebook: string;
  readonly image: string;
  readonly startedAt: string;
  /** Wall time of the whole comparison. */
  readonly durationMs: number;
  /** Time the cells themselves ran, as measured in the container. */
  readonly cellsMs: number;
  readonly settings: CompareSettings;
  readonly outcome: RunOutcome;
  /** One sentence on how the run ended. */
  readonly message: string;
  readonly environment: readonly EnvironmentRow[];
  readonly containerEnvironment?: PythonEnvironment;
  readonly localEnvironment?: PythonEnvironment;
  readonly cells: readonly CellComparison[];
  readonly summary: Summary;
  /** No cell differs beyond tolerance or fails on one side only, and the run completed. */
  readonly passed: boolean;
  /** Output that belongs to no cell (the runner's own errors). */
  readonly stray: readonly string[];
}

export interface PreparedNotebook {
  readonly notebook: Notebook;
  readonly plans: readonly CellPlan[];
  readonly modules: readonly string[];
}

/** Read and plan a notebook; a clear error when it cannot be compared at all. */
export function prepareNotebook(text: string): PreparedNotebook {
  const notebook = parseNotebook(text);
  if (!isPython(notebook))
    throw new NotebookRunError(
      `This notebook's kernel language is ${notebook.language}${notebook.kernelDisplayName ? ` (${notebook.kernelDisplayName})` : ''}; Berth compares Python notebooks only.`,
    );
  const plans = planNotebook(notebook);
  return { notebook, plans, modules: importedModules(plans.map((p) => p.source)) };
}

/** Read and plan a notebook file; a clear error when it cannot be read or compared. */
export function readNotebook(file: string): PreparedNotebook {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new NotebookRunError(`Cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  return prepareNotebook(text);
}

export function outcomeMessage(outcome: RunOutcome, plans: readonly CellPlan[]): string {
  const ordinal = (index: number | undefined): string => {
    const p = plans.find((c) => c.index === index);
    return p ? `cell ${p.ordinal}` : 'a cell';
  };
  switch (outcome.kind) {
    case 'completed':
      return plans.length === 1 ? 'The code cell ran in the container.' : `All ${plans.length} code cells ran in the container.`;
    case 'oom':
      return `The Python process was killed for running out of memory in ${ordinal(outcome.cellIndex)}${outcome.limitBytes > 0 ? ` (limit ${formatBytes(outcome.limitBytes)})` : ''}; later cells did not run.`;
    case 'timeout':
      return `${ordinal(outcome.cellIndex)} ran past the ${outcome.seconds} s cell timeout and did not stop; the container was killed.`.replace(
        /^c/,
        'C',
      );
    case 'exited':
      return `The Python process ended early (exit ${outcome.exitCode})${outcome.cellIndex === undefined ? '' : ` in ${ordinal(outcome.cellIndex)}`}; later cells did not run.`;
    case 'cancelled':
      return 'The comparison was cancelled; the container was stopped and removed.';
    case 'stalled':
      return `The Python process said nothing for ${outcome.seconds} s ${outcome.afterCell === undefined ? 'before the first cell' : `after ${ordinal(outcome.afterCell)}`} (stuck starting up, or between cells); the container was killed and later cells did not run.`;
  }
}

export interface CompareInput {
  readonly notebookPath: string;
  /** The folder mounted read-only at /workspace; it must contain the notebook. */
  readonly workspaceDir: string;
  readonly image: string;
  readonly settings: CompareSettings;
  /** Host folder for what the notebook writes (mounted at /output). */
  readonly outputDir?: string;
  /**
   * A subfolder of outputDir for this run (created here, private to the user the container writes as), named in
   * OUTPUT_DIR: the mounts stay the same from run to run, so a container started ahead fits.
   */
  readonly outputRun?: string;
  readonly base?: CompareContainerInput['base'];
  readonly labels?: Readonly<Record<string, string>>;
  readonly memoryBytes?: number;
  readonly local?: PythonEnvironment;
  /** The notebook as the caller has just read and planned it; read from notebookPath otherwise. */
  readonly prepared?: PreparedNotebook;
  /** Containers started ahead of time: one is used if it fits, and the next one is prepared. */
  readonly warm?: WarmRunners;
  /** Bounds on the runner outside its cells (defaults: DEFAULT_BOUNDS). */
  readonly bounds?: Partial<RunBounds>;
}

export interface CompareEvents {
  readonly signal?: AbortSignal;
  /** Once, before anything runs: the code cells that will be compared. */
  readonly onPlan?: (plans: readonly CellPlan[], notebook: Notebook) => void;
  readonly onCellStart?: (plan: CellPlan, done: number) => void;
  readonly onCell?: (comparison: CellComparison, done: number) => void;
  readonly onEnvironment?: (rows: readonly EnvironmentRow[]) => void;
}

export interface ComparisonTimings {
  readonly prepareMs: number;
  readonly compareMs: number;
}

/** Run a notebook in the image and compare it; never throws for what a cell does, only for the run. */
export async function compareNotebook(
  engine: Engine,
  input: CompareInput,
  events: CompareEvents = {},
  timings?: { value?: ComparisonTimings },
): Promise<ComparisonReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const { notebook, plans, modules } = input.prepared ?? readNotebook(input.notebookPath);
  const notebookDir = path.dirname(input.notebookPath);
  const settings: CompareSettings = {
    ...input.settings,
    aliases: [...input.settings.aliases, input.workspaceDir, WORKSPACE_MOUNT],
  };
  events.onPlan?.(plans, notebook);
  const prepareMs = performance.now() - started;
  let compareMs = 0;

  const report = (
    outcome: RunOutcome,
    cells: CellComparison[],
    extra: { container?: PythonEnvironment; stray?: readonly string[]; cellsMs?: number; message?: string },
  ): ComparisonReport => {
    const summary = summarise(cells);
    return {
      version: REPORT_VERSION,
      notebook: input.notebookPath,
      image: input.image,
      startedAt,
      durationMs: performance.now() - started,
      cellsMs: extra.cellsMs ?? 0,
      settings: input.settings,
      outcome,
      message: extra.message ?? outcomeMessage(outcome, plans),
      environment: environmentDiff(modules, extra.container, notebook.languageVersion, input.local),
      ...(extra.container ? { containerEnvironment: extra.container } : {}),
      ...(input.local ? { localEnvironment: input.local } : {}),
      cells,
      summary,
      passed: outcome.kind === 'completed' && cells.every((c) => !FAILING.has(c.status)),
      stray: extra.stray ?? [],
    };
  };
  if (plans.length === 0)
    return report({ kind: 'completed' }, [], { message: 'The notebook has no code cells: there is nothing to run or compare.' });

  const cellsByIndex = new Map(notebook.cells.map((c) => [c.index, c]));
  const comparisons = new Map<number, CellComparison>();
  let firstContainerError: number | undefined;
  let done = 0;
  // the runner's hello says whether IPython's shell runs the cells (then no line is skipped)
  let ipython: string | undefined;
  const compareOne = (planned: CellPlan, run: ExecutedCell | undefined, outcome: RunOutcome): CellComparison => {
    const t = performance.now();
    const plan = asRun(planned, ipython);
    const saved = cellsByIndex.get(plan.index);
    if (!saved) throw new Error(`cell ${plan.index} vanished from the notebook`);
    const result = compareCell(plan, saved, run, {
      settings,
      outcome,
      ...(input.local ? { local: input.local } : {}),
      ...(firstContainerError === undefined ? {} : { firstContainerError }),
    });
    if (result.status === 'error-container') firstContainerError ??= plan.ordinal;
    compareMs += performance.now() - t;
    return result;
  };

  let options: ContainerCreateOptions = compareContainerOptions({
    image: input.image,
    workspaceDir: input.workspaceDir,
    notebookDir,
    ...(input.outputDir ? { outputDir: input.outputDir } : {}),
    ...(input.base ? { base: input.base } : {}),
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.memoryBytes === undefined ? {} : { memoryBytes: input.memoryBytes }),
  });
  const planByIndex = new Map(plans.map((p) => [p.index, p]));
  // skipped cells are reported as soon as their turn comes
  const reportSkippedBefore = (index: number): void => {
    for (const p of plans) {
      if (p.index >= index) break;
      if (asRun(p, ipython).skippedWhole && !comparisons.has(p.index)) {
        const c = compareOne(p, undefined, { kind: 'completed' });
        comparisons.set(p.index, c);
        events.onCell?.(c, ++done);
      }
    }
  };
  let runOutput: string | undefined;
  const notices: string[] = [];
  if (input.outputDir && input.outputRun) {
    // a private folder for this run that the container's user can write, never one open to all
    const access = accessFor(await containerUserOf(engine, options, events.signal), currentIds());
    if (access.user) options = { ...options, User: access.user };
    if (access.note) notices.push(`berth: ${access.note}`);
    createRunDir(input.outputDir, input.outputRun, access.owner);
    runOutput = path.posix.join(OUTPUT_MOUNT, input.outputRun);
  }
  const waiting = await input.warm?.take(options);
  const result = await runInContainer(
    engine,
    options,
    {
      cwd: containerPathOf(input.workspaceDir, notebookDir),
      modules,
      timeoutSeconds: input.settings.timeoutSeconds,
      cells: plans,
      ...(runOutput ? { env: { OUTPUT_DIR: runOutput } } : {}),
    },
    {
      ...(events.signal ? { signal: events.signal } : {}),
      ...(waiting ? { waiting } : {}),
      ...(input.bounds ? { bounds: input.bounds } : {}),
      onEnvironment: (env) => {
        ipython = env.ipython;
        events.onEnvironment?.(environmentDiff(modules, env, notebook.languageVersion, input.local));
      },
      onCellStart: (index) => {
        reportSkippedBefore(index);
        const plan = planByIndex.get(index);
        if (plan) events.onCellStart?.(plan, done);
      },
      onCell: (cell) => {
        const plan = planByIndex.get(cell.index);
        if (!plan) return;
        const c = compareOne(plan, cell, { kind: 'completed' });
        comparisons.set(plan.index, c);
        events.onCell?.(c, ++done);
      },
    },
  );
  // the next comparison of this notebook in this image starts without waiting for a container
  // (not on a snapshot: it is removed after this comparison, and a waiting container would keep it)
  if (result.outcome.kind !== 'cancelled' && !isSnapshotImage(input.image)) input.warm?.prepare(options);
  // cells without a result: skipped ones, and those the run never reached
  const cells = plans.map((plan) => {
    const existing = comparisons.get(plan.index);
    if (existing) return existing;
    const c = compareOne(plan, undefined, result.outcome);
    events.onCell?.(c, ++done);
    return c;
  });
  if (timings) timings.value = { prepareMs, compareMs };
  return report(result.outcome, cells, {
    ...(result.environment ? { container: result.environment } : {}),
    stray: [...notices, ...result.stray],
    cellsMs: result.cellsMs,
  });
}

/** The report as a table for a terminal. */
export function formatReport(r: ComparisonReport): string {
  const s = r.summary;
  const lines = [
    `${path.basename(r.notebook)} in ${r.image}: ${s.identical} identical, ${s.withinTolerance} within tolerance, ${s.differs} differ, ${s.errors} errors${s.notRun ? `, ${s.notRun} not run` : ''}${s.noReference ? `, ${s.noReference} without saved output` : ''}`,
    r.message,
    '',
  ];
  for (const c of r.cells) {
    lines.push(`  [${String(c.ordinal).padStart(3)}] ${c.status.padEnd(16)} ${c.status === 'identical' ? '' : c.reason}`.trimEnd());
    for (const n of c.notes) lines.push(`        note: ${n}`);
  }
  const env = r.environment.filter((e) => e.container !== undefined || e.local !== undefined || e.notebook !== undefined);
  if (env.length > 0) {
    lines.push('', '  environment           container        notebook         local');
    for (const e of env)
      lines.push(
        `  ${(e.differs ? '≠ ' : '  ') + e.name.padEnd(20)}${(e.container ?? '—').padEnd(17)}${(e.notebook ?? '—').padEnd(17)}${e.local ?? '—'}`,
      );
  }
  lines.push('', r.passed ? 'PASS' : 'FAIL');
  return lines.join('\n');
}
