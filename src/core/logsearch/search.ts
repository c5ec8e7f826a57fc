/**
 * One query over many containers' logs, read through the engine: each container's log is streamed
 * line by line (only matches are kept, so a huge log costs no memory), a few containers at a time,
 * and the matches come out as they are found. A failure of one container is reported and the
 * others go on; aborting stops every stream at once.
 */
import type { ContainerRecord } from '../engine/containerStore';
import type { Engine } from '../engine/engine';
import { ConflictError, EngineError, NotFoundError } from '../engine/errors';
import { COMPOSE_LABEL } from '../engine/labels';
import { canonicalTime, containerLogs } from '../engine/logs';
import { parsePattern, type LinePattern, type MatchRange } from './query';

export interface LogSearchQuery {
  /** What the user typed (text, or `/regex/flags`), or a pattern parsed already. */
  readonly pattern: string | LinePattern;
  /** Text only: match case (text is case-insensitive by default). */
  readonly caseSensitive?: boolean;
  /** Lines at or after this time. */
  readonly since?: Date;
  /** Lines before this time. */
  readonly until?: Date;
  /** Container ids (full or a unique prefix) to search; every container, running or stopped, when absent. */
  readonly containers?: readonly string[];
  readonly stderrOnly?: boolean;
  /** The search stops after this many matches (default 1000). */
  readonly maxResults?: number;
  /** Containers read at the same time (default 4). */
  readonly concurrency?: number;
}

export interface SearchedContainer {
  readonly id: string;
  readonly name: string;
  /** The Compose service and project, when the container is one's. */
  readonly service?: string;
  readonly project?: string;
}

export interface LogMatch {
  readonly containerId: string;
  readonly containerName: string;
  readonly service?: string;
  readonly project?: string;
  readonly stream: 'stdout' | 'stderr';
  readonly time: Date;
  /** The engine's own timestamp of the line, canonical (UTC, nine fraction digits): exact where `time` keeps milliseconds. */
  readonly timestamp: string;
  /** The line as the container wrote it: data, to be shown as text and never interpreted. */
  readonly line: string;
  readonly ranges: readonly MatchRange[];
}

export type LogSearchFailure = 'removed' | 'unreadable' | 'unreachable' | 'other';

export type LogSearchEvent =
  /** The containers that will be searched, before any match. */
  | { readonly kind: 'started'; readonly containers: readonly SearchedContainer[] }
  | { readonly kind: 'match'; readonly match: LogMatch }
  /** One container read to its end (or to the search's end): lines read and matches found. */
  | {
      readonly kind: 'done';
      readonly container: SearchedContainer;
      readonly lines: number;
      readonly matches: number;
    }
  | {
      readonly kind: 'failed';
      readonly container: SearchedContainer;
      readonly reason: LogSearchFailure;
      readonly message: string;
      readonly error: unknown;
    }
  /** maxResults matches were found: the search stopped there. */
  | { readonly kind: 'limit'; readonly maxResults: number };

const DEFAULT_MAX_RESULTS = 1000;
const DEFAULT_CONCURRENCY = 4;
/** Events waiting for the consumer before the readers pause: memory stays bounded while a consumer is slow. */
const HIGH_WATER = 256;

/** The container a record is, as a search names it. */
export function searchedContainer(record: ContainerRecord): SearchedContainer {
  const service = record.labels[COMPOSE_LABEL.service];
  const project = record.labels[COMPOSE_LABEL.project];
  return { id: record.id, name: record.name, ...(service ? { service } : {}), ...(project ? { project } : {}) };
}

/** The containers a query names: all of them, or those whose id (or unique id prefix) it lists; unknown ids are reported. */
export function chooseContainers(
  all: readonly ContainerRecord[],
  ids: readonly string[] | undefined,
): { found: SearchedContainer[]; missing: string[] } {
  if (ids === undefined) return { found: all.map(searchedContainer), missing: [] };
  const found: SearchedContainer[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    const hits = all.filter((r) => r.id === id || (id.length >= 4 && r.id.startsWith(id)));
    const hit = hits.length === 1 ? hits[0] : hits.find((r) => r.id === id);
    if (hit === undefined) missing.push(id);
    else if (!seen.has(hit.id)) {
      seen.add(hit.id);
      found.push(searchedContainer(hit));
    }
  }
  return { found, missing };
}

