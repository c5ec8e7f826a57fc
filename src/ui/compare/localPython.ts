import * as vscode from 'vscode';

/** The part of the Python extension's API Berth uses. */
interface PythonApi {
  readonly environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { readonly path: string } | undefined;
    resolveEnvironment(env: { readonly path: string }): Promise<{ readonly executable: { readonly uri?: vscode.Uri } } | undefined>;
  };
}

/**
 * The local interpreter to list next to the container's: the one VS Code's Python extension
 * selected for this notebook, else `berth.compare.localPython`. Undefined when neither is known.
 */
export async function localInterpreter(resource: vscode.Uri, setting: string): Promise<{ path: string; source: string } | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>('ms-python.python');
  if (extension) {
    try {
      const api = extension.isActive ? extension.exports : await extension.activate();
      const active = api.environments?.getActiveEnvironmentPath(resource);
      if (active) {
        const resolved = await api.environments?.resolveEnvironment(active);
        const file = resolved?.executable.uri?.fsPath ?? active.path;
        if (file) return { path: file, source: 'the Python extension' };
      }
    } catch {
      // fall back to the setting
    }
  }
  return setting ? { path: setting, source: 'berth.compare.localPython' } : undefined;
}
