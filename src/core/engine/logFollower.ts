/**
 * Follow a container's logs for as long as the caller wants: across container restarts and engine
 * reconnects, resuming from the last line's engine timestamp so that no line is lost or repeated,
 * and saying what happened in between (stopped with exit code and OOM, restarted, removed,
 * engine lost and back).
 */
import type { Engine } from './engine';
import { ConflictError, EngineError, EngineRequestError, NotFoundError } from './errors';
import { engineEvents, pastEvents, type EventStreamState } from './events';
import { canonicalTime, containerLogs, nanosToTime, timestampToSince, timeToNanos, type LogLine } from './logs';
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

/**
 * Where a reopened log stream must start so that no line is lost or repeated. Timestamps alone
 * cannot say it: stdout and stderr are stamped separately (a line can carry an earlier time than
 * the one before it), clocks step back, and several lines can carry the same time. So the point
 * remembers the lines it let through during the last `windowNs` before the newest time seen; a
 * reopened stream asks the engine (whose `since` is inclusive) from that far back, and exactly the
 * lines already seen are dropped from what it replays. On the live stream every line is new.
 */
export class ResumePoint {
  /** When following began (engine clock): where a reopen starts if no line was seen. */
  private start: string | undefined;
  /** Newest (canonical) time seen. */
  private newest: string | undefined;
  /** The first line let through: what the log holds before it was never asked for. */
  private first: { readonly line: LogLine; readonly time: string } | undefined;
  /** Lines let through recently, in arrival order, with their canonical times (from `head` on). */
  private recent: LogLine[] = [];
  private recentTimes: string[] = [];
  private head = 0;
  /** Newest time among lines forgotten because `recent` was full: a reopen starts after it. */
  private forgotten: string | undefined;
  /** What the reopened stream will replay and is to be dropped: key → count. */
  private replay = new Map<string, number>();
  /**
   * Set when a reopen asks from before the first line shown: the log's lines before that one (in
   * log order) are history that was not asked for (beyond the tail), dropped until a line already
   * seen arrives, or one newer than everything seen.
   */
  private beforeFirst: string | undefined;
  private sincePrune = 0;

  constructor(
    private readonly windowNs = 2_000_000_000n,
    private readonly maxRecent = 200_000,
  ) {}

  /** The engine's time when following began: if no line is seen, a reopen starts there. */
  startAt(time: string): void {
    const t = canonicalTime(time);
    if (t !== undefined && (this.start === undefined || t < this.start)) this.start = t;
  }

  /** The engine `since` ("<s>.<ns>", inclusive) for the next reopen; undefined while nothing is known. */
  get since(): string | undefined {
    const from = this.from();
    return from === undefined ? undefined : timestampToSince(from);
  }

  private from(): string | undefined {
    if (this.newest === undefined) return this.start;
    let from = nanosToTime(timeToNanos(this.newest) - this.windowNs);
    if (this.forgotten !== undefined) {
      const after = nanosToTime(timeToNanos(this.forgotten) + 1n);
      if (after > from) from = after;
    }
    return from;
  }

  /** Call before reopening: the lines already seen that the reopened stream will send again get dropped. */
  reopen(): void {
    this.replay.clear();
    this.beforeFirst = undefined;
    const from = this.from();
    if (from === undefined) return;
    for (let i = this.head; i < this.recent.length; i++) {
      if (this.recentTimes[i]! < from) continue;
      const key = lineKey(this.recent[i]!, this.recentTimes[i]!);
      this.replay.set(key, (this.replay.get(key) ?? 0) + 1);
    }
    if (this.first !== undefined && this.first.time >= from && this.replay.has(lineKey(this.first.line, this.first.time)))
      this.beforeFirst = this.newest;
  }

