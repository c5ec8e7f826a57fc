import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CellComparison } from '../../core/notebook/compareCells';
import type { ComparisonReport } from '../../core/notebook/comparison';
import type { EnvironmentRow } from '../../core/notebook/environment';
import type { CellPlan } from '../../core/notebook/plan';
import type { Services } from '../services';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { CompareFromWebview, CompareRow, CompareToWebview } from '../webview/protocol';

export interface CompareActions {
  /** Run the comparison again with the same image choice. */
  readonly rerun: () => void;
  /** Pick another image (or a running container) and run again. */
  readonly changeImage: () => void;
}

/** Biggest side of a cell sent to the webview; the export keeps everything. */
const MAX_TEXT = 64 * 1024;
const clip = (s: string): string =>
  s.length > MAX_TEXT
    ? `${s.slice(0, MAX_TEXT)}\n… ${vscode.l10n.t('({0} more characters: export the results to see all)', s.length - MAX_TEXT)}`
    : s;

function toRow(c: CellComparison): CompareRow {
  return { ...c, saved: clip(c.saved), container: clip(c.container), ...(c.diff ? { diff: c.diff.slice(0, 2000) } : {}) };
}

/**
 * The results of comparing one notebook with the container: a summary, a row per code cell
 * (live while the cells run), a side-by-side diff of the selected cell and the environment diff.
 * Clicking a row reveals the cell in the notebook editor.
 */
export class ComparePanel {
  private readonly panel: vscode.WebviewPanel;
  private controller: AbortController | undefined;
  private report: ComparisonReport | undefined;
  private pending: CompareToWebview[] = [];
  private ready = false;

  /** A new panel beside the notebook; `onClosed` runs when the user closes it. */
  constructor(
    private readonly services: Pick<Services, 'context' | 'log'>,
    private readonly notebook: vscode.Uri,
    private actions: CompareActions,
    onClosed: () => void,
  ) {
    const extensionUri = services.context.extensionUri;
    const title = vscode.l10n.t('Compare: {0}', path.basename(notebook.fsPath));
    this.panel = vscode.window.createWebviewPanel(
      'berth.compare',
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        ...webviewOptions(extensionUri),
        retainContextWhenHidden: true,
      },
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'berth.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'compare', title);
    this.panel.onDidDispose(() => {
      this.controller?.abort();
      onClosed();
    });
    this.panel.webview.onDidReceiveMessage(
      (m: CompareFromWebview) => void this.onMessage(m).catch((err: unknown) => services.log.error('Compare panel', err)),
    );
  }

  /** Show the panel again, its buttons now acting for the latest command. */
  reveal(actions: CompareActions): void {
    this.actions = actions;
    this.panel.reveal(undefined, true);
  }

  /** A new run: the previous one (if any) is cancelled. */
  begin(): AbortSignal {
    this.controller?.abort();
    this.controller = new AbortController();
    this.report = undefined;
    return this.controller.signal;
  }

  cancel(): void {
    this.controller?.abort();
  }

  private post(message: CompareToWebview): void {
    // messages sent before the webview has loaded are queued, so the first rows are not lost
    if (!this.ready) this.pending.push(message);
    else void this.panel.webview.postMessage(message);
  }

  phase(message: string): void {
    this.post({ type: 'phase', message });
  }

  start(image: string, plans: readonly CellPlan[], localPython?: string): void {
    this.post({
      type: 'start',
      notebook: vscode.workspace.asRelativePath(this.notebook),
      image,
      ...(localPython ? { localPython } : {}),
      rows: plans.map((p) => ({
        index: p.index,
        ordinal: p.ordinal,
        title: p.title,
        status: 'pending',
        reason: '',
        notes: [],
        skipped: p.skipped,
        saved: '',
        container: '',
      })),
    });
  }

  cellRunning(index: number, done: number, total: number): void {
    this.post({ type: 'running', index, done, total });
  }

  row(c: CellComparison, done: number, total: number): void {
    this.post({ type: 'row', row: toRow(c), done, total });
  }

  environment(rows: readonly EnvironmentRow[]): void {
    this.post({ type: 'environment', rows });
  }

  done(report: ComparisonReport): void {
    this.report = report;
    for (const c of report.cells) this.post({ type: 'row', row: toRow(c), done: report.cells.length, total: report.cells.length });
    this.post({ type: 'environment', rows: report.environment });
    this.post({
      type: 'done',
      summary: report.summary,
      message: report.message,
      passed: report.passed,
      outcome: report.outcome.kind,
      durationMs: report.durationMs,
      cellsMs: report.cellsMs,
    });
  }

  failed(message: string): void {
    this.controller = undefined;
    this.post({ type: 'failed', message });
  }

  private async onMessage(m: CompareFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        for (const message of this.pending.splice(0)) void this.panel.webview.postMessage(message);
        return;
      case 'reveal':
        await revealCell(this.notebook, m.index);
        return;
      case 'cancel':
        this.cancel();
        return;
      case 'rerun':
        this.actions.rerun();
        return;
      case 'changeImage':
        this.actions.changeImage();
        return;
      case 'export':
        await this.export();
        return;
    }
  }

  /** Save the report as JSON (the same shape the command line writes). */
  async export(): Promise<vscode.Uri | undefined> {
    if (!this.report) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The comparison has not finished yet: export it when it has.'));
      return undefined;
    }
    const suggested = this.notebook.with({ path: this.notebook.path.replace(/\.ipynb$/i, '') + '.comparison.json' });
    const target = await vscode.window.showSaveDialog({
      defaultUri: suggested,
      filters: { JSON: ['json'] },
      title: vscode.l10n.t('Export Comparison'),
    });
    if (!target) return undefined;
    fs.writeFileSync(target.fsPath, `${JSON.stringify(this.report, null, 2)}\n`);
    this.services.log.info(`Comparison of ${this.notebook.fsPath} exported to ${target.fsPath}`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Comparison exported to {0}.', vscode.workspace.asRelativePath(target)));
    return target;
  }
}

/** Open the notebook (if needed) with the cell selected and scrolled into view. */
export async function revealCell(notebook: vscode.Uri, index: number): Promise<void> {
  const range = new vscode.NotebookRange(index, index + 1);
  const document = await vscode.workspace.openNotebookDocument(notebook);
  const editor = await vscode.window.showNotebookDocument(document, {
    viewColumn: vscode.ViewColumn.One,
    selections: [range],
    preserveFocus: false,
  });
  editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
}
