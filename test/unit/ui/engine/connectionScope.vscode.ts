/**
 * A small `vscode` stand-in for connectionScope.test.ts, installed when imported (import it before
 * any src/ui module): events, disposables, settings that the test changes, commands that do nothing.
 */
import Module from 'node:module';

export class Disposable {
  constructor(private onDispose: (() => unknown) | undefined) {}
  dispose(): void {
    const fn = this.onDispose;
    this.onDispose = undefined;
    fn?.();
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<(e: T) => unknown>();
  readonly event = (fn: (e: T) => unknown): Disposable => {
    this.listeners.add(fn);
    return new Disposable(() => this.listeners.delete(fn));
  };
  fire(data: T): void {
    for (const fn of [...this.listeners]) fn(data);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

/** Berth's settings as the test sets them (keys without "berth."). */
export const settings = new Map<string, unknown>();
const configurationChanged = new EventEmitter<{ affectsConfiguration: (section: string) => boolean }>();

/** Change a setting as the Settings editor would: the value, then the event. */
export function changeSetting(key: string, value: unknown): void {
  settings.set(key, value);
  configurationChanged.fire({ affectsConfiguration: (section) => `berth.${key}`.startsWith(section) });
}

/** What Show Logs opened: the terminals' pseudoterminals, last last. */
export const terminals: { name: string; pty: unknown }[] = [];

class Themed {
  constructor(readonly id: string) {}
}

class TreeItem {
  constructor(readonly label: unknown) {}
}

const vscode = {
  Disposable,
  EventEmitter,
  ThemeIcon: Themed,
  ThemeColor: Themed,
  TreeItem,
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  window: {
    createTerminal: (options: { name: string; pty: unknown }) => {
      terminals.push(options);
      return { show: () => undefined };
    },
  },
  workspace: {
    onDidChangeConfiguration: configurationChanged.event,
    getConfiguration: () => ({ get: <V>(key: string, fallback: V): V => (settings.has(key) ? (settings.get(key) as V) : fallback) }),
  },
  commands: { executeCommand: (): Promise<undefined> => Promise.resolve(undefined) },
};

const loader = Module as unknown as {
  _resolveFilename: (request: string, ...rest: unknown[]) => string;
  _cache: Record<string, unknown>;
};
const resolve = loader._resolveFilename;
loader._resolveFilename = (request, ...rest) => (request === 'vscode' ? 'vscode' : resolve(request, ...rest));
loader._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode };
