/**
 * Live stats of chosen containers that follow each container's lifecycle: a stats stream is open
 * while the container runs, ends when it stops, and opens again when it starts or restarts, when
 * the event stream comes back after a cut, and when the model is replaced by one for a new engine
 * connection. Reference-counted watches share one stream and two minutes of history per container.
 */
import type { ContainerRecord, ContainerStore } from './containerStore';
import { delay } from './streams';
import { runExec } from './exec';
import { containerStats, type ContainerStats } from './stats';
import type { StatsFeed, StatsPoint } from './statsPoint';

export type { StatsFeed, StatsPoint } from './statsPoint';

/** What a LiveStats follows: the live container model (a ContainerStore). */
export type StatsModel = Pick<ContainerStore, 'engine' | 'get' | 'onChange' | 'onState'>;

export interface LiveStatsOptions {
  /** Samples kept per container (default 120: two minutes). */
  readonly history?: number;
  /** Wait before reopening a stream that failed while the container still runs (default 1 s). */
  readonly retryMs?: number;
  readonly gpuPollMs?: number;
  /** After each new sample. */
  readonly onSample?: (id: string) => void;
  /** A stream failed (it is retried while the container runs). */
  readonly onWarning?: (message: string) => void;
}

interface Watch {
  readonly id: string;
  readonly points: StatsPoint[];
  readonly gpu: boolean;
  refs: number;
  /** The open stream (and GPU poll) of the current run, if any. */
  run?: { readonly controller: AbortController; streaming: boolean } | undefined;
  previous?: ContainerStats | undefined;
  gpuFigures?: NonNullable<StatsPoint['gpu']>;
  gpuNote?: string;
  retry?: NodeJS.Timeout | undefined;
}

/** rate per second between two cumulative counters */
function rate(now: number, before: number | undefined, seconds: number): number {
  return before === undefined || seconds <= 0 ? 0 : Math.max(0, (now - before) / seconds);
}

function live(r: ContainerRecord | undefined): boolean {
  return r !== undefined && (r.state === 'running' || r.state === 'paused');
}

export class LiveStats {
  private readonly watches = new Map<string, Watch>();
  private model: StatsModel | undefined;
  private unsubscribe: (() => void)[] = [];
  private readonly history: number;
  private readonly retryMs: number;
  private readonly gpuPollMs: number;

  constructor(private readonly options: LiveStatsOptions = {}) {
    this.history = options.history ?? 120;
    this.retryMs = options.retryMs ?? 1000;
    this.gpuPollMs = options.gpuPollMs ?? 2000;
  }

  /** Follow this model (or none): every watched container's stream is reopened against it. */
  attach(model: StatsModel | undefined): void {
    if (model === this.model) return;
    for (const off of this.unsubscribe.splice(0)) off();
    for (const w of this.watches.values()) this.close(w);
    this.model = model;
    if (model) {
      this.unsubscribe.push(
        model.onChange((changes) => {
          for (const c of changes) {
            const w = this.watches.get(c.kind === 'removed' ? c.id : c.record.id);
            if (w) this.sync(w);
          }
        }),
        // back from a cut event stream: streams cut with it reopen
        model.onState((s) => {
          if (s.kind === 'live') for (const w of this.watches.values()) this.sync(w);
        }),
      );
    }
    for (const w of this.watches.values()) this.sync(w);
  }

  latest(id: string): StatsPoint | undefined {
    return this.watches.get(id)?.points.at(-1);
  }

  series(id: string): { points: readonly StatsPoint[]; gpuNote?: string; feed: StatsFeed } {
    const w = this.watches.get(id);
    return { points: w?.points ?? [], ...(w?.gpuNote ? { gpuNote: w.gpuNote } : {}), feed: w ? this.feedOf(w) : 'stopped' };
  }

  feed(id: string): StatsFeed {
    const w = this.watches.get(id);
    return w ? this.feedOf(w) : 'stopped';
  }

  /** How many watches hold a stream open right now (for tests). */
  get openStreams(): number {
    return [...this.watches.values()].filter((w) => w.run !== undefined).length;
  }

