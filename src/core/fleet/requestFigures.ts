/**
 * A server's request figures over an interval from two scrapes of its `/metrics`: the request
 * rate from counters, the error rate, and latency percentiles from a histogram's bucket deltas
 * (interpolated as Prometheus' histogram_quantile does). The metric names are not known in
 * advance: a request counter is a counter with an HTTP status label (`status`, `code`, …), the
 * latency a histogram named for a duration; a histogram's `_count` stands in for a missing counter.
 * Counters that went down (a restarted container) count from zero again.
 */
import { parseValue, type Exposition, type ExpositionSample, type MetricFamily } from './exposition';

export interface Scrape {
  /** ms since the epoch */
  readonly at: number;
  readonly exposition: Exposition;
}

export interface RequestFigures {
  readonly rps: number;
  /** The requests behind the rate. */
  readonly requests: number;
  /** undefined: no request in the interval, or no way to tell errors. */
  readonly errorRate?: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
}

/** What a scrape offers for request figures, found once per server (names stay put). */
export interface RequestMetrics {
  /** A counter with a status label, and that label. */
  readonly counter?: { readonly family: string; readonly statusLabel: string };
  /** A latency histogram, and its unit's factor to ms. */
  readonly histogram?: { readonly family: string; readonly toMs: number };
  /** An error counter (no status known): its family and, when a label tells, the server-side values. */
  readonly errors?: { readonly family: string; readonly serverOnly?: { readonly label: string; readonly values: readonly string[] } };
}

const STATUS_LABELS = ['status', 'code', 'status_code', 'http_status', 'response_code', 'http_response_status_code'];
/** Labels that name the route; a series for `/metrics` is our own scrapes, not the model's traffic. */
const ROUTE_LABELS = ['path', 'handler', 'route', 'endpoint', 'url', 'uri', 'http_route', 'http_target'];

function requestish(name: string): number {
  return /request|http|inference|predict/i.test(name) ? 1 : 0;
}

function isScrape(labels: Readonly<Record<string, string>>): boolean {
  return ROUTE_LABELS.some((l) => labels[l] === '/metrics');
}

/** Find the request counter, latency histogram and error counter of a scrape, if any. */
export function findRequestMetrics(exposition: Exposition): RequestMetrics {
  const families = [...exposition.families.values()];
  const counters = families.filter(
    (f) => (f.type === 'counter' || (f.type === 'untyped' && f.name.endsWith('_total'))) && !/error|fail|exception/i.test(f.name),
  );
  let counter: RequestMetrics['counter'];
  let best = -1;
  for (const f of counters) {
    const statusLabel = STATUS_LABELS.find((l) => f.samples.some((s) => s.labels[l] !== undefined));
    if (statusLabel === undefined) continue;
    const score = requestish(f.name);
    if (score > best) {
      best = score;
      counter = { family: f.name, statusLabel };
    }
  }
  let histogram: RequestMetrics['histogram'];
  best = -1;
  for (const f of families) {
    if (f.type !== 'histogram' || !f.samples.some((s) => s.name === `${f.name}_bucket`)) continue;
    if (!/duration|latency|time|seconds|_ms$|millis/i.test(f.name)) continue;
    const score = requestish(f.name);
    if (score > best) {
      best = score;
      histogram = { family: f.name, toMs: /millis|_ms$/i.test(f.name) ? 1 : /micros|_us$/i.test(f.name) ? 0.001 : 1000 };
    }
  }
  let errors: RequestMetrics['errors'];
  if (!counter) {
    const f = families.find((x) => (x.type === 'counter' || x.name.endsWith('_total')) && /error/i.test(x.name));
    if (f) {
      // a label whose values tell server errors (5xx, "server") from the caller's
      for (const s of f.samples) {
        for (const [label, value] of Object.entries(s.labels)) {
          if (/^(5\d\d|5xx|server)$/i.test(value)) {
            const values = [...new Set(f.samples.map((x) => x.labels[label] ?? '').filter((v) => /^(5\d\d|5xx|server)$/i.test(v)))];
            errors = { family: f.name, serverOnly: { label, values } };
            break;
          }
        }
        if (errors) break;
      }
      errors ??= { family: f.name };
    }
  }
  return { ...(counter ? { counter } : {}), ...(histogram ? { histogram } : {}), ...(errors ? { errors } : {}) };
}

