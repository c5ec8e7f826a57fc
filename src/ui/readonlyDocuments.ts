import * as vscode from 'vscode';

/**
 * Read-only documents that Berth makes (Engine Info, inspect JSON), served as a file system rather
 * than as virtual documents: VS Code restores the tabs of files after a window reload (activating
 * Berth for the scheme, `onFileSystem:<scheme>` in package.json) but not those of virtual documents.
 */
export class ReadonlyDocuments implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  /** When each document last changed: an open editor reads it again only when this moves. */
  private readonly changedAt = new Map<string, number>();
  private readonly registration: vscode.Disposable;

  constructor(
    scheme: string,
    private readonly content: (uri: vscode.Uri) => string | Promise<string>,
  ) {
    this.registration = vscode.workspace.registerFileSystemProvider(scheme, this, { isReadonly: true, isCaseSensitive: true });
  }

  /** The document's content changed: open editors show the new one. */
  refresh(uri: vscode.Uri): void {
    this.changedAt.set(uri.toString(), Date.now());
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  /** A closed document is forgotten. */
  forget(uri: vscode.Uri): void {
    this.changedAt.delete(uri.toString());
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/')
      return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0, permissions: vscode.FilePermission.Readonly };
    const key = uri.toString();
    const mtime = this.changedAt.get(key) ?? Date.now();
    this.changedAt.set(key, mtime);
    return { type: vscode.FileType.File, ctime: mtime, mtime, size: 0, permissions: vscode.FilePermission.Readonly };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return new TextEncoder().encode(await this.content(uri));
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  /** The documents are made on demand: there is nothing to list. */
  readDirectory(uri: vscode.Uri): [string, vscode.FileType][] {
    if (uri.path === '/') return [];
    throw vscode.FileSystemError.FileNotADirectory(uri);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }
}
