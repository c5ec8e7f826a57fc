import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import Module from 'node:module';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { installVscodeStub } from '../../scripts/lib/vscodeStub.mjs';

const ROOT = path.resolve(__dirname, '../..');
/** The bundles loaded on first use, next to dist/extension.js and dist/cli.js. */
const LAZY = ['ssh2.js', 'buildkit.js', 'png.js'];

// a production build of its own, in a folder without node_modules, as it sits in an installed .vsix
let dist = '';
before(() => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bundle-'));
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build.mjs'), '--production', '--outdir', dist], { cwd: ROOT, stdio: 'pipe' });
});
after(() => fs.rmSync(dist, { recursive: true, force: true }));

/**
 * Requires `file` in plain Node with `vscode` stubbed; returns its exports and the modules it
 * required from outside itself (neither Node built-ins nor vscode).
 */
function load(file: string): { exports: unknown; outside: string[] } {
  const uninstall = installVscodeStub();
  const requireFromHere = Module.createRequire(__filename);
  const required: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as it was, and called with its own this
  const originalRequire = Module.prototype.require;
  Module.prototype.require = function (this: NodeJS.Module, id: string) {
    required.push(id);
    return originalRequire.call(this, id) as unknown;
  } as typeof originalRequire;
  try {
    const exports = requireFromHere(file) as unknown;
    const outside = required.filter((id) => id !== file && id !== 'vscode' && !id.startsWith('node:') && !Module.isBuiltin(id));
    return { exports, outside: outside.sort() };
  } finally {
    uninstall();
    Module.prototype.require = originalRequire;
  }
}

test('the production extension bundle is under 1,000,000 bytes', () => {
  const bytes = fs.statSync(path.join(dist, 'extension.js')).size;
  assert.ok(bytes < 1_000_000, `dist/extension.js is ${bytes} bytes`);
});

test('the bundled extension loads in plain Node with only vscode stubbed, without ssh2, BuildKit or pngjs', () => {
  const { exports, outside } = load(path.join(dist, 'extension.js'));
  const ext = exports as { activate?: unknown; deactivate?: unknown };
  assert.equal(typeof ext.activate, 'function');
  assert.equal(typeof ext.deactivate, 'function');
  // only Node built-ins and vscode come from outside the bundle: ssh2 (whose optional native
  // addons are required as it loads) and BuildKit are not loaded until used
  assert.deepEqual(outside, []);
  const source = fs.readFileSync(path.join(dist, 'extension.js'), 'utf8');
  for (const lazy of LAZY) assert.ok(source.includes(`"${lazy}"`), `extension.js names ${lazy}`);
  const cli = fs.readFileSync(path.join(dist, 'cli.js'), 'utf8');
  for (const lazy of LAZY) assert.ok(cli.includes(`"${lazy}"`), `cli.js names ${lazy}`);
});

test('each bundle loaded on first use loads in plain Node and has what its stand-in calls', () => {
  const ssh2 = load(path.join(dist, 'ssh2.js'));
  assert.equal(typeof (ssh2.exports as { Client?: unknown }).Client, 'function');
  // ssh2's two optional native addons are absent here, and ssh2 catches that and falls back to pure JS
  assert.deepEqual(ssh2.outside, ['./crypto/build/Release/sshcrypto.node', 'cpu-features']);
  const buildkit = load(path.join(dist, 'buildkit.js'));
  const { session, buildkit: progress } = buildkit.exports as { session?: unknown; buildkit?: { followProgress?: unknown } };
  assert.equal(typeof session, 'function');
  assert.equal(typeof progress?.followProgress, 'function');
  assert.deepEqual(buildkit.outside, []);
  const png = load(path.join(dist, 'png.js'));
  assert.equal(typeof (png.exports as { read?: unknown }).read, 'function');
  assert.deepEqual(png.outside, []);
});

test("ssh2's optional native addons stay outside the bundles and are not shipped", () => {
  const source = fs.readFileSync(path.join(dist, 'ssh2.js'), 'utf8');
  assert.match(source, /require\("cpu-features"\)/);
  assert.match(source, /sshcrypto\.node/);
  assert.ok(!fs.existsSync(path.join(dist, 'sshcrypto.node')));
});

test('the notebook runner ships next to the bundles with its pretty printer, as in the sources, and the .vsix takes both', () => {
  const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  for (const file of ['runner.py', 'pretty.py']) {
    assert.equal(
      fs.readFileSync(path.join(dist, file), 'utf8'),
      fs.readFileSync(path.join(ROOT, 'src/core/notebook', file), 'utf8'),
      `dist/${file}`,
    );
    assert.ok(ignore.includes(`!dist/${file}`), `.vscodeignore keeps dist/${file}`);
  }
});

test('the .vsix takes every bundle', () => {
  const ignore = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
  for (const file of ['extension.js', 'cli.js', ...LAZY]) assert.ok(ignore.includes(`!dist/${file}`), `.vscodeignore keeps dist/${file}`);
  const outputs = fs.readdirSync(dist).filter((f) => f.endsWith('.js'));
  assert.deepEqual(outputs.sort(), ['extension.js', 'cli.js', ...LAZY].sort());
});