  /** Follow a container's stats for as long as the returned release function is not called. */
  watch(id: string, options: { gpu: boolean } = { gpu: false }): () => void {
    let w = this.watches.get(id);
    if (!w) {
      w = { id, points: [], gpu: options.gpu, refs: 0 };
      this.watches.set(id, w);
      this.sync(w);
    }
    w.refs++;
    let released = false;
    return () => {
      if (released || !w) return;
      released = true;
      if (--w.refs === 0) {
        this.close(w);
        this.watches.delete(id);
      }
    };
  }

  dispose(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    for (const w of this.watches.values()) this.close(w);
    this.watches.clear();
    this.model = undefined;
  }

  private feedOf(w: Watch): StatsFeed {
    if (!live(this.model?.get(w.id))) return 'stopped';
    return w.run?.streaming === true ? 'streaming' : 'waiting';
  }

  private close(w: Watch): void {
    clearTimeout(w.retry);
    w.retry = undefined;
    w.run?.controller.abort();
    w.run = undefined;
  }

  /** Open, keep or close the stream so that it matches what the model says about the container. */
  private sync(w: Watch): void {
    if (this.watches.get(w.id) !== w) return;
    const model = this.model;
    if (!model || !live(model.get(w.id))) {
      this.close(w);
      return;
    }
    if (w.run) return;
    clearTimeout(w.retry);
    w.retry = undefined;
    const run = { controller: new AbortController(), streaming: false };
    w.run = run;
    w.previous = undefined; // counters start again with a new run
    void this.follow(model, w, run);
    if (w.gpu) void this.pollGpu(model, w, run.controller.signal);
  }

  private async follow(model: StatsModel, w: Watch, run: NonNullable<Watch['run']>): Promise<void> {
    const { signal } = run.controller;
    try {
      for await (const s of containerStats(model.engine, w.id, { signal })) {
        if (signal.aborted) return;
        run.streaming = true;
        const t = Date.parse(s.read) || Date.now();
        const prev = w.previous;
        const seconds = prev ? (t - (Date.parse(prev.read) || t)) / 1000 : 0;
        w.previous = s;
        w.points.push({
          t,
          cpuPercent: s.cpuPercent,
          memoryUsage: s.memoryUsage,
          memoryLimit: s.memoryLimit,
          netRxRate: rate(s.networkRx, prev?.networkRx, seconds),
          netTxRate: rate(s.networkTx, prev?.networkTx, seconds),
          blockReadRate: rate(s.blockRead, prev?.blockRead, seconds),
          blockWriteRate: rate(s.blockWrite, prev?.blockWrite, seconds),
          pids: s.pids,
          ...(w.gpuFigures ? { gpu: w.gpuFigures } : {}),
        });
        if (w.points.length > this.history) w.points.shift();
        this.options.onSample?.(w.id);
      }
    } catch (err) {
      if (signal.aborted) return;
      this.options.onWarning?.(`Stats of ${w.id.slice(0, 12)} stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (signal.aborted || w.run !== run) return;
    // the stream ended on its own: the container stopped (its events will say so), or the
    // connection was cut; while the model still says it runs, try again a little later
    w.run = undefined;
    run.controller.abort();
    clearTimeout(w.retry);
    w.retry = setTimeout(() => {
      w.retry = undefined;
      if (this.model === model && !w.run) this.sync(w);
    }, this.retryMs);
  }

  private async pollGpu(model: StatsModel, w: Watch, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const r = await runExec(model.engine, w.id, {
          cmd: ['nvidia-smi', '--query-gpu=utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
          signal,
        });
        if (r.exitCode !== 0) {
          w.gpuNote = /not found|no such file/i.test(r.stdout + r.stderr)
            ? 'nvidia-smi is not in this image: no GPU figures'
            : `nvidia-smi failed (exit ${r.exitCode})`;
          return;
        }
        w.gpuFigures = r.stdout
          .trim()
          .split('\n')
          .map((line) => {
            const [u = '0', used = '0', total = '0'] = line.split(',').map((f) => f.trim());
            return { utilization: Number(u), memoryUsedMiB: Number(used), memoryTotalMiB: Number(total) };
          });
      } catch (err) {
        if (signal.aborted) return;
        w.gpuNote = `GPU figures unavailable: ${err instanceof Error ? err.message : String(err)}`;
        return;
      }
      try {
        await delay(this.gpuPollMs, signal);
      } catch {
        return;
      }
    }
  }
}
