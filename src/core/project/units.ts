/** Sizes and durations as people write them in run profiles ("2g", "512MiB", "1.5s", "1m30s"), and sizes as Berth shows them. */

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 2 ** 10,
  kb: 2 ** 10,
  kib: 2 ** 10,
  m: 2 ** 20,
  mb: 2 ** 20,
  mib: 2 ** 20,
  g: 2 ** 30,
  gb: 2 ** 30,
  gib: 2 ** 30,
  t: 2 ** 40,
  tb: 2 ** 40,
  tib: 2 ** 40,
};

/** Bytes, with Docker's binary units (k, m, g are powers of 1024); undefined when malformed. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = SIZE_UNITS[(m?.[2] ?? '').toLowerCase()];
  if (m?.[1] === undefined || unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds from "500ms", "2s", "1m30s", "1h"; a bare number is seconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let total = 0;
  let rest = text;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m?.[1] || !m[2]) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2]] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return text === '' ? undefined : total;
}

export { formatBytes } from '../engine/bytes';
