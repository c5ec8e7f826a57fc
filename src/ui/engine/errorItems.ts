import * as vscode from 'vscode';
import type { ErrorRow } from './welcomeViews';

/** A view's row for an engine error or one of the actions offered under it (see listingErrorRows). */
export function errorTreeItem(row: ErrorRow): vscode.TreeItem {
  const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
  if (row.description !== undefined) item.description = row.description;
  if (row.tooltip !== undefined) item.tooltip = row.tooltip;
  if (row.kind === 'error') {
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    item.contextValue = 'engineError';
  } else if (row.action) {
    item.iconPath = new vscode.ThemeIcon('arrow-right');
    item.command = { title: row.action.title, command: row.action.command, arguments: [...(row.action.args ?? [])] };
    item.contextValue = 'engineErrorAction';
  }
  return item;
}
