import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import { targetContainers } from './targets';

const SCHEME = 'berth-inspect';

/** Read-only JSON of `docker inspect`, refreshed when the container changes. */
class InspectProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly open = new Map<string, vscode.Uri>();
  private readonly subscription: vscode.Disposable;

  private readonly closing: vscode.Disposable;

  constructor(private readonly ctx: CommandContext) {
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
    this.open.set(id, uri);
    try {
      return JSON.stringify(await this.ctx.session.requireEngine().inspectContainerJson(id), null, 2);
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

let provider: InspectProvider | undefined;

export async function inspectContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, { title: 'Inspect container' });
  if (!target) return;
  if (!provider) {
    provider = new InspectProvider(ctx);
    ctx.context.subscriptions.push(provider, vscode.workspace.registerTextDocumentContentProvider(SCHEME, provider));
  }
  const doc = await vscode.workspace.openTextDocument(InspectProvider.uri(target.id, target.name));
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { preview: true });
  ctx.containers.hold(`inspect:${target.id}`);
}
