/**
 * The incumbent's engine layer imports `vscode` for two enums only (ShellQuoting, FileType).
 * This registers a stand-in with those values so it runs in plain Node for the benchmark.
 */
import Module from 'node:module';

const STUB = {
  ShellQuoting: { Escape: 1, Strong: 2, Weak: 3 },
  FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
};

export function installVscodeStub(): void {
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
  const resolve = mod._resolveFilename;
  mod._resolveFilename = (request: string, ...rest: unknown[]) => (request === 'vscode' ? 'vscode' : resolve(request, ...rest));
  mod._cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: STUB };
}
