/**
 * Running a notebook's cells inside a container: the runner script and the cell plan are copied
 * into a created container, which then runs them in one Python process with the workspace
 * mounted read-only (the notebook's folder as working directory) and a scratch folder for what
 * the notebook writes. The runner's messages arrive through the container's log stream; each
 * cell is reported as it finishes. A hung cell is stopped by the runner (SIGALRM) and, if that
 * does not work, by killing the container; cancelling kills it too. The container is always
 * removed at the end.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tarStream from 'tar-stream';
import type { ContainerCreateOptions, Engine } from '../engine/engine';
import { EngineError } from '../engine/errors';
import { BERTH_LABEL } from '../engine/labels';
import { containerLogs } from '../engine/logs';
import type { RunPlan } from '../engine/runOptions';
import { parseOutput, type CellOutput } from './nbformat';
import type { CellPlan } from './plan';
import { parseContainerUser, type ContainerUser } from './scratch';

/** Where the workspace folder is mounted, read-only. */
export const WORKSPACE_MOUNT = '/workspace';
/** The scratch folder for what the notebook writes; named in OUTPUT_DIR. */
export const OUTPUT_MOUNT = '/output';
/** Where the runner and the plan are copied. */
export const RUNNER_DIR = '/berth-runner';
/** Label on comparison containers: the notebook's path. */
export const COMPARE_LABEL = 'berth.compare';

const MARKER = '\x1eberth ';

/** The runner script's text; it ships next to the bundle (dist/runner.py) and in the sources. */
export function runnerSource(): string {
  const candidates = [path.join(__dirname, 'runner.py'), path.join(__dirname, '..', 'src', 'notebook', 'runner.py')];
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
}

export interface ExecutedCell {
  readonly index: number;
  readonly outputs: readonly CellOutput[];
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export type RunOutcome =
  | { readonly kind: 'completed' }
  /** The kernel process was killed for memory while running cellIndex. */
  | { readonly kind: 'oom'; readonly cellIndex?: number; readonly limitBytes: number }
  /** The process ended without finishing (a crash, os._exit, a signal). */
  | { readonly kind: 'exited'; readonly exitCode: number; readonly cellIndex?: number }
  /** A cell ignored the runner's timeout and the container was killed. */
  | { readonly kind: 'timeout'; readonly cellIndex: number; readonly seconds: number }
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
}

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
    ...(input.outputDir ? [`OUTPUT_DIR=${OUTPUT_MOUNT}`] : []),
  ];
  // the comparison's own mounts win over a profile's at the same place
  const ours = (bind: string): boolean => [WORKSPACE_MOUNT, OUTPUT_MOUNT].includes(bind.split(':')[1] ?? '');
  const binds = [...(host.Binds ?? []).filter((b) => !ours(b)), `${input.workspaceDir}:${WORKSPACE_MOUNT}:ro`];
  if (input.outputDir) binds.push(`${input.outputDir}:${OUTPUT_MOUNT}`);
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
      // dockerode types Devices as any
      ...(host.Devices ? { Devices: host.Devices as unknown[] } : {}),
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
    ...(payload.env ? { env: payload.env } : {}),
    cells: payload.cells.filter((c) => !c.skippedWhole).map((c) => ({ index: c.index, ordinal: c.ordinal, source: c.source })),
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
    ['plan.json', planJson(payload)],
    ['matplotlibrc', MATPLOTLIBRC],
  ]);
}

