import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import Module from 'node:module';
import * as path from 'node:path';
import { test } from 'node:test';

const BUNDLE = path.resolve(__dirname, '../../dist/extension.js');

// the namespaces and classes of the vscode API, so that bundler interop that copies own keys sees them
const API_NAMES = [
  'commands',
  'window',
  'workspace',
  'languages',
  'env',
  'extensions',
  'Uri',
  'EventEmitter',
  'Disposable',
  'TreeItem',
  'ThemeIcon',
  'ThemeColor',
  'StatusBarAlignment',
  'TreeItemCollapsibleState',
  'ProgressLocation',
  'ViewColumn',
];

/** A stand-in for the `vscode` module: every property is another stand-in, callable and constructible. */
function stub(name: string): unknown {
  const fn = function () {
    return stub(`${name}()`);
  };
  return new Proxy(fn, {
    ownKeys: () => (name === 'vscode' ? [...API_NAMES, 'prototype'] : ['prototype']),
    getOwnPropertyDescriptor: (_t, prop) =>
      prop === 'prototype'
        ? Reflect.getOwnPropertyDescriptor(fn, prop)
        : { configurable: true, enumerable: true, value: stub(`${name}.${String(prop)}`) },
    get: (_t, prop) => (prop === Symbol.toPrimitive ? () => name : prop === 'then' ? undefined : stub(`${name}.${String(prop)}`)),
    apply: () => stub(`${name}()`),
    construct: () => stub(`new ${name}`) as object,
  });
}

test('the bundled extension loads in plain Node with only vscode stubbed', () => {
  assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} is missing: run "npm run build" first`);
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
  const resolve = mod._resolveFilename;
  const vscodeStub = stub('vscode');
  mod._resolveFilename = (request: string, ...rest: unknown[]) => (request === 'vscode' ? 'vscode' : resolve(request, ...rest));
  mod._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscodeStub };
  // load a copy from a folder without node_modules, as it sits in an installed .vsix
  const isolated = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bundle-'));
  const copy = path.join(isolated, 'extension.js');
  fs.copyFileSync(BUNDLE, copy);
  const requireFromHere = Module.createRequire(__filename);
  const required: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored as it was, and called with its own this
  const originalRequire = Module.prototype.require;
  Module.prototype.require = function (this: NodeJS.Module, id: string) {
    required.push(id);
    return originalRequire.call(this, id) as unknown;
  } as typeof originalRequire;
  try {
    const ext = requireFromHere(copy) as { activate?: unknown; deactivate?: unknown };
    assert.equal(typeof ext.activate, 'function');
    assert.equal(typeof ext.deactivate, 'function');
    // only Node built-ins and vscode come from outside the bundle, plus ssh2's two optional
    // native addons, which are absent here and which ssh2 catches, falling back to pure JS
    const outside = required.filter((id) => id !== copy && id !== 'vscode' && !id.startsWith('node:') && !Module.isBuiltin(id));
    assert.deepEqual(outside.sort(), ['./crypto/build/Release/sshcrypto.node', 'cpu-features']);
  } finally {
    fs.rmSync(isolated, { recursive: true, force: true });
    mod._resolveFilename = resolve;
    Module.prototype.require = originalRequire;
    delete mod._cache.vscode;
  }
});

test("ssh2's optional native addons stay outside the bundle and are not shipped", () => {
  // docker-modem loads ssh2 lazily for ssh:// hosts; its native crypto and cpu-features are
  // external and absent from dist/, and ssh2 must fall back to pure JS.
  const source = fs.readFileSync(BUNDLE, 'utf8');
  assert.match(source, /require\("cpu-features"\)/);
  assert.match(source, /sshcrypto\.node/);
  assert.ok(!fs.existsSync(path.join(path.dirname(BUNDLE), 'sshcrypto.node')));
});
