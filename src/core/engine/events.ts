/**
 * The engine's event stream as an AsyncIterable. Both field layouts are understood (the old
 * `status`/`id`/`from` and the new `Action`/`Actor.ID`), compound actions are split
 * (`health_status: healthy` → verb `health_status`, detail `healthy`), and a cut stream is
 * reopened with `since=` a little before the newest event seen, so nothing is lost; what it
 * replays is de-duplicated. Events are yielded in the order the engine sends them, which is not
 * always timestamp order. Podman's own names for container events (`remove`, `exec_died`, …)
 * arrive as Docker's verbs, with the action as Podman sent it.
 */
import type { Engine } from './engine';
import { CancelledError, EngineError } from './errors';
import { dockerEventVerb } from './podman';
import { delay, splitLines } from './streams';

export interface EngineEvent {
  /** container, image, volume, network, daemon, plugin, … */
  readonly type: string;
  /** The full action as the engine sent it, e.g. "health_status: healthy", "exec_start: sh -c ls". */
  readonly action: string;
  /** The action's first word, e.g. "health_status", "exec_start", "die" — Docker's word for it when
   *  Podman sent its own (Podman's `remove` is `destroy`, `exec_died` is `exec_die`). */
  readonly verb: string;
  /** What follows "verb: " in a compound action, e.g. "healthy". */
  readonly detail?: string;
  /** Actor id (container id, image name/id, volume name, network id). */
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly scope?: string;
  /** Seconds since the epoch. */
  readonly time: number;
  /** Nanoseconds since the epoch, exact (as a decimal string: it does not fit in a double). */
  readonly timeNano: string;
}

interface RawEvent {
  status?: string;
  id?: string;
  from?: string;
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  scope?: string;
  time?: number;
  timeNano?: number;
}

/**
 * Parse one line of /events. `timeNano` is read from the text itself: JSON numbers lose the last
 * digits of a nanosecond timestamp.
 */
export function parseEvent(line: string): EngineEvent {
  const raw = JSON.parse(line) as RawEvent;
  const action = raw.Action ?? raw.status ?? '';
  const colon = action.indexOf(':');
  const type = raw.Type ?? (raw.id !== undefined ? 'container' : '');
  const verb = dockerEventVerb(type, colon === -1 ? action : action.slice(0, colon).trim());
  const detail = colon === -1 ? undefined : action.slice(colon + 1).trim();
  const attributes = { ...(raw.Actor?.Attributes ?? {}) };
  if (raw.from !== undefined && attributes.image === undefined) attributes.image = raw.from;
  const exactNano = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
  const time = raw.time ?? (exactNano !== undefined ? Number(BigInt(exactNano) / 1_000_000_000n) : 0);
  const timeNano = exactNano ?? (BigInt(time) * 1_000_000_000n).toString();
  return {
    type,
    action,
    verb,
    ...(detail === undefined ? {} : { detail }),
    id: raw.Actor?.ID ?? raw.id ?? '',
    attributes,
    ...(raw.scope === undefined ? {} : { scope: raw.scope }),
    time,
    timeNano,
  };
}

/** The engine's `since` format for a nanosecond timestamp: "<seconds>.<nanoseconds>". */
export function sinceParam(timeNano: string): string {
  const ns = BigInt(timeNano);
  const seconds = ns / 1_000_000_000n;
  const rest = ns % 1_000_000_000n;
  return `${seconds}.${rest.toString().padStart(9, '0')}`;
}

function eventKey(e: EngineEvent): string {
  return `${e.timeNano}|${e.type}|${e.action}|${e.id}`;
}

export type EventStreamState =
  { readonly kind: 'connected' } | { readonly kind: 'reconnecting'; readonly error: EngineError | undefined; readonly attempt: number };

