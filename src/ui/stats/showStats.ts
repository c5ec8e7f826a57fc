import * as vscode from 'vscode';
import { StatsPanel } from './statsPanel';
import type { CommandContext } from '../commands';
import { isRunning, targetContainers } from '../containers/targets';

export async function showStats(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Show stats'), filter: isRunning, many: true });
  if (targets.length === 0) return;
  ctx.context.subscriptions.push(new StatsPanel(ctx, ctx.stats, targets));
}
