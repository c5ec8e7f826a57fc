/**
 * Requests to a model's HTTP endpoint, made from the extension host (never from the webview) to
 * the loopback-published port, timed, and a batch runner that reports percentiles, error rate and
 * throughput while keeping only what that summary needs. No vscode import.
 */

import { isLoopbackHost } from '../../core/engine/loopback';
import type { RequestStats } from '../webview/protocol';

/** The methods the playground sends. */
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

/** Every request gives up after this long unless told otherwise. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** The most of a response body one request keeps (the rest is read and counted, not kept). */
export const MAX_BODY_BYTES = 256 * 1024;

export interface RequestSpec {
  readonly url: string;
  readonly method: Method;
  /** JSON text, sent for POST, PUT and PATCH (and DELETE or OPTIONS when not empty). */
  readonly body?: string;
  readonly timeoutMs?: number;
  /** How much of the response body to keep; default MAX_BODY_BYTES. */
  readonly maxBodyBytes?: number;
}

export interface RequestResult {
  readonly status: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  /** The body's first maxBodyBytes, as text. */
  readonly body: string;
  /** The whole body's size in bytes (more than body holds when it was cut). */
  readonly bodyBytes: number;
  readonly contentType: string;
  /** Set when no HTTP answer came (connection refused or reset, timeout, refused target). */
  readonly error?: string;
}

/** A method from the webview: one of METHODS exactly, or why not. */
export function checkMethod(method: unknown): { method: Method } | { error: string } {
  if (typeof method !== 'string' || method === '') return { error: 'No HTTP method given: choose one of ' + METHODS.join(', ') + '.' };
  if (!/^[A-Za-z]+$/.test(method))
    return { error: `${JSON.stringify(method.slice(0, 40))} is not an HTTP method (it has characters a method cannot have).` };
  const known = METHODS.find((m) => m === method);
  if (!known) return { error: `${method} is not a method the playground sends: use one of ${METHODS.join(', ')}.` };
  return { method: known };
}

export { isLoopbackHost };

/** Only loopback targets: the playground talks to ports published on this machine. */
export function assertLoopback(url: string): URL {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`Only http(s) URLs can be tested, not ${u.protocol}`);
  if (!isLoopbackHost(u.hostname)) throw new Error(`The playground only sends requests to this machine (127.0.0.1), not ${u.hostname}`);
  return u;
}

/** The URL of a path typed in the playground, on the container's base URL; a path that leads elsewhere throws. */
export function requestUrl(baseUrl: string, p: string): string {
  const base = new URL(baseUrl);
  const url = new URL(`${baseUrl.replace(/\/$/, '')}${p.startsWith('/') ? p : `/${p}`}`);
  if (url.origin !== base.origin || url.username !== '' || url.password !== '')
    throw new Error(`The path ${JSON.stringify(p)} does not stay on ${base.origin}`);
  return url.href;
}

