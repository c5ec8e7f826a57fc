import type * as vscode from 'vscode';
import { registerCommands } from './ui/commands';
import { ActiveServices, createServices } from './ui/services';
import { registerEngineStatus } from './ui/engine/statusBar';
import { registerTrees } from './ui/registerTrees';
import { registerEngineView } from './ui/engine/engineView';
import { registerEngineInfo } from './ui/engine/engineInfo';
import { registerInspectDocuments } from './ui/containers/inspect';
import { registerFleet } from './ui/fleet/registerFleet';
import { registerWalkthrough } from './ui/walkthrough/walkthroughSteps';
import { registerTasks } from './ui/tasks/registerTasks';
import { registerBerthYaml } from './ui/berthYaml/registerBerthYaml';
import { registerDebug } from './ui/debug/registerDebug';

/** deactivate gets nothing from VS Code: the running services are kept here for it. */
const active = new ActiveServices();

export function activate(context: vscode.ExtensionContext): void {
  const services = active.start(createServices(context));
  registerEngineStatus(services);
  registerEngineView(services);
  registerEngineInfo(services);
  registerInspectDocuments(services);
  const trees = registerTrees(services);
  registerCommands(services, trees);
  registerFleet(services, trees);
  registerWalkthrough(services);
  registerTasks(services);
  registerBerthYaml(services);
  registerDebug(services);
  void services.session.reconnect();
}

export function deactivate(): Promise<void> {
  // everything is disposed through context.subscriptions; this waits for what takes a moment
  // (the containers started ahead for a comparison are removed)
  return active.stop();
}
