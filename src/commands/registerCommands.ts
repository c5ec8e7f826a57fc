import * as vscode from 'vscode';
import { EngineError } from '../engine/errors';
import type { Services } from '../services';
import { retryEngineConnection } from './retryEngineConnection';
import { showEngineInfo } from './showEngineInfo';
import { showLog } from './showLog';

type Handler = (services: Services, ...args: unknown[]) => unknown;

/** Every command, in one table. IDs read berth.<noun>.<verb>. */
const COMMANDS: Readonly<Record<string, Handler>> = {
  'berth.engine.showInfo': showEngineInfo,
  'berth.engine.retry': retryEngineConnection,
  'berth.log.show': showLog,
};

/** One short, actionable message for the user; the full error goes to the log. */
export async function reportError(services: Services, command: string, err: unknown): Promise<void> {
  services.log.error(`${command} failed`, err);
  const message = err instanceof Error ? err.message : String(err);
  const actions =
    err instanceof EngineError && (err.code === 'unreachable' || err.code === 'timeout') ? ['Retry', 'Show Log'] : ['Show Log'];
  const choice = await vscode.window.showErrorMessage(message, ...actions);
  if (choice === 'Show Log') services.log.show(true);
  else if (choice === 'Retry') await vscode.commands.executeCommand('berth.engine.retry');
}

export function registerCommands(services: Services): void {
  for (const [id, handler] of Object.entries(COMMANDS)) {
    services.context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(services, ...args);
        } catch (err) {
          await reportError(services, id, err);
          return undefined;
        }
      }),
    );
  }
}
