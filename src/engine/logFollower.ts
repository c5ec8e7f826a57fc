/**
 * Follow a container's logs for as long as the caller wants: across container restarts and engine
 * reconnects, resuming from the last line's engine timestamp so that no line is lost or repeated,
 * and saying what happened in between (stopped with exit code and OOM, restarted, removed,
 * engine lost and back).
 */
import type { Engine } from './engine';
import { EngineError, NotFoundError } from './errors';
import { engineEvents } from './events';
import { containerLogs, timestampToSince, type LogLine } from './logs';
import { delay } from './streams';

export type LogMarker =
  | { readonly kind: 'stopped'; readonly exitCode: number; readonly oomKilled: boolean; readonly time: string }
  | { readonly kind: 'started'; readonly time: string; readonly restartCount: number }
  | { readonly kind: 'removed'; readonly time: string }
  | { readonly kind: 'engine-lost'; readonly message: string; readonly time: string }
  | { readonly kind: 'engine-back'; readonly time: string };

export type FollowItem = { readonly kind: 'line'; readonly line: LogLine } | { readonly kind: 'marker'; readonly marker: LogMarker };

export interface FollowOptions {
  readonly signal: AbortSignal;
  /** Lines from the end to show first (default 1000); later reopenings resume by time instead. */
  readonly tail?: number | 'all';
  readonly since?: number | string;
  readonly retryDelayMs?: number;
}

/** Remembers the last engine timestamp seen and how many lines carried it, to resume exactly. */
export class ResumePoint {
  private time: string | undefined;
  private countAtTime = 0;
  private skip = 0;

  get since(): string | undefined {
    return this.time === undefined ? undefined : timestampToSince(this.time);
  }

  /** Call before reopening: lines at exactly the resume time that were already seen get skipped. */
  reopen(): void {
    this.skip = this.countAtTime;
  }

  /** True if the line is new; false if it is a replay from before the resume point. */
  accept(line: LogLine): boolean {
    if (this.time !== undefined) {
      if (line.time < this.time) return false;
      if (line.time === this.time && this.skip > 0) {
        this.skip--;
        return false;
      }
    }
    if (line.time === this.time) this.countAtTime++;
    else {
      this.time = line.time;
      this.countAtTime = 1;
      this.skip = 0;
    }
    return true;
  }
}

const now = (): string => new Date().toISOString();

export async function* followContainerLogs(engine: Engine, id: string, options: FollowOptions): AsyncGenerator<FollowItem> {
  const { signal } = options;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const resume = new ResumePoint();
  let first = true;
  let engineLost = false;
  let lastRestartCount = -1;

  while (!signal.aborted) {
    try {
      const details = await engine.inspectContainer(id, signal);
      if (engineLost) {
        engineLost = false;
        yield { kind: 'marker', marker: { kind: 'engine-back', time: now() } };
      }
      if (!first && details.State.Running && details.RestartCount !== lastRestartCount && lastRestartCount !== -1) {
        yield { kind: 'marker', marker: { kind: 'started', time: details.State.StartedAt, restartCount: details.RestartCount } };
      }
      lastRestartCount = details.RestartCount;
      resume.reopen();
      const since = resume.since ?? (first ? options.since : undefined);
      for await (const line of containerLogs(engine, id, {
        follow: true,
        signal,
        tty: details.Config.Tty,
        ...(since === undefined ? {} : { since }),
        ...(first && resume.since === undefined ? { tail: options.tail ?? 1000 } : {}),
      })) {
        if (resume.accept(line)) yield { kind: 'line', line };
      }
      first = false;
      if (signal.aborted) return;

      // the stream ended: the container stopped (or was never running)
      const after = await engine.inspectContainer(id, signal);
      if (after.State.Running) continue; // restarted already: reopen
      yield {
        kind: 'marker',
        marker: { kind: 'stopped', exitCode: after.State.ExitCode, oomKilled: after.State.OOMKilled, time: after.State.FinishedAt },
      };
      const next = await waitForStart(engine, id, after.State.FinishedAt, signal);
      if (next === 'removed') {
        yield { kind: 'marker', marker: { kind: 'removed', time: now() } };
        return;
      }
      if (next === 'aborted') return;
      const started = await engine.inspectContainer(id, signal);
      lastRestartCount = started.RestartCount;
      yield { kind: 'marker', marker: { kind: 'started', time: started.State.StartedAt, restartCount: started.RestartCount } };
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof NotFoundError) {
        yield { kind: 'marker', marker: { kind: 'removed', time: now() } };
        return;
      }
      const error = err instanceof EngineError ? err : engine.translate(err, `logs of ${id}`);
      if (!engineLost) {
        engineLost = true;
        yield { kind: 'marker', marker: { kind: 'engine-lost', message: error.message, time: now() } };
      }
      first = false;
      try {
        await delay(retryDelayMs, signal);
      } catch {
        return;
      }
    }
  }
}

/** Wait until the container starts again (or is removed), from the time it finished. */
async function waitForStart(
  engine: Engine,
  id: string,
  finishedAt: string,
  signal: AbortSignal,
): Promise<'started' | 'removed' | 'aborted'> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const since = finishedAt.startsWith('0001') ? undefined : timestampToSince(finishedAt);
    for await (const event of engineEvents(engine, {
      signal: controller.signal,
      filters: { type: ['container'], container: [id] },
      ...(since === undefined ? {} : { since }),
    })) {
      if (event.verb === 'start') return 'started';
      if (event.verb === 'destroy') return 'removed';
    }
    return 'aborted';
  } finally {
    signal.removeEventListener('abort', onAbort);
    controller.abort();
  }
}
