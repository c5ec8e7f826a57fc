import * as vscode from 'vscode';
import type { CommandContext } from '../commands';

export async function filterContainers(ctx: CommandContext): Promise<void> {
  const provider = ctx.trees.containers.provider;
  const text = await vscode.window.showInputBox({
    title: vscode.l10n.t('Filter containers'),
    prompt: vscode.l10n.t('Words to match in name, image, state (running, exited, unhealthy, OOM-killed…), id or label key=value'),
    value: provider.filterText,
  });
  if (text !== undefined) provider.setFilter(text);
}

export function clearContainerFilter(ctx: CommandContext): void {
  ctx.trees.containers.provider.setFilter('');
}

export async function refreshContainers(ctx: CommandContext): Promise<void> {
  if (!ctx.containers.current) await ctx.session.reconnect();
  await ctx.containers.refresh();
}
