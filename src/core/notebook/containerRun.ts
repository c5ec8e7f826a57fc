/**
 * Running a notebook's cells inside a container: the runner script and the cell plan are copied
 * into a created container, which then runs them in one Python process with the workspace
 * mounted read-only (the notebook's folder as working directory) and a scratch folder for what
 * the notebook writes. The runner's messages arrive through the container's log stream; each
 * cell is reported as it finishes. A hung cell is stopped by the runner (SIGALRM) and, if that
 * does not work, by killing the container; cancelling kills it too. The container is always
 * removed at the end.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import type { ContainerCreateOptions, Engine } from '../engine/engine';
import { EngineError } from '../engine/errors';
import { BERTH_LABEL } from '../engine/labels';
import { endedByOom } from '../engine/events';
import { WORKSPACE_MOUNT } from '../project/batchProfile';
import { containerLogs, type LogLine } from '../engine/logs';
import type { RunPlan } from '../project/createOptions';
import { parseOutput, type CellOutput } from './nbformat';
import type { CellPlan } from './plan';
import { parseContainerUser, type ContainerUser } from './scratch';

/** Where the workspace folder is mounted, read-only: where batch jobs have it too. */
export { WORKSPACE_MOUNT };
/** The scratch folder for what the notebook writes; named in OUTPUT_DIR. */
export const OUTPUT_MOUNT = '/output';
/** Where the runner and the plan are copied. */
export const RUNNER_DIR = '/berth-runner';
/** Label on comparison containers: the notebook's path. */
export const COMPARE_LABEL = 'berth.compare';

const MARKER = '\x1eberth:';

/** The runner script's text; it ships next to the bundle (dist/runner.py) and in the sources. */
export function runnerSource(): string {
  return runnerFile('runner.py');
}

/** The runner's pretty printer (IPython's, ported to the standard library), copied next to it. */
export function prettySource(): string {
  return runnerFile('pretty.py');
}

function runnerFile(name: string): string {
  const candidates = [path.join(__dirname, name), path.join(__dirname, '..', 'src', 'core', 'notebook', name)];
  for (const file of candidates) if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
  throw new Error(`Berth's notebook runner is missing (looked in ${candidates.join(', ')}): reinstall the extension.`);
}

/** A failure of the comparison run itself (not of a cell), in words the user can act on. */
export class NotebookRunError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NotebookRunError';
  }
}

export interface PackageInfo {
  readonly version?: string;
  readonly distribution?: string;
  readonly stdlib?: boolean;
  readonly missing?: boolean;
  /** Importable, but no version is recorded for it. */
  readonly present?: boolean;
}

/** What the runner reports about its interpreter before running anything. */
export interface PythonEnvironment {
  readonly python: string;
  readonly implementation?: string;
  readonly platform?: string;
  readonly executable?: string;
  readonly packages: Readonly<Record<string, PackageInfo>>;
  /** IPython's version when the cells ran through its shell; absent: the standard-library runner ran the planned Python. */
  readonly ipython?: string;
}

export interface ExecutedCell {
  readonly index: number;
  readonly outputs: readonly CellOutput[];
  readonly durationMs: number;
  readonly timedOut: boolean;
  /** Characters of the cell's output cut to keep it bounded (its head and tail are kept). */
  readonly cut?: number;
}

export type RunOutcome =
  | { readonly kind: 'completed' }
  /** The kernel process was killed for memory while running cellIndex. */
  | { readonly kind: 'oom'; readonly cellIndex?: number; readonly limitBytes: number }
  /** The process ended without finishing (a crash, os._exit, a signal). */
  | { readonly kind: 'exited'; readonly exitCode: number; readonly cellIndex?: number }
  /** A cell ignored the runner's timeout and the container was killed. */
  | { readonly kind: 'timeout'; readonly cellIndex: number; readonly seconds: number }
  /** The runner said nothing for `seconds` outside a cell (before the first one or between two); the container was killed. */
  | { readonly kind: 'stalled'; readonly seconds: number; readonly afterCell?: number }
  | { readonly kind: 'cancelled'; readonly cellIndex?: number };

export interface ContainerRunResult {
  readonly containerId: string;
  readonly environment?: PythonEnvironment;
  readonly cells: readonly ExecutedCell[];
  readonly outcome: RunOutcome;
  /** Output that did not come from a cell's captured streams (the runner's own errors, fd-level writes). */
  readonly stray: readonly string[];
  readonly durationMs: number;
  /** Time spent inside cells, as the runner measured it. */
  readonly cellsMs: number;
}

