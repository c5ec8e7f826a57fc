import * as vscode from 'vscode';
import { completionsAt, hoverAt, type SchemaCompletion } from '../../core/schema/yamlSchemaAssist';
import type { BerthYamlSchema } from './berthYamlSchema';

const offsets = (document: vscode.TextDocument, r: { start: number; end: number }): vscode.Range =>
  new vscode.Range(document.positionAt(r.start), document.positionAt(r.end));

function toItem(document: vscode.TextDocument, c: SchemaCompletion): vscode.CompletionItem {
  const item = new vscode.CompletionItem(
    c.label,
    c.kind === 'property' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.EnumMember,
  );
  item.insertText = new vscode.SnippetString(c.insertText);
  item.range = offsets(document, c.replace);
  item.sortText = c.sortText;
  item.filterText = c.label;
  if (c.detail !== undefined && c.detail !== '') item.detail = c.detail;
  if (c.documentation !== undefined) item.documentation = new vscode.MarkdownString(c.documentation);
  // after `key: ` (or a new block), what the value may be is offered at once; a choice snippet offers its own
  if (c.kind === 'property' && c.insertText.endsWith('$1')) item.command = { command: 'editor.action.triggerSuggest', title: 'Suggest' };
  return item;
}

/** Completion in berth.yaml from its schema: the keys a mapping may still have, the values a setting may take. */
export class BerthYamlCompletion implements vscode.CompletionItemProvider {
  constructor(private readonly schema: BerthYamlSchema) {}

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    const schema = await this.schema.get();
    if (schema === undefined) return undefined;
    return completionsAt(schema, document.getText(), document.offsetAt(position)).map((c) => toItem(document, c));
  }
}

/** Hover in berth.yaml: what the schema says of the setting under the mouse. */
export class BerthYamlHover implements vscode.HoverProvider {
  constructor(private readonly schema: BerthYamlSchema) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const schema = await this.schema.get();
    if (schema === undefined) return undefined;
    const hover = hoverAt(schema, document.getText(), document.offsetAt(position));
    return hover ? new vscode.Hover(new vscode.MarkdownString(hover.contents), offsets(document, hover.range)) : undefined;
  }
}
