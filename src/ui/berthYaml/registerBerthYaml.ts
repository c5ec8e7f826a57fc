import * as vscode from 'vscode';
import type { Services } from '../services';
import { BerthYamlCompletion, BerthYamlHover } from './berthYamlAssist';
import { BerthYamlSchema } from './berthYamlSchema';
import { LiveProblems } from './liveProblems';

/** The berth.yaml files Berth's completion and hover serve (any language id: YAML, or plain text without a YAML grammar). */
export const BERTH_YAML: vscode.DocumentSelector = [{ pattern: '**/berth.yaml' }];

/**
 * berth.yaml as a file Berth knows: completion and hover from the schema the extension ships, and
 * its problems while it is edited. They only read the file, so they work in an untrusted workspace.
 */
export function registerBerthYaml(services: Services): void {
  const schema = new BerthYamlSchema(services.context.extensionUri, services.log);
  const live = new LiveProblems(services.profiles, services.log);
  services.context.subscriptions.push(
    vscode.languages.registerCompletionItemProvider(BERTH_YAML, new BerthYamlCompletion(schema)),
    vscode.languages.registerHoverProvider(BERTH_YAML, new BerthYamlHover(schema)),
    live,
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0) live.changed(e.document);
    }),
    vscode.workspace.onDidSaveTextDocument((d) => live.now(d)),
    vscode.workspace.onDidOpenTextDocument((d) => live.now(d)),
    vscode.workspace.onDidCloseTextDocument((d) => void live.closed(d)),
  );
  for (const document of vscode.workspace.textDocuments) live.now(document);
}
