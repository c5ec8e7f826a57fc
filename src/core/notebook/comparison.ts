/**
 * The whole comparison: read the notebook, plan its cells, run them in the container, compare
 * each cell as its result arrives, and assemble a report (the panel shows it; the JSON export
 * and the command line write it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerCreateOptions, Engine } from '../engine/engine';
import { nondeterminismByCell } from './nondeterminism';
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
import { isPython, parseNotebook, type Notebook, type NotebookCell } from './nbformat';
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
  /** false: the standard-library runner runs the cells even when the image has IPython (RunnerPayload.ipython). */
  readonly ipython?: boolean;
  /**
   * The workspace and the output folder as volumes (an engine on another machine): the output
   * volume is this run's alone, so OUTPUT_DIR is its root and the caller copies it back.
   */
  readonly volumes?: CompareContainerInput['volumes'];
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
  const prepared = input.prepared ?? readNotebook(input.notebookPath);
  const { notebook, plans, modules } = prepared;
  events.onPlan?.(plans, notebook);
  const prepareMs = performance.now() - started;
  const report = (outcome: RunOutcome, cells: CellComparison[], extra: ReportExtra): ComparisonReport =>
    assembleReport(input, prepared, { started, startedAt }, outcome, cells, extra);
  if (plans.length === 0)
    return report({ kind: 'completed' }, [], { message: 'The notebook has no code cells: there is nothing to run or compare.' });

  const cells = new CellComparisons(input, prepared, events);
  const notebookDir = path.dirname(input.notebookPath);
  const container = await outputFolder(engine, input, containerOptions(input, notebookDir), events.signal);
  const waiting = await input.warm?.take(container.options);
  const result = await runInContainer(
    engine,
    container.options,
    {
      cwd: containerPathOf(input.workspaceDir, notebookDir),
      modules,
      timeoutSeconds: input.settings.timeoutSeconds,
      cells: plans,
      ...(container.runOutput ? { env: { OUTPUT_DIR: container.runOutput } } : {}),
      ...(input.ipython === false ? { ipython: false } : {}),
    },
    {
      ...(events.signal ? { signal: events.signal } : {}),
      ...(waiting ? { waiting } : {}),
      ...(input.bounds ? { bounds: input.bounds } : {}),
      onEnvironment: (env) => {
        cells.ranBy(env.ipython);
        events.onEnvironment?.(environmentDiff(modules, env, notebook.languageVersion, input.local));
      },
      onCellStart: (index) => cells.started(index),
      onCell: (cell) => cells.ran(cell),
    },
  );
  // the next comparison of this notebook in this image starts without waiting for a container
  // (not on a snapshot: it is removed after this comparison, and a waiting container would keep it)
  if (result.outcome.kind !== 'cancelled' && !isSnapshotImage(input.image)) input.warm?.prepare(container.options);
  const all = cells.finish(result.outcome);
  if (timings) timings.value = { prepareMs, compareMs: cells.compareMs };
  return report(result.outcome, all, {
    ...(result.environment ? { container: result.environment } : {}),
    stray: [...container.notices, ...result.stray],
    cellsMs: result.cellsMs,
  });
}

interface ReportExtra {
  readonly container?: PythonEnvironment;
  readonly stray?: readonly string[];
  readonly cellsMs?: number;
  readonly message?: string;
}

