/**
 * Requests to a model's HTTP endpoint, made from the extension host (never from the webview) to
 * the loopback-published port, timed, and a batch runner that reports percentiles, error rate and
 * throughput. No vscode import.
 */

export interface RequestSpec {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** JSON text for POST. */
  readonly body?: string;
  readonly timeoutMs?: number;
}

export interface RequestResult {
  readonly status: number;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly body: string;
  readonly contentType: string;
  /** Set when no HTTP answer came (connection refused, timeout). */
  readonly error?: string;
}

/** Only loopback targets: the playground talks to ports Berth published on this machine. */
export function assertLoopback(url: string): URL {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`Only http(s) URLs can be tested, not ${u.protocol}`);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname))
    throw new Error(`The playground only sends requests to this machine (127.0.0.1), not ${u.hostname}`);
  return u;
}

export async function sendRequest(spec: RequestSpec): Promise<RequestResult> {
  assertLoopback(spec.url);
  const started = performance.now();
  try {
    const response = await fetch(spec.url, {
      method: spec.method,
      ...(spec.method === 'POST' ? { body: spec.body ?? '', headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.timeout(spec.timeoutMs ?? 30_000),
    });
    const body = await response.text();
    return {
      status: response.status,
      ok: response.ok,
      latencyMs: performance.now() - started,
      body,
      contentType: response.headers.get('content-type') ?? '',
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const message =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${spec.timeoutMs ?? 30_000} ms`
        : cause === 'ECONNREFUSED'
          ? 'connection refused — is the server listening?'
          : (err as Error).message;
    return { status: 0, ok: false, latencyMs: performance.now() - started, body: '', contentType: '', error: message };
  }
}

export interface BatchSummary {
  readonly count: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly throughputPerS: number;
  readonly wallMs: number;
  /** status → how many */
  readonly statuses: Readonly<Record<string, number>>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

export function summarize(results: readonly RequestResult[], wallMs: number): BatchSummary {
  const latencies = results.map((r) => r.latencyMs).sort((a, b) => a - b);
  const errors = results.filter((r) => !r.ok).length;
  const statuses: Record<string, number> = {};
  for (const r of results) {
    const key = r.error ? 'no answer' : String(r.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  return {
    count: results.length,
    errors,
    errorRate: results.length === 0 ? 0 : errors / results.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? 0,
    throughputPerS: wallMs > 0 ? (results.length / wallMs) * 1000 : 0,
    wallMs,
    statuses,
  };
}

/** Send `count` requests, `concurrency` at a time; reports progress; stops early on abort. */
export async function runBatch(
  spec: RequestSpec,
  count: number,
  options: { concurrency?: number; signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): Promise<BatchSummary> {
  const results: RequestResult[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count && options.signal?.aborted !== true) {
      next++;
      results.push(await sendRequest(spec));
      options.onProgress?.(results.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, count)) }, worker));
  return summarize(results, performance.now() - started);
}
