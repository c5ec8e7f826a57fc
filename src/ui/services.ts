import * as vscode from 'vscode';
import { Config } from './config';
import { EngineSession } from './engine/engineSession';
import { StatsHub } from './stats/statsHub';
import { LiveContainers } from './containers/liveContainers';

/** What every feature of the VS Code layer may use; built once in activate. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  readonly session: EngineSession;
  /** The live container model, shared by the tree, logs and inspect documents. */
  readonly containers: LiveContainers;
  /** Live stats streams, shared by the stats panel and the tree. */
  readonly stats: StatsHub;
}

export function createServices(context: vscode.ExtensionContext): Services {
  const log = vscode.window.createOutputChannel('Berth', { log: true });
  const config = new Config();
  const session = new EngineSession(config, log);
  const containers = new LiveContainers({ session, config, log });
  const stats = new StatsHub(log, containers);
  context.subscriptions.push(log, session, containers, stats);
  return { context, log, config, session, containers, stats };
}
