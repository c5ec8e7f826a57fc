import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import { forEachContainer, isRunning, isStopped, targetContainers } from './targets';

/** The container actions of the tree's context menu and the palette: one or many containers each. */

export async function startContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Start container', filter: isStopped, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Starting', targets, (r) => engine.startContainer(r.id));
}

export async function stopContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Stop container', filter: isRunning, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Stopping', targets, (r) => engine.stopContainer(r.id));
}

export async function restartContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Restart container', many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Restarting', targets, (r) => engine.restartContainer(r.id));
}

export async function killContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Kill container', filter: isRunning, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Killing', targets, (r) => engine.killContainer(r.id));
}

export async function removeContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Remove container', many: true });
  if (targets.length === 0) return;
  const running = targets.filter(isRunning);
  const what = targets.length === 1 ? `container "${targets[0]?.name ?? ''}"` : `${targets.length} containers`;
  const detail =
    running.length > 0
      ? `${running.length === targets.length ? 'It is' : `${running.length} of them are`} running and will be stopped first (force).`
      : 'This cannot be undone.';
  const choice = await vscode.window.showWarningMessage(
    `Remove ${what}?`,
    { modal: true, detail },
    running.length > 0 ? 'Force Remove' : 'Remove',
  );
  if (!choice) return;
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Removing', targets, (r) => engine.removeContainer(r.id, { force: isRunning(r) }));
}

export async function copyContainerId(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Copy container ID', many: true });
  if (targets.length > 0) await vscode.env.clipboard.writeText(targets.map((r) => r.id).join('\n'));
}

export async function copyContainerName(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Copy container name', many: true });
  if (targets.length > 0) await vscode.env.clipboard.writeText(targets.map((r) => r.name).join('\n'));
}
