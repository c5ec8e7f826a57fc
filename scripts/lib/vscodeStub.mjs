// Stand-ins for the `vscode` module in plain Node.
// - `stub`/`installVscodeStub`: for loading Berth's bundles (the bundle test, the activation
//   bench): every property is another stand-in, callable and constructible.
// - `standIn`/`installVscodeStandIn`: for unit tests of the UI layer (installed for the whole unit
//   tier by test/unit/vscode.mjs): the parts of the API those tests go through behave as VS Code's
//   do (events, disposables, tree items, settings, registered commands), and what would reach the
//   user (messages, quick picks, progress, commands run) is recorded and answered as the test says.
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
  'l10n',
];

/**
 * `vscode.l10n.t` as VS Code runs it with no translation bundle (English): `{0}`, `{name}`
 * replaced by the arguments (positional, or one object of named ones); a placeholder without an
 * argument stays as written.
 * @param {string} message @param {unknown[]} args
 */
function l10nT(message, ...args) {
  /** @type {Record<string, unknown>} */
  const values =
    args.length > 0 && typeof args[0] === 'object' && args[0] !== null ? /** @type {Record<string, unknown>} */ (args[0]) : { ...args };
  return Object.keys(values).length === 0 ? message : message.replace(/{([^}]+)}/g, (match, key) => String(values[key] ?? match));
}

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
  const previous = mod._cache.vscode;
  mod._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stub('vscode') };
  return () => {
    mod._resolveFilename = resolve;
    if (previous) mod._cache.vscode = previous;
    else delete mod._cache.vscode;
  };
}

// ---------------------------------------------------------------------------------------------
// the stand-in for unit tests

class Disposable {
  /** @param {...{ dispose?: () => unknown } | undefined} items */
  static from(...items) {
    return new Disposable(() => {
      for (const d of items) d?.dispose?.();
    });
  }
  /** @type {(() => unknown) | undefined} */
  #onDispose;
  /** @param {() => unknown} onDispose */
  constructor(onDispose) {
    this.#onDispose = onDispose;
  }
  dispose() {
    const fn = this.#onDispose;
    this.#onDispose = undefined;
    fn?.();
  }
}