/** The report of a comparison: its cells summarised, the environments side by side, and whether it passed. */
function assembleReport(
  input: CompareInput,
  { notebook, plans, modules }: PreparedNotebook,
  time: { readonly started: number; readonly startedAt: string },
  outcome: RunOutcome,
  cells: CellComparison[],
  extra: ReportExtra,
): ComparisonReport {
  const summary = summarise(cells);
  return {
    version: REPORT_VERSION,
    notebook: input.notebookPath,
    image: input.image,
    startedAt: time.startedAt,
    durationMs: performance.now() - time.started,
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
}

/**
 * The cells compared as their results arrive, each reported once and in the notebook's order:
 * a cell skipped whole as soon as its turn comes, a cell that ran when it ends, and at the end
 * the cells the run never reached.
 */
export class CellComparisons {
  /** Time spent comparing, apart from running. */
  compareMs = 0;
  private readonly saved: ReadonlyMap<number, NotebookCell>;
  private readonly plans: ReadonlyMap<number, CellPlan>;
  private readonly comparisons = new Map<number, CellComparison>();
  private readonly settings: CompareSettings;
  /** What may make each cell's output change between runs, by cell index. */
  private readonly nondeterminism: ReadonlyMap<number, string | undefined>;
  /** The ordinal of the first cell that failed only in the container. */
  private firstContainerError: number | undefined;
  /** IPython's version when its shell runs the cells (the runner's hello says): then no line is skipped. */
  private ipython: string | undefined;
  private done = 0;

  constructor(
    private readonly input: CompareInput,
    private readonly prepared: PreparedNotebook,
    private readonly events: CompareEvents,
  ) {
    this.saved = new Map(prepared.notebook.cells.map((c) => [c.index, c]));
    this.plans = new Map(prepared.plans.map((p) => [p.index, p]));
    this.settings = { ...input.settings, aliases: [...input.settings.aliases, input.workspaceDir, WORKSPACE_MOUNT] };
    const reasons = nondeterminismByCell(prepared.plans.map((p) => p.source));
    this.nondeterminism = new Map(prepared.plans.map((p, i) => [p.index, reasons[i]]));
  }

  /** The runner said which Python runs the cells: IPython's shell (its version), or the standard-library runner. */
  ranBy(ipython: string | undefined): void {
    this.ipython = ipython;
  }

  /** The runner starts a cell: the cells skipped before it are reported first. */
  started(index: number): void {
    this.reportSkippedBefore(index);
    const plan = this.plans.get(index);
    if (plan) this.events.onCellStart?.(plan, this.done);
  }

  /** A cell's result arrived from the container. */
  ran(cell: ExecutedCell): void {
    const plan = this.plans.get(cell.index);
    if (!plan) return;
    this.record(plan, this.compare(plan, cell, { kind: 'completed' }));
  }

  /** Every cell in order, the ones without a result (skipped, or never reached) compared now. */
  finish(outcome: RunOutcome): CellComparison[] {
    return this.prepared.plans.map((plan) => {
      const existing = this.comparisons.get(plan.index);
      if (existing) return existing;
      const c = this.compare(plan, undefined, outcome);
      this.events.onCell?.(c, ++this.done);
      return c;
    });
  }

  private reportSkippedBefore(index: number): void {
    for (const p of this.prepared.plans) {
      if (p.index >= index) break;
      if (asRun(p, this.ipython).skippedWhole && !this.comparisons.has(p.index))
        this.record(p, this.compare(p, undefined, { kind: 'completed' }));
    }
  }

  private record(plan: CellPlan, c: CellComparison): void {
    this.comparisons.set(plan.index, c);
    this.events.onCell?.(c, ++this.done);
  }

  private compare(planned: CellPlan, run: ExecutedCell | undefined, outcome: RunOutcome): CellComparison {
    const t = performance.now();
    const plan = asRun(planned, this.ipython);
    const saved = this.saved.get(plan.index);
    if (!saved) throw new Error(`cell ${plan.index} vanished from the notebook`);
    const nondeterminism = this.nondeterminism.get(plan.index);
    const result = compareCell(plan, saved, run, {
      settings: this.settings,
      outcome,
      ...(this.input.local ? { local: this.input.local } : {}),
      ...(this.firstContainerError === undefined ? {} : { firstContainerError: this.firstContainerError }),
      ...(nondeterminism === undefined ? {} : { nondeterminism }),
    });
    if (result.status === 'error-container') this.firstContainerError ??= plan.ordinal;
    this.compareMs += performance.now() - t;
    return result;
  }
}

/** The comparison container: the image, the workspace read-only, the notebook's folder, the output folder, labels and memory. */
function containerOptions(input: CompareInput, notebookDir: string): ContainerCreateOptions {
  return compareContainerOptions({
    image: input.image,
    workspaceDir: input.workspaceDir,
    notebookDir,
    ...(input.outputDir ? { outputDir: input.outputDir } : {}),
    ...(input.base ? { base: input.base } : {}),
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.memoryBytes === undefined ? {} : { memoryBytes: input.memoryBytes }),
    ...(input.volumes ? { volumes: input.volumes } : {}),
  });
}

/**
 * This run's output folder, when asked for: a private folder that the container's user can write,
 * never one open to all (the container may have to run as the folder's owner, which a notice says).
 */
async function outputFolder(
  engine: Engine,
  input: CompareInput,
  options: ContainerCreateOptions,
  signal: AbortSignal | undefined,
): Promise<{ options: ContainerCreateOptions; runOutput?: string; notices: string[] }> {
  // a run's own output volume: its root is the run's folder, writable by any user
  if (input.volumes) return { options, ...(input.volumes.output ? { runOutput: OUTPUT_MOUNT } : {}), notices: [] };
  if (!input.outputDir || !input.outputRun) return { options, notices: [] };
  const access = accessFor(await containerUserOf(engine, options, signal), currentIds());
  createRunDir(input.outputDir, input.outputRun, access.owner);
  return {
    options: access.user ? { ...options, User: access.user } : options,
    runOutput: path.posix.join(OUTPUT_MOUNT, input.outputRun),
    notices: access.note ? [`berth: ${access.note}`] : [],
  };
}

/** The report as a table for a terminal. */
export function formatReport(r: ComparisonReport): string {
  const s = r.summary;
  const lines = [
    `${path.basename(r.notebook)} in ${r.image}: ${s.identical} identical, ${s.withinTolerance} within tolerance, ${s.differs} differ${s.nondeterministic ? `, ${s.nondeterministic} nondeterministic` : ''}, ${s.errors} errors${s.notRun ? `, ${s.notRun} not run` : ''}${s.noReference ? `, ${s.noReference} without saved output` : ''}`,
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