export interface RunnerPayload {
  /** The notebook's folder inside the container. */
  readonly cwd: string;
  readonly modules: readonly string[];
  readonly timeoutSeconds: number;
  readonly cells: readonly CellPlan[];
  /** Environment variables set for this run only, before the first cell. */
  readonly env?: Readonly<Record<string, string>>;
  /** This run's token on the runner's messages (see RunnerChannel). */
  readonly token?: string;
  /** false: run the planned Python even when the image has IPython (default: IPython's shell when there is one). */
  readonly ipython?: boolean;
}

export interface RunEvents {
  readonly signal?: AbortSignal;
  readonly onEnvironment?: (env: PythonEnvironment) => void;
  readonly onCellStart?: (index: number) => void;
  readonly onCell?: (cell: ExecutedCell) => void;
  /** Also kill a cell that ignores the runner's own timeout after this much more time. */
  readonly graceMs?: number;
  /** A container made from the same options whose runner is already waiting for a plan. */
  readonly waiting?: string;
  /** Bounds outside the cells: the runner's word before the first cell and between cells, and its exit after the last. */
  readonly bounds?: Partial<RunBounds>;
}

export interface RunBounds {
  /** From the start (or the plan written to a waiting runner) to the first cell, and from one cell to the next. */
  readonly quietMs: number;
  /** From the last cell's report to the process's exit. */
  readonly exitMs: number;
}

export const DEFAULT_BOUNDS: RunBounds = { quietMs: 120_000, exitMs: 15_000 };

/** The working directory of a notebook inside the container. */
export function containerPathOf(workspaceDir: string, hostPath: string): string {
  const rel = path.relative(workspaceDir, hostPath);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
    throw new NotebookRunError(`The notebook ${hostPath} is outside the workspace folder ${workspaceDir}, which is what Berth mounts.`);
  return rel === '' ? WORKSPACE_MOUNT : path.posix.join(WORKSPACE_MOUNT, ...rel.split(path.sep));
}

export interface CompareContainerInput {
  readonly image: string;
  readonly workspaceDir: string;
  readonly notebookDir: string;
  /** Host folder mounted writable at /output; none: the notebook gets no writable folder. */
  readonly outputDir?: string;
  /** The project's run plan (env, limits, GPU, user, extra volumes); its ports, health check and command are dropped. */
  readonly base?: RunPlan;
  readonly labels?: Readonly<Record<string, string>>;
  readonly memoryBytes?: number;
  /**
   * On an engine that cannot see this machine's folders: the volumes holding the workspace (as
   * uploaded) and the output folder, mounted where the folders would have been.
   */
  readonly volumes?: { readonly workspace: string; readonly output?: string };
}

/** Create options for a comparison container. */
export function compareContainerOptions(input: CompareContainerInput): ContainerCreateOptions {
  const base = input.base?.options;
  const host = base?.HostConfig ?? {};
  const memory = input.memoryBytes ?? host.Memory;
  const env = [
    ...(base?.Env ?? []),
    'PYTHONUNBUFFERED=1',
    'PYTHONDONTWRITEBYTECODE=1',
    'MPLBACKEND=Agg',
    `MATPLOTLIBRC=${RUNNER_DIR}/matplotlibrc`,
    'MPLCONFIGDIR=/tmp/berth-matplotlib',
    ...((input.volumes ? input.volumes.output : input.outputDir) ? [`OUTPUT_DIR=${OUTPUT_MOUNT}`] : []),
  ];
  // the comparison's own mounts win over a profile's at the same place
  const ours = (bind: string): boolean => [WORKSPACE_MOUNT, OUTPUT_MOUNT].includes(bind.split(':')[1] ?? '');
  const binds = [...(host.Binds ?? []).filter((b) => !ours(b)), `${input.volumes?.workspace ?? input.workspaceDir}:${WORKSPACE_MOUNT}:ro`];
  const output = input.volumes ? input.volumes.output : input.outputDir;
  if (output) binds.push(`${output}:${OUTPUT_MOUNT}`);
  return {
    ...(base?.User ? { User: base.User } : {}),
    Image: input.image,
    Entrypoint: ['python3'],
    Cmd: ['-u', `${RUNNER_DIR}/runner.py`, `${RUNNER_DIR}/plan.json`],
    WorkingDir: containerPathOf(input.workspaceDir, input.notebookDir),
    Env: env,
    Tty: false,
    Labels: {
      ...(base?.Labels ?? {}),
      ...(input.labels ?? {}),
      [BERTH_LABEL.managed]: 'true',
      [BERTH_LABEL.project]: input.workspaceDir,
      [COMPARE_LABEL]: input.notebookDir,
    },
    Healthcheck: { Test: ['NONE'] },
    HostConfig: {
      ...(host.ShmSize === undefined ? {} : { ShmSize: host.ShmSize }),
      ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory }),
      ...(host.NanoCpus === undefined ? {} : { NanoCpus: host.NanoCpus }),
      ...(host.DeviceRequests ? { DeviceRequests: host.DeviceRequests } : {}),
      ...(host.Devices ? { Devices: host.Devices } : {}),
      Binds: binds,
      RestartPolicy: { Name: '' },
    },
  };
}

