// Bundles the extension (node/cjs, `vscode` external) with esbuild.
// ssh2 (via dockerode → docker-modem) tries two optional native modules inside try/catch and
// falls back to pure JS: they stay external and are not shipped, so the bundle needs no binaries.
//
// What most sessions never run is a bundle of its own, loaded from dist/ on first use: ssh2 (only
// for ssh:// engines), dockerode's BuildKit session and progress decoder (grpc-js, protobufjs;
// Berth builds with the classic builder) and pngjs's decoder (only for notebook image outputs). Where dockerode and docker-modem require them, a small
// shim stands in that requires the bundle when a function of it is first called or constructed.
//
//   node scripts/build.mjs [--production] [--watch] [--analyze] [--outdir <folder>]
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const analyze = process.argv.includes('--analyze');
const outdirArg = process.argv.indexOf('--outdir');
const outdir = outdirArg > 0 ? process.argv[outdirArg + 1] : 'dist';

/**
 * The bundles loaded on first use: file name in outdir → its source, and where it is required.
 * `pick` is the property of the bundle's exports that the shim stands for (none: all of them).
 */
const LAZY = {
  ssh2: { source: "module.exports = require('ssh2');" },
  buildkit: {
    source: "module.exports = { session: require('dockerode/lib/session'), buildkit: require('dockerode/lib/buildkit') };",
  },
  // PNG decoding, only for notebook outputs that are images
  png: { source: "module.exports = require('pngjs/lib/png-sync');" },
};
/** @type {{ request: RegExp; importer: RegExp; bundle: keyof typeof LAZY; pick?: string }[]} */
const LAZY_REQUIRES = [
  { request: /^ssh2$/, importer: /[\\/]docker-modem[\\/]|[\\/]src[\\/]core[\\/]engine[\\/]sshTunnel\.ts$/, bundle: 'ssh2' },
  { request: /^\.\/session$/, importer: /[\\/]dockerode[\\/]lib[\\/]/, bundle: 'buildkit', pick: 'session' },
  { request: /^\.\/buildkit$/, importer: /[\\/]dockerode[\\/]lib[\\/]/, bundle: 'buildkit', pick: 'buildkit' },
  { request: /^pngjs\/lib\/png-sync$/, importer: /[\\/]src[\\/]core[\\/]notebook[\\/]images\.ts$/, bundle: 'png' },
];

/**
 * A module that loads `<bundle>.js` from the folder of the bundle that requires it on first use:
 * called as a function, it calls what it stands for; any property of it is a function that calls
 * (or constructs) that property of what it stands for.
 * @param {string} bundle @param {string | undefined} pick
 */
function shim(bundle, pick) {
  const target = pick === undefined ? 'm' : `m[${JSON.stringify(pick)}]`;
  return `let m;
const load = () => {
  m ??= require(require('node:path').join(__dirname, ${JSON.stringify(`${bundle}.js`)}));
  return ${target};
};
module.exports = new Proxy(function () {}, {
  apply: (_t, self, args) => load().apply(self, args),
  // not an ES module: an \`import x from\` of it (esbuild's interop) gets the shim as its default
  get: (_t, key) => key === '__esModule' ? undefined : function (...args) {
    const f = load()[key];
    return new.target ? Reflect.construct(f, args) : f.apply(this, args);
  },
});
`;
}

/** @type {import('esbuild').Plugin} */
const lazyRequires = {
  name: 'lazy-requires',
  setup(build) {
    for (const [i, lazy] of LAZY_REQUIRES.entries()) {
      build.onResolve({ filter: lazy.request }, (args) =>
        lazy.importer.test(args.importer) ? { path: String(i), namespace: 'berth-lazy' } : undefined,
      );
    }
    build.onLoad({ filter: /.*/, namespace: 'berth-lazy' }, (args) => {
      const lazy = LAZY_REQUIRES[Number(args.path)];
      return { contents: shim(lazy.bundle, lazy.pick), loader: 'js' };
    });
  },
};

/** The lazy bundles' entry points, as modules of their own. @type {import('esbuild').Plugin} */
const lazyEntries = {
  name: 'lazy-entries',
  setup(build) {
    build.onResolve({ filter: /^berth-lazy:/ }, (args) => ({ path: args.path.slice('berth-lazy:'.length), namespace: 'berth-lazy-entry' }));
    build.onLoad({ filter: /.*/, namespace: 'berth-lazy-entry' }, (args) => ({
      contents: LAZY[args.path].source,
      resolveDir: process.cwd(),
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const extension = {
  entryPoints: { extension: 'src/extension.ts', cli: 'src/cli.ts' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir,
  external: ['vscode', 'cpu-features', '*.node'],
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  metafile: true,
  plugins: [lazyRequires],
};

/** @type {import('esbuild').BuildOptions} */
const lazyBundles = {
  ...extension,
  entryPoints: Object.fromEntries(Object.keys(LAZY).map((name) => [name, `berth-lazy:${name}`])),
  plugins: [lazyEntries],
};

/** Webview bundles (browser, iife), one per panel, from webview/<panel>/main.ts. */
/** @type {import('esbuild').BuildOptions} */
const webviews = {
  entryPoints: {
    stats: 'webview/stats/main.ts',
    playground: 'webview/playground/main.ts',
    runForm: 'webview/runForm/main.ts',
    compare: 'webview/compare/main.ts',
    fleet: 'webview/fleet/main.ts',
  },
  // style sheets of libraries (uPlot's) come in as text, added by addStyle under the CSP's nonce
  loader: { '.css': 'text' },
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  outdir: path.join(outdir, 'webview'),
  tsconfig: 'webview/tsconfig.json',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  metafile: true,
};

// the notebook runner and its pretty printer are copied into containers as is: they ship next to the bundle
fs.mkdirSync(outdir, { recursive: true });
for (const file of ['runner.py', 'pretty.py']) fs.copyFileSync(path.join('src/core/notebook', file), path.join(outdir, file));

/**
 * The 15 biggest packages (or source folders) in each node bundle, by bytes in the output.
 * @param {import('esbuild').Metafile} metafile
 */
function printBiggestInputs(metafile) {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (!file.endsWith('.js')) continue;
    /** @type {Map<string, number>} */
    const sizes = new Map();
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      // a source file counts for its layer's area: src/core/engine, src/ui/compare, …
      const parts = input.split('/');
      const key = pkg ? pkg[1] : parts.slice(0, parts[1] === 'core' || parts[1] === 'ui' ? 3 : 2).join('/');
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
    console.log(`${file}: ${output.bytes} bytes`);
    for (const [key, bytes] of [...sizes].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
      console.log(`  ${key.padEnd(36)} ${String(bytes).padStart(8)}`);
    }
  }
}

if (watch) {
  for (const options of [extension, lazyBundles, webviews]) await (await esbuild.context(options)).watch();
  console.log('esbuild: watching');
} else {
  const results = await Promise.all([esbuild.build(extension), esbuild.build(lazyBundles), esbuild.build(webviews)]);
  const bytes = results.flatMap((r) => Object.values(r.metafile.outputs)).reduce((n, o) => n + o.bytes, 0);
  console.log(`esbuild: ${outdir}/ ${(bytes / 1024).toFixed(0)} KiB${production ? ' (production)' : ''}`);
  if (analyze) for (const result of results.slice(0, 2)) printBiggestInputs(result.metafile);
}
