/**
 * A/B runs of the playground: the same requests sent to two targets (two containers, or two
 * paths of one server), interleaved so that both see the same conditions; per target the latency
 * distribution, error rate and statuses; per request both outputs and a verdict — JSON bodies
 * compared structurally with numbers within tolerance (the notebook comparison's `close`), other
 * bodies as text (its `compareText`). The run's export is a documented JSON shape (AbExport). No
 * vscode import.
 */
import { close, compareText, type Tolerance } from '../../core/notebook/normalise';
import type {
  AbDifference,
  AbExport,
  AbHistogram,
  AbRequestResult,
  AbSide,
  AbSideResult,
  AbSummary,
  AbTarget,
  AbTargetSummary,
  AbVerdict,
} from '../webview/protocol';
import { percentile, requestUrl, SAMPLE_CHARS, sendRequest, type Method, type RequestResult, type RequestSpec } from './requests';

/** An A/B run sends at most this many requests to each target. */
export const MAX_AB_REQUESTS = 2000;
/** How much of a response body is read for the comparison (a bigger body is compared as cut). */
export const AB_COMPARE_BYTES = 256 * 1024;
/** How much of each body a request's result keeps (shown and exported). */
export const AB_KEPT_CHARS = 2048;
/** At most this many differing paths are listed per request. */
export const MAX_DIFFERENCES = 20;
/** Bins of the latency histogram (shared by both targets). */
export const HISTOGRAM_BINS = 24;

export interface AbSettings {
  readonly method: Method;
  /** Request bodies, cycled: request i sends bodies[i % bodies.length] ([''] for none). */
  readonly bodies: readonly string[];
  /** Names of the bodies (samples), for the export; same length as bodies when given. */
  readonly bodyNames?: readonly string[];
  readonly count: number;
  readonly concurrency: number;
  readonly tolerance: Tolerance;
  readonly timeoutMs: number;
}

export type { AbDifference, AbExport, AbHistogram, AbRequestResult, AbSide, AbSideResult, AbSummary, AbTarget, AbTargetSummary, AbVerdict };

export const AB_EXPORT_KIND: AbExport['kind'] = 'berth.playground.ab';

const cut = (s: string, n = AB_KEPT_CHARS): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** A value as a short line of JSON. */
function show(v: unknown): string {
  if (v === undefined) return '(missing)';
  const text = JSON.stringify(v) ?? typeof v;
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const member = (parent: string, key: string): string =>
  IDENTIFIER.test(key) ? (parent === '' ? key : `${parent}.${key}`) : `${parent}[${JSON.stringify(key)}]`;

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

interface JsonDiff {
  readonly differences: AbDifference[];
  /** Paths that differed beyond what was listed. */
  more: number;
  /** Numbers that differed, all within tolerance. */
  closeNumbers: number;
}

function walk(a: unknown, b: unknown, where: string, tol: Tolerance, out: JsonDiff): void {
  const add = (path: string, x: unknown, y: unknown): void => {
    if (out.differences.length < MAX_DIFFERENCES) out.differences.push({ path: path === '' ? '(body)' : path, a: show(x), b: show(y) });
    else out.more++;
  };
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return;
    if (close(a, b, tol)) out.closeNumbers++;
    else add(where, a, b);
    return;
  }
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return add(where, a, b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) add(`${where}.length`.replace(/^\./, ''), a.length, b.length);
    for (let i = 0; i < Math.min(a.length, b.length); i++) walk(a[i], b[i], `${where}[${i}]`, tol, out);
    return;
  }
  if (ka === 'object') {
    const oa = a as Record<string, unknown>;
    const ob = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(oa), ...Object.keys(ob)])];
    for (const key of keys) {
      const path = member(where, key);
      if (!Object.hasOwn(oa, key) || !Object.hasOwn(ob, key)) add(path, Object.hasOwn(oa, key) ? oa[key] : undefined, ob[key]);
      else walk(oa[key], ob[key], path, tol, out);
    }
    return;
  }
  if (a !== b) add(where, a, b);
}

export interface OutputComparison {
  readonly verdict: Exclude<AbVerdict, 'error'>;
  readonly differences: readonly AbDifference[];
  readonly reason: string;
}