/** Jupyter's inline backend settings, so figures come out the size they do in a notebook. */
const MATPLOTLIBRC = [
  'backend: Agg',
  'figure.figsize: 6.0, 4.0',
  'figure.dpi: 72',
  'font.size: 10',
  'figure.subplot.bottom: 0.125',
  'figure.facecolor: white',
  'figure.edgecolor: white',
  '',
].join('\n');

function planJson(payload: RunnerPayload): string {
  return JSON.stringify({
    cwd: payload.cwd,
    modules: payload.modules,
    timeout: payload.timeoutSeconds,
    ...(payload.token ? { token: payload.token } : {}),
    ...(payload.env ? { env: payload.env } : {}),
    ...(payload.ipython === false ? { ipython: false } : {}),
    // the runner runs `original` in IPython's shell; without IPython, `source`, and no ipythonOnly cell
    cells: payload.cells.map((c) => ({
      index: c.index,
      ordinal: c.ordinal,
      source: c.source,
      ...(c.original === c.source ? {} : { original: c.original }),
      ...(c.skippedWhole ? { ipythonOnly: true } : {}),
    })),
  });
}

/** A tar of files under RUNNER_DIR (extracted in this order), with the directory itself. */
async function archive(files: readonly (readonly [string, string])[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const dir = RUNNER_DIR.replace(/^\//, '');
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  const mtime = new Date();
  pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, mtime });
  for (const [name, content] of files) pack.entry({ name: `${dir}/${name}`, mode: 0o644, mtime }, content);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A tar of the runner, its plan and a matplotlibrc, rooted at RUNNER_DIR's name. */
export function runnerArchive(payload: RunnerPayload): Promise<Buffer> {
  return archive([
    ['runner.py', runnerSource()],
    ['pretty.py', prettySource()],
    ['plan.json', planJson(payload)],
    ['matplotlibrc', MATPLOTLIBRC],
  ]);
}

/** The runner without a plan: for a container started ahead of time (see WarmRunners). */
export function runnerFilesArchive(): Promise<Buffer> {
  return archive([
    ['runner.py', runnerSource()],
    ['pretty.py', prettySource()],
    ['matplotlibrc', MATPLOTLIBRC],
  ]);
}

/** The command of a runner started ahead of time: it waits for a plan on stdin, up to idleSeconds. */
export function waitingCommand(idleSeconds: number): string[] {
  return ['-u', `${RUNNER_DIR}/runner.py`, '--wait', String(idleSeconds)];
}

/** The plan for a waiting runner: one line on its stdin. */
export function planLine(payload: RunnerPayload): string {
  return `${planJson(payload)}\n`;
}

type Message =
  | ({ t: 'hello' } & PythonEnvironment)
  | { t: 'start'; index: number }
  | { t: 'cell'; index: number; outputs: unknown[]; ms: number; timedOut: boolean; cut?: number }
  | { t: 'end' };

/** A token for one run: the runner puts it on every message, and the cells are not told it. */
export function runToken(): string {
  return crypto.randomBytes(16).toString('hex');
}

/** Parse one whole runner message line (as the local probe prints it: empty token); undefined for any other line. */
export function parseRunnerLine(text: string, token = ''): Message | undefined {
  const prefix = `${MARKER}${token} .`;
  if (!text.startsWith(prefix)) return undefined;
  try {
    return JSON.parse(text.slice(prefix.length)) as Message;
  } catch {
    return undefined;
  }
}

/** What one log line holds: the cells' own output before a message, a message, or a message too large to keep. */
export interface ChannelItem {
  /** The cells' output; `newline` is false when a message followed it on the same line. */
  readonly output?: { readonly text: string; readonly newline: boolean };
  readonly message?: Message;
  /** Characters of a message that was dropped for being larger than the channel keeps. */
  readonly lost?: number;
}

/**
 * The runner's side of the container's stdout: lines with this run's token are its messages
 * (whole ones, or pieces joined here up to `maxChars`); anything else is what the cells wrote,
 * even when it has no newline and a message follows on the same line.
 */
export class RunnerChannel {
  private readonly prefix: string;
  private pieces: string[] = [];
  private size = 0;
  private overflow = false;

  constructor(
    token: string,
    private readonly maxChars = 64 << 20,
  ) {
    this.prefix = `${MARKER}${token} `;
  }

  push(text: string): ChannelItem {
    const at = text.indexOf(this.prefix);
    if (at < 0) return { output: { text, newline: true } };
    const output = at > 0 ? { output: { text: text.slice(0, at), newline: false } } : {};
    const flag = text[at + this.prefix.length];
    const payload = text.slice(at + this.prefix.length + 1);
    if (flag === '.') return { ...output, ...parse(payload) };
    if (flag !== '+' && flag !== '=') return output;
    this.size += payload.length;
    if (this.size > this.maxChars) {
      this.overflow = true;
      this.pieces = [];
    } else if (!this.overflow) this.pieces.push(payload);
    if (flag === '+') return output;
    const whole = this.overflow ? undefined : this.pieces.join('');
    const size = this.size;
    this.pieces = [];
    this.size = 0;
    this.overflow = false;
    return whole === undefined ? { ...output, lost: size } : { ...output, ...parse(whole) };
  }
}

function parse(json: string): { message?: Message } {
  try {
    return { message: JSON.parse(json) as Message };
  } catch {
    return {};
  }
}

/**
 * Output a cell wrote straight to file descriptor 1 or 2, bounded: the first `head` characters
 * and the last `tail` are kept, what lies between is counted and replaced by a note.
 */
export class BoundedOutput {
  private readonly first: { name: 'stdout' | 'stderr'; text: string }[] = [];
  private firstChars = 0;
  private last: { name: 'stdout' | 'stderr'; text: string }[] = [];
  private lastChars = 0;
  /** Characters dropped between the head and the tail. */
  cut = 0;

  constructor(
    private readonly head = 1 << 20,
    private readonly tail = 1 << 20,
  ) {}

  add(name: 'stdout' | 'stderr', text: string): void {
    const room = this.head - this.firstChars;
    if (room > 0) {
      const part = text.slice(0, room);
      this.first.push({ name, text: part });
      this.firstChars += part.length;
      text = text.slice(room);
      if (text === '') return;
    }
    this.last.push({ name, text });
    this.lastChars += text.length;
    // trimmed in batches: amortised linear
    if (this.lastChars > 2 * this.tail) this.trim();
  }

  private trim(): void {
    let excess = this.lastChars - this.tail;
    while (excess > 0 && this.last.length > 0) {
      const old = this.last[0]!;
      if (old.text.length <= excess) {
        this.last.shift();
        excess -= old.text.length;
        this.cut += old.text.length;
        this.lastChars -= old.text.length;
      } else {
        this.last[0] = { name: old.name, text: old.text.slice(excess) };
        this.cut += excess;
        this.lastChars -= excess;
        excess = 0;
      }
    }
  }

  /** The kept output as stream outputs (same-stream runs merged), the cut marked where it was. */
  outputs(): CellOutput[] {
    this.trim();
    const parts = [...this.first];
    if (this.cut > 0) parts.push({ name: this.last[0]?.name ?? 'stdout', text: `\n[... ${this.cut} characters of output cut ...]\n` });
    parts.push(...this.last);
    const out: CellOutput[] = [];
    for (const p of parts) {
      const prev = out.at(-1);
      if (prev?.kind === 'stream' && prev.name === p.name) out[out.length - 1] = { ...prev, text: prev.text + p.text };
      else out.push({ kind: 'stream', name: p.name, text: p.text });
    }
    return out;
  }
}

/** Read one small file from a created container (GET /containers/{id}/archive); undefined when it is not there. */
async function readContainerFile(engine: Engine, id: string, file: string, signal?: AbortSignal): Promise<string | undefined> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.getArchive(id, file, signal);
  } catch {
    return undefined;
  }
  const extract = tarStream.extract();
  let text: string | undefined;
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (c: Buffer) => {
      // /etc/passwd is small; a huge one is not read
      if ((size += c.length) <= 1 << 20) chunks.push(c);
    });
    body.on('end', () => {
      if (text === undefined && header.type === 'file') text = Buffer.concat(chunks).toString('utf8');
      next();
    });
    body.resume();
  });
  await new Promise<void>((resolve) => {
    extract.on('finish', resolve);
    extract.on('error', () => resolve());
    stream.on('error', () => resolve());
    stream.pipe(extract);
  });
  return text;
}

