import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import { forEachContainer, isRunning, isStopped, targetContainers } from './targets';

/** The container actions of the tree's context menu and the palette: one or many containers each. */

export async function startContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Start container'), filter: isStopped, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, vscode.l10n.t('Starting'), targets, (r) => engine.startContainer(r.id));
}

export async function stopContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Stop container'), filter: isRunning, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, vscode.l10n.t('Stopping'), targets, (r) => engine.stopContainer(r.id));
}

export async function restartContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Restart container'), many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, vscode.l10n.t('Restarting'), targets, (r) => engine.restartContainer(r.id));
}

export async function killContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Kill container'), filter: isRunning, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, vscode.l10n.t('Killing'), targets, (r) => engine.killContainer(r.id));
}

export async function removeContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Remove container'), many: true });
  if (targets.length === 0) return;
  const running = targets.filter(isRunning);
  const question =
    targets.length === 1
      ? vscode.l10n.t('Remove container "{0}"?', targets[0]?.name ?? '')
      : vscode.l10n.t('Remove {0} containers?', targets.length);
  const detail =
    running.length === 0
      ? vscode.l10n.t('This cannot be undone.')
      : running.length === targets.length
        ? vscode.l10n.t('It is running and will be stopped first (force).')
        : vscode.l10n.t('{0} of them are running and will be stopped first (force).', running.length);
  const choice = await vscode.window.showWarningMessage(
    question,
    { modal: true, detail },
    running.length > 0 ? vscode.l10n.t('Force Remove') : vscode.l10n.t('Remove'),
  );
  if (!choice) return;
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, vscode.l10n.t('Removing'), targets, (r) => engine.removeContainer(r.id, { force: isRunning(r) }));
}

export async function copyContainerId(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Copy container ID'), many: true });
  if (targets.length > 0) await vscode.env.clipboard.writeText(targets.map((r) => r.id).join('\n'));
}

export async function copyContainerName(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: vscode.l10n.t('Copy container name'), many: true });
  if (targets.length > 0) await vscode.env.clipboard.writeText(targets.map((r) => r.name).join('\n'));
}
