import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BERTH_LABEL } from '../../core/engine/labels';
import type { Labels } from '../../core/engine/contract';
import { shippedFromLines } from '../../core/scan/dockerfileFrom';
import {
  describeSummary,
  SEVERITIES,
  sortFindings,
  summarise,
  type Finding,
  type ScanReport,
  type Severity,
} from '../../core/scan/finding';
import { ScanParseError } from '../../core/scan/parsers';
import {
  chooseScanner,
  findScanners,
  INSTALL_LINKS,
  runScan,
  SCANNER_NAMES,
  ScanCancelledError,
  ScanFailedError,
} from '../../core/scan/scanners';
import type { Config } from '../config';

export type ScanNode =
  | { readonly kind: 'report'; readonly report: ScanReport }
  | { readonly kind: 'severity'; readonly report: ScanReport; readonly severity: Severity; readonly findings: readonly Finding[] }
  | { readonly kind: 'finding'; readonly report: ScanReport; readonly finding: Finding };

const severityTitle = (severity: Severity): string =>
  ({
    critical: vscode.l10n.t('Critical'),
    high: vscode.l10n.t('High'),
    medium: vscode.l10n.t('Medium'),
    low: vscode.l10n.t('Low'),
    unknown: vscode.l10n.t('Unknown severity'),
  })[severity];

/** The summary's severity in the Problems view: the worst finding's. */
export function diagnosticSeverity(worst: Severity): vscode.DiagnosticSeverity {
  if (worst === 'critical') return vscode.DiagnosticSeverity.Error;
  if (worst === 'high') return vscode.DiagnosticSeverity.Warning;
  return vscode.DiagnosticSeverity.Information;
}

/** "berth-sample:dev" → "berth-sample"; "registry:5000/team/app@sha256:…" → "app". */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const last = noDigest.split('/').at(-1) ?? noDigest;
  return last.split(':')[0] ?? last;
}

/**
 * The Dockerfiles whose FROM lines carry an image's scan summary: the one in the folder its
 * `berth.project` label names (Berth built it there), else those of the workspace whose folder's
 * name is the image's repository (the tag Build Image proposes for that folder).
 */
export async function dockerfilesOf(image: string, labels: Labels): Promise<vscode.Uri[]> {
  const project = labels[BERTH_LABEL.project];
  if (project) {
    const file = path.join(project, 'Dockerfile');
    if (fs.existsSync(file)) return [vscode.Uri.file(file)];
  }
  const repo = repositoryOf(image).toLowerCase();
  const files = await vscode.workspace.findFiles('**/Dockerfile', '**/node_modules/**', 200);
  const folderName = (uri: vscode.Uri): string =>
    path
      .basename(path.dirname(uri.fsPath))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|[._-]+$/g, '');
  return files.filter((uri) => folderName(uri) === repo);
}

/**
 * Scan Image: the scanner chosen, run with progress and Cancel, its findings in the Scan Results
 * view grouped by severity, and a summary on the FROM lines of the image's Dockerfile.
 */