/**
 * The user a comparison container made from `options` runs as: the profile's, else the image's.
 * A user name is looked up in the image's /etc/passwd (read from a created, never started, container).
 */
export async function containerUserOf(engine: Engine, options: ContainerCreateOptions, signal?: AbortSignal): Promise<ContainerUser> {
  const user = options.User ?? (await engine.inspectImage(String(options.Image), signal)).user ?? '';
  const parsed = parseContainerUser(user);
  if (parsed.kind !== 'name') return parsed;
  const id = await engine.createContainer(
    { Image: options.Image, Entrypoint: ['true'], Cmd: [], Labels: options.Labels ?? {}, HostConfig: { RestartPolicy: { Name: '' } } },
    signal,
  );
  try {
    return parseContainerUser(user, await readContainerFile(engine, id, '/etc/passwd', signal));
  } finally {
    await engine.removeContainer(id, { force: true }).catch(() => undefined);
  }
}

/** Turn a start failure into what the user can do about it. */
function startError(err: unknown, image: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/executable file not found|no such file or directory/i.test(message) && /python3/.test(message))
    return new NotebookRunError(
      `The image ${image} has no python3 on its PATH. The comparison runs the notebook's cells with the image's own Python: choose an image that has one.`,
      { cause: err },
    );
  return err instanceof Error ? err : new Error(message);
}