  /** True if the line is new; false if it is a replay of one already seen (or history never asked for). */
  accept(line: LogLine): boolean {
    const time = canonicalTime(line.time) ?? line.time;
    if (this.replay.size > 0) {
      const key = lineKey(line, time);
      const count = this.replay.get(key);
      if (count !== undefined) {
        if (count === 1) this.replay.delete(key);
        else this.replay.set(key, count - 1);
        this.beforeFirst = undefined;
        return false;
      }
    }
    if (this.beforeFirst !== undefined) {
      if (time <= this.beforeFirst) return false;
      this.beforeFirst = undefined;
    }
    if (this.newest === undefined || time > this.newest) this.newest = time;
    this.first ??= { line, time };
    this.recent.push(line);
    this.recentTimes.push(time);
    if (this.recent.length - this.head > this.maxRecent) {
      const dropped = this.recentTimes[this.head++]!;
      if (this.forgotten === undefined || dropped > this.forgotten) this.forgotten = dropped;
    }
    if (++this.sincePrune >= 4096) this.prune();
    return true;
  }

  /** Forget lines older than the window (they are before any reopen's start). */
  private prune(): void {
    this.sincePrune = 0;
    const from = this.from();
    if (from !== undefined) while (this.head < this.recent.length && this.recentTimes[this.head]! < from) this.head++;
    if (this.head > 4096 && this.head * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.head);
      this.recentTimes = this.recentTimes.slice(this.head);
      this.head = 0;
    }
  }
}

function lineKey(line: LogLine, time: string): string {
  return `${line.stream} ${time} ${line.text}`;
}

const now = (): string => new Date().toISOString();

/** What following remembers from one log stream to the next. */
interface FollowState {
  readonly resume: ResumePoint;
  /** Whether a log stream was ever opened: the first open shows history (tail, since), later ones resume. */
  opened: boolean;
  engineLost: boolean;
  /** StartedAt of the run being followed, to notice a restart that happened while away. */
  lastStartedAt: string | undefined;
  /** FinishedAt of the stop already reported, so that reconnecting to a stopped container does not report it twice. */
  reportedStop: string | undefined;
}

export async function* followContainerLogs(engine: Engine, id: string, options: FollowOptions): AsyncGenerator<FollowItem> {
  const { signal } = options;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const state: FollowState = {
    resume: new ResumePoint(),
    opened: false,
    engineLost: false,
    lastStartedAt: undefined,
    reportedStop: undefined,
  };
  while (!signal.aborted) {
    try {
      yield* streamLines(engine, id, options, state);
      if (signal.aborted) return;
      if ((yield* untilNextRun(engine, id, state, signal)) === 'end') return;
    } catch (err) {
      if (signal.aborted) return;
      if ((yield* engineFailure(engine, id, err, state)) === 'removed') return;
      try {
        await delay(retryDelayMs, signal);
      } catch {
        return;
      }
    }
  }
}

/**
 * One log stream, to its end: the engine found again and a restart noticed while away are said
 * first; the first open shows history (tail, since), later ones resume where the last line was.
 */
async function* streamLines(engine: Engine, id: string, options: FollowOptions, state: FollowState): AsyncGenerator<FollowItem> {
  const { signal } = options;
  const details = await engine.inspectContainerJson(id, signal);
  if (state.engineLost) {
    state.engineLost = false;
    yield { kind: 'marker', marker: { kind: 'engine-back', time: now() } };
  }
  if (!state.opened) {
    // the engine's clock now, before the first open: if that open shows no line, a reopen starts
    // here rather than at the beginning of the container's history
    state.resume.startAt((await engineClock(engine, signal)) ?? now());
  } else if (details.State.Running && state.lastStartedAt !== undefined && details.State.StartedAt !== state.lastStartedAt) {
    // a run that ended and started again unseen (a quick restart, or one while the engine was away)
    const stop = await stopBetween(engine, id, state, state.lastStartedAt, details, signal);
    if (stop) yield { kind: 'marker', marker: stop };
    yield { kind: 'marker', marker: { kind: 'started', time: details.State.StartedAt, restartCount: details.RestartCount } };
  }
  state.lastStartedAt = details.State.StartedAt;
  state.resume.reopen();
  const since = state.opened ? state.resume.since : options.since;
  for await (const line of containerLogs(engine, id, {
    follow: true,
    signal,
    tty: details.Config.Tty,
    onOpen: () => (state.opened = true),
    ...(since === undefined ? {} : { since }),
    ...(state.opened ? {} : { tail: options.tail ?? 1000 }),
  })) {
    if (state.resume.accept(line)) yield { kind: 'line', line };
  }
}

