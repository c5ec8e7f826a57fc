/** Sizes as Berth shows them (the engine's messages and records use it; project re-exports it). */

/** "512 B", "1.5 GiB", "169 MiB": one decimal below 10. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i] ?? 'TiB'}`;
}
