import * as fs from 'node:fs';
import * as vscode from 'vscode';

/** Where a berth.yaml's problems go: RunProfiles.check puts them in the Problems view. */
export interface BerthYamlChecker {
  check(uri: vscode.Uri, text: string): unknown;
}

/** A file on disk, as the extension host sees it (locally, or where a remote window's files are). */
const FILE_SCHEMES: readonly string[] = ['file', 'vscode-remote'];

/** The documents this watches: any file named berth.yaml (not a git or diff view of one: those are not what a run reads). */
export const isBerthYaml = (document: Pick<vscode.TextDocument, 'uri'>): boolean =>
  FILE_SCHEMES.includes(document.uri.scheme) && /(^|\/)berth\.yaml$/.test(document.uri.path);

/**
 * berth.yaml's problems while it is edited: checked a moment after typing stops (the text as the
 * editor has it, saved or not), at once when opened or saved, and from the file on disk again when
 * its editor closes (unsaved edits are gone then).
 */
export class LiveProblems implements vscode.Disposable {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly checker: BerthYamlChecker,
    private readonly log: Pick<vscode.LogOutputChannel, 'warn'>,
    private readonly delayMs = 300,
  ) {}

  /** The text changed: check once typing pauses for delayMs. */
  changed(document: vscode.TextDocument): void {
    if (!isBerthYaml(document)) return;
    const key = document.uri.toString();
    this.cancel(key);
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.check(document.uri, document.getText());
      }, this.delayMs),
    );
  }

  /** Opened or saved: check now. */
  now(document: vscode.TextDocument): void {
    if (!isBerthYaml(document)) return;
    this.cancel(document.uri.toString());
    this.check(document.uri, document.getText());
  }

  /** The editor closed: the file as saved is what a run reads. */
  async closed(document: vscode.TextDocument): Promise<void> {
    if (!isBerthYaml(document)) return;
    this.cancel(document.uri.toString());
    const text = await fs.promises.readFile(document.uri.fsPath, 'utf8').catch(() => undefined);
    if (text !== undefined) this.check(document.uri, text);
  }

  private check(uri: vscode.Uri, text: string): void {
    try {
      this.checker.check(uri, text);
    } catch (err) {
      this.log.warn(`Checking ${uri.fsPath || uri.toString()}: ${(err as Error).message}`);
    }
  }

  private cancel(key: string): void {
    const timer = this.pending.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.pending.delete(key);
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }
}
