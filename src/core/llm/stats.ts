/** Percentiles of measured values, for one request's token gaps or a batch's requests. No vscode import. */

import type { Percentiles } from './types';

/** Nearest-rank p50/p95/p99 and the mean; undefined for no values. Does not reorder `values`. */
export function percentiles(values: readonly number[]): Percentiles | undefined {
  const n = values.length;
  if (n === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(50), p95: at(95), p99: at(99), mean: sum / n, n };
}