/**
 * The stream ended: the container stopped (or was never running). Its stop is said once, then
 * following waits for its next run ('reopen') or its removal ('end').
 */
async function* untilNextRun(
  engine: Engine,
  id: string,
  state: FollowState,
  signal: AbortSignal,
): AsyncGenerator<FollowItem, 'reopen' | 'end'> {
  const after = await engine.inspectContainerJson(id, signal);
  if (after.State.Running) return 'reopen'; // restarted already: the next open says the stop and the start
  // a container that never ran has nothing to report (its FinishedAt is the zero time)
  if (after.State.FinishedAt !== state.reportedStop && !after.State.FinishedAt.startsWith('0001')) {
    state.reportedStop = after.State.FinishedAt;
    yield {
      kind: 'marker',
      marker: { kind: 'stopped', exitCode: after.State.ExitCode, oomKilled: after.State.OOMKilled, time: after.State.FinishedAt },
    };
  }
  const next = yield* waitForStart(engine, id, after.State.FinishedAt, signal);
  if (next === 'removed') {
    yield { kind: 'marker', marker: { kind: 'removed', time: now() } };
    return 'end';
  }
  if (next === 'aborted') return 'end';
  const started = await engine.inspectContainerJson(id, signal);
  state.lastStartedAt = started.State.StartedAt;
  yield { kind: 'marker', marker: { kind: 'started', time: started.State.StartedAt, restartCount: started.RestartCount } };
  return 'reopen';
}

/**
 * The stop of a run that ended unseen, before the container was found running again: its time from
 * the container (FinishedAt stays while it runs again) and its exit code from the engine's `die`
 * event between the run that was followed and the new one (a running container's inspect says 0).
 * Undefined when that stop was said already.
 */
async function stopBetween(
  engine: Engine,
  id: string,
  state: FollowState,
  lastStartedAt: string,
  details: { readonly State: { readonly FinishedAt: string; readonly StartedAt: string; readonly ExitCode: number } },
  signal: AbortSignal | undefined,
): Promise<Extract<LogMarker, { kind: 'stopped' }> | undefined> {
  const finishedAt = details.State.FinishedAt;
  if (finishedAt.startsWith('0001') || finishedAt === state.reportedStop) return undefined;
  state.reportedStop = finishedAt;
  const from = Date.parse(lastStartedAt);
  const to = Date.parse(details.State.StartedAt);
  const events =
    Number.isNaN(from) || Number.isNaN(to)
      ? []
      : await pastEvents(engine, {
          since: Math.floor(from / 1000),
          until: Math.ceil(to / 1000) + 1,
          filters: { type: ['container'], container: [id], event: ['die', 'oom'] },
          ...(signal ? { signal } : {}),
        }).catch(() => []);
  const die = events.filter((e) => e.verb === 'die').pop();
  const exitCode = Number(die?.attributes.exitCode ?? details.State.ExitCode);
  return { kind: 'stopped', exitCode, oomKilled: events.some((e) => e.verb === 'oom'), time: finishedAt };
}

/**
 * A call failed: the container is gone ('removed'), the engine refused (thrown: asking again
 * would get the same answer), or the engine is lost, which is said once ('retry').
 */
