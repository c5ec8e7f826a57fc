import * as fs from 'node:fs';
import { engineProductName, podmanSockets } from '../../core/engine/podman';
import * as vscode from 'vscode';
import type { EngineState } from './engineSession';
import type { ContainerStore } from '../../core/engine/containerStore';
import { engineEvents } from '../../core/engine/events';
import type { Services } from '../services';
import { currentEngineNotices, engineTopRows, targetKey, targetOf, type EngineTarget, type TopRow } from './enginesModel';

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
    {
      label: 'Engine',
      description: `${engineProductName(engine.serverVersion.flavour)} ${v.version} · API ${engine.apiVersion}`,
      icon: 'vm-active',
      color: 'testing.iconPassed',
    },
    { label: 'Host', description: endpoint.host, tooltip: vscode.l10n.t('Chosen because of {0}', endpoint.reason), icon: 'plug' },
    {
      label: 'OS',
      description: vscode.l10n.t('{0} · {1} · {2} CPUs', info.operatingSystem ?? v.os, v.arch, info.cpus ?? '?'),
      icon: 'server',
    },
    {
      label: 'GPU',
      description: gpu.summary,
      tooltip: gpu.available ? gpu.found.join(', ') : gpu.reasons.join('\n'),
      icon: gpu.available ? 'circuit-board' : 'circle-slash',
    },
    {
      label: 'Containers',
      description: vscode.l10n.t('{0} running of {1}', live?.running ?? info.containersRunning ?? 0, live?.total ?? info.containers ?? 0),
      icon: 'package',
    },
    { label: 'Images', description: String(live?.images ?? info.images ?? 0), icon: 'file-binary' },
  ];
}

/** A row of the Engines view: an engine (context or host), a notice under it, or a summary row. */
type ViewRow = TopRow | { readonly kind: 'summary'; readonly parent: string; readonly row: Row };

class EngineViewProvider implements vscode.TreeDataProvider<ViewRow> {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The engine's image count, re-read on image events; undefined: the one from connecting. */
  images: number | undefined;
  /** The live container model once it has listed (before that, the figures from connecting hold). */
  listed: ContainerStore | undefined;
  /** The engine Berth was last connected to: "Back to …" when the one it uses now cannot be reached. */
  lastConnected: EngineTarget | undefined;
  constructor(private readonly services: Services) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(row: ViewRow): vscode.TreeItem {
    if (row.kind === 'summary') return summaryItem(row.row, `${row.parent}/${row.row.label}`);
    if (row.kind === 'notice') {
      const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
      item.id = `notice:${row.id}`;
      if (row.description !== undefined) item.description = row.description;
      item.tooltip = row.tooltip ?? row.label;
      item.iconPath = new vscode.ThemeIcon(row.icon, row.color ? new vscode.ThemeColor(row.color) : undefined);
      item.contextValue = row.action ? 'engineNotice.action' : 'engineNotice';
      if (row.action) item.command = { title: row.action.title, command: row.action.command, arguments: [...(row.action.args ?? [])] };
      return item;
    }
    const current = row.status !== 'other';
    const item = new vscode.TreeItem(row.label, current ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    // the id changes with the state, so that the current engine opens expanded after a switch
    item.id = `${row.id}#${current ? 'current' : 'other'}`;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.icon, row.color ? new vscode.ThemeColor(row.color) : undefined);
    item.contextValue = `engineContext.${current ? 'current' : 'other'}${row.stored ? '.stored' : ''}`;
    item.accessibilityInformation = { label: `${row.label}: ${row.description}` };
    return item;
  }

  getChildren(row?: ViewRow): ViewRow[] {
    const session = this.services.session.state;
    if (row === undefined) {
      const podman = podmanSockets({ env: process.env, uid: process.getuid?.(), exists: fs.existsSync });
      const top = engineTopRows(this.services.engineContexts.list(), session, podman, vscode.l10n);
      return top === 'flat' ? this.summary(undefined) : top;
    }
    if (row.kind !== 'endpoint' || row.status === 'other') return [];
    if (row.status === 'connected') return this.summary(row.id);
    const back = this.lastConnected && targetKey(this.lastConnected) !== targetKey(row.target) ? this.lastConnected : undefined;
    return currentEngineNotices(session, row.status, back, vscode.l10n);
  }

  private summary(parent: string | undefined): ViewRow[] {
    const store = this.services.containers.current;
    const records = store !== undefined && store === this.listed ? store.all() : undefined;
    const live = {
      ...(records ? { running: records.filter((r) => r.state === 'running').length, total: records.length } : {}),
      ...(this.images === undefined ? {} : { images: this.images }),
    };
    return engineRows(this.services.session.state, live).map((r) => ({ kind: 'summary', parent: parent ?? '', row: r }));
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function summaryItem(row: Row, id: string): vscode.TreeItem {
  const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
  item.id = `summary:${id}`;
  item.description = row.description;
  item.tooltip = row.tooltip ?? `${row.label}: ${row.description}`;
  item.iconPath = new vscode.ThemeIcon(row.icon, row.color ? new vscode.ThemeColor(row.color) : undefined);
  item.contextValue = `engine.${row.label.toLowerCase()}`;
  item.accessibilityInformation = { label: `${row.label}: ${row.description}` };
  return item;
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
    services.session.onDidChange((state) => {
      if (state.kind === 'connected') provider.lastConnected = targetOf(state.endpoint);
      stop();
      provider.images = undefined;
      provider.refresh();
      start();
    }),
    view.onDidChangeVisibility((e) => {
      if (e.visible) provider.refresh(); // contexts added or removed outside VS Code meanwhile
      return e.visible ? start() : stop();
    }),
    services.engineContexts.onDidChange(() => provider.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('berth.engine')) provider.refresh();
    }),
    services.containers.onDidChange((change) => {
      // 'reset': a new model, still empty until its first list reports
      if (change !== 'reset') provider.listed = services.containers.current;
      soon();
    }),
    { dispose: () => (stop(), clearTimeout(pending)) },
  );
  start();
}
