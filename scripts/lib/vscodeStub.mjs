// A stand-in for the `vscode` module, for loading Berth's bundles in plain Node (the bundle test,
// the activation bench): every property is another stand-in, callable and constructible.
import Module from 'node:module';

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

/** @param {string} name @returns {unknown} */
export function stub(name) {
  const fn = function () {
    return stub(`${name}()`);
  };
  return new Proxy(fn, {
    // the function's own keys too: a sloppy-mode function has non-configurable `arguments` and `caller`
    ownKeys: () => [...(name === 'vscode' ? API_NAMES : []), ...Reflect.ownKeys(fn)],
    getOwnPropertyDescriptor: (_t, prop) =>
      Object.hasOwn(fn, prop)
        ? Reflect.getOwnPropertyDescriptor(fn, prop)
        : { configurable: true, enumerable: true, value: stub(`${name}.${String(prop)}`) },
    get: (_t, prop) => (prop === Symbol.toPrimitive ? () => name : prop === 'then' ? undefined : stub(`${name}.${String(prop)}`)),
    set: () => true,
    apply: () => stub(`${name}()`),
    construct: () => /** @type {object} */ (stub(`new ${name}`)),
  });
}

/**
 * Make `require('vscode')` answer the stand-in, until the returned function is called.
 * @returns {() => void}
 */
export function installVscodeStub() {
  /** @type {any} */
  const mod = Module;
  const resolve = mod._resolveFilename;
  mod._resolveFilename = (/** @type {string} */ request, /** @type {unknown[]} */ ...rest) =>
    request === 'vscode' ? 'vscode' : resolve(request, ...rest);
  mod._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub('vscode') };
  return () => {
    mod._resolveFilename = resolve;
    delete mod._cache.vscode;
  };
}
