import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import type { Services } from '../services';
import { targetContainers } from './targets';

const SCHEME = 'berth-inspect';

/** Read-only JSON of `docker inspect`, refreshed when the container changes. */
class InspectProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly open = new Map<string, vscode.Uri>();
  private readonly subscription: vscode.Disposable;

  private readonly closing: vscode.Disposable;

  constructor(private readonly ctx: Pick<Services, 'containers' | 'session'>) {
    // an open inspect document keeps the live model running; closing it lets go
    this.closing = vscode.workspace.onDidCloseTextDocument((doc) => {
      if (doc.uri.scheme !== SCHEME) return;
      this.open.delete(doc.uri.query);
      ctx.containers.release(`inspect:${doc.uri.query}`);
    });
    this.subscription = ctx.containers.onDidChange((changes) => {
      if (changes === 'reset') return;
      for (const c of changes) {
        const uri = this.open.get(c.kind === 'removed' ? c.id : c.record.id);
        if (uri) this.changed.fire(uri);
      }
    });
  }

  static uri(id: string, name: string): vscode.Uri {
    return vscode.Uri.from({ scheme: SCHEME, path: `/${name}.json`, query: id });
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const id = uri.query;
    if (!this.open.has(id)) this.ctx.containers.hold(`inspect:${id}`);
    this.open.set(id, uri);
    try {
      // a tab restored at start-up asks before the engine is connected
      await this.ctx.session.whenSettled();
      return JSON.stringify(await this.ctx.session.requireEngine().inspectContainer(id), null, 2);
    } catch (err) {
      return JSON.stringify({ error: err instanceof Error ? err.message : String(err) }, null, 2);
    }
  }

  dispose(): void {
    this.closing.dispose();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The inspect documents' provider, registered at activation: an inspect tab restored after a reload has its content. */
export function registerInspectDocuments(services: Services): void {
  const provider = new InspectProvider(services);
  services.context.subscriptions.push(provider, vscode.workspace.registerTextDocumentContentProvider(SCHEME, provider));
}

export async function inspectContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, { title: 'Inspect container' });
  if (!target) return;
  const doc = await vscode.workspace.openTextDocument(InspectProvider.uri(target.id, target.name));
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true });
}
