import * as vscode from 'vscode';
import { openLogs } from '../logs/showLogs';
import type { CommandContext } from '../commands';
import { projectTarget } from './projectTarget';

/**
 * "Run model in container": from a model file, a Dockerfile, a Python file or a notebook to a
 * healthy container with the model mounted, then the playground. GPU when there is one; a clear
 * offer to run on CPU when there is not. A profile name as second argument (from the run form)
 * skips the choice.
 */
export async function runModel(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error('Running builds and starts code from this workspace: trust it first (Manage Workspace Trust).');
  const { clicked, projectDir } = projectTarget(args[0], 'Open a folder with a model, a Dockerfile or a notebook first.');
  const profileName = typeof args[1] === 'string' ? args[1] : undefined;
  const record = await ctx.runs.serve(
    { clicked, projectDir, ...(profileName !== undefined ? { profileName } : {}) },
    // the logs usually say why it never became healthy: show them next to the message
    { onUnhealthy: (unhealthy) => openLogs(ctx, [unhealthy], { tail: 200, timestamps: false }) },
  );
  if (!record) return undefined;
  if (record.ports.some((p) => p.hostPort !== undefined)) await ctx.playgrounds.show(record, projectDir);
  else void vscode.window.showInformationMessage(`${record.name} is running (it publishes no port, so there is no playground).`);
  return record.id;
}