/** A failed fetch as one line a user can act on. */
export function describeFailure(err: unknown, timeoutMs: number, url?: string): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const where = url ? new URL(url).host : 'the server';
  if (e.name === 'TimeoutError')
    return `no answer within ${timeoutMs / 1000} s from ${where}: the server accepted the request but did not respond (busy, stuck, or not an HTTP server)`;
  if (e.name === 'AbortError') return 'cancelled';
  switch (e.cause?.code) {
    case 'ECONNREFUSED':
      return `connection refused at ${where}: nothing listens there — is the container's server running?`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
    case 'EPIPE':
      return `the connection to ${where} was closed without an answer: is the server listening on 0.0.0.0 inside the container, and speaking HTTP?`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer from ${where} in time: the server did not respond`;
    default:
      return [e.message ?? String(err), e.cause?.message].filter((x) => x).join(': ');
  }
}

/** Read a body to its end, keeping at most `max` bytes of it. */
async function readBounded(response: Response, max: number): Promise<{ text: string; bytes: number }> {
  if (!response.body) return { text: '', bytes: 0 };
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  let bytes = 0;
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    bytes += value.byteLength;
    if (keptBytes < max) {
      const part = value.byteLength <= max - keptBytes ? value : value.subarray(0, max - keptBytes);
      kept.push(part);
      keptBytes += part.byteLength;
    }
  }
  return { text: Buffer.concat(kept).toString('utf8'), bytes };
}

/** One request; never throws: a request that got no answer comes back with `error`. */
export async function sendRequest(spec: RequestSpec, signal?: AbortSignal): Promise<RequestResult> {
  const started = performance.now();
  const timeoutMs = spec.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const failed = (error: string): RequestResult => ({
    status: 0,
    ok: false,
    latencyMs: performance.now() - started,
    body: '',
    bodyBytes: 0,
    contentType: '',
    error,
  });
  const method = checkMethod(spec.method);
  if ('error' in method) return failed(method.error);
  try {
    assertLoopback(spec.url);
  } catch (err) {
    return failed((err as Error).message);
  }
  const withBody =
    method.method === 'POST' ||
    method.method === 'PUT' ||
    method.method === 'PATCH' ||
    ((method.method === 'DELETE' || method.method === 'OPTIONS') && (spec.body ?? '') !== '');
  try {
    const timeout = AbortSignal.timeout(timeoutMs);
    const response = await fetch(spec.url, {
      method: method.method,
      ...(withBody ? { body: spec.body ?? '', headers: { 'content-type': 'application/json' } } : {}),
      signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
    });
    const { text, bytes } = await readBounded(response, spec.maxBodyBytes ?? MAX_BODY_BYTES);
    return {
      status: response.status,
      ok: response.ok,
      latencyMs: performance.now() - started,
      body: text,
      bodyBytes: bytes,
      contentType: response.headers.get('content-type') ?? '',
    };
  } catch (err) {
    return failed(describeFailure(err, timeoutMs, spec.url));
  }
}

/** A failed request of a batch, as shown with its summary. */
export interface ErrorSample {
  readonly status: number;
  readonly message: string;
}

export interface BatchSummary extends RequestStats {
  readonly max: number;
  readonly throughputPerS: number;
  readonly wallMs: number;
  /** status → how many */
  readonly statuses: Readonly<Record<string, number>>;
  /** The first few failures (at most MAX_ERROR_SAMPLES, each at most SAMPLE_CHARS). */
  readonly errorSamples: readonly ErrorSample[];
  /** The last response's body, cut to SAMPLE_CHARS. */
  readonly lastBody: string;
}

export const MAX_ERROR_SAMPLES = 5;
/** How much of a body a batch keeps for its summary. */
export const SAMPLE_CHARS = 4096;
/** A batch sends at most this many requests. */
export const MAX_BATCH = 10_000;

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

const cut = (s: string): string => (s.length > SAMPLE_CHARS ? `${s.slice(0, SAMPLE_CHARS)}…` : s);

/**
 * What a batch keeps while it runs: one latency per request (a fixed array of at most MAX_BATCH
 * numbers), counts per status, the first few failures and the last body — never every response.
 */
export class BatchCollector {
  private readonly latencies: Float64Array;
  private count = 0;
  private errors = 0;
  private readonly statuses: Record<string, number> = {};
  private readonly errorSamples: ErrorSample[] = [];
  private lastBody = '';

  constructor(capacity: number) {
    this.latencies = new Float64Array(Math.max(0, Math.min(MAX_BATCH, Math.floor(capacity))));
  }

  add(r: RequestResult): void {
    if (this.count < this.latencies.length) this.latencies[this.count] = r.latencyMs;
    this.count++;
    const key = r.error ? 'no answer' : String(r.status);
    this.statuses[key] = (this.statuses[key] ?? 0) + 1;
    if (!r.ok) {
      this.errors++;
      if (this.errorSamples.length < MAX_ERROR_SAMPLES)
        this.errorSamples.push({ status: r.status, message: cut(r.error ?? (r.body || `HTTP ${r.status}`)) });
    }
    this.lastBody = cut(r.body);
  }

  /** What is held now: bodies kept and their characters, latencies kept. */
  retained(): { bodies: number; bodyChars: number; latencies: number } {
    const texts = [this.lastBody, ...this.errorSamples.map((s) => s.message)].filter((t) => t !== '');
    return {
      bodies: texts.length,
      bodyChars: texts.reduce((n, t) => n + t.length, 0),
      latencies: this.latencies.length,
    };
  }

  summary(wallMs: number): BatchSummary {
    const n = Math.min(this.count, this.latencies.length);
    const sorted = this.latencies.slice(0, n).sort();
    return {
      count: this.count,
      errors: this.errors,
      errorRate: this.count === 0 ? 0 : this.errors / this.count,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: n === 0 ? 0 : (sorted[n - 1] ?? 0),
      throughputPerS: wallMs > 0 ? (this.count / wallMs) * 1000 : 0,
      wallMs,
      statuses: { ...this.statuses },
      errorSamples: [...this.errorSamples],
      lastBody: this.lastBody,
    };
  }
}

export function summarize(results: readonly RequestResult[], wallMs: number): BatchSummary {
  const collector = new BatchCollector(results.length);
  for (const r of results) collector.add(r);
  return collector.summary(wallMs);
}

/** Send `count` requests (at most MAX_BATCH), `concurrency` at a time; reports progress; stops early on abort. */
export async function runBatch(
  spec: RequestSpec,
  count: number,
  options: {
    concurrency?: number;
    signal?: AbortSignal;
    onProgress?: (done: number) => void;
    /** Each request's result as it comes (the fleet model's traffic figures). */
    onResult?: (result: RequestResult) => void;
    collector?: BatchCollector;
  } = {},
): Promise<BatchSummary> {
  const total = Math.max(0, Math.min(MAX_BATCH, Math.floor(count)));
  const collector = options.collector ?? new BatchCollector(total);
  // a batch keeps a short sample of each body, not the bodies
  const one: RequestSpec = { ...spec, maxBodyBytes: Math.min(spec.maxBodyBytes ?? SAMPLE_CHARS, SAMPLE_CHARS) };
  let next = 0;
  let done = 0;
  const started = performance.now();
  const aborted = (): boolean => options.signal?.aborted === true;
  const worker = async (): Promise<void> => {
    while (next < total && !aborted()) {
      next++;
      const r = await sendRequest(one, options.signal);
      // a request cut short by the abort is not one of the batch's results
      if (aborted()) return;
      collector.add(r);
      options.onResult?.(r);
      done++;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, total)) }, worker));
  return collector.summary(performance.now() - started);
}
