import * as vscode from 'vscode';
import type { ContainerRecord, StoreChange } from '../../core/engine/containerStore';
import type { Services } from '../services';
import {
  containerContext,
  containerTooltip,
  describeContainer,
  groupId,
  groupLabel,
  groupOf,
  matchesFilter,
  statsText,
  toneOf,
  type GroupKey,
  type Tone,
} from './format';
import type { StatsHub } from '../stats/statsHub';
import type { LiveContainers } from './liveContainers';
import { RowRefresh, rowKey } from './rowRefresh';
import type { ComposeProjects } from '../compose/composeProjects';
import type { ComposeService } from '../../core/compose/composeModel';
import { COMPOSE_LABEL } from '../../core/engine/labels';
import { describeService, projectContext } from '../compose/composeFormat';

export class GroupNode {
  readonly kind = 'group';
  constructor(
    readonly key: GroupKey,
    readonly id: string,
  ) {}
}

export class ContainerNode {
  readonly kind = 'container';
  constructor(public record: ContainerRecord) {}
}

/** A Compose service that has no container (not created yet, or scaled to 0): known from `config`. */
export class ServiceNode {
  readonly kind = 'service';
  constructor(
    readonly project: string,
    public service: ComposeService,
    readonly id: string,
  ) {}
}

export type ContainerTreeNode = GroupNode | ContainerNode | ServiceNode;

const TONE_ICON: Record<Tone, [string, string | undefined]> = {
  ok: ['vm-running', 'testing.iconPassed'],
  warn: ['vm-outline', 'list.warningForeground'],
  error: ['error', 'list.errorForeground'],
  idle: ['vm-outline', 'disabledForeground'],
};

const GROUP_ORDER: Record<GroupKey['kind'], number> = { compose: 0, berth: 1, other: 2 };

/**
 * The Containers view. Elements are stable objects (one per container id, one per group), so a
 * change to one container refreshes that row alone, and only when what the row shows changed
 * (see RowRefresh); only membership changes refresh a group. Tooltips are resolved on hover.
 */