export interface EventStreamOptions {
  readonly signal: AbortSignal;
  /** Start point (seconds, or a "<s>.<ns>" string). Without it only new events arrive. */
  readonly since?: number | string;
  /** Engine-side filters, e.g. { type: ['container'] }. */
  readonly filters?: Record<string, string[]>;
  /** Called on every (re)connection and every failure. */
  readonly onState?: (state: EventStreamState) => void;
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * Follow the engine's events until the signal aborts. Never ends on its own: a cut stream or an
 * unreachable engine is retried with backoff, resuming from the last event seen.
 */
/** How far back a reopened stream starts before the newest event seen: the engine does not send
 *  events in timestamp order (nor in the same order to every subscriber), so an event stamped a
 *  little before the newest one may still be on its way when a stream is cut. */
const REPLAY_WINDOW_NS = 2_000_000_000n;
/** Keys of yielded events are kept this long (≥ the replay window) to drop replays. */
const REMEMBER_NS = 5_000_000_000n;

export async function* engineEvents(engine: Engine, options: EventStreamOptions): AsyncGenerator<EngineEvent> {
  const { signal } = options;
  const minBackoffMs = options.minBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  let since: string | undefined = options.since === undefined ? undefined : String(options.since);
  let newest: bigint | undefined;
  // events yielded recently, by key, to drop the ones a reopened stream replays
  const recent = new Map<string, bigint>();
  let attempt = 0;

  while (!signal.aborted) {
    let error: EngineError | undefined;
    // if this first stream is cut before any event, resume from when it was opened
    const openedAt = sinceParam((BigInt(Date.now()) * 1_000_000n).toString());
    try {
      const stream = await engine.openStream({
        path: '/events',
        operation: 'follow events',
        signal,
        query: {
          ...(since === undefined ? {} : { since }),
          ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
        },
      });
      attempt = 0;
      options.onState?.({ kind: 'connected' });
      for await (const line of splitLines(stream)) {
        if (line.trim() === '') continue;
        const event = parseEvent(line);
        const key = eventKey(event);
        if (recent.has(key)) continue;
        const nano = BigInt(event.timeNano);
        recent.set(key, nano);
        if (newest === undefined || nano > newest) {
          newest = nano;
          // forget what no reopened stream can replay any more (the map is in insertion order)
          for (const [k, t] of recent) {
            if (t >= newest - REMEMBER_NS) break;
            recent.delete(k);
          }
        }
        yield event;
      }
    } catch (err) {
      if (signal.aborted) break;
      error = err instanceof EngineError ? err : engine.translate(err, 'follow events');
      if (error instanceof CancelledError) error = undefined; // the stream was cut under us
    }
    if (signal.aborted) break;
    // the stream ended or failed: reopen a little before the newest event seen (replays are
    // dropped above), or from when it was opened if it saw none
    since = newest === undefined ? (since ?? openedAt) : sinceParam((newest - REPLAY_WINDOW_NS).toString());
    attempt += 1;
    options.onState?.({ kind: 'reconnecting', error, attempt });
    const backoff = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(attempt - 1, 10));
    try {
      await delay(backoff, signal);
    } catch {
      break;
    }
  }
}

/** The events the engine has between `since` and `until` ("<s>.<ns>" or seconds): the stream ends at `until`. */
export async function pastEvents(
  engine: Engine,
  options: {
    readonly since: number | string;
    readonly until: number | string;
    readonly filters?: Record<string, string[]>;
    readonly signal?: AbortSignal;
  },
): Promise<EngineEvent[]> {
  const stream = await engine.openStream({
    path: '/events',
    operation: 'read past events',
    ...(options.signal ? { signal: options.signal } : {}),
    query: {
      since: String(options.since),
      until: String(options.until),
      ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
    },
  });
  const events: EngineEvent[] = [];
  for await (const line of splitLines(stream)) if (line.trim() !== '') events.push(parseEvent(line));
  return events;
}

/** How long after an exit an `oom` event is still waited for: the engine may log it after the `die`. */
const OOM_EVENT_GRACE_MS = 1000;

/**
 * Whether the engine sent an `oom` event for a container since it started (`startedAt` as the
 * engine's inspect gives it). The engine's OOMKilled flag is racy — its exit and OOM notices can
 * arrive in either order, and then an inspect says false for a container the kernel killed — the
 * event is not. It may come just after the exit, so this waits up to a second for it.
 */
export async function oomEventSince(engine: Engine, id: string, startedAt: string, signal?: AbortSignal): Promise<boolean> {
  const started = Date.parse(startedAt);
  if (Number.isNaN(started)) return false;
  const events = await pastEvents(engine, {
    since: Math.floor(started / 1000) - 1,
    until: sinceParam((BigInt(Date.now() + OOM_EVENT_GRACE_MS) * 1_000_000n).toString()),
    filters: { type: ['container'], container: [id], event: ['oom'] },
    ...(signal ? { signal } : {}),
  });
  return events.some((e) => e.id === id && e.verb === 'oom');
}

/**
 * Whether a run that ended was killed for memory: the engine's flag, or, for an exit 137 the flag
 * missed, the engine's `oom` event for that run.
 */
export async function endedByOom(
  engine: Engine,
  id: string,
  ended: { readonly oomKilled?: boolean; readonly exitCode: number; readonly startedAt?: string },
  signal?: AbortSignal,
): Promise<boolean> {
  if (ended.oomKilled === true) return true;
  if (ended.exitCode !== 137 || ended.startedAt === undefined) return false;
  return oomEventSince(engine, id, ended.startedAt, signal).catch(() => false);
}
