import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { BERTH_LABEL } from '../../core/engine/labels';
import type { FleetSample, FleetSnapshot } from '../../core/fleet/types';
import type { CommandContext } from '../commands';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { FleetFromWebview, FleetOpen, FleetToWebview } from '../webview/protocol';
import { openContainerLogs, openContainerStats } from './openContainer';

/** What the dashboard reads: the fleet model of the current engine connection. */
export interface FleetSource {
  readonly intervalMs: number;
  snapshot(): FleetSnapshot;
  history(id: string): readonly FleetSample[];
  /** Called after each sample; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/**
 * The Fleet dashboard: one panel per window showing every running model container with its
 * request rate, latency percentiles, error rate, CPU, memory, GPU, restarts and OOM kills, and an
 * hour of history for the selected one. Rows open the container's logs, stats or playground.
 */
export class FleetPanel implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private selected: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private source: FleetSource | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: CommandContext,
    onClosed: () => void,
  ) {
    const extensionUri = ctx.context.extensionUri;
    this.panel = vscode.window.createWebviewPanel(
      'berth.fleet',
      vscode.l10n.t('Berth: Fleet'),
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'berth.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'fleet', vscode.l10n.t('Berth: Fleet'));
    this.disposables.push(
      this.panel.onDidDispose(() => {
        this.detach();
        for (const d of this.disposables) d.dispose();
        onClosed();
      }),
      this.panel.webview.onDidReceiveMessage((m: FleetFromWebview) => this.onMessage(m)),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Show another source's figures (the engine connection changed), or why there are none. */
  attach(source: FleetSource | undefined, why?: string): void {
    this.detach();
    this.source = source;
    if (!source) {
      this.post({ type: 'error', message: why ?? vscode.l10n.t('No engine: the dashboard fills when Berth is connected.') });
      return;
    }
    this.unsubscribe = source.onChange(() => this.push());
    this.push();
  }

  dispose(): void {
    this.panel.dispose();
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.source = undefined;
  }

  private push(): void {
    const source = this.source;
    if (!source) return;
    this.post({ type: 'snapshot', snapshot: source.snapshot(), intervalMs: source.intervalMs });
    if (this.selected !== undefined) this.post({ type: 'history', id: this.selected, samples: source.history(this.selected) });
  }

  private onMessage(m: FleetFromWebview): void {
    switch (m.type) {
      case 'ready':
        this.push();
        return;
      case 'select':
        this.selected = m.id;
        if (m.id !== undefined && this.source) this.post({ type: 'history', id: m.id, samples: this.source.history(m.id) });
        return;
      case 'open':
        void this.open(m.id, m.what).catch((err: unknown) => {
          this.ctx.log.error('Fleet dashboard', err);
          void vscode.window.showErrorMessage(vscode.l10n.t('Berth could not open that: {0}', (err as Error).message));
        });
        return;
    }
  }

  private async open(id: string, what: FleetOpen): Promise<void> {
    const record: ContainerRecord | undefined = this.ctx.containers.current?.get(id);
    if (!record) {
      void vscode.window.showInformationMessage(vscode.l10n.t('That container is gone: it was removed.'));
      return;
    }
    if (what === 'logs') openContainerLogs(this.ctx, record);
    else if (what === 'stats') openContainerStats(this.ctx, record);
    else if (!record.ports.some((p) => p.hostPort !== undefined))
      void vscode.window.showInformationMessage(vscode.l10n.t('{0} publishes no port, so it has no playground.', record.name));
    else await this.ctx.playgrounds.show(record, record.labels[BERTH_LABEL.project]);
  }

  private post(message: FleetToWebview): void {
    void this.panel.webview.postMessage(message);
  }
}