/**
 * Run the payload in a new container made from `options`; the container is removed afterwards.
 * Every phase is bounded: the engine's calls by its timeout, the runner's silence before the
 * first cell and between cells by `bounds.quietMs`, each cell by its timeout (plus grace), and
 * the exit after the last cell by `bounds.exitMs`.
 */
export async function runInContainer(
  engine: Engine,
  options: ContainerCreateOptions,
  input: RunnerPayload,
  events: RunEvents = {},
): Promise<ContainerRunResult> {
  const started = performance.now();
  const signal = events.signal;
  if (signal?.aborted) return cancelledBeforeStart();
  const bounds = { ...DEFAULT_BOUNDS, ...events.bounds };
  const payload: RunnerPayload = { ...input, token: input.token ?? runToken() };
  const id = events.waiting ?? (await engine.createContainer(options, signal));
  const run = new RunReader(engine, id, payload, bounds, events);
  const stop = new AbortController();
  const onAbort = (): void => run.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    run.armQuiet();
    await startRunner(engine, id, options, payload, events.waiting, signal);
    for await (const line of containerLogs(engine, id, { follow: true, tty: false, signal: stop.signal })) run.read(line);
    run.logEnded();
    run.outcome = await exitOutcome(engine, id, options, run);
  } catch (err) {
    if (signal?.aborted) run.outcome ??= { kind: 'cancelled', ...run.inCell() };
    else if (run.outcome?.kind === 'stalled' || run.outcome?.kind === 'timeout') {
      // the container was killed by a watchdog while an engine call waited: the outcome says why
    } else throw err instanceof EngineError || err instanceof NotebookRunError ? err : startError(err, String(options.Image));
  } finally {
    run.disarm();
    stop.abort();
    signal?.removeEventListener('abort', onAbort);
    await engine.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
  }
  return {
    containerId: id,
    ...(run.environment ? { environment: run.environment } : {}),
    cells: run.cells,
    outcome: run.outcome,
    stray: run.stray,
    durationMs: performance.now() - started,
    cellsMs: run.cells.reduce((n, c) => n + c.durationMs, 0),
  };
}

