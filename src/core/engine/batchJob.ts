/**
 * A batch job: a container run to completion — its logs streamed while it runs, then its exit
 * code, duration and whether it was killed for memory.
 */
import type { Engine } from './engine';
import { endedByOom } from './events';
import { containerLogs, type LogLine } from './logs';
import { startRun, type RunPlan } from './run';
import type { GpuDetection } from './gpu';

export interface BatchResult {
  readonly id: string;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  readonly durationMs: number;
  readonly memoryLimit: number;
}

export interface BatchOptions {
  readonly signal?: AbortSignal;
  readonly gpu?: GpuDetection;
  /** Each log line as it arrives. */
  readonly onLine?: (line: LogLine) => void;
  /** Called once the container has started (e.g. to open a log view). */
  readonly onStarted?: (id: string) => void;
}

export async function runBatchJob(engine: Engine, plan: RunPlan, options: BatchOptions = {}): Promise<BatchResult> {
  const id = await startRun(engine, plan, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.gpu ? { gpu: options.gpu } : {}),
  });
  options.onStarted?.(id);
  const onAbort = (): void => void engine.killContainer(id).catch(() => undefined);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const streaming = (async () => {
      if (!options.onLine) return;
      for await (const line of containerLogs(engine, id, {
        follow: true,
        tty: false,
        ...(options.signal ? { signal: options.signal } : {}),
      }))
        options.onLine(line);
    })();
    await engine.waitContainer(id);
    await streaming.catch(() => undefined);
    const details = await engine.inspectContainerJson(id);
    const state = details.State;
    const durationMs = Math.max(0, Date.parse(state.FinishedAt) - Date.parse(state.StartedAt));
    const oomKilled = await endedByOom(engine, id, { oomKilled: state.OOMKilled, exitCode: state.ExitCode, startedAt: state.StartedAt });
    return { id, exitCode: state.ExitCode, oomKilled, durationMs, memoryLimit: details.HostConfig.Memory ?? 0 };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** One line for the user: "exit 0 in 3.2 s", or why it failed. */
export function describeBatch(name: string, r: BatchResult): string {
  const time = `${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.oomKilled) {
    const limit = r.memoryLimit > 0 ? ` of ${Math.round(r.memoryLimit / 2 ** 20)} MiB` : '';
    return `Batch job ${name} was killed for running out of memory (exit ${r.exitCode}) after ${time}: it went past its memory limit${limit}. Raise "memory" in the profile.`;
  }
  return r.exitCode === 0
    ? `Batch job ${name} finished: exit 0 in ${time}.`
    : `Batch job ${name} failed: exit ${r.exitCode} after ${time} — see its logs.`;
}
