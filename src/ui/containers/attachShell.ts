import * as vscode from 'vscode';
import { ShellTerminal } from './shellTerminal';
import type { CommandContext } from '../commands';
import { isRunning, targetContainers } from './targets';

export async function attachShell(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, { title: vscode.l10n.t('Attach shell'), filter: (r) => r.state === 'running' });
  if (!target) return;
  if (!isRunning(target)) throw new Error(vscode.l10n.t('{0} is not running — start it first.', target.name));
  const engine = ctx.session.requireEngine();
  const terminal = vscode.window.createTerminal({
    name: vscode.l10n.t('Shell: {0}', target.name),
    pty: new ShellTerminal(engine, target.id, target.name, ctx.log),
    iconPath: new vscode.ThemeIcon('terminal'),
  });
  terminal.show();
}

const DEV_CONTAINERS = 'ms-vscode-remote.remote-containers';

/** Hand the container to the Dev Containers extension in one step, when it is installed. */
export async function attachVsCode(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  if (!vscode.extensions.getExtension(DEV_CONTAINERS)) {
    throw new Error(
      vscode.l10n.t('Attach VS Code needs the Dev Containers extension ({0}). Use Attach Shell, or install it.', DEV_CONTAINERS),
    );
  }
  const [target] = await targetContainers(ctx, args, { title: vscode.l10n.t('Attach VS Code'), filter: (r) => r.state === 'running' });
  if (!target) return;
  await vscode.commands.executeCommand('remote-containers.attachToRunningContainer', target.id);
}
