import * as vscode from 'vscode';
import type { Services } from '../services';

export async function retryEngineConnection({ session }: Services): Promise<void> {
  const state = await vscode.window.withProgress(
    { location: { viewId: 'berth.engine' }, title: vscode.l10n.t('Connecting to the container engine') },
    () => session.reconnect(),
  );
  if (state.kind === 'unreachable') throw state.error;
}

export function showLog({ log }: Services): void {
  log.show(true);
}