class EventEmitter {
  /** @type {Set<{ fn: (e: unknown) => unknown; thisArg: unknown }>} */
  #listeners = new Set();
  /** @param {(e: unknown) => unknown} fn @param {unknown} [thisArg] @param {Disposable[]} [disposables] */
  event = (fn, thisArg, disposables) => {
    const entry = { fn, thisArg };
    this.#listeners.add(entry);
    const d = new Disposable(() => this.#listeners.delete(entry));
    disposables?.push(d);
    return d;
  };
  /** @param {unknown} data */
  fire(data) {
    for (const l of [...this.#listeners]) l.fn.call(l.thisArg, data);
  }
  dispose() {
    this.#listeners.clear();
  }
}

const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 };

class TreeItem {
  /** @param {unknown} label @param {number} [collapsibleState] */
  constructor(label, collapsibleState = TreeItemCollapsibleState.None) {
    this.label = label;
    this.collapsibleState = collapsibleState;
  }
}

class ThemeColor {
  /** @param {string} id */
  constructor(id) {
    this.id = id;
  }
}

class ThemeIcon {
  /** @param {string} id @param {ThemeColor} [color] */
  constructor(id, color) {
    this.id = id;
    this.color = color;
  }
}

class MarkdownString {
  /** @param {string} [value] */
  constructor(value = '') {
    this.value = value;
  }
  /** @param {string} text */
  appendMarkdown(text) {
    this.value += text;
    return this;
  }
}

class CancellationTokenSource {
  #cancelled = new EventEmitter();
  token = { isCancellationRequested: false, onCancellationRequested: this.#cancelled.event };
  cancel() {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.#cancelled.fire(undefined);
  }
  dispose() {
    this.#cancelled.dispose();
  }
}

/** Commands VS Code itself provides, which answer without being registered. */
const BUILT_IN_COMMAND = /^(setContext$|vscode\.|workbench\.)/;

/** The functions of the API that ask the user: the test's answer, or undefined (dismissed). */
const ASKS = [
  'window.showErrorMessage',
  'window.showWarningMessage',
  'window.showInformationMessage',
  'window.showQuickPick',
  'window.showInputBox',
];

function createStandIn() {
  /** @type {{ name: string; args: unknown[] }[]} */
  const calls = [];
  /** @type {Map<string, (...args: unknown[]) => unknown>} */
  const answers = new Map();
  /** @type {Map<string, (...args: unknown[]) => unknown>} */
  const registered = new Map();
  /** @type {Map<string, unknown>} */
  const settings = new Map();
  const configurationChanged = new EventEmitter();

  /** @param {string} name @param {unknown[]} args */
  const record = (name, args) => void calls.push({ name, args });
  /** @param {string} name @returns {(...args: unknown[]) => Promise<unknown>} */
  const ask =
    (name) =>
    async (...args) => {
      // a quick pick may be given its items as a promise, as VS Code allows
      const resolved = name === 'window.showQuickPick' ? [await args[0], ...args.slice(1)] : args;
      record(name, resolved);
      return answers.get(name)?.(...resolved);
    };

  /**
   * A namespace whose own functions are given; any other property is a recording stand-in.
   * @param {string} ns @param {Record<string, unknown>} own
   */
  const namespace = (ns, own) =>
    new Proxy(own, {
      get: (target, prop) => {
        if (Object.hasOwn(target, prop) || typeof prop === 'symbol') return Reflect.get(target, prop);
        const name = `${ns}.${prop}`;
        return (/** @type {unknown[]} */ ...args) => {
          record(name, args);
          return stub(`${name}()`);
        };
      },
    });

  const window = namespace(
    'window',
    Object.fromEntries([
      ...ASKS.filter((n) => n.startsWith('window.')).map((n) => [n.slice('window.'.length), ask(n)]),
      [
        'withProgress',
        /** @param {unknown} options @param {(progress: unknown, token: unknown) => unknown} task */
        async (options, task) => {
          /** @type {unknown[]} */
          const reports = [];
          record('window.withProgress', [options, reports]);
          const source = new CancellationTokenSource();
          try {
            return await task({ report: (/** @type {unknown} */ value) => void reports.push(value) }, source.token);
          } finally {
            source.dispose();
          }
        },
      ],
    ]),
  );

  const commands = namespace('commands', {
    /** @param {string} id @param {(...args: unknown[]) => unknown} handler */
    registerCommand: (id, handler) => {
      if (registered.has(id)) throw new Error(`command '${id}' already exists`);
      registered.set(id, handler);
      return new Disposable(() => registered.delete(id));
    },
    /** @param {string} id @param {unknown[]} args */
    executeCommand: async (id, ...args) => {
      record('commands.executeCommand', [id, ...args]);
      const handler = registered.get(id);
      if (handler) return handler(...args);
      if (BUILT_IN_COMMAND.test(id)) return undefined;
      throw new Error(`command '${id}' not found`);
    },
  });

  const workspace = namespace('workspace', {
    /** @param {string} [section] */
    getConfiguration: (section) => {
      /** @param {string} key */
      const full = (key) => (section ? `${section}.${key}` : key);
      return {
        /** @param {string} key @param {unknown} [fallback] */
        get: (key, fallback) => (settings.has(full(key)) ? settings.get(full(key)) : fallback),
        /** @param {string} key */
        has: (key) => settings.has(full(key)),
      };
    },
    onDidChangeConfiguration: configurationChanged.event,
  });

  /** @type {Record<string, unknown>} */
  const api = {
    window,
    commands,
    workspace,
    l10n: { t: l10nT },
    env: namespace('env', {}),
    languages: namespace('languages', {}),
    extensions: namespace('extensions', {}),
    Uri: stub('vscode.Uri'),
    Disposable,
    EventEmitter,
    CancellationTokenSource,
    TreeItem,
    TreeItemCollapsibleState,
    ThemeIcon,
    ThemeColor,
    MarkdownString,
    StatusBarAlignment: { Left: 1, Right: 2 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2, Three: 3 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    QuickPickItemKind: { Separator: -1, Default: 0 },
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    TextEditorRevealType: { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 },
    NotebookEditorRevealType: { Default: 0, InCenter: 1, InCenterIfOutsideViewport: 2, AtTop: 3 },
    ...Object.fromEntries(['Range', 'Position', 'Selection', 'NotebookRange', 'Diagnostic'].map((n) => [n, stub(`vscode.${n}`)])),
  };
  // bundler interop copies the module's own keys: everything the UI layer names is one
  const vscode = new Proxy(api, {
    get: (target, prop) =>
      Object.hasOwn(target, prop) || typeof prop === 'symbol' ? Reflect.get(target, prop) : stub(`vscode.${String(prop)}`),
  });

  return {
    vscode,
    calls,
    /** @param {string} name */
    callsTo: (name) => calls.filter((c) => c.name === name).map((c) => c.args),
    /** @param {string} name @param {(...args: unknown[]) => unknown} reply */
    answer: (name, reply) => {
      if (!ASKS.includes(name)) throw new Error(`${name} does not ask the user`);
      answers.set(name, reply);
    },
    /** @param {Record<string, unknown>} values */
    configure: (values) => {
      for (const [key, value] of Object.entries(values)) {
        if (value === undefined) settings.delete(key);
        else settings.set(key, value);
      }
      const keys = Object.keys(values);
      configurationChanged.fire({
        affectsConfiguration: (/** @type {string} */ s) => keys.some((k) => k === s || k.startsWith(`${s}.`)),
      });
    },
    reset: () => {
      calls.length = 0;
      answers.clear();
      registered.clear();
      settings.clear();
    },
  };
}

// one stand-in per process, shared by every copy of this module a loader makes
const KEY = Symbol.for('berth.vscodeStandIn');
/** @type {any} */
const shared = globalThis;
/** @type {ReturnType<typeof createStandIn>} */
export const standIn = (shared[KEY] ??= createStandIn());

/**
 * Make `require('vscode')` answer the unit tests' stand-in, until the returned function is called.
 * @returns {() => void}
 */
export function installVscodeStandIn() {
  /** @type {any} */
  const mod = Module;
  const resolve = mod._resolveFilename;
  mod._resolveFilename = (/** @type {string} */ request, /** @type {unknown[]} */ ...rest) =>
    request === 'vscode' ? 'vscode' : resolve(request, ...rest);
  mod._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: standIn.vscode };
  return () => {
    mod._resolveFilename = resolve;
    delete mod._cache.vscode;
  };
}
