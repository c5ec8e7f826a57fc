import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import type { Services } from '../services';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { StatsFromWebview, StatsSeries, StatsToWebview } from '../webview/protocol';
import type { StatsHub } from './statsHub';

const PUSH_MS = 1000;

/** A panel with live stats and sparklines for the chosen containers. */
export class StatsPanel implements vscode.Disposable {
  private readonly releases: (() => void)[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private paused = false;
  /** The engine connection the containers belong to ended: the panel says so, and shows no more figures. */
  private ended = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly services: Services,
    private readonly hub: StatsHub,
    private readonly targets: readonly ContainerRecord[],
  ) {
    services.session.requireEngine();
    const panel = vscode.window.createWebviewPanel(
      'berth.stats',
      this.title(),
      vscode.ViewColumn.Active,
      webviewOptions(services.context.extensionUri),
    );
    panel.iconPath = vscode.Uri.joinPath(services.context.extensionUri, 'media', 'berth.svg');
    panel.webview.html = webviewHtml(panel.webview, services.context.extensionUri, 'stats', this.title());
    // stopped ones too: their stats start when they do
    for (const r of targets) this.releases.push(hub.watch(r.id, { gpu: r.gpu !== undefined }));
    // the containers are the current engine's: the stats end with its connection (another engine, or the settings changed)
    const scope = services.session.connection;
    const ending = scope.add({ dispose: () => this.end(panel) });
    this.disposables.push(
      panel,
      { dispose: () => scope.remove(ending) },
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: StatsFromWebview) => {
        if (m.type === 'ready') {
          this.ready = true;
          if (this.ended) this.sayEnded(panel.webview);
          else this.push(panel.webview);
        } else if (m.type === 'togglePause') this.paused = m.paused;
      }),
    );
    this.timer = setInterval(() => this.push(panel.webview), PUSH_MS);
  }

  private title(): string {
    return this.targets.length === 1
      ? vscode.l10n.t('Stats: {0}', this.targets[0]?.name ?? '')
      : vscode.l10n.t('Stats: {0} containers', this.targets.length);
  }

  private push(webview: vscode.Webview): void {
    if (!this.ready || this.paused) return;
    const series: StatsSeries[] = this.targets.map((r) => {
      const live = this.services.containers.current?.get(r.id) ?? r;
      const { points, gpuNote, feed } = this.hub.history(r.id);
      return { id: r.id, name: live.name, state: live.state, feed, points, ...(gpuNote ? { gpuNote } : {}) };
    });
    const message: StatsToWebview = { type: 'series', series };
    void webview.postMessage(message);
  }

  private end(panel: vscode.WebviewPanel): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    for (const release of this.releases.splice(0)) release();
    panel.title = vscode.l10n.t('{0} (ended)', this.title());
    if (this.ready) this.sayEnded(panel.webview);
  }

  private sayEnded(webview: vscode.Webview): void {
    const message: StatsToWebview = {
      type: 'error',
      message: vscode.l10n.t(
        'The engine connection changed: these stats end here. Show Stats again for the containers of the engine Berth uses now.',
      ),
    };
    void webview.postMessage(message);
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const release of this.releases.splice(0)) release();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
