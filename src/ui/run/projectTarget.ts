import * as vscode from 'vscode';
import { projectDirFor } from '../../core/project/projectLayout';

/**
 * The file a run command acts on (the Explorer's or the editor's) and the project it belongs to.
 * `missing` is the message when no folder is open.
 */
export function projectTarget(arg: unknown, missing: string): { clicked: string; projectDir: string } {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error(missing);
  const clicked = uri?.fsPath ?? folder.uri.fsPath;
  return { clicked, projectDir: projectDirFor(clicked, folder.uri.fsPath) };
}