/** Give the runner its plan: on the stdin of a waiting one, or copied into a new container that is then started. */
async function startRunner(
  engine: Engine,
  id: string,
  options: ContainerCreateOptions,
  payload: RunnerPayload,
  waiting: string | undefined,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (waiting) {
    await engine.writeStdin(id, planLine(payload), signal);
    return;
  }
  await engine.putArchive(id, '/', await runnerArchive(payload), signal);
  try {
    await engine.startContainer(id, signal);
  } catch (err) {
    throw startError(err, String(options.Image));
  }
}

/** How the run ended, once its log has: what a watchdog or a cancel said, else the container's exit. */
async function exitOutcome(engine: Engine, id: string, options: ContainerCreateOptions, run: RunReader): Promise<RunOutcome> {
  // the log stream ends when the container stops: its exit status is there at once (bounded all the same)
  const exitCode = await engine.waitContainer(id, AbortSignal.timeout(30_000)).catch(async () => {
    run.kill(undefined);
    return engine.waitContainer(id, AbortSignal.timeout(30_000)).catch(() => -1);
  });
  const inspected = await engine.inspectContainer(id);
  const oomKilled = await endedByOom(engine, id, {
    exitCode,
    ...(inspected.oomKilled === undefined ? {} : { oomKilled: inspected.oomKilled }),
    ...(inspected.startedAt === undefined ? {} : { startedAt: inspected.startedAt }),
  });
  if (run.killedAfterEnd)
    run.stray.push(
      `berth: the Python process was still running ${Math.round(run.bounds.exitMs / 1000)} s after the last cell (a thread or a child process a cell left running?); the container was stopped`,
    );
  // a watchdog or a cancel that fired meanwhile has the last word
  if (run.outcome) return run.outcome;
  if (oomKilled && !run.killedAfterEnd) return { kind: 'oom', limitBytes: options.HostConfig?.Memory ?? 0, ...run.inCell() };
  if (run.ended && (exitCode === 0 || run.killedAfterEnd)) return { kind: 'completed' };
  return { kind: 'exited', exitCode, ...run.inCell() };
}

/**
 * One run as its container's log is read: the runner's messages turned into cells, the cells'
 * own output given to the cell running, and the watchdog that kills the container when the
 * runner is silent too long, a cell runs past its timeout, or the process outlives the last cell.
 */
