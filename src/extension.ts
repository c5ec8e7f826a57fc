import type * as vscode from 'vscode';
import { disposeWarmRunners } from './commands/notebook/compareNotebook';
import { registerCommands } from './commands/registerCommands';
import { createServices } from './services';
import { registerEngineStatus } from './status/engineStatus';
import { registerTrees } from './tree/registerTrees';
import { registerEngineView } from './views/engineView';

export function activate(context: vscode.ExtensionContext): void {
  const services = createServices(context);
  registerEngineStatus(services);
  registerEngineView(services);
  const trees = registerTrees(services);
  registerCommands(services, trees);
  void services.session.reconnect();
}

export function deactivate(): Promise<void> {
  // everything else is disposed through context.subscriptions; containers take a moment
  return disposeWarmRunners();
}
