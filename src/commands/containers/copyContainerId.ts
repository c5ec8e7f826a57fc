import * as vscode from 'vscode';
import type { CommandContext } from '../registerCommands';
import { targetContainers } from './targets';

export async function copyContainerId(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Copy container ID', many: true });
  if (targets.length > 0) await vscode.env.clipboard.writeText(targets.map((r) => r.id).join('\n'));
}

export async function copyContainerName(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Copy container name', many: true });
  if (targets.length > 0) await vscode.env.clipboard.writeText(targets.map((r) => r.name).join('\n'));
}