class RunReader {
  /** The cell running now. */
  private current: number | undefined;
  private lastDone: number | undefined;
  outcome: RunOutcome | undefined;
  environment: PythonEnvironment | undefined;
  /** The runner said it ran the last cell. */
  ended = false;
  /** The process outlived the last cell past exitMs and was killed: the run itself completed. */
  killedAfterEnd = false;
  readonly cells: ExecutedCell[] = [];
  readonly stray: string[] = [];
  private readonly channel: RunnerChannel;
  /** Output written straight to fd 1/2 during the running cell; it belongs to that cell. */
  private pending = new BoundedOutput();
  /** A line of the cells' output without its newline yet (a message followed it). */
  private partial: { name: 'stdout' | 'stderr'; text: string } | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly id: string,
    private readonly payload: RunnerPayload,
    readonly bounds: RunBounds,
    private readonly events: RunEvents,
  ) {
    this.channel = new RunnerChannel(payload.token ?? '');
  }

  /** The running cell, for an outcome that names it. */
  inCell(): { cellIndex?: number } {
    return this.current === undefined ? {} : { cellIndex: this.current };
  }

  kill(why: RunOutcome | undefined): void {
    if (why) this.outcome ??= why;
    void this.engine.killContainer(this.id).catch(() => undefined);
  }

  cancel(): void {
    this.kill({ kind: 'cancelled', ...this.inCell() });
  }

  private arm(ms: number, onFire: () => void): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(onFire, ms);
  }

  disarm(): void {
    clearTimeout(this.watchdog);
  }

  /** The runner must speak within quietMs: before the first cell and between cells. */
  armQuiet(): void {
    const { quietMs } = this.bounds;
    this.arm(quietMs, () =>
      this.kill({
        kind: 'stalled',
        seconds: Math.round(quietMs / 1000),
        ...(this.lastDone === undefined ? {} : { afterCell: this.lastDone }),
      }),
    );
  }

  private armCell(index: number): void {
    clearTimeout(this.watchdog);
    const { timeoutSeconds } = this.payload;
    if (timeoutSeconds <= 0) return;
    this.arm(timeoutSeconds * 1000 + (this.events.graceMs ?? 5000), () =>
      this.kill({ kind: 'timeout', cellIndex: index, seconds: timeoutSeconds }),
    );
  }

  private armExit(): void {
    this.arm(this.bounds.exitMs, () => {
      this.killedAfterEnd = true;
      this.kill(undefined);
    });
  }

  /** One line of the container's log: the cells' output, a message of the runner, or both. */
  read(line: LogLine): void {
    const item = line.stream === 'stdout' ? this.channel.push(line.text) : { output: { text: line.text, newline: true } };
    if (item.output) this.cellsWrote(line.stream, item.output);
    if (item.lost !== undefined) this.lostMessage(item.lost);
    if (item.message) this.onMessage(item.message);
  }

  /** The log has ended: a line left without its newline is output all the same. */
  logEnded(): void {
    if (this.partial) this.output(this.partial.name, this.partial.text);
    clearTimeout(this.watchdog);
  }

  private cellsWrote(stream: 'stdout' | 'stderr', written: { readonly text: string; readonly newline: boolean }): void {
    // a line the cells wrote without a newline, cut by a message, goes on after it
    const partial = this.partial;
    const text = partial && partial.name === stream ? partial.text + written.text : written.text;
    if (partial && partial.name !== stream) this.output(partial.name, partial.text);
    this.partial = undefined;
    if (written.newline) this.output(stream, `${text}\n`);
    else this.partial = { name: stream, text };
  }

  private lostMessage(lost: number): void {
    this.stray.push(`berth: a message of ${lost} characters from the runner was too large to keep`);
    if (this.current !== undefined)
      this.finishCell(
        this.current,
        [{ kind: 'stream', name: 'stderr', text: `[the cell's result (${lost} characters) was too large to receive]\n` }],
        0,
        false,
        lost,
      );
    this.armQuiet();
  }

  private onMessage(message: Message): void {
    if (message.t === 'hello') {
      this.environment = {
        python: message.python,
        ...(message.implementation ? { implementation: message.implementation } : {}),
        ...(message.platform ? { platform: message.platform } : {}),
        ...(message.executable ? { executable: message.executable } : {}),
        packages: message.packages ?? {},
        ...(typeof message.ipython === 'string' ? { ipython: message.ipython } : {}),
      };
      this.events.onEnvironment?.(this.environment);
      this.armQuiet();
    } else if (message.t === 'start') {
      // what came before the start on its line belongs to no cell
      if (this.partial) this.output(this.partial.name, this.partial.text);
      this.partial = undefined;
      this.current = message.index;
      this.pending = new BoundedOutput();
      this.armCell(message.index);
      this.events.onCellStart?.(message.index);
    } else if (message.t === 'cell') {
      const outputs = message.outputs.map((o, k) => parseOutput(o as never, `Runner output ${k + 1}`));
      this.finishCell(message.index, outputs, message.ms, message.timedOut, message.cut ?? 0);
      this.armQuiet();
    } else if (message.t === 'end') {
      this.ended = true;
      this.armExit();
    }
  }

  private output(stream: 'stdout' | 'stderr', text: string): void {
    if (this.current === undefined || this.ended) {
      if (this.stray.length < 200) this.stray.push(`${stream}: ${text.slice(0, 2000)}`);
    } else this.pending.add(stream, text);
  }

  private finishCell(index: number, outputs: readonly CellOutput[], ms: number, timedOut: boolean, cut: number): void {
    if (this.partial) {
      this.output(this.partial.name, this.partial.text);
      this.partial = undefined;
    }
    const pending = this.pending;
    const cell: ExecutedCell = {
      index,
      outputs: [...outputs, ...pending.outputs()],
      durationMs: ms,
      timedOut,
      ...(cut + pending.cut > 0 ? { cut: cut + pending.cut } : {}),
    };
    this.pending = new BoundedOutput();
    this.current = undefined;
    this.lastDone = index;
    this.cells.push(cell);
    this.events.onCell?.(cell);
  }
}

function cancelledBeforeStart(): ContainerRunResult {
  return { containerId: '', cells: [], outcome: { kind: 'cancelled' }, stray: [], durationMs: 0, cellsMs: 0 };
}
