import * as vscode from 'vscode';
import type { EngineState } from './engineSession';
import type { ContainerStore } from '../../core/engine/containerStore';
import { engineEvents } from '../../core/engine/events';
import type { Services } from '../services';

interface Row {
  readonly label: string;
  readonly description: string;
  readonly tooltip?: string;
  readonly icon: string;
  readonly color?: string;
}

/** The engine summary rows; empty when there is no engine (the welcome view then explains). */
export function engineRows(state: EngineState, live?: { running?: number; total?: number; images?: number }): Row[] {
  if (state.kind !== 'connected') return [];
  const { engine, info, gpu, endpoint } = state;
  const v = engine.serverVersion;
  return [
    { label: 'Engine', description: `Docker ${v.version} · API ${engine.apiVersion}`, icon: 'vm-active', color: 'testing.iconPassed' },
    { label: 'Host', description: endpoint.host, tooltip: `Chosen because of ${endpoint.reason}`, icon: 'plug' },
    { label: 'OS', description: `${info.operatingSystem ?? v.os} · ${v.arch} · ${info.cpus ?? '?'} CPUs`, icon: 'server' },
    {
      label: 'GPU',
      description: gpu.summary,
      tooltip: gpu.available ? gpu.found.join(', ') : gpu.reasons.join('\n'),
      icon: gpu.available ? 'circuit-board' : 'circle-slash',
    },
    {
      label: 'Containers',
      description: `${live?.running ?? info.containersRunning ?? 0} running of ${live?.total ?? info.containers ?? 0}`,
      icon: 'package',
    },
    { label: 'Images', description: String(live?.images ?? info.images ?? 0), icon: 'file-binary' },
  ];
}

class EngineViewProvider implements vscode.TreeDataProvider<Row> {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The engine's image count, re-read on image events; undefined: the one from connecting. */
  images: number | undefined;
  /** The live container model once it has listed (before that, the figures from connecting hold). */
  listed: ContainerStore | undefined;
  constructor(private readonly services: Services) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(row: Row): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.description = row.description;
    item.tooltip = row.tooltip ?? `${row.label}: ${row.description}`;
    item.iconPath = new vscode.ThemeIcon(row.icon, row.color ? new vscode.ThemeColor(row.color) : undefined);
    item.contextValue = `engine.${row.label.toLowerCase()}`;
    item.accessibilityInformation = { label: `${row.label}: ${row.description}` };
    return item;
  }

  getChildren(row?: Row): Row[] {
    const store = this.services.containers.current;
    const records = store !== undefined && store === this.listed ? store.all() : undefined;
    const live = {
      ...(records ? { running: records.filter((r) => r.state === 'running').length, total: records.length } : {}),
      ...(this.images === undefined ? {} : { images: this.images }),
    };
    return row ? [] : engineRows(this.services.session.state, live);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

const HOLDER = 'engine view';

export function registerEngineView(services: Services): void {
  const provider = new EngineViewProvider(services);
  const view = vscode.window.createTreeView('berth.engine', { treeDataProvider: provider });
  // no view.message here: a message would hide the welcome view and its Retry button
  // the figures follow the engine while the view is visible, at most about three times a second
  let pending: NodeJS.Timeout | undefined;
  const soon = (): void => {
    pending ??= setTimeout(() => {
      pending = undefined;
      provider.refresh();
    }, 300);
  };

  // containers: the live model (held while the view shows); images: re-read on image events
  let watch: AbortController | undefined;
  const stop = (): void => {
    if (!watch) return;
    watch.abort();
    watch = undefined;
    services.containers.release(HOLDER);
  };
  const start = (): void => {
    const state = services.session.state;
    if (watch || !view.visible || state.kind !== 'connected') return;
    const controller = new AbortController();
    watch = controller;
    services.containers.hold(HOLDER);
    const { engine } = state;
    let debounce: NodeJS.Timeout | undefined;
    const readImages = async (): Promise<void> => {
      try {
        const info = await engine.info(controller.signal);
        if (controller.signal.aborted) return;
        provider.images = info.images;
        soon();
      } catch (err) {
        if (!controller.signal.aborted) services.log.warn(`Engine view: could not re-read the image count: ${String(err)}`);
      }
    };
    void readImages(); // it may have changed while the view was hidden
    void (async () => {
      try {
        for await (const _event of engineEvents(engine, { signal: controller.signal, filters: { type: ['image'] } })) {
          clearTimeout(debounce);
          debounce = setTimeout(() => void readImages(), 300);
        }
      } catch (err) {
        if (!controller.signal.aborted) services.log.warn(`Engine view: image events stopped: ${String(err)}`);
      } finally {
        clearTimeout(debounce);
      }
    })();
  };

  services.context.subscriptions.push(
    provider,
    view,
    services.session.onDidChange(() => {
      stop();
      provider.images = undefined;
      provider.refresh();
      start();
    }),
    view.onDidChangeVisibility((e) => (e.visible ? start() : stop())),
    services.containers.onDidChange((change) => {
      // 'reset': a new model, still empty until its first list reports
      if (change !== 'reset') provider.listed = services.containers.current;
      soon();
    }),
    { dispose: () => (stop(), clearTimeout(pending)) },
  );
  start();
}