/** Why a container's log could not be read, as one of a few reasons and one sentence. */
export function classifyFailure(container: SearchedContainer, err: unknown): { reason: LogSearchFailure; message: string } {
  const name = container.name;
  if (err instanceof NotFoundError || err instanceof ConflictError)
    return { reason: 'removed', message: `${name} was removed during the search; its log is gone.` };
  if (err instanceof EngineError && err.statusCode === 501)
    return {
      reason: 'unreadable',
      message: `${name}: its logging driver does not let the engine read logs back (use json-file, local or journald).`,
    };
  if (err instanceof EngineError && (err.code === 'unreachable' || err.code === 'timeout'))
    return { reason: 'unreachable', message: `${name}: lost the engine while reading its log — ${err.message}` };
  return { reason: 'other', message: `${name}: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * Search the logs of the query's containers, yielding events as they happen: `started`, then
 * `match`es (per container in log order, which is the engine's time order), a `done` or `failed`
 * per container, and `limit` when maxResults matches were found. Listing the containers failing
 * (the engine unreachable) throws; a bad pattern throws LogSearchQueryError before anything is read.
 * Breaking out of the loop, or aborting `signal`, stops every log stream.
 */
export async function* searchLogs(engine: Engine, query: LogSearchQuery, signal?: AbortSignal): AsyncGenerator<LogSearchEvent> {
  const pattern =
    typeof query.pattern === 'string' ? parsePattern(query.pattern, { caseSensitive: query.caseSensitive ?? false }) : query.pattern;
  const maxResults = Math.max(1, query.maxResults ?? DEFAULT_MAX_RESULTS);
  let records: ContainerRecord[];
  try {
    records = await engine.listContainers({ all: true }, signal);
  } catch (err) {
    // cancelled while listing: nothing to say
    if (isAborted(signal)) return;
    throw err;
  }
  if (isAborted(signal)) return;
  const { found, missing } = chooseContainers(records, query.containers);
  yield { kind: 'started', containers: found };
  for (const id of missing) {
    const container = { id, name: id.slice(0, 12) };
    yield {
      kind: 'failed',
      container,
      reason: 'removed',
      message: `${container.name} no longer exists; its log is gone.`,
      error: undefined,
    };
  }
  if (found.length === 0) return;

  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  // aborted while the events above were consumed
  if (isAborted(signal)) stop.abort();
  const queue = new EventQueue(stop.signal);
  const window = {
    since: query.since === undefined ? undefined : canonicalTime(query.since.toISOString()),
    until: query.until === undefined ? undefined : canonicalTime(query.until.toISOString()),
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < found.length && !stop.signal.aborted; i = next++) {
      const container = found[i]!;
      await queue.push(await searchOne(engine, container, pattern, query, window, stop.signal, (event) => queue.push(event)));
    }
  };
  const workers = Array.from({ length: Math.min(found.length, Math.max(1, query.concurrency ?? DEFAULT_CONCURRENCY)) }, worker);
  void Promise.all(workers).finally(() => queue.close());

  let matches = 0;
  try {
    for (let event = await queue.take(); event !== undefined; event = await queue.take()) {
      yield event;
      if (event.kind === 'match' && ++matches >= maxResults) {
        yield { kind: 'limit', maxResults };
        return;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** One container's log, searched: its matches pushed as found; the event that ends it returned. */
async function searchOne(
  engine: Engine,
  container: SearchedContainer,
  pattern: LinePattern,
  query: LogSearchQuery,
  window: { since: string | undefined; until: string | undefined },
  signal: AbortSignal,
  push: (event: LogSearchEvent) => Promise<void>,
): Promise<LogSearchEvent> {
  let lines = 0;
  let matches = 0;
  try {
    for await (const line of containerLogs(engine, container.id, {
      signal,
      tail: 'all',
      stdout: query.stderrOnly !== true,
      stderr: true,
      ...(window.since === undefined ? {} : { since: window.since }),
      ...(window.until === undefined ? {} : { until: window.until }),
    })) {
      lines++;
      // a TTY's log is all stdout: stderr-only finds nothing there
      if (query.stderrOnly === true && line.stream !== 'stderr') continue;
      const ranges = pattern.match(line.text);
      if (ranges === undefined) continue;
      // the engine filters by time already; an engine that does not (or rounds) is held to the window here
      const timestamp = canonicalTime(line.time) ?? line.time;
      if (window.since !== undefined && timestamp < window.since) continue;
      if (window.until !== undefined && timestamp >= window.until) continue;
      matches++;
      await push({
        kind: 'match',
        match: {
          containerId: container.id,
          containerName: container.name,
          ...(container.service === undefined ? {} : { service: container.service }),
          ...(container.project === undefined ? {} : { project: container.project }),
          stream: line.stream,
          time: new Date(Date.parse(timestamp)),
          timestamp,
          line: line.text,
          ranges,
        },
      });
      if (signal.aborted) break;
    }
  } catch (err) {
    if (!signal.aborted) return { kind: 'failed', container, ...classifyFailure(container, err), error: err };
  }
  return { kind: 'done', container, lines, matches };
}

/**
 * Events from several readers to one consumer. A reader pushing while HIGH_WATER events wait is held
 * until the consumer catches up; aborting releases everyone and ends `take` at once.
 */
class EventQueue {
  private readonly items: LogSearchEvent[] = [];
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private readonly waitingReaders: (() => void)[] = [];

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wakeAll(), { once: true });
  }

  async push(event: LogSearchEvent): Promise<void> {
    if (this.signal.aborted) return;
    this.items.push(event);
    this.wakeConsumer?.();
    while (this.items.length >= HIGH_WATER && !this.signal.aborted) {
      await new Promise<void>((resolve) => this.waitingReaders.push(resolve));
    }
  }

  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  /** The next event; undefined once every reader is done (or the search is aborted). */
  async take(): Promise<LogSearchEvent | undefined> {
    for (;;) {
      if (this.signal.aborted) return undefined;
      const item = this.items.shift();
      if (item !== undefined) {
        if (this.items.length < HIGH_WATER / 2) this.releaseReaders();
        return item;
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
      this.wakeConsumer = undefined;
    }
  }

  private releaseReaders(): void {
    for (const release of this.waitingReaders.splice(0)) release();
  }

  private wakeAll(): void {
    this.releaseReaders();
    this.wakeConsumer?.();
  }
}
