import * as vscode from 'vscode';
import type { CommandContext } from '../registerCommands';
import { forEachContainer, isRunning, targetContainers } from './targets';

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
