import * as vscode from 'vscode';
import { COMPOSE_LABEL } from '../../core/engine/labels';
import { LogTerminal, type LogTerminalOptions } from './logTerminal';
import type { CommandContext } from '../commands';
import { targetContainers } from '../containers/targets';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { stepDone } from '../walkthrough/walkthroughSteps';

export function openLogs(ctx: CommandContext, targets: ContainerRecord[], options: LogTerminalOptions): void {
  if (targets.length === 0) return;
  const engine = ctx.session.requireEngine();
  const projects = new Set(targets.map((r) => r.labels[COMPOSE_LABEL.project]));
  const project = projects.size === 1 ? [...projects][0] : undefined;
  // in a compose project the service name says more than the container name
  const sources = targets.map((r) => ({ id: r.id, name: project ? (r.labels[COMPOSE_LABEL.service] ?? r.name) : r.name }));
  const title =
    targets.length === 1
      ? vscode.l10n.t('Logs: {0}', targets[0]?.name ?? '')
      : project
        ? vscode.l10n.t('Logs: {0}', project)
        : vscode.l10n.t('Logs: {0} containers', targets.length);
  // the logs follow containers of this engine connection: they end with it
  const scope = ctx.session.connection;
  const pty: LogTerminal = new LogTerminal(engine, sources, options, ctx.log, () => scope.remove(pty));
  scope.add(pty);
  const terminal = vscode.window.createTerminal({
    name: title,
    pty,
    iconPath: new vscode.ThemeIcon('output'),
    isTransient: true,
  });
  terminal.show();
  stepDone('logsOpened');
}

export async function showLogs(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Show logs'), many: true });
  openLogs(ctx, targets, { tail: ctx.config.logTail, timestamps: ctx.config.logTimestamps });
}

/** Show Logs with choices: how much history, timestamps. */
export async function showLogsWithOptions(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Show logs'), many: true });
  if (targets.length === 0) return;
  const history = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('Last {0} lines', ctx.config.logTail), tail: ctx.config.logTail as number | 'all' },
      { label: vscode.l10n.t('Last {0} lines', 100), tail: 100 },
      { label: vscode.l10n.t('Everything'), tail: 'all' as const },
      { label: vscode.l10n.t('Since 10 minutes ago'), tail: 'all' as const, sinceMinutes: 10 },
      { label: vscode.l10n.t('Since 1 hour ago'), tail: 'all' as const, sinceMinutes: 60 },
      { label: vscode.l10n.t('Only new lines'), tail: 0 },
    ],
    { title: vscode.l10n.t('Show logs: history') },
  );
  if (!history) return;
  const withStamps = vscode.l10n.t('With timestamps');
  const stamps = await vscode.window.showQuickPick([vscode.l10n.t('Without timestamps'), withStamps], {
    title: vscode.l10n.t('Show logs: timestamps'),
  });
  if (!stamps) return;
  const since = 'sinceMinutes' in history ? new Date(Date.now() - history.sinceMinutes * 60_000).toISOString() : undefined;
  openLogs(ctx, targets, { tail: history.tail, timestamps: stamps === withStamps, ...(since ? { since } : {}) });
}