function seriesKey(s: ExpositionSample, without?: string): string {
  const entries = Object.entries(s.labels)
    .filter(([k]) => k !== without)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${s.name}${JSON.stringify(entries)}`;
}

/** Per series: the increase since the previous scrape (a counter that went down started again from 0). */
function increases(
  previous: MetricFamily | undefined,
  current: MetricFamily,
  accept: (s: ExpositionSample) => boolean,
): Map<string, { sample: ExpositionSample; delta: number }> {
  const before = new Map<string, number>();
  for (const s of previous?.samples ?? []) before.set(seriesKey(s), s.value);
  const out = new Map<string, { sample: ExpositionSample; delta: number }>();
  for (const s of current.samples) {
    if (!accept(s) || !Number.isFinite(s.value)) continue;
    const key = seriesKey(s);
    const was = before.get(key);
    // a series new since the previous scrape counted everything it holds within the interval
    const delta = was === undefined || s.value < was ? s.value : s.value - was;
    out.set(key, { sample: s, delta });
  }
  return out;
}

/**
 * The q-quantile (0..1) of cumulative buckets (upper bound → count), interpolated linearly within
 * the bucket it falls in; in the +Inf bucket: the highest finite bound. undefined when empty.
 */
export function bucketQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  // cumulative counts can be out of order across a reset of some series: make them monotonic
  for (let i = 1; i < sorted.length; i++) {
    const [prev, cur] = [sorted[i - 1], sorted[i]];
    if (prev && cur && cur.count < prev.count) sorted[i] = { le: cur.le, count: prev.count };
  }
  const last = sorted.at(-1);
  if (!last || last.count <= 0) return undefined;
  const rank = q * last.count;
  for (let i = 0; i < sorted.length; i++) {
    const b = sorted[i];
    if (!b || b.count < rank || b.count === 0) continue;
    if (b.le === Infinity) {
      const finite = sorted[i - 1];
      return finite ? finite.le : undefined;
    }
    const lower = i === 0 ? (b.le > 0 ? 0 : b.le) : (sorted[i - 1]?.le ?? 0);
    const below = i === 0 ? 0 : (sorted[i - 1]?.count ?? 0);
    const inBucket = b.count - below;
    if (inBucket <= 0) return b.le;
    return lower + (b.le - lower) * ((rank - below) / inBucket);
  }
  return undefined;
}

/**
 * The increase of a histogram's buckets (summed over its series) and count. A series of which any
 * bucket or the count went down restarted: all of its buckets count from zero.
 */
function histogramIncrease(
  previous: MetricFamily | undefined,
  current: MetricFamily,
  accept: (s: ExpositionSample) => boolean,
): { byLe: Map<number, number>; count: number } {
  const bucketName = `${current.name}_bucket`;
  const countName = `${current.name}_count`;
  const relevant = (s: ExpositionSample): boolean =>
    (s.name === bucketName || s.name === countName) && accept(s) && Number.isFinite(s.value);
  const before = new Map<string, number>();
  for (const s of previous?.samples ?? []) if (relevant(s)) before.set(seriesKey(s), s.value);
  const reset = new Set<string>();
  for (const s of current.samples) {
    if (!relevant(s)) continue;
    const was = before.get(seriesKey(s));
    if (was !== undefined && s.value < was) reset.add(seriesKey(s, 'le').replace(/^[^[]*/, ''));
  }
  const byLe = new Map<number, number>();
  let count = 0;
  for (const s of current.samples) {
    if (!relevant(s)) continue;
    const was = before.get(seriesKey(s));
    const delta = was === undefined || reset.has(seriesKey(s, 'le').replace(/^[^[]*/, '')) ? s.value : s.value - was;
    if (s.name === countName) {
      count += delta;
      continue;
    }
    const raw = s.labels.le;
    const le = raw === undefined ? NaN : (parseValue(raw) ?? NaN);
    if (Number.isNaN(le)) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + delta);
  }
  return { byLe, count };
}

function isServerError(status: string): boolean {
  return /^5/.test(status);
}

/** The figures over the interval between two scrapes of one server; undefined when nothing tells requests. */
export function requestFigures(
  previous: Scrape,
  current: Scrape,
  metrics: RequestMetrics = findRequestMetrics(current.exposition),
): RequestFigures | undefined {
  const seconds = (current.at - previous.at) / 1000;
  if (seconds <= 0) return undefined;
  const fam = (s: Scrape, name: string | undefined): MetricFamily | undefined =>
    name === undefined ? undefined : s.exposition.families.get(name);
  const notScrape = (s: ExpositionSample): boolean => !isScrape(s.labels);

  let requests: number | undefined;
  let errors: number | undefined;
  const counterNow = fam(current, metrics.counter?.family);
  if (metrics.counter && counterNow) {
    const label = metrics.counter.statusLabel;
    const deltas = increases(
      fam(previous, metrics.counter.family),
      counterNow,
      (s) => notScrape(s) && s.name !== `${counterNow.name}_created`,
    );
    requests = 0;
    errors = 0;
    for (const { sample, delta } of deltas.values()) {
      requests += delta;
      if (isServerError(sample.labels[label] ?? '')) errors += delta;
    }
  }

  let quantiles: Pick<RequestFigures, 'p50Ms' | 'p95Ms' | 'p99Ms'> = {};
  const histNow = fam(current, metrics.histogram?.family);
  if (metrics.histogram && histNow) {
    const { byLe, count } = histogramIncrease(fam(previous, metrics.histogram.family), histNow, notScrape);
    const buckets = [...byLe].map(([le, c]) => ({ le, count: c }));
    const toMs = metrics.histogram.toMs;
    const at = (q: number): number | undefined => {
      const v = bucketQuantile(q, buckets);
      return v === undefined ? undefined : v * toMs;
    };
    const [p50Ms, p95Ms, p99Ms] = [at(0.5), at(0.95), at(0.99)];
    quantiles = {
      ...(p50Ms === undefined ? {} : { p50Ms }),
      ...(p95Ms === undefined ? {} : { p95Ms }),
      ...(p99Ms === undefined ? {} : { p99Ms }),
    };
    if (requests === undefined) requests = count > 0 ? count : (byLe.get(Infinity) ?? 0);
  }

  const errorsNow = fam(current, metrics.errors?.family);
  if (errors === undefined && metrics.errors && errorsNow) {
    const only = metrics.errors.serverOnly;
    const deltas = increases(
      fam(previous, metrics.errors.family),
      errorsNow,
      (s) => notScrape(s) && (!only || only.values.includes(s.labels[only.label] ?? '')),
    );
    errors = 0;
    for (const { delta } of deltas.values()) errors += delta;
  }

  if (requests === undefined) return undefined;
  return {
    rps: requests / seconds,
    requests,
    ...(errors !== undefined && requests > 0 ? { errorRate: Math.min(1, errors / requests) } : {}),
    ...quantiles,
  };
}
