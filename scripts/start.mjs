// `npm start`: the Berth demo — a real VS Code in the browser with Berth installed and the sample
// project open. A fresh clone has no node_modules (not even tsx), so this entry point only installs
// the dependencies when they are missing and then hands over to scripts/vscode/start.ts.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.BERTH_START_T0 ??= String(Date.now());
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

if (!['tsx', 'vsce', 'esbuild'].every((bin) => existsSync(join(repo, 'node_modules', '.bin', bin)))) {
  const t0 = Date.now();
  console.log('start: npm ci (node_modules is missing)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: repo, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('start: npm ci failed');
    process.exit(result.status ?? 1);
  }
  console.log(`start: npm ci done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

await import('tsx');
await import('./vscode/start.ts');