/** The runner without a plan: for a container started ahead of time (see WarmRunners). */
export function runnerFilesArchive(): Promise<Buffer> {
  return archive([
    ['runner.py', runnerSource()],
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
  | { t: 'cell'; index: number; outputs: unknown[]; ms: number; timedOut: boolean }
  | { t: 'end' };

/** Parse one of the runner's messages; undefined for any other line. */
export function parseRunnerLine(text: string): Message | undefined {
  if (!text.startsWith(MARKER)) return undefined;
  try {
    return JSON.parse(text.slice(MARKER.length)) as Message;
  } catch {
    return undefined;
  }
}

/** Read one small file from a created container (GET /containers/{id}/archive); undefined when it is not there. */
async function readContainerFile(engine: Engine, id: string, file: string, signal?: AbortSignal): Promise<string | undefined> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await engine.openStream({
      path: `/containers/${id}/archive`,
      query: { path: file },
      operation: `read ${file} from container ${id}`,
      ...(signal ? { signal } : {}),
    });
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
  const user = options.User ?? (await engine.inspectImage(String(options.Image), signal)).Config?.User ?? '';
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

/** Run the payload in a new container made from `options`; the container is removed afterwards. */
export async function runInContainer(
  engine: Engine,
  options: ContainerCreateOptions,
  payload: RunnerPayload,
  events: RunEvents = {},
): Promise<ContainerRunResult> {
  const started = performance.now();
  const signal = events.signal;
  if (signal?.aborted) return cancelledBeforeStart();
  const waiting = events.waiting;
  const id = waiting ?? (await engine.createContainer(options, signal));
  const stop = new AbortController();
  let current: number | undefined;
  let outcome: RunOutcome | undefined;
  let environment: PythonEnvironment | undefined;
  let ended = false;
  const cells: ExecutedCell[] = [];
  const stray: string[] = [];
  /** Output written straight to fd 1/2 during the running cell; it belongs to that cell. */
  let pending: CellOutput[] = [];
  let watchdog: NodeJS.Timeout | undefined;

  const kill = (why: RunOutcome): void => {
    outcome ??= why;
    void engine.killContainer(id).catch(() => undefined);
  };
  const onAbort = (): void => kill({ kind: 'cancelled', ...(current === undefined ? {} : { cellIndex: current }) });
  signal?.addEventListener('abort', onAbort, { once: true });
  const arm = (index: number): void => {
    clearTimeout(watchdog);
    if (payload.timeoutSeconds <= 0) return;
    watchdog = setTimeout(
      () => kill({ kind: 'timeout', cellIndex: index, seconds: payload.timeoutSeconds }),
      payload.timeoutSeconds * 1000 + (events.graceMs ?? 5000),
    );
  };

  try {
    if (waiting) await engine.writeStdin(id, planLine(payload), signal);
    else {
      await engine.putArchive(id, '/', await runnerArchive(payload), signal);
      try {
        await engine.startContainer(id, signal);
      } catch (err) {
        throw startError(err, String(options.Image));
      }
    }
    for await (const line of containerLogs(engine, id, { follow: true, tty: false, signal: stop.signal })) {
      const message = parseRunnerLine(line.text);
      if (!message) {
        if (current === undefined || ended) {
          if (stray.length < 200) stray.push(`${line.stream}: ${line.text}`);
        } else {
          const last = pending.at(-1);
          if (last?.kind === 'stream' && last.name === line.stream)
            pending[pending.length - 1] = { ...last, text: `${last.text}${line.text}\n` };
          else pending.push({ kind: 'stream', name: line.stream, text: `${line.text}\n` });
        }
        continue;
      }
      if (message.t === 'hello') {
        environment = {
          python: message.python,
          ...(message.implementation ? { implementation: message.implementation } : {}),
          ...(message.platform ? { platform: message.platform } : {}),
          ...(message.executable ? { executable: message.executable } : {}),
          packages: message.packages ?? {},
        };
        events.onEnvironment?.(environment);
      } else if (message.t === 'start') {
        current = message.index;
        pending = [];
        arm(message.index);
        events.onCellStart?.(message.index);
      } else if (message.t === 'cell') {
        clearTimeout(watchdog);
        const outputs = message.outputs.map((o, k) => parseOutput(o as never, `Runner output ${k + 1}`));
        const cell: ExecutedCell = {
          index: message.index,
          outputs: [...outputs, ...pending],
          durationMs: message.ms,
          timedOut: message.timedOut,
        };
        pending = [];
        current = undefined;
        cells.push(cell);
        events.onCell?.(cell);
      } else {
        ended = true;
      }
    }
    clearTimeout(watchdog);
    const exitCode = await engine.waitContainer(id);
    const state = (await engine.inspectContainer(id)).State;
    if (!outcome) {
      if (state.OOMKilled)
        outcome = { kind: 'oom', limitBytes: options.HostConfig?.Memory ?? 0, ...(current === undefined ? {} : { cellIndex: current }) };
      else if (ended && exitCode === 0) outcome = { kind: 'completed' };
      else outcome = { kind: 'exited', exitCode, ...(current === undefined ? {} : { cellIndex: current }) };
    }
  } catch (err) {
    if (signal?.aborted) outcome ??= { kind: 'cancelled', ...(current === undefined ? {} : { cellIndex: current }) };
    else throw err instanceof EngineError || err instanceof NotebookRunError ? err : startError(err, String(options.Image));
  } finally {
    clearTimeout(watchdog);
    stop.abort();
    signal?.removeEventListener('abort', onAbort);
    await engine.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
  }
  return {
    containerId: id,
    ...(environment ? { environment } : {}),
    cells,
    outcome,
    stray,
    durationMs: performance.now() - started,
    cellsMs: cells.reduce((n, c) => n + c.durationMs, 0),
  };
}

function cancelledBeforeStart(): ContainerRunResult {
  return { containerId: '', cells: [], outcome: { kind: 'cancelled' }, stray: [], durationMs: 0, cellsMs: 0 };
}
