import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import type { ComparePanel } from './comparePanel';

/** The notebook a command invocation is about: Explorer, notebook toolbar, active editor, or a pick. */
async function notebookUri(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'object' && arg !== null) {
    const fromToolbar = (arg as { notebookEditor?: { notebookUri?: unknown } }).notebookEditor?.notebookUri;
    if (fromToolbar instanceof vscode.Uri) return fromToolbar;
    const fromEditor = (arg as { notebook?: { uri?: unknown } }).notebook?.uri;
    if (fromEditor instanceof vscode.Uri) return fromEditor;
  }
  const active = vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
  if (active?.fsPath.endsWith('.ipynb')) return active;
  const found = await vscode.workspace.findFiles('**/*.ipynb', '**/{node_modules,.ipynb_checkpoints,.venv}/**', 200);
  if (found.length === 0) throw new Error(vscode.l10n.t('There is no notebook (.ipynb) in this workspace to compare.'));
  if (found.length === 1) return found[0];
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: vscode.l10n.t('Compare which notebook with the container?') },
  );
  return picked?.uri;
}

/** The comparison reads the file on disk: offer to save unsaved changes first. */
async function saveIfDirty(uri: vscode.Uri): Promise<boolean> {
  const doc = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc?.isDirty) return true;
  const saveAndCompare = vscode.l10n.t('Save and Compare');
  const compareSaved = vscode.l10n.t('Compare Saved Version');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('{0} has unsaved changes. The comparison uses the saved file and its saved outputs.', path.basename(uri.fsPath)),
    saveAndCompare,
    compareSaved,
  );
  if (choice === saveAndCompare) return doc.save();
  return choice === compareSaved;
}

/**
 * "Compare Notebook with Container": run the notebook's code cells in the project's image (or a
 * chosen image, or a snapshot of a running container) and show, cell by cell, where the results
 * differ from the saved ones and how the environments differ.
 */
export async function compareNotebookCommand(ctx: CommandContext, ...args: unknown[]): Promise<ComparePanel | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error(vscode.l10n.t('Comparing runs code from this workspace: trust it first (Manage Workspace Trust).'));
  const uri = await notebookUri(args[0]);
  if (!uri) return undefined;
  if (!(await saveIfDirty(uri))) return undefined;
  return ctx.comparisons.compare(uri);
}
