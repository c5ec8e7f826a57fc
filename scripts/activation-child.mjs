/**
 * One activation, in a fresh process: loads the given bundle in plain Node with `vscode` stood in
 * for by a proxy (as in test/unit/bundle.test.ts), calls activate, prints the two times as JSON.
 */
import Module from 'node:module';
import { performance } from 'node:perf_hooks';

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
/** @param {string} name @returns {unknown} */
function stub(name) {
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
    set: () => true,
    apply: () => stub(`${name}()`),
    construct: () => /** @type {object} */ (stub(`new ${name}`)),
  });
}

const bundle = process.argv[2];
if (!bundle) throw new Error('usage: activation-child.mjs <bundle.js>');
/** @type {any} */
const mod = Module;
const resolve = mod._resolveFilename;
mod._resolveFilename = (/** @type {string} */ request, /** @type {unknown[]} */ ...rest) =>
  request === 'vscode' ? 'vscode' : resolve(request, ...rest);
mod._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub('vscode') };

const t0 = performance.now();
const ext = Module.createRequire(import.meta.url)(bundle);
const t1 = performance.now();
ext.activate(stub('context'));
const t2 = performance.now();
process.stdout.write(`${JSON.stringify({ requireMs: t1 - t0, activateMs: t2 - t1 })}\n`);
// the engine reconnect that activate starts is not part of the measure
process.exit(0);
