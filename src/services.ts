import * as vscode from 'vscode';
import { Config } from './config';
import { EngineSession } from './connection/engineSession';

/** What every feature of the VS Code layer may use; built once in activate. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  readonly session: EngineSession;
}

export function createServices(context: vscode.ExtensionContext): Services {
  const log = vscode.window.createOutputChannel('Berth', { log: true });
  const config = new Config();
  const session = new EngineSession(config, log);
  context.subscriptions.push(log, session);
  return { context, log, config, session };
}
