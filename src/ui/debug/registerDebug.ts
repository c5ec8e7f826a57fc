import * as vscode from 'vscode';
import { reportError } from '../commands';
import type { Services } from '../services';
import { DEBUG_TYPE, DebugRuns } from './debugRuns';

/**
 * Berth's debug type `berth-python`: a configuration (launch.json's, F5 on a Python file's, or
 * Debug in Container's) starts the file in its profile's container under debugpy; the adapter is
 * debugpy's own server on the published port; the container goes when the session ends.
 */
export function registerDebug(services: Services): void {
  const runs = new DebugRuns(services);
  const provider: vscode.DebugConfigurationProvider = {
    // F5 with no launch.json: the active Python file
    resolveDebugConfiguration(_folder, config) {
      if (!config.type && !config.request && !config.name) {
        const editor = vscode.window.activeTextEditor;
        if (editor?.document.languageId !== 'python') return config;
        return { type: DEBUG_TYPE, request: 'attach', name: 'Debug in Container', program: '${file}' };
      }
      return { ...config, program: typeof config.program === 'string' && config.program !== '' ? config.program : '${file}' };
    },
    async resolveDebugConfigurationWithSubstitutedVariables(folder, config) {
      try {
        await services.session.whenSettled();
        return await runs.start(folder, config);
      } catch (err) {
        // the session gives up now; the message waits for the user on its own
        void reportError(services, 'Debug in Container', err);
        return undefined;
      }
    },
  };
  services.context.subscriptions.push(
    runs,
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, provider),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, { createDebugAdapterDescriptor: (session) => runs.adapterFor(session) }),
    vscode.debug.onDidTerminateDebugSession((session) => void runs.ended(session)),
  );
}