function parseJson(text: string): { value: unknown } | undefined {
  if (text.trim() === '') return undefined;
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/**
 * Two outputs compared: as JSON, structurally, numbers within tolerance (`differences` lists the
 * paths beyond it, at most MAX_DIFFERENCES); when either is not JSON, as text (numbers in it
 * within tolerance, as the notebook comparison compares printed output).
 */
export function compareOutputs(a: string, b: string, tol: Tolerance): OutputComparison {
  const ja = parseJson(a);
  const jb = parseJson(b);
  if (ja && jb) {
    const out: JsonDiff = { differences: [], more: 0, closeNumbers: 0 };
    walk(ja.value, jb.value, '', tol, out);
    const n = out.differences.length + out.more;
    if (n > 0) return { verdict: 'differs', differences: out.differences, reason: `${n} ${n === 1 ? 'path differs' : 'paths differ'}` };
    if (out.closeNumbers > 0)
      return {
        verdict: 'within-tolerance',
        differences: [],
        reason: `${out.closeNumbers} ${out.closeNumbers === 1 ? 'number differs' : 'numbers differ'} within tolerance (rtol ${tol.rtol}, atol ${tol.atol})`,
      };
    return { verdict: 'identical', differences: [], reason: 'the same output' };
  }
  const text = compareText(a, b, tol);
  if (text.kind === 'identical') return { verdict: 'identical', differences: [], reason: 'the same text' };
  if (text.kind === 'within-tolerance')
    return { verdict: 'within-tolerance', differences: [], reason: 'the text differs only within tolerance' };
  const al = a.split('\n');
  const bl = b.split('\n');
  let line = 0;
  while (line < Math.max(al.length, bl.length) && al[line] === bl[line]) line++;
  return {
    verdict: 'differs',
    differences: [{ path: `line ${line + 1}`, a: show(al[line]), b: show(bl[line]) }],
    reason: 'the text differs',
  };
}

const failed = (r: AbSideResult): boolean => r.error !== undefined || r.status >= 400 || r.status === 0;

/** The verdict of one request from both sides' answers. */
export function judge(
  a: AbSideResult,
  b: AbSideResult,
  tol: Tolerance,
): OutputComparison | { verdict: 'error'; differences: AbDifference[]; reason: string } {
  const differences: AbDifference[] = [];
  if (a.status !== b.status)
    differences.push({ path: 'status', a: a.error ? 'no answer' : String(a.status), b: b.error ? 'no answer' : String(b.status) });
  if (failed(a) || failed(b)) {
    const why = (side: string, r: AbSideResult): string | undefined =>
      r.error !== undefined ? `${side}: ${r.error}` : r.status >= 400 || r.status === 0 ? `${side}: HTTP ${r.status}` : undefined;
    return { verdict: 'error', differences, reason: [why('A', a), why('B', b)].filter((x) => x !== undefined).join('; ') };
  }
  const outputs = compareOutputs(a.body, b.body, tol);
  if (differences.length === 0) return outputs;
  return { verdict: 'differs', differences: [...differences, ...outputs.differences], reason: `status differs; ${outputs.reason}` };
}

/** Per-target figures from its answers. */
export function summarizeSide(results: readonly AbSideResult[]): AbTargetSummary {
  const sorted = Float64Array.from(results.map((r) => r.latencyMs)).sort();
  const statuses: Record<string, number> = {};
  let errors = 0;
  for (const r of results) {
    const key = r.error !== undefined ? 'no answer' : String(r.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (failed(r)) errors++;
  }
  const n = sorted.length;
  return {
    count: n,
    errors,
    errorRate: n === 0 ? 0 : errors / n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    min: n === 0 ? 0 : (sorted[0] ?? 0),
    max: n === 0 ? 0 : (sorted[n - 1] ?? 0),
    mean: n === 0 ? 0 : sorted.reduce((s, x) => s + x, 0) / n,
    statuses,
  };
}

/** Both sides' latencies in the same bins, from the smaller minimum to the larger maximum. */
export function histogram(a: readonly number[], b: readonly number[], bins = HISTOGRAM_BINS): AbHistogram {
  const all = [...a, ...b];
  if (all.length === 0) return { edgesMs: [], a: [], b: [] };
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const edgesMs = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const count = (xs: readonly number[]): number[] => {
    const counts = new Array<number>(bins).fill(0);
    for (const x of xs) {
      const i = Math.min(bins - 1, Math.max(0, Math.floor((x - lo) / width)));
      counts[i] = (counts[i] ?? 0) + 1;
    }
    return counts;
  };
  return { edgesMs, a: count(a), b: count(b) };
}

export function summarizeAb(requests: readonly AbRequestResult[]): AbSummary {
  const by = (v: AbVerdict): number => requests.filter((r) => r.verdict === v).length;
  return {
    a: summarizeSide(requests.map((r) => r.a)),
    b: summarizeSide(requests.map((r) => r.b)),
    histogram: histogram(
      requests.map((r) => r.a.latencyMs),
      requests.map((r) => r.b.latencyMs),
    ),
    identical: by('identical'),
    withinTolerance: by('within-tolerance'),
    differs: by('differs'),
    errors: by('error'),
  };
}

/** Sends one request; sendRequest unless a test gives another. */
export type Sender = (spec: RequestSpec, signal?: AbortSignal) => Promise<RequestResult>;

export interface AbRunOptions {
  readonly signal?: AbortSignal;
  /** After each request (both sides) is done: how many are, of how many. */
  readonly onProgress?: (done: number, total: number) => void;
  readonly send?: Sender;
  /** The time the run started (for the export); now unless given. */
  readonly now?: () => Date;
}

/** Which side goes first for request `index`: A for even, B for odd, so neither is always second. */
export const firstSide = (index: number): AbSide => (index % 2 === 0 ? 'a' : 'b');

/** An A/B run has at most this many requests in flight per target. */
export const MAX_AB_CONCURRENCY = 32;

/**
 * The A/B run: `count` requests (at most MAX_AB_REQUESTS), each sent to A and to B one after the
 * other — A first for even requests, B first for odd ones — by `concurrency` workers, so both
 * targets see the same load at the same time. Stops early on abort, keeping what finished.
 */
export async function runAb(targets: { a: AbTarget; b: AbTarget }, settings: AbSettings, options: AbRunOptions = {}): Promise<AbExport> {
  const send = options.send ?? sendRequest;
  const startedAt = (options.now ?? (() => new Date()))().toISOString();
  const total = Math.max(0, Math.min(MAX_AB_REQUESTS, Math.floor(settings.count)));
  const bodies = settings.bodies.length > 0 ? settings.bodies : [''];
  const urls = { a: requestUrl(targets.a.baseUrl, targets.a.path), b: requestUrl(targets.b.baseUrl, targets.b.path) };
  const concurrency = Math.max(1, Math.min(MAX_AB_CONCURRENCY, Math.floor(settings.concurrency) || 1));
  const results: AbRequestResult[] = [];
  const aborted = (): boolean => options.signal?.aborted === true;
  const started = performance.now();
  let next = 0;
  let done = 0;
  const one = async (side: AbSide, body: string): Promise<RequestResult> =>
    send({ url: urls[side], method: settings.method, body, timeoutMs: settings.timeoutMs, maxBodyBytes: AB_COMPARE_BYTES }, options.signal);
  const worker = async (): Promise<void> => {
    while (next < total && !aborted()) {
      const index = next++;
      const bodyIndex = index % bodies.length;
      const body = bodies[bodyIndex] ?? '';
      const answers: Partial<Record<AbSide, RequestResult>> = {};
      const first = firstSide(index);
      const second: AbSide = first === 'a' ? 'b' : 'a';
      answers[first] = await one(first, body);
      if (aborted()) return;
      answers[second] = await one(second, body);
      // a request cut short by the abort is not one of the run's results
      if (aborted()) return;
      const side = (r: RequestResult): AbSideResult => ({
        status: r.status,
        latencyMs: r.latencyMs,
        body: cut(r.body),
        ...(r.error !== undefined ? { error: cut(r.error, SAMPLE_CHARS) } : {}),
      });
      const a = side(answers.a!);
      const b = side(answers.b!);
      const verdict = judge({ ...a, body: answers.a!.body }, { ...b, body: answers.b!.body }, settings.tolerance);
      results.push({
        index,
        body: bodyIndex,
        a,
        b,
        verdict: verdict.verdict,
        differences: verdict.differences,
        reason: verdict.reason,
      });
      done++;
      options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker));
  results.sort((x, y) => x.index - y.index);
  return {
    kind: AB_EXPORT_KIND,
    version: 1,
    startedAt,
    wallMs: performance.now() - started,
    stopped: results.length < total,
    targets,
    settings: {
      method: settings.method,
      count: total,
      concurrency,
      rtol: settings.tolerance.rtol,
      atol: settings.tolerance.atol,
      timeoutMs: settings.timeoutMs,
      bodies: bodies.map((body, i) => ({ name: settings.bodyNames?.[i] ?? `body ${i + 1}`, body })),
    },
    summary: summarizeAb(results),
    requests: results,
  };
}
