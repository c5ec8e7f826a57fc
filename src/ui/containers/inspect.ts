import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import { ReadonlyDocuments } from '../readonlyDocuments';
import type { Services } from '../services';
import { targetContainers } from './targets';

const SCHEME = 'berth-inspect';

const inspectUri = (id: string, name: string): vscode.Uri => vscode.Uri.from({ scheme: SCHEME, path: `/${name}.json`, query: id });

/**
 * Read-only JSON of `docker inspect`, refreshed when the container changes. An open document keeps
 * the live container model running; closing it lets go.
 */
class InspectDocuments implements vscode.Disposable {
  private readonly documents: ReadonlyDocuments;
  private readonly open = new Map<string, vscode.Uri>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly services: Pick<Services, 'containers' | 'session'>) {
    this.documents = new ReadonlyDocuments(SCHEME, (uri) => this.content(uri));
    this.subscriptions = [
      this.documents,
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme !== SCHEME) return;
        this.open.delete(doc.uri.query);
        this.documents.forget(doc.uri);
        services.containers.release(`inspect:${doc.uri.query}`);
      }),
      services.containers.onDidChange((changes) => {
        if (changes === 'reset') return;
        for (const c of changes) {
          const uri = this.open.get(c.kind === 'removed' ? c.id : c.record.id);
          if (uri) this.documents.refresh(uri);
        }
      }),
    ];
  }

  private async content(uri: vscode.Uri): Promise<string> {
    const id = uri.query;
    if (!this.open.has(id)) this.services.containers.hold(`inspect:${id}`);
    this.open.set(id, uri);
    try {
      // a tab restored at start-up asks before the engine is connected
      await this.services.session.whenSettled();
      return JSON.stringify(await this.services.session.requireEngine().inspectContainerJson(id), null, 2);
    } catch (err) {
      return JSON.stringify({ error: err instanceof Error ? err.message : String(err) }, null, 2);
    }
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }
}

/** The inspect documents, registered at activation: an inspect tab restored after a reload has its content. */
export function registerInspectDocuments(services: Services): void {
  services.context.subscriptions.push(new InspectDocuments(services));
}

export async function inspectContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, { title: vscode.l10n.t('Inspect container') });
  if (!target) return;
  const doc = await vscode.workspace.openTextDocument(inspectUri(target.id, target.name));
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true });
}