function* engineFailure(engine: Engine, id: string, err: unknown, state: FollowState): Generator<FollowItem, 'removed' | 'retry'> {
  // 409 on logs: "dead or marked for removal"
  if (err instanceof NotFoundError || err instanceof ConflictError) {
    yield { kind: 'marker', marker: { kind: 'removed', time: now() } };
    return 'removed';
  }
  const error = err instanceof EngineError ? err : engine.translate(err, `logs of ${id}`);
  // the engine answered with an error: it is not lost, and asking again would get the same answer
  if (error.statusCode !== undefined) throw unreadable(error, id);
  if (!state.engineLost) {
    state.engineLost = true;
    yield { kind: 'marker', marker: { kind: 'engine-lost', message: error.message, time: now() } };
  }
  return 'retry';
}

/** The engine refused the logs: say why, and what to do when it is the logging driver. */
function unreadable(error: EngineError, id: string): EngineError {
  const hint =
    error.statusCode === 501
      ? ' — its logging driver does not let the engine read logs back; run it with the json-file, local or journald driver (or enable dual logging) to see them here'
      : '';
  return new EngineRequestError(`Cannot follow the logs of ${id.slice(0, 12)}: ${error.message}${hint}`, error.statusCode, error);
}

/**
 * The engine's own clock (the one it stamps log lines with), if it says. An engine that answers
 * /info with an error (a socket proxy may forbid it) leaves the local clock to be used; an engine
 * that cannot be reached is lost like for any other call.
 */
async function engineClock(engine: Engine, signal: AbortSignal): Promise<string | undefined> {
  try {
    const info = await engine.info(signal);
    return info.systemTime === undefined ? undefined : canonicalTime(info.systemTime);
  } catch (err) {
    if (err instanceof EngineError && err.statusCode !== undefined) return undefined;
    throw err;
  }
}

/**
 * Wait until the container starts again (or is removed), from the time it finished. The event
 * stream reconnects by itself; an outage on the way is reported once (lost, then back).
 */
async function* waitForStart(
  engine: Engine,
  id: string,
  finishedAt: string,
  signal: AbortSignal,
): AsyncGenerator<FollowItem, 'started' | 'removed' | 'aborted'> {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const states: EventStreamState[] = [];
  let wake: (() => void) | undefined;
  const since = finishedAt.startsWith('0001') ? undefined : timestampToSince(finishedAt);
  const events = engineEvents(engine, {
    signal: controller.signal,
    filters: { type: ['container'], container: [id] },
    ...(since === undefined ? {} : { since }),
    onState: (state) => {
      states.push(state);
      wake?.();
    },
  });
  let lost = false;
  try {
    let next = events.next();
    for (;;) {
      const woken = new Promise<undefined>((resolve) => (wake = () => resolve(undefined)));
      const result = await Promise.race([next, woken]);
      for (const state of states.splice(0)) {
        // a stream that ended and reopened at once is no outage; a failed reconnection is
        if (state.kind === 'reconnecting' && !lost && (state.error !== undefined || state.attempt > 1)) {
          lost = true;
          const message = state.error?.message ?? 'the engine closed the connection';
          yield { kind: 'marker', marker: { kind: 'engine-lost', message, time: now() } };
        } else if (state.kind === 'connected' && lost) {
          lost = false;
          yield { kind: 'marker', marker: { kind: 'engine-back', time: now() } };
        }
      }
      if (result === undefined) continue;
      if (result.done === true) return 'aborted';
      // a container that exits at once has its own start event stamped after it finished (even its
      // StartedAt can be after its FinishedAt): only a run that is not the one that finished counts
      if (result.value.verb === 'start' && (await anotherRun(engine, id, finishedAt, signal))) return 'started';
      if (result.value.verb === 'destroy') return 'removed';
      next = events.next();
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    controller.abort();
    wake = undefined;
    await events.return(undefined).catch(() => undefined);
  }
}

async function anotherRun(engine: Engine, id: string, finishedAt: string, signal: AbortSignal): Promise<boolean> {
  const { State } = await engine.inspectContainerJson(id, signal);
  return State.Running || State.FinishedAt !== finishedAt;
}
