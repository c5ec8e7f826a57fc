import * as vscode from 'vscode';
import type { LogMatch, LogSearchEvent } from '../../core/logsearch/search';
import { resultLabel } from './resultText';
import { describeCount, ResultSet, type ContainerResults } from './resultSet';
import { localTime, shortTime } from './timeRange';

export type LogSearchNode =
  | { readonly kind: 'note'; readonly text: string; readonly icon: string; readonly tooltip?: string }
  | { readonly kind: 'container'; readonly results: ContainerResults }
  | { readonly kind: 'match'; readonly match: LogMatch };

/** Tree updates while results stream in: at most one per this many ms. */
const REFRESH_MS = 150;

/**
 * The Log Search view: the current search's results, container → matching lines (time, then the
 * line with its matches highlighted); a click opens that container's log at that time. One search
 * at a time: a new one cancels and replaces the last.
 */
export class LogSearchView implements vscode.TreeDataProvider<LogSearchNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LogSearchNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<LogSearchNode>;
  private results = new ResultSet();
  private title = '';
  private running: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private treeChanged = false;

  constructor() {
    this.view = vscode.window.createTreeView('berth.logSearch', { treeDataProvider: this, showCollapseAll: true });
  }

  /** Start showing a new search (the last one, if still running, is cancelled); its signal. */
  begin(title: string): AbortController {
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    this.results = new ResultSet();
    this.title = title;
    void vscode.commands.executeCommand('setContext', 'berth.logSearch.running', true);
    void vscode.commands.executeCommand('setContext', 'berth.logSearch.hasResults', true);
    this.refreshNow();
    return controller;
  }

  /** One event of the search begun last. */
  add(controller: AbortController, event: LogSearchEvent): void {
    if (controller !== this.running) return;
    // the count in the message moves with every event; the tree only when rows changed
    if (this.results.add(event)) this.treeChanged = true;
    this.timer ??= setTimeout(() => this.refreshNow(), REFRESH_MS);
  }

  /** The search ended (done, stopped at its limit, cancelled or failed). */
  end(controller: AbortController, outcome: 'done' | 'cancelled' | 'failed'): void {
    if (controller !== this.running) return;
    this.running = undefined;
    void vscode.commands.executeCommand('setContext', 'berth.logSearch.running', false);
    if (outcome !== 'done')
      this.title = outcome === 'cancelled' ? vscode.l10n.t('{0} — cancelled', this.title) : vscode.l10n.t('{0} — failed', this.title);
    this.refreshNow();
  }

  get current(): ResultSet {
    return this.results;
  }

  /** The count line: what the search found so far and how far it is. */
  summary(): string {
    const r = this.results;
    const count = describeCount(r.total, r.containers().filter((c) => c.matches.length > 0).length);
    return this.running
      ? vscode.l10n.t('{0} — searching {1}/{2} containers…', count, r.finished, r.planned)
      : vscode.l10n.t('{0} ({1} searched)', count, r.planned);
  }

  /** The progress notification's line: the count and how many containers are done. */
  progressText(): string {
    const r = this.results;
    return vscode.l10n.t(
      '{0} · {1} of {2} containers searched',
      describeCount(r.total, r.containers().filter((c) => c.matches.length > 0).length),
      r.finished,
      r.planned,
    );
  }

  cancel(): void {
    this.running?.abort();
  }

  clear(): void {
    this.running?.abort();
    this.running = undefined;
    this.results = new ResultSet();
    this.title = '';
    void vscode.commands.executeCommand('setContext', 'berth.logSearch.running', false);
    void vscode.commands.executeCommand('setContext', 'berth.logSearch.hasResults', false);
    this.refreshNow();
  }

  private refreshNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.view.message = this.title === '' ? '' : `${this.title}: ${this.summary()}`;
    this.view.description = this.title === '' ? '' : String(this.results.total);
    if (this.treeChanged || this.running === undefined || this.results.total === 0) this.changed.fire(undefined);
    this.treeChanged = false;
  }

  getChildren(node?: LogSearchNode): LogSearchNode[] {
    if (node === undefined) {
      const notes: LogSearchNode[] = [];
      if (this.results.limit !== undefined)
        notes.push({
          kind: 'note',
          text: vscode.l10n.t('Stopped at {0} results — narrow the query or the time range to see the rest', this.results.limit),
          icon: 'warning',
        });
      return [...notes, ...this.results.containers().map((results): LogSearchNode => ({ kind: 'container', results }))];
    }
    if (node.kind === 'container') {
      const notes: LogSearchNode[] =
        node.results.failure === undefined
          ? []
          : [{ kind: 'note', text: node.results.failure, icon: 'error', tooltip: node.results.failure }];
      return [...notes, ...node.results.matches.map((match): LogSearchNode => ({ kind: 'match', match }))];
    }
    return [];
  }

  getTreeItem(node: LogSearchNode): vscode.TreeItem {
    switch (node.kind) {
      case 'note': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        if (node.tooltip) item.tooltip = node.tooltip;
        item.contextValue = 'logSearch.note';
        return item;
      }
      case 'container': {
        const { container, matches, failure } = node.results;
        const item = new vscode.TreeItem(container.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `container:${container.id}`;
        const where = container.service ? `${container.service} · ${container.project ?? ''} · ` : '';
        item.description = `${where}${describeCount(matches.length, 1).replace(/ in 1 container$/, '')}`;
        item.iconPath = new vscode.ThemeIcon(failure === undefined ? 'server-process' : 'warning');
        item.tooltip = `${container.name} (${container.id.slice(0, 12)})`;
        item.contextValue = 'logSearch.container';
        return item;
      }
      case 'match': {
        const { match } = node;
        const label = resultLabel(`${shortTime(match.time, new Date())}  `, match.line, match.ranges);
        const item = new vscode.TreeItem({ label: label.label, highlights: label.highlights });
        item.iconPath =
          match.stream === 'stderr'
            ? new vscode.ThemeIcon('circle-filled', new vscode.ThemeColor('errorForeground'))
            : new vscode.ThemeIcon('circle-outline');
        // a plain string: the container's text is never read as Markdown
        item.tooltip = `${match.containerName} · ${match.stream} · ${match.timestamp}\n\n${match.line}`;
        item.contextValue = 'logSearch.match';
        item.accessibilityInformation = { label: `${match.containerName}, ${match.stream}, ${localTime(match.time)}: ${match.line}` };
        item.command = { command: 'berth.logSearch.openResult', title: vscode.l10n.t('Open Log at This Time'), arguments: [node] };
        return item;
      }
    }
  }

  dispose(): void {
    this.running?.abort();
    clearTimeout(this.timer);
    this.view.dispose();
    this.changed.dispose();
  }
}
