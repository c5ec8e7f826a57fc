/**
 * The fleet model: a row for every model container (one Berth ran from a run profile, or a Compose
 * service) with its request figures, resources, restarts, OOM kills and health, and an hour of
 * history per container. Every interval it scrapes `/metrics` of the containers that publish a
 * TCP port (bounded in time and in number at once), reads one-shot stats, and asks `nvidia-smi`
 * in the containers given a GPU. Containers without metrics get figures from the traffic Berth
 * sent them (`recordTraffic`). Nothing in a sweep throws: what failed is the row's `problem`.
 */
import type { ContainerRecord, ContainerStore, StoreChange } from '../engine/containerStore';
import type { Engine } from '../engine/engine';
import { BERTH_LABEL, COMPOSE_LABEL } from '../engine/labels';
import { httpUrl, loopbackFor } from '../engine/loopback';
import { cpuPercent, memoryUsageNoCache, type RawStats } from '../engine/stats';
import { isExposition, parseExposition } from './exposition';
import { engineProbes, type FleetProbes } from './probes';
import { findRequestMetrics, requestFigures, type RequestFigures, type RequestMetrics, type Scrape } from './requestFigures';
import { pointsFor, SeriesStore } from './series';
import type { FleetRow, FleetSample, FleetSnapshot, TrafficSource } from './types';

/** What the model follows: the live container model. */
export type FleetStore = Pick<ContainerStore, 'all' | 'onChange'>;

/** The part of `fetch` a scrape uses. */
export type FetchLike = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<{ readonly status: number; readonly headers: { get(name: string): string | null }; text(): Promise<string> }>;

export interface FleetModelOptions {
  /** Between sweeps (default 5 s). */
  readonly intervalMs?: number;
  /** History kept per container (default one hour: 720 points at 5 s). */
  readonly historyMs?: number;
  /** The bound on one scrape, connect to last byte (default 2 s). */
  readonly scrapeTimeoutMs?: number;
  /** Scrapes in flight at once (default 8). */
  readonly maxConcurrentScrapes?: number;
  /**
   * Stats reads (and nvidia-smi) in flight at once (default 32). A one-shot read waits for the
   * engine's next stats tick (up to a second) without work on either side, so many at once all
   * land on the same tick.
   */
  readonly maxConcurrentStats?: number;
  /** The bound on one stats read or nvidia-smi (default 5 s). */
  readonly statsTimeoutMs?: number;
  /** After no port answered as metrics, ask again this much later (default 60 s). */
  readonly reprobeMs?: number;
  readonly metricsPath?: string;
  readonly now?: () => number;
  readonly fetch?: FetchLike;
}

export interface TrafficRecord {
  /** ms since the epoch */
  readonly at: number;
  readonly latencyMs: number;
  readonly ok: boolean;
}

/** Latencies kept per container between two sweeps; the count goes on past it. */
const TRAFFIC_CAP = 10_000;
const MAX_BODY_CHARS = 8 * 1024 * 1024;

interface MetricsState {
  /** The URL that answered in Prometheus format (as this machine reaches it). */
  url?: string | undefined;
  /** The route's host:port of the engine host the URL reaches. */
  target?: { host: string; port: number } | undefined;
  /** Whether any port answered with metrics; undefined: not asked yet. */
  found?: boolean;
  nextProbe: number;
  previous?: Scrape | undefined;
  names?: RequestMetrics | undefined;
  problem?: string | undefined;
}

interface TrafficState {
  count: number;
  errors: number;
  latencies: number[];
  /** Traffic was ever recorded. */
  seen: boolean;
}

interface Tracked {
  record: ContainerRecord;
  /** Seen running or restarting since this model followed it. */
  wasLive: boolean;
  oomKills: number;
  /** The run (its start time) whose OOM kill was counted last. */
  oomRun?: string | undefined;
  metrics: MetricsState;
  traffic: TrafficState;
  /** The previous stats read's CPU counters, for a one-shot read's delta. */
  cpu?: RawStats['cpu_stats'];
  gpuOff?: string | undefined;
  statsProblem?: string | undefined;
  gpuProblem?: string | undefined;
  memoryLimitBytes?: number | undefined;
  /** The figures of the last sweep (what the row shows). */
  latest?: FleetSample | undefined;
  lastSweep?: number;
}

