/**
 * Starting a planned run and waiting until it is ready. A container whose start fails is removed
 * (nothing is left behind), and the failure becomes a typed error that says what to do: the
 * engine refusing a GPU, a host port already taken, or the engine's own message.
 */
import { formatBytes } from './bytes';
import { recordFromDetails, type ContainerRecord } from './containerStore';
import type { ContainerCreateOptions, ContainerDetails, Engine } from './engine';
import { CancelledError, EngineError, GpuUnavailableError, PortInUseError } from './errors';
import type { GpuDetection } from './gpu';
import { delay } from './streams';

/** A container to run, as project's run profiles plan it (toCreateOptions). */
export interface RunPlan {
  readonly options: ContainerCreateOptions;
  /** True when the profile asked for a GPU and the plan requests one. */
  readonly usesGpu: boolean;
  /** Why the plan differs from the profile (e.g. GPU skipped: "GPU if available"). */
  readonly notes: readonly string[];
}

/** Is this error the engine refusing a GPU request at start (no nvidia driver registered)? */
export function isGpuRefusal(message: string): boolean {
  return /could not select device driver|nvidia-container-cli|unknown or invalid runtime name: nvidia|error running hook #\d+|unresolvable CDI devices/i.test(
    message,
  );
}

export interface StartRunOptions {
  readonly signal?: AbortSignal;
  /** What detection said about the engine's GPU; its reasons are added to a GPU refusal. */
  readonly gpu?: GpuDetection;
}

/** Create the container of a plan and start it; returns its id. */
export async function startRun(engine: Engine, plan: RunPlan, options: StartRunOptions = {}): Promise<string> {
  const id = await engine.createContainer(plan.options, options.signal);
  try {
    await engine.startContainer(id, options.signal);
  } catch (err) {
    await removeQuietly(engine, id);
    throw startFailure(engine.translate(err, `start container ${id}`), plan, options.gpu);
  }
  return id;
}

/** Remove a container that never ran properly; a failure here must not hide the real one. */
async function removeQuietly(engine: Engine, id: string): Promise<void> {
  try {
    await engine.removeContainer(id, { force: true, volumes: true });
  } catch {
    // already gone, or the engine went away: nothing more to do
  }
}

function requestsGpu(plan: RunPlan): boolean {
  const host = plan.options.HostConfig;
  // dockerode types Devices as any; a CDI device is named like nvidia.com/gpu=all
  const devices = (host?.Devices ?? []) as { PathOnHost?: string }[];
  return plan.usesGpu || (host?.DeviceRequests?.length ?? 0) > 0 || devices.some((d) => d.PathOnHost?.includes('=') === true);
}

/** Turn a failed start into the error the user can act on. */
export function startFailure(err: EngineError, plan: RunPlan, gpu?: GpuDetection): EngineError {
  if (err instanceof CancelledError || err.code === 'timeout' || err.code === 'unreachable') return err;
  const message = err.message.replace(/\.?\s*$/, '');
  const options = { cause: err, ...(err.statusCode === undefined ? {} : { statusCode: err.statusCode }) };
  if (requestsGpu(plan) && isGpuRefusal(message)) {
    return new GpuUnavailableError(
      `The engine could not give this container a GPU: ${message}. Run on CPU instead?`,
      [message, ...(gpu?.reasons ?? [])],
      err,
    );
  }
  const port = parsePortConflict(message);
  if (port) return new PortInUseError(port.port, port.hostIp, message, options);
  return err;
}

/**
 * A host port conflict in an engine message: "Bind for 127.0.0.1:8000 failed: port is already
 * allocated" (another container) or "listen tcp4 127.0.0.1:8000: bind: address already in use"
 * (another process). Undefined when the message is about something else.
 */
export function parsePortConflict(message: string): { port?: number; hostIp?: string } | undefined {
  if (!/port is already allocated|address already in use|only one usage of each socket address/i.test(message)) return undefined;
  const m = /(?:Bind for |listen (?:tcp|udp)[46]? )(\S*):(\d+)(?=:|\s|$)/i.exec(message);
  if (!m?.[2]) return {};
  const hostIp = (m[1] ?? '').replace(/^\[|\]$/g, '');
  return { port: Number(m[2]), ...(hostIp === '' ? {} : { hostIp }) };
}

/** The container stopped before it was ready. */
export class ContainerExitedError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly oomKilled: boolean,
    /** HostConfig.Memory in bytes; undefined when the container had no limit. */
    readonly memoryLimit: number | undefined,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The container kept running but did not become ready in time. */