export class ScanResults implements vscode.TreeDataProvider<ScanNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ScanNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly reports = new Map<string, ScanReport>();
  /** Dockerfiles' summaries, per image, so that a rescan replaces its own. */
  private readonly summaries = new Map<string, { readonly uri: vscode.Uri; readonly diagnostic: vscode.Diagnostic }[]>();
  readonly diagnostics = vscode.languages.createDiagnosticCollection('berth-scan');

  constructor(private readonly deps: { readonly config: Config; readonly log: vscode.LogOutputChannel }) {}

  /** Scan an image; false when no scanner is installed (the user was told how to get one) or the scan was cancelled. */
  async scan(image: string, labels: Labels): Promise<ScanReport | undefined> {
    const found = findScanners({ env: process.env, homeDir: process.env.HOME ?? '' });
    const preferred = this.deps.config.scanner;
    const scanner = chooseScanner(found, preferred);
    if (!scanner) {
      await this.explainMissing(
        preferred,
        found.map((s) => s.name),
      );
      return undefined;
    }
    this.deps.log.info(`Scanning ${image} with ${scanner.name} (${scanner.file} ${scanner.args(image).join(' ')})`);
    let report: ScanReport;
    try {
      report = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Scanning {0} with {1}', image, scanner.name),
          cancellable: true,
        },
        (progress, token) => {
          progress.report({ message: vscode.l10n.t('a first scan downloads the vulnerability database…') });
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return runScan(scanner, image, { signal: controller.signal });
        },
      );
    } catch (err) {
      if (err instanceof ScanCancelledError) {
        this.deps.log.info(err.message);
        return undefined;
      }
      if (err instanceof ScanFailedError) this.deps.log.error(`${err.message}\n${err.detail}`);
      if (err instanceof ScanParseError) this.deps.log.error(err.message);
      throw err;
    }
    await this.publish(report, labels);
    return report;
  }

  private async explainMissing(preferred: string, installed: readonly string[]): Promise<void> {
    const links = SCANNER_NAMES.map((name) => INSTALL_LINKS[name]);
    const message =
      preferred !== 'auto' && installed.length > 0
        ? vscode.l10n.t(
            'berth.scan.scanner is {0}, which is not installed (found: {1}). Install it, or set berth.scan.scanner to auto.',
            preferred,
            installed.join(', '),
          )
        : vscode.l10n.t('Scan Image needs an image scanner on PATH: install Trivy, Grype or Docker Scout, then scan again.');
    const choice = await vscode.window.showInformationMessage(message, ...links.map((l) => l.label));
    const link = links.find((l) => l.label === choice);
    if (link) await vscode.env.openExternal(vscode.Uri.parse(link.url));
  }

  /** Show a report: the tree, the summary on the Dockerfile's FROM lines, a notification. */
  async publish(report: ScanReport, labels: Labels): Promise<void> {
    this.reports.set(report.image, report);
    this.changed.fire(undefined);
    const summary = summarise(report.findings);
    const text = describeSummary(summary, report.image);
    this.deps.log.info(`${report.scanner}: ${text}`);
    const files = summary.worst ? await dockerfilesOf(report.image, labels) : [];
    const entries: { uri: vscode.Uri; diagnostic: vscode.Diagnostic }[] = [];
    for (const uri of files) {
      let content: string;
      try {
        content = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      } catch {
        continue;
      }
      for (const from of shippedFromLines(content)) {
        const diagnostic = new vscode.Diagnostic(
          new vscode.Range(from.line, from.start, from.line, from.end),
          text,
          diagnosticSeverity(summary.worst ?? 'unknown'),
        );
        diagnostic.source = `Berth (${report.scanner})`;
        diagnostic.code = 'image-vulnerabilities';
        entries.push({ uri, diagnostic });
      }
    }
    this.summaries.set(report.image, entries);
    this.refreshDiagnostics();
    // the view's focus command exists once the view is contributed; a failure to reveal it is no failure of the scan
    void Promise.resolve(vscode.commands.executeCommand('berth.scanResults.focus')).catch(() => undefined);
    void vscode.window.showInformationMessage(vscode.l10n.t('{0}.', text));
  }

  private refreshDiagnostics(): void {
    const byFile = new Map<string, { uri: vscode.Uri; list: vscode.Diagnostic[] }>();
    for (const entries of this.summaries.values()) {
      for (const { uri, diagnostic } of entries) {
        const key = uri.toString();
        const slot = byFile.get(key) ?? { uri, list: [] };
        slot.list.push(diagnostic);
        byFile.set(key, slot);
      }
    }
    this.diagnostics.clear();
    for (const { uri, list } of byFile.values()) this.diagnostics.set(uri, list);
  }

  /** Forget the reports (Clear in the view's title). */
  clear(): void {
    this.reports.clear();
    this.summaries.clear();
    this.diagnostics.clear();
    this.changed.fire(undefined);
  }

  getChildren(node?: ScanNode): ScanNode[] {
    if (!node) return [...this.reports.values()].map((report) => ({ kind: 'report', report }));
    if (node.kind === 'report') {
      const sorted = sortFindings(node.report.findings);
      return SEVERITIES.flatMap((severity) => {
        const findings = sorted.filter((f) => f.severity === severity);
        return findings.length > 0 ? [{ kind: 'severity', report: node.report, severity, findings } as const] : [];
      });
    }
    if (node.kind === 'severity') return node.findings.map((finding) => ({ kind: 'finding', report: node.report, finding }));
    return [];
  }

  getTreeItem(node: ScanNode): vscode.TreeItem {
    if (node.kind === 'report') {
      const summary = summarise(node.report.findings);
      const item = new vscode.TreeItem(node.report.image, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `scan|${node.report.image}`;
      item.description = `${node.report.scanner} · ${summary.total === 0 ? vscode.l10n.t('nothing found') : vscode.l10n.t('{0} found, {1} fixable', summary.total, summary.fixable)}`;
      item.tooltip = describeSummary(summary, node.report.image);
      item.iconPath = new vscode.ThemeIcon('shield');
      item.contextValue = 'scanReport';
      return item;
    }
    if (node.kind === 'severity') {
      const fixable = node.findings.filter((f) => f.fixedVersion !== undefined).length;
      const item = new vscode.TreeItem(severityTitle(node.severity), vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `scan|${node.report.image}|${node.severity}`;
      item.description = vscode.l10n.t('{0} · {1} fixable', node.findings.length, fixable);
      item.iconPath = new vscode.ThemeIcon(node.severity === 'critical' ? 'error' : node.severity === 'high' ? 'warning' : 'info');
      return item;
    }
    const f = node.finding;
    const item = new vscode.TreeItem(`${f.id}  ${f.package}`, vscode.TreeItemCollapsibleState.None);
    item.id = `scan|${node.report.image}|${f.id}|${f.package}|${f.target ?? ''}`;
    item.description = `${f.installedVersion} → ${f.fixedVersion === undefined ? vscode.l10n.t('no fix yet') : vscode.l10n.t('fixed in {0}', f.fixedVersion)}`;
    item.tooltip = [
      f.title,
      `${f.package} ${f.installedVersion}`,
      f.fixedVersion ? vscode.l10n.t('Fixed in {0}', f.fixedVersion) : vscode.l10n.t('No fixed version'),
      f.target,
      f.url,
    ]
      .filter(Boolean)
      .join('\n');
    item.iconPath = new vscode.ThemeIcon(f.fixedVersion === undefined ? 'circle-outline' : 'pass');
    item.contextValue = f.url ? 'scanFinding.link' : 'scanFinding';
    if (f.url) item.command = { title: vscode.l10n.t('Open Advisory'), command: 'vscode.open', arguments: [vscode.Uri.parse(f.url)] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
    this.diagnostics.dispose();
  }
}
