import * as vscode from 'vscode';
import type { EngineState } from '../connection/engineSession';
import type { Services } from '../services';

interface Row {
  readonly label: string;
  readonly description: string;
  readonly tooltip?: string;
  readonly icon: string;
  readonly color?: string;
}

/** The engine summary rows; empty when there is no engine (the welcome view then explains). */
export function engineRows(state: EngineState, live?: { running: number; total: number }): Row[] {
  if (state.kind !== 'connected') return [];
  const { engine, info, gpu, endpoint } = state;
  const v = engine.serverVersion;
  return [
    { label: 'Engine', description: `Docker ${v.Version} · API ${engine.apiVersion}`, icon: 'vm-active', color: 'testing.iconPassed' },
    { label: 'Host', description: endpoint.host, tooltip: `Chosen because of ${endpoint.reason}`, icon: 'plug' },
    { label: 'OS', description: `${info.OperatingSystem ?? v.Os} · ${v.Arch} · ${info.NCPU ?? '?'} CPUs`, icon: 'server' },
    {
      label: 'GPU',
      description: gpu.summary,
      tooltip: gpu.available ? gpu.found.join(', ') : gpu.reasons.join('\n'),
      icon: gpu.available ? 'circuit-board' : 'circle-slash',
    },
    {
      label: 'Containers',
      description: `${live?.running ?? info.ContainersRunning ?? 0} running of ${live?.total ?? info.Containers ?? 0}`,
      icon: 'package',
    },
    { label: 'Images', description: String(info.Images ?? 0), icon: 'file-binary' },
  ];
}

class EngineViewProvider implements vscode.TreeDataProvider<Row> {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
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
    const records = this.services.containers.current?.all();
    const live = records && { running: records.filter((r) => r.state === 'running').length, total: records.length };
    return row ? [] : engineRows(this.services.session.state, live);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerEngineView(services: Services): void {
  const provider = new EngineViewProvider(services);
  const view = vscode.window.createTreeView('berth.engine', { treeDataProvider: provider });
  // no view.message here: a message would hide the welcome view and its Retry button
  // container counts follow the live model, at most about three times a second
  let pending: NodeJS.Timeout | undefined;
  const soon = (): void => {
    pending ??= setTimeout(() => {
      pending = undefined;
      provider.refresh();
    }, 300);
  };
  services.context.subscriptions.push(
    provider,
    view,
    services.session.onDidChange(() => provider.refresh()),
    services.containers.onDidChange(soon),
    { dispose: () => clearTimeout(pending) },
  );
}