/** A model container: run by Berth from a profile, or a Compose service. */
export function isModelContainer(labels: Readonly<Record<string, string>>): boolean {
  return (
    (labels[BERTH_LABEL.managed] === 'true' && labels[BERTH_LABEL.profile] !== undefined) || labels[COMPOSE_LABEL.service] !== undefined
  );
}

function isLive(r: ContainerRecord): boolean {
  return r.state === 'running' || r.state === 'restarting' || r.state === 'paused';
}

function message(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error && cause.message !== err.message ? `: ${cause.message}` : '';
    return `${err.name === 'TimeoutError' || err.name === 'AbortError' ? 'timed out' : err.message}${detail}`;
  }
  return String(err);
}

/** Nearest-rank percentile of unsorted values. */
function nearestRank(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

/** A signal that aborts after `ms` (a timer that holds the process, unlike AbortSignal.timeout), or with `outer`. */
function deadline(ms: number, outer?: AbortSignal): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), ms);
  const signal = outer ? AbortSignal.any([controller.signal, outer]) : controller.signal;
  return { signal, done: () => clearTimeout(timer) };
}

/** At most `limit` of the tasks at once. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export class FleetModel {
  private readonly tracked = new Map<string, Tracked>();
  private readonly series: SeriesStore<FleetSample>;
  private readonly listeners = new Set<(snapshot: FleetSnapshot) => void>();
  private unsubscribe: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private controller: AbortController | undefined;
  private sweeping: Promise<void> | undefined;
  private hostMemory: Promise<number | undefined> | undefined;
  readonly intervalMs: number;
  readonly historyMs: number;
  private readonly scrapeTimeoutMs: number;
  private readonly statsTimeoutMs: number;
  private readonly maxConcurrent: number;
  private readonly maxConcurrentStats: number;
  private readonly reprobeMs: number;
  private readonly metricsPath: string;
  private readonly now: () => number;
  private readonly fetch: FetchLike;

  /** The model of a real engine's containers. */
  static forEngine(engine: Engine, store: FleetStore, options: FleetModelOptions = {}): FleetModel {
    return new FleetModel(store, engineProbes(engine), options);
  }

  constructor(
    private readonly store: FleetStore,
    private readonly probes: FleetProbes,
    options: FleetModelOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.historyMs = options.historyMs ?? 3_600_000;
    this.scrapeTimeoutMs = options.scrapeTimeoutMs ?? 2000;
    this.statsTimeoutMs = options.statsTimeoutMs ?? 5000;
    this.maxConcurrent = options.maxConcurrentScrapes ?? 8;
    this.maxConcurrentStats = options.maxConcurrentStats ?? 32;
    this.reprobeMs = options.reprobeMs ?? 60_000;
    this.metricsPath = options.metricsPath ?? '/metrics';
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.series = new SeriesStore<FleetSample>(pointsFor(this.historyMs, this.intervalMs));
  }

  /** Follow the store and sweep every interval until stop(). */
  start(): void {
    if (this.controller) return;
    this.controller = new AbortController();
    this.unsubscribe = this.store.onChange((changes) => this.onStoreChange(changes));
    this.syncAll();
    const signal = this.controller.signal;
    const loop = (): void => {
      if (signal.aborted) return;
      const started = this.now();
      this.sweeping = this.sweep(signal).finally(() => {
        this.sweeping = undefined;
        if (signal.aborted) return;
        const wait = Math.max(0, this.intervalMs - (this.now() - started));
        this.timer = setTimeout(loop, wait);
      });
    };
    loop();
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  get running(): boolean {
    return this.controller !== undefined;
  }

  /** The sweep under way, if any (tests wait on it). */
  get settled(): Promise<void> {
    return this.sweeping ?? Promise.resolve();
  }

  onChange(listener: (snapshot: FleetSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): FleetSnapshot {
    const rows = [...this.tracked.values()]
      .filter((t) => isLive(t.record) || t.wasLive)
      .map((t) => this.rowOf(t))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { at: this.now(), rows };
  }

  history(id: string): readonly FleetSample[] {
    return this.series.get(id);
  }

  /** Requests Berth sent to a container (the playground, A/B runs): its figures when it has no metrics. */
  recordTraffic(id: string, record: TrafficRecord): void {
    const t = this.tracked.get(id);
    if (!t) return;
    const traffic = t.traffic;
    traffic.seen = true;
    traffic.count++;
    if (!record.ok) traffic.errors++;
    if (traffic.latencies.length < TRAFFIC_CAP) traffic.latencies.push(record.latencyMs);
  }

  /** Sizes of what the model holds, for tests: bounded whatever the churn of containers. */
  debugSizes(): { tracked: number; seriesKeys: number; points: number } {
    const s = this.series.sizes();
    return { tracked: this.tracked.size, seriesKeys: s.keys, points: s.points };
  }

  /** One sweep now (start() runs them on a timer); resolves when every container's reads ended. */
  async sweep(signal: AbortSignal = new AbortController().signal): Promise<void> {
    this.syncAll();
    const live = [...this.tracked.values()].filter((t) => t.record.state === 'running');
    const at = this.now();
    const figures = new Map<string, RequestFigures | undefined>();
    const resources = new Map<string, Partial<FleetSample>>();
    await Promise.all([
      pool(live, this.maxConcurrent, async (t) => {
        if (!signal.aborted) figures.set(t.record.id, await this.scrape(t, at));
      }),
      pool(live, this.maxConcurrentStats, async (t) => {
        if (!signal.aborted) resources.set(t.record.id, await this.readResources(t, signal));
      }),
    ]);
    if (signal.aborted) return;
    const t = this.now();
    // a container that stopped has no figures now (its history keeps what it had)
    for (const c of this.tracked.values()) if (c.record.state !== 'running') c.latest = undefined;
    for (const c of live) {
      if (this.tracked.get(c.record.id) !== c) continue; // removed meanwhile
      const requests = c.metrics.url !== undefined ? figures.get(c.record.id) : this.trafficFigures(c, t);
      if (c.metrics.url !== undefined) this.dropTraffic(c.traffic); // the server's own figures win
      const sample: FleetSample = { t, ...(requests ?? {}), ...(resources.get(c.record.id) ?? {}) };
      c.latest = sample;
      c.lastSweep = t;
      this.series.push(c.record.id, sample);
    }
    this.emit();
  }

  private emit(): void {
    if (this.listeners.size === 0) return;
    const snapshot = this.snapshot();
    for (const l of [...this.listeners]) {
      try {
        l(snapshot);
      } catch {
        // a listener's fault is its own
      }
    }
  }

  private rowOf(t: Tracked): FleetRow {
    const r = t.record;
    const l = r.labels;
    const source: TrafficSource = t.metrics.url !== undefined ? 'metrics' : t.traffic.seen ? 'traffic' : 'none';
    const problems = [t.metrics.problem, t.statsProblem, t.gpuProblem].filter((p): p is string => p !== undefined);
    const metricsUrl = t.metrics.url;
    return {
      id: r.id,
      name: r.name,
      image: r.image,
      ...(l[COMPOSE_LABEL.project] !== undefined ? { project: l[COMPOSE_LABEL.project] } : {}),
      ...(l[COMPOSE_LABEL.service] !== undefined ? { service: l[COMPOSE_LABEL.service] } : {}),
      ...(l[BERTH_LABEL.profile] !== undefined ? { profile: l[BERTH_LABEL.profile] } : {}),
      state: r.state,
      ...(r.health ? { health: r.health } : {}),
      restarts: r.restartCount ?? 0,
      oomKills: t.oomKills,
      ...(t.memoryLimitBytes !== undefined ? { memoryLimitBytes: t.memoryLimitBytes } : {}),
      gpu: r.gpu !== undefined,
      source,
      ...(metricsUrl !== undefined ? { metricsUrl } : {}),
      ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
      ...(t.latest ? { latest: t.latest } : {}),
    };
  }

  private syncAll(): void {
    const seen = new Set<string>();
    for (const r of this.store.all()) {
      if (!isModelContainer(r.labels)) continue;
      seen.add(r.id);
      this.update(r);
    }
    for (const id of [...this.tracked.keys()]) if (!seen.has(id)) this.forget(id);
  }

  private onStoreChange(changes: readonly StoreChange[]): void {
    let changed = false;
    for (const c of changes) {
      if (c.kind === 'removed') {
        changed = this.forget(c.id) || changed;
      } else if (isModelContainer(c.record.labels)) {
        this.update(c.record);
        changed = true;
      }
    }
    if (changed) this.emit();
  }

  private forget(id: string): boolean {
    const had = this.tracked.delete(id);
    this.series.forget(id);
    return had;
  }

  private update(r: ContainerRecord): void {
    let t = this.tracked.get(r.id);
    if (!t) {
      t = {
        record: r,
        wasLive: false,
        oomKills: 0,
        metrics: { nextProbe: 0 },
        traffic: { count: 0, errors: 0, latencies: [], seen: false },
      };
      this.tracked.set(r.id, t);
    }
    const restarted = t.record.startedAt !== r.startedAt && r.state === 'running';
    t.record = r;
    if (isLive(r)) t.wasLive = true;
    // each run the kernel killed counts once, whichever of its records (oom event, exit) says so
    if (r.oomKilled === true) {
      const run = r.startedAt ?? String(r.created);
      if (t.oomRun !== run) {
        t.oomRun = run;
        t.oomKills++;
      }
    }
    if (restarted) t.cpu = undefined; // CPU counters start again with the run
    if (!isLive(r)) {
      t.metrics.previous = undefined;
      t.statsProblem = undefined;
    }
  }

  private dropTraffic(traffic: TrafficState): void {
    traffic.count = 0;
    traffic.errors = 0;
    traffic.latencies = [];
  }

  private trafficFigures(t: Tracked, at: number): RequestFigures | undefined {
    const traffic = t.traffic;
    if (!traffic.seen) return undefined;
    const since = t.lastSweep;
    const { count, errors } = traffic;
    const sorted = traffic.latencies.sort((a, b) => a - b);
    traffic.count = 0;
    traffic.errors = 0;
    traffic.latencies = [];
    const seconds = since === undefined ? this.intervalMs / 1000 : (at - since) / 1000;
    const [p50Ms, p95Ms, p99Ms] = [nearestRank(sorted, 0.5), nearestRank(sorted, 0.95), nearestRank(sorted, 0.99)];
    return {
      rps: seconds > 0 ? count / seconds : 0,
      requests: count,
      ...(count > 0 ? { errorRate: errors / count } : {}),
      ...(p50Ms === undefined ? {} : { p50Ms }),
      ...(p95Ms === undefined ? {} : { p95Ms }),
      ...(p99Ms === undefined ? {} : { p99Ms }),
    };
  }

  /** The published TCP ports as this machine's loopback reaches them on the engine host, each once. */
  private candidates(r: ContainerRecord): { host: string; port: number }[] {
    const out: { host: string; port: number }[] = [];
    const seen = new Set<number>();
    for (const p of r.ports) {
      if (p.protocol !== 'tcp' || p.hostPort === undefined || seen.has(p.hostPort)) continue;
      const host = loopbackFor(p.hostIp);
      if (host === undefined) continue;
      seen.add(p.hostPort);
      out.push({ host, port: p.hostPort });
    }
    return out;
  }

  /** GET the metrics of one target; the parsed text, or why not. */
  private async get(target: {
    host: string;
    port: number;
  }): Promise<{ url: string; scrape?: Scrape; problem?: string; notMetrics?: boolean }> {
    let url = `${httpUrl(target.host, target.port)}${this.metricsPath}`;
    try {
      const route = await this.probes.reachPort(target.host, target.port);
      if ('error' in route) return { url, problem: route.error };
      url = `${httpUrl(route.host, route.port)}${this.metricsPath}`;
      const { signal, done } = deadline(this.scrapeTimeoutMs);
      let response: Awaited<ReturnType<FetchLike>>;
      let text: string;
      try {
        response = await this.fetch(url, { signal, headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' } });
        text = await response.text();
      } finally {
        done();
      }
      const at = this.now();
      if (response.status !== 200) return { url, problem: `${url} answered ${response.status}`, notMetrics: true };
      if (text.length > MAX_BODY_CHARS) return { url, problem: `${url} answered more than 8 MiB`, notMetrics: true };
      const exposition = parseExposition(text);
      if (!isExposition(response.headers.get('content-type'), exposition)) {
        return { url, problem: `${url} did not answer in the Prometheus text format`, notMetrics: true };
      }
      return { url, scrape: { at, exposition } };
    } catch (err) {
      return { url, problem: `scrape of ${url} failed: ${message(err)}` };
    }
  }

  private async scrape(t: Tracked, at: number): Promise<RequestFigures | undefined> {
    const m = t.metrics;
    try {
      if (m.target !== undefined) {
        const r = await this.get(m.target);
        if (r.scrape) {
          m.url = r.url;
          m.problem = undefined;
          return this.figures(m, r.scrape);
        }
        m.problem = r.problem;
        if (r.notMetrics === true) {
          // it stopped answering as metrics: look again later
          m.url = undefined;
          m.target = undefined;
          m.previous = undefined;
          m.found = false;
          m.nextProbe = at + this.reprobeMs;
        }
        return undefined;
      }
      if (at < m.nextProbe) return undefined;
      const candidates = this.candidates(t.record);
      if (candidates.length === 0) {
        m.found = false;
        m.nextProbe = at + this.reprobeMs;
        return undefined;
      }
      const problems: string[] = [];
      for (const target of candidates) {
        const r = await this.get(target);
        if (r.scrape) {
          m.target = target;
          m.url = r.url;
          m.found = true;
          m.problem = undefined;
          return this.figures(m, r.scrape);
        }
        if (r.problem && r.notMetrics !== true) problems.push(r.problem);
      }
      m.found = false;
      m.nextProbe = at + this.reprobeMs;
      // a port that answered something else is no problem (not every server has metrics)
      m.problem = problems.length > 0 ? problems.join('; ') : undefined;
      return undefined;
    } catch (err) {
      m.problem = `metrics: ${message(err)}`;
      return undefined;
    }
  }

  private figures(m: MetricsState, scrape: Scrape): RequestFigures | undefined {
    const previous = m.previous;
    m.previous = scrape;
    m.names = findRequestMetrics(scrape.exposition);
    if (!previous) return undefined;
    return requestFigures(previous, scrape, m.names);
  }

  private async readResources(t: Tracked, outer: AbortSignal): Promise<Partial<FleetSample>> {
    const { signal, done } = deadline(this.statsTimeoutMs, outer);
    try {
      return await this.readResourcesWithin(t, signal);
    } finally {
      done();
    }
  }

  private async readResourcesWithin(t: Tracked, signal: AbortSignal): Promise<Partial<FleetSample>> {
    const id = t.record.id;
    const out: { cpuPercent?: number; memoryBytes?: number; gpuPercent?: number; gpuMemoryBytes?: number } = {};
    try {
      const raw = await this.probes.stats(id, signal);
      const cpu = raw.cpu_stats;
      const pre = raw.precpu_stats?.system_cpu_usage ? raw.precpu_stats : t.cpu;
      if (pre !== undefined) out.cpuPercent = cpuPercent({ cpu_stats: cpu ?? {}, precpu_stats: pre });
      t.cpu = cpu;
      if (raw.memory_stats?.usage !== undefined) out.memoryBytes = memoryUsageNoCache(raw.memory_stats);
      const limit = raw.memory_stats?.limit;
      const host = await this.hostMemoryBytes(signal);
      t.memoryLimitBytes = limit !== undefined && limit > 0 && host !== undefined && limit < host ? limit : undefined;
      t.statsProblem = undefined;
    } catch (err) {
      t.statsProblem = `stats: ${message(err)}`;
    }
    if (t.record.gpu !== undefined && t.gpuOff === undefined) {
      try {
        const g = await this.probes.gpu(id, signal);
        if ('note' in g) {
          t.gpuProblem = g.note;
          if (g.final) t.gpuOff = g.note;
        } else {
          out.gpuPercent = g.percent;
          out.gpuMemoryBytes = g.memoryBytes;
          t.gpuProblem = undefined;
        }
      } catch (err) {
        t.gpuProblem = `GPU: ${message(err)}`;
      }
    }
    return out;
  }

  private hostMemoryBytes(signal: AbortSignal): Promise<number | undefined> {
    this.hostMemory ??= this.probes.hostMemoryBytes(signal).catch(() => {
      this.hostMemory = undefined; // ask again next time
      return undefined;
    });
    return this.hostMemory;
  }
}
