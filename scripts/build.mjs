// Bundles the extension (node/cjs, `vscode` external) with esbuild.
// ssh2 (via dockerode → docker-modem) tries two optional native modules inside try/catch and
// falls back to pure JS: they stay external and are not shipped, so the bundle needs no binaries.
import * as fs from 'node:fs';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const extension = {
  entryPoints: { extension: 'src/extension.ts', cli: 'src/cli.ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir: 'dist',
  external: ['vscode', 'cpu-features', '*.node'],
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  metafile: true,
};

/** Webview bundles (browser, iife), one per panel, from webview/<panel>/main.ts. */
/** @type {import('esbuild').BuildOptions} */
const webviews = {
  entryPoints: {
    stats: 'webview/stats/main.ts',
    playground: 'webview/playground/main.ts',
    runForm: 'webview/runForm/main.ts',
    compare: 'webview/compare/main.ts',
  },
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  outdir: 'dist/webview',
  tsconfig: 'webview/tsconfig.json',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  metafile: true,
};

// the notebook runner is copied into containers as is: it ships next to the bundle
fs.mkdirSync('dist', { recursive: true });
fs.copyFileSync('src/notebook/runner.py', 'dist/runner.py');

if (watch) {
  for (const options of [extension, webviews]) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching');
} else {
  const results = await Promise.all([esbuild.build(extension), esbuild.build(webviews)]);
  const bytes = results.flatMap((r) => Object.values(r.metafile.outputs)).reduce((n, o) => n + o.bytes, 0);
  console.log(`esbuild: dist/ ${(bytes / 1024).toFixed(0)} KiB${production ? ' (production)' : ''}`);
}