export class HealthTimeoutError extends Error {
  constructor(
    message: string,
    readonly timeoutMs: number,
    /** The health status at the end ("starting", "unhealthy"), undefined without a health check. */
    readonly healthStatus: string | undefined,
    /** The output of the last health check, when there was one. */
    readonly lastOutput: string | undefined,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface WaitHealthyOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Between two inspections; default 250 ms. */
  readonly intervalMs?: number;
  /** Without a health check, how long the container must keep running; default 1000 ms. */
  readonly stableMs?: number;
}

const nameOf = (d: ContainerDetails): string => d.Name.replace(/^\//, '') || d.Id.slice(0, 12);

function hasHealthCheck(d: ContainerDetails): boolean {
  const status = d.State.Health?.Status;
  return status !== undefined && status !== '' && status !== 'none';
}

export function exitedError(d: ContainerDetails): ContainerExitedError {
  const { ExitCode: code, OOMKilled: oom } = d.State;
  const limit = d.HostConfig.Memory !== undefined && d.HostConfig.Memory > 0 ? d.HostConfig.Memory : undefined;
  const name = nameOf(d);
  if (oom) {
    const why =
      limit === undefined
        ? 'the host ran out of memory (the container has no memory limit)'
        : `it went past its memory limit of ${formatBytes(limit)}. Raise "memory" in the run profile, or make the program use less`;
    return new ContainerExitedError(`${name} was killed for running out of memory (exit code ${code}): ${why}.`, code, true, limit);
  }
  const detail = d.State.Error ? `: ${d.State.Error}` : '';
  return new ContainerExitedError(`${name} exited with code ${code} before it was ready${detail}. Its logs show why.`, code, false, limit);
}

export function timeoutError(d: ContainerDetails, timeoutMs: number): HealthTimeoutError {
  const name = nameOf(d);
  const seconds = `${Math.round(timeoutMs / 100) / 10} s`;
  const health = d.State.Health;
  if (!hasHealthCheck(d) || health === undefined) {
    const state = d.State.Restarting ? `it keeps restarting (${d.RestartCount} restarts)` : `it is ${d.State.Status}`;
    return new HealthTimeoutError(`${name} was not running steadily within ${seconds}: ${state}.`, timeoutMs, undefined, undefined);
  }
  const last = health.Log?.[health.Log.length - 1];
  const output = last?.Output.trim();
  const streak = health.FailingStreak > 0 ? `, ${health.FailingStreak} failing checks in a row` : '';
  const lastCheck =
    last === undefined ? 'No health check has finished yet.' : `Last health check (exit code ${last.ExitCode}): ${output || '(no output)'}`;
  return new HealthTimeoutError(
    `${name} did not become healthy within ${seconds} (health: ${health.Status}${streak}). ${lastCheck}`,
    timeoutMs,
    health.Status,
    output,
  );
}

type Verdict = 'ready' | 'wait' | 'exited';

function judge(d: ContainerDetails, runningForMs: number, stableMs: number): Verdict {
  const s = d.State;
  if (!s.Running && !s.Restarting && (s.Status === 'exited' || s.Status === 'dead')) return 'exited';
  if (!s.Running || s.Restarting || s.Paused) return 'wait';
  if (hasHealthCheck(d)) return s.Health?.Status === 'healthy' ? 'ready' : 'wait';
  return runningForMs >= stableMs ? 'ready' : 'wait';
}

/**
 * Resolve (with the container's details) once the container is healthy, or, without a health
 * check, once it has kept running for stableMs. Rejects with ContainerExitedError when it stops,
 * HealthTimeoutError after timeoutMs, CancelledError when the signal aborts.
 */
export async function waitHealthy(engine: Engine, id: string, options: WaitHealthyOptions): Promise<ContainerRecord> {
  const { timeoutMs, signal, intervalMs = 250, stableMs = 1000 } = options;
  const deadline = Date.now() + timeoutMs;
  let runningSince: number | undefined;
  let restarts: number | undefined;
  for (;;) {
    if (signal?.aborted === true) throw new CancelledError(`waiting for ${id} to be ready`, signal.reason);
    // Podman runs health checks from systemd timers, which these engines may not have: ask it
    if (engine.flavour === 'podman') await engine.runHealthcheck(id, signal).catch(() => undefined);
    const d = await engine.inspectContainerJson(id, signal);
    const now = Date.now();
    if (!d.State.Running || d.State.Restarting || d.RestartCount !== restarts) runningSince = undefined;
    restarts = d.RestartCount;
    if (d.State.Running && !d.State.Restarting) runningSince ??= now;
    const verdict = judge(d, runningSince === undefined ? 0 : now - runningSince, stableMs);
    if (verdict === 'ready') return recordFromDetails(d);
    if (verdict === 'exited') throw exitedError(d);
    if (now >= deadline) throw timeoutError(d, timeoutMs);
    try {
      await delay(Math.min(intervalMs, deadline - now), signal);
    } catch (err) {
      throw new CancelledError(`waiting for ${id} to be ready`, err);
    }
  }
}
