/**
 * Activation cost of the bundled extension: for each folder given (default dist/), RUNS fresh Node
 * processes each load <folder>/extension.js with `vscode` stood in for and call activate; prints
 * the bundle sizes and the median require and activate times.
 *
 *   npm run -s package && node --import tsx bench/activation.ts [folder ...]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fmt, median } from './common';

const RUNS = Number(process.env.BERTH_BENCH_RUNS ?? 20);
const CHILD = path.join(__dirname, '..', 'scripts', 'activation-child.mjs');
const folders = process.argv.length > 2 ? process.argv.slice(2) : [path.join(__dirname, '..', 'dist')];

console.log(`activation, ${RUNS} fresh processes per folder (median)`);
console.log(
  'folder'.padEnd(28),
  'extension.js'.padStart(13),
  'cli.js'.padStart(10),
  'require ms'.padStart(11),
  'activate ms'.padStart(12),
  'total ms'.padStart(9),
);
for (const folder of folders) {
  const size = (name: string): string => {
    const file = path.join(folder, name);
    return fs.existsSync(file) ? `${fmt(fs.statSync(file).size / 1000, 0)} kB` : '-';
  };
  const runs: { requireMs: number; activateMs: number }[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const out = execFileSync(process.execPath, [CHILD, path.resolve(folder, 'extension.js')], { encoding: 'utf8' });
    runs.push(JSON.parse(out.trim().split('\n').pop() ?? '{}') as { requireMs: number; activateMs: number });
  }
  const req = median(runs.map((r) => r.requireMs));
  const act = median(runs.map((r) => r.activateMs));
  const total = median(runs.map((r) => r.requireMs + r.activateMs));
  console.log(
    (path.relative(process.cwd(), folder) || '.').padEnd(28),
    size('extension.js').padStart(13),
    size('cli.js').padStart(10),
    fmt(req, 1).padStart(11),
    fmt(act, 1).padStart(12),
    fmt(total, 1).padStart(9),
  );
}
