import * as vscode from 'vscode';
import { projectDirFor } from '../../project/projectLayout';
import { showRunForm } from '../../run/runFormPanel';
import type { CommandContext } from '../registerCommands';

export function editRunProfiles(ctx: CommandContext, ...args: unknown[]): void {
  const uri = args[0] instanceof vscode.Uri ? args[0] : vscode.window.activeTextEditor?.document.uri;
  const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('Open the folder of an ML project first.');
  showRunForm(ctx, projectDirFor(uri?.fsPath ?? folder.uri.fsPath, folder.uri.fsPath));
}
