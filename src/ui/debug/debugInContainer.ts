import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import { DEBUG_TYPE, type BerthDebugConfiguration } from './debugRuns';

/**
 * "Debug in Container" on a Python file (the Explorer's, the editor's): a `berth-python` session
 * that runs it in its profile's container under debugpy and attaches, breakpoints mapped to
 * /workspace. True when the session started.
 */
export async function debugInContainer(_ctx: CommandContext, ...args: unknown[]): Promise<boolean> {
  const uri = args[0] instanceof vscode.Uri ? args[0] : vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme !== 'file' || !uri.fsPath.endsWith('.py'))
    throw new Error(vscode.l10n.t('Debug in Container runs a Python file: open one first.'));
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) throw new Error(vscode.l10n.t('{0} is not in an open folder: open its project first.', uri.fsPath));
  const config: BerthDebugConfiguration = {
    type: DEBUG_TYPE,
    request: 'attach',
    name: `Debug ${path.basename(uri.fsPath)} in Container`,
    program: uri.fsPath,
  };
  return vscode.debug.startDebugging(folder, config);
}
