import * as vscode from 'vscode';
import { showRunForm } from './runFormPanel';
import type { CommandContext } from '../commands';
import { projectTarget } from './projectTarget';

export function editRunProfiles(ctx: CommandContext, ...args: unknown[]): void {
  showRunForm(ctx, projectTarget(args[0], vscode.l10n.t('Open the folder of an ML project first.')).projectDir);
}
