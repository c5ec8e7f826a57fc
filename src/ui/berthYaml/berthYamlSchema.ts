import * as vscode from 'vscode';
import type { JsonSchema } from '../../core/schema/jsonSchema';

/** The berth.yaml schema shipped with the extension (schemas/berth.schema.json), read once when first needed. */
export class BerthYamlSchema {
  private loading: Promise<JsonSchema | undefined> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The schema, or undefined (said once in the log) when it cannot be read: no completion or hover then. */
  get(): Promise<JsonSchema | undefined> {
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<JsonSchema | undefined> {
    const uri = vscode.Uri.joinPath(this.extensionUri, 'schemas', 'berth.schema.json');
    try {
      const parsed = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri))) as unknown;
      if (typeof parsed !== 'boolean' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)))
        throw new Error(vscode.l10n.t('not a JSON Schema (an object or a boolean)'));
      return parsed;
    } catch (err) {
      this.log.warn(`berth.yaml completion and hover are off: cannot read the schema ${uri.fsPath}: ${(err as Error).message}`);
      return undefined;
    }
  }
}