export class ContainersTreeProvider implements vscode.TreeDataProvider<ContainerTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ContainerTreeNode | ContainerTreeNode[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly nodes = new Map<string, ContainerNode>();
  private readonly groups = new Map<string, GroupNode>();
  private readonly serviceNodes = new Map<string, ServiceNode>();
  private filter = '';
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly clock: NodeJS.Timeout;

  private readonly sampled = new Set<string>();
  private sampleTimer: NodeJS.Timeout | undefined;
  private readonly rows: RowRefresh;

  constructor(
    live: LiveContainers,
    private readonly stats: StatsHub,
    private readonly compose?: ComposeProjects,
  ) {
    this.rows = new RowRefresh({
      key: (r) => rowKey(r, Date.now(), this.stats.latest(r.id)),
      fire: (ids) => {
        const nodes = ids.flatMap((id) => this.nodes.get(id) ?? []);
        if (nodes.length > 0) this.changed.fire(nodes);
      },
    });
    this.disposables.push(
      live.onDidChange((c) => this.apply(c)),
      // a compose file read again (services added, removed, renamed) reshapes its project
      ...(compose ? [compose.onDidChange(() => this.changed.fire(undefined))] : []),
      // rows of containers with live stats refresh at most every 2 s
      stats.onDidSample((id) => {
        this.sampled.add(id);
        this.sampleTimer ??= setTimeout(() => {
          this.sampleTimer = undefined;
          const records = [...this.sampled].flatMap((x) => this.nodes.get(x)?.record ?? []);
          this.sampled.clear();
          this.rows.aged(records);
        }, 2000);
      }),
    );
    // relative times (uptime, "exited 3m ago") age: refresh the rows that now read differently
    this.clock = setInterval(() => this.rows.aged([...this.nodes.values()].map((n) => n.record)), 15_000);
  }

  get filterText(): string {
    return this.filter;
  }

  setFilter(text: string): void {
    this.filter = text.trim();
    this.changed.fire(undefined);
  }

  nodeFor(id: string): ContainerNode | undefined {
    return this.nodes.get(id);
  }

  private group(key: GroupKey): GroupNode {
    const id = groupId(key);
    let g = this.groups.get(id);
    if (!g) {
      g = new GroupNode(key, id);
      this.groups.set(id, g);
    }
    return g;
  }

  private apply(changes: readonly StoreChange[] | 'reset'): void {
    if (changes === 'reset') {
      for (const id of this.nodes.keys()) this.rows.forget(id);
      this.nodes.clear();
      this.changed.fire(undefined);
      return;
    }
    const rows: ContainerRecord[] = [];
    const counts = new Set<GroupNode>();
    let structural = false;
    for (const change of changes) {
      if (change.kind === 'removed') {
        this.rows.forget(change.id);
        structural ||= this.nodes.delete(change.id);
        continue;
      }
      const node = this.nodes.get(change.record.id);
      if (!node) {
        this.nodes.set(change.record.id, new ContainerNode(change.record));
        structural = true;
        continue;
      }
      const before = node.record;
      node.record = change.record;
      // a compose project's row counts its running services
      const key = groupOf(change.record);
      if (key.kind === 'compose' && (before.state === 'running') !== (change.record.state === 'running')) counts.add(this.group(key));
      if (groupId(groupOf(before)) !== groupId(groupOf(change.record)) || before.name !== change.record.name) structural = true;
      else if (this.filter !== '' && matchesFilter(before, this.filter) !== matchesFilter(change.record, this.filter)) structural = true;
      else rows.push(change.record);
    }
    if (structural) {
      this.rows.clear();
      this.changed.fire(undefined);
      return;
    }
    for (const r of rows) this.rows.update(r);
    if (counts.size > 0) this.changed.fire([...counts]);
  }

  getTreeItem(node: ContainerTreeNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const members = this.members(node.key).length;
      const item = new vscode.TreeItem(groupLabel(node.key), vscode.TreeItemCollapsibleState.Expanded);
      item.id = node.id;
      item.description = `${members}`;
      item.iconPath = new vscode.ThemeIcon(node.key.kind === 'compose' ? 'layers' : node.key.kind === 'berth' ? 'rocket' : 'package');
      item.contextValue = `containerGroup.${node.key.kind}`;
      if (node.key.kind === 'compose') {
        const project = this.compose?.get(node.key.project);
        item.contextValue = projectContext(project);
        if (project?.error !== undefined) {
          item.description = `${members} · ${project.error.split('\n')[0] ?? ''}`;
          item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
        } else if (project?.model) {
          const running = new Set(
            this.members(node.key)
              .filter((m) => m.record.state === 'running')
              .map((m) => m.record.labels[COMPOSE_LABEL.service]),
          ).size;
          item.description = vscode.l10n.t('{0} of {1} services running', running, project.model.services.length);
        }
        if (project?.file) item.tooltip = vscode.workspace.asRelativePath(project.file);
      }
      return item;
    }
    if (node.kind === 'service') {
      const item = new vscode.TreeItem(node.service.name, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      item.description = describeService(node.service);
      item.iconPath = new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('disabledForeground'));
      item.contextValue = 'composeService';
      item.accessibilityInformation = { label: `${node.service.name}, ${item.description}` };
      return item;
    }
    const r = node.record;
    const now = Date.now();
    const item = new vscode.TreeItem(r.name, vscode.TreeItemCollapsibleState.None);
    item.id = r.id;
    const sample = this.stats.latest(r.id);
    item.description = describeContainer(r, now) + (sample && r.state === 'running' ? ` · ${statsText(sample)}` : '');
    this.rows.rendered(r, rowKey(r, now, sample));
    const [icon, color] = TONE_ICON[toneOf(r)];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.contextValue = containerContext(r);
    item.accessibilityInformation = { label: `${r.name}, ${item.description}` };
    return item;
  }

  /** Tooltips on hover: always of the record as it is then. */
  resolveTreeItem(item: vscode.TreeItem, node: ContainerTreeNode): vscode.TreeItem {
    if (node.kind !== 'container') return item;
    const tooltip = new vscode.MarkdownString(containerTooltip(node.record, Date.now()));
    tooltip.supportHtml = false;
    tooltip.isTrusted = false;
    item.tooltip = tooltip;
    return item;
  }

  private members(key: GroupKey): ContainerNode[] {
    const id = groupId(key);
    return [...this.nodes.values()]
      .filter((n) => groupId(groupOf(n.record)) === id && (this.filter === '' || matchesFilter(n.record, this.filter)))
      .sort((a, b) => a.record.name.localeCompare(b.record.name));
  }

  /** A compose project's services that have no container, as rows of their own. */
  private idleServices(key: GroupKey): ServiceNode[] {
    if (key.kind !== 'compose') return [];
    const model = this.compose?.get(key.project)?.model;
    if (!model) return [];
    const withContainer = new Set(
      [...this.nodes.values()]
        .filter((n) => n.record.labels[COMPOSE_LABEL.project] === key.project)
        .map((n) => n.record.labels[COMPOSE_LABEL.service]),
    );
    const filter = this.filter.toLowerCase();
    return model.services
      .filter((s) => !withContainer.has(s.name) && (filter === '' || `${key.project}\n${s.name}`.toLowerCase().includes(filter)))
      .map((s) => {
        const id = `service:${key.project}:${s.name}`;
        let n = this.serviceNodes.get(id);
        if (!n) {
          n = new ServiceNode(key.project, s, id);
          this.serviceNodes.set(id, n);
        }
        n.service = s;
        return n;
      });
  }

  getChildren(node?: ContainerTreeNode): ContainerTreeNode[] {
    if (node?.kind === 'container' || node?.kind === 'service') return [];
    if (node?.kind === 'group')
      return [...this.members(node.key), ...this.idleServices(node.key)].sort((a, b) => sortName(a).localeCompare(sortName(b)));
    const keys = new Map<string, GroupKey>();
    for (const n of this.nodes.values()) {
      if (this.filter !== '' && !matchesFilter(n.record, this.filter)) continue;
      const key = groupOf(n.record);
      keys.set(groupId(key), key);
    }
    // the workspace's compose projects show even before their first Up
    for (const p of this.compose?.workspaceProjects() ?? []) {
      const key: GroupKey = { kind: 'compose', project: p.name };
      if (this.filter === '' || p.name.toLowerCase().includes(this.filter.toLowerCase()) || this.idleServices(key).length > 0)
        keys.set(groupId(key), key);
    }
    return [...keys.values()]
      .sort((a, b) => GROUP_ORDER[a.kind] - GROUP_ORDER[b.kind] || groupLabel(a).localeCompare(groupLabel(b)))
      .map((k) => this.group(k));
  }

  getParent(node: ContainerTreeNode): ContainerTreeNode | undefined {
    if (node.kind === 'service') return this.group({ kind: 'compose', project: node.project });
    return node.kind === 'container' ? this.group(groupOf(node.record)) : undefined;
  }

  dispose(): void {
    clearInterval(this.clock);
    clearTimeout(this.sampleTimer);
    this.rows.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Rows of a compose project sort by service (then container) name; others by container name. */
function sortName(n: ContainerNode | ServiceNode): string {
  return n.kind === 'service' ? `${n.service.name}\u0000` : `${n.record.labels[COMPOSE_LABEL.service] ?? ''}\u0000${n.record.name}`;
}

export function registerContainersTree(
  services: Services,
  live: LiveContainers,
): { provider: ContainersTreeProvider; view: vscode.TreeView<ContainerTreeNode> } {
  const provider = new ContainersTreeProvider(live, services.stats, services.compose);
  const view = vscode.window.createTreeView('berth.containers', { treeDataProvider: provider, canSelectMany: true, showCollapseAll: true });
  const HOLDER = 'containers-view';
  const onVisible = (visible: boolean): void => {
    if (!visible) return live.release(HOLDER);
    live.hold(HOLDER);
    // the workspace's compose projects, read once the view is first shown
    void services.compose.scan();
  };
  if (view.visible) onVisible(true);
  let described: string | undefined;
  const describe = (): void => {
    // unreachable: the welcome view explains (a message would hide it)
    const message = provider.filterText ? vscode.l10n.t('Filter: {0}', provider.filterText) : '';
    // only on a change: setting the message is a refresh of the view, and it holds back the
    // next row refresh by 200 ms like any other (see RowRefresh)
    if (message === described) return;
    described = message;
    view.message = message;
    void vscode.commands.executeCommand('setContext', 'berth.containers.filtered', provider.filterText !== '');
  };
  describe();
  const devContainers = (): Thenable<unknown> =>
    vscode.commands.executeCommand(
      'setContext',
      'berth.devContainers',
      vscode.extensions.getExtension('ms-vscode-remote.remote-containers') !== undefined,
    );
  void devContainers();
  services.context.subscriptions.push(
    vscode.extensions.onDidChange(() => void devContainers()),
    provider,
    view,
    view.onDidChangeVisibility((e) => onVisible(e.visible)),
    services.session.onDidChange(describe),
    live.onDidChange(() => describe()),
  );
  return { provider, view };
}
