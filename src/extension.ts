import type * as vscode from 'vscode';
import { disposeWarmRunners } from './ui/compare/compareNotebook';
import { registerCommands } from './ui/commands';
import { createServices } from './ui/services';
import { registerEngineStatus } from './ui/engine/statusBar';
import { registerTrees } from './ui/registerTrees';
import { registerEngineView } from './ui/engine/engineView';

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
