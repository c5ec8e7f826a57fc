/**
 * A batch of N streamed chat requests at concurrency C against one server: percentiles of time to
 * first token, inter-token latency, decode speed and total time, the error rate and the first
 * errors. Keeps a few numbers per request, not the texts. No vscode import.
 */

import { percentiles } from './stats';
import { streamChat, type StreamOptions } from './stream';
import type { BatchSummary, ChatRequest, StreamResult } from './types';

export type { BatchSummary } from './types';

/** How many distinct errors a summary keeps. */
export const MAX_FIRST_ERRORS = 5;
/** The most often onProgress is called (the last summary always comes). */
export const PROGRESS_INTERVAL_MS = 100;
export const MAX_BATCH_REQUESTS = 100_000;

export interface BatchOptions {
  readonly n: number;
  readonly concurrency: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (s: BatchSummary) => void;
  /** Passed to each request (timeouts). */
  readonly stream?: Pick<StreamOptions, 'firstTokenTimeoutMs' | 'idleTimeoutMs'>;
  /** The one request, replaceable in tests. */
  readonly send?: (signal: AbortSignal | undefined) => Promise<StreamResult>;
}

/** Collects the per-request figures a summary needs. */
export class BatchStats {
  private readonly ttft: number[] = [];
  private readonly gap: number[] = [];
  private readonly tps: number[] = [];
  private readonly total: number[] = [];
  private readonly firstErrors: string[] = [];
  private done = 0;
  private errors = 0;
  private tokens = 0;

  constructor(
    private readonly n: number,
    private readonly started = performance.now(),
  ) {}

  add(r: StreamResult): void {
    this.done++;
    this.tokens += r.metrics.completionTokens;
    if (r.error !== undefined) {
      this.errors++;
      if (this.firstErrors.length < MAX_FIRST_ERRORS && !this.firstErrors.includes(r.error)) this.firstErrors.push(r.error);
      return;
    }
    const m = r.metrics;
    if (m.ttftMs !== undefined) this.ttft.push(m.ttftMs);
    if (m.interTokenMs !== undefined) this.gap.push(m.interTokenMs.mean);
    if (m.tokensPerSecond !== undefined) this.tps.push(m.tokensPerSecond);
    this.total.push(m.totalMs);
  }

  summary(now = performance.now()): BatchSummary {
    const ttftMs = percentiles(this.ttft);
    const interTokenMs = percentiles(this.gap);
    const tokensPerSecond = percentiles(this.tps);
    const totalMs = percentiles(this.total);
    return {
      n: this.n,
      done: this.done,
      errors: this.errors,
      errorRate: this.done === 0 ? 0 : this.errors / this.done,
      ...(ttftMs ? { ttftMs } : {}),
      ...(interTokenMs ? { interTokenMs } : {}),
      ...(tokensPerSecond ? { tokensPerSecond } : {}),
      ...(totalMs ? { totalMs } : {}),
      completionTokens: this.tokens,
      wallMs: now - this.started,
      firstErrors: [...this.firstErrors],
    };
  }
}

/**
 * Send `req` n times, at most `concurrency` at once, each streamed; resolves with the summary
 * when all are done or the signal stops the batch (the requests in flight are cancelled and
 * count as errors; those never sent do not count).
 */
export async function runStreamBatch(baseUrl: string, req: ChatRequest, opts: BatchOptions): Promise<BatchSummary> {
  const n = Math.max(0, Math.min(MAX_BATCH_REQUESTS, Math.floor(opts.n)));
  const concurrency = Math.max(1, Math.min(n || 1, Math.floor(opts.concurrency) || 1));
  const stats = new BatchStats(n);
  const send =
    opts.send ??
    ((signal: AbortSignal | undefined) => streamChat(baseUrl, req, { ...opts.stream, ...(signal !== undefined ? { signal } : {}) }));
  let next = 0;
  let lastProgress = -Infinity;
  const worker = async (): Promise<void> => {
    while (next < n && !opts.signal?.aborted) {
      next++;
      stats.add(await send(opts.signal));
      const now = performance.now();
      if (opts.onProgress && now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        opts.onProgress(stats.summary(now));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const summary = stats.summary();
  opts.onProgress?.(summary);
  return summary;
}
