import * as vscode from 'vscode';
import { openLogs } from '../logs/showLogs';
import type { CommandContext } from '../commands';
import { projectTarget } from './projectTarget';

/**
 * "Run as Batch Job" on a Python file (or a Dockerfile: the image's own command): runs to
 * completion with the project read-only at /workspace, data/ at /input and output/ at /output,
 * its logs in a terminal, then says how it ended — exit code, duration, OOM.
 */
export async function runBatchJobCommand(ctx: CommandContext, ...args: unknown[]): Promise<number | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error(vscode.l10n.t('Running starts code from this workspace: trust it first (Manage Workspace Trust).'));
  const target = projectTarget(args[0], vscode.l10n.t('Open a folder with a Python file or a Dockerfile first.'));
  const finished = await ctx.runs.runBatch(target, {
    onStarted: (record) => openLogs(ctx, [record], { tail: 'all', timestamps: false }),
  });
  if (!finished) return undefined;
  if (finished.result.exitCode === 0)
    void vscode.window.showInformationMessage(
      vscode.l10n.t('{0} Output: {1}', finished.message, vscode.workspace.asRelativePath(finished.outputDir)),
    );
  else void vscode.window.showErrorMessage(finished.message);
  return finished.result.exitCode;
}
