import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import type { Services } from '../services';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { PlaygroundFromWebview, PlaygroundSample, PlaygroundToWebview } from '../webview/protocol';
import { checkMethod, MAX_BATCH, requestUrl, runBatch, sendRequest, type RequestSpec } from './requests';
import { readProjectSamples, samplesFolder } from './samples';
import { chooseTarget, reachTarget } from './target';

const SAMPLES_KEY = 'berth.playground.samples';
const MAX_BODY_SHOWN = 256 * 1024;

const workspaceFolders = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);

/** Seconds a playground request waits for its answer (berth.playground.requestTimeoutSeconds). */
function timeoutMs(): number {
  const s = vscode.workspace.getConfiguration('berth').get<number>('playground.requestTimeoutSeconds', 30);
  return Math.max(1, Number.isFinite(s) ? s : 30) * 1000;
}

/** Request bodies the project ships (requests/*.json, read only inside the workspace) and those saved from the playground. */
function loadSamples(services: PlaygroundDeps, projectDir: string | undefined): PlaygroundSample[] {
  const { samples, skipped } = projectDir ? readProjectSamples(projectDir, workspaceFolders()) : { samples: [], skipped: [] };
  for (const s of skipped) services.log.warn(`Playground: sample not read: ${s}`);
  const saved = services.context.workspaceState.get<Record<string, PlaygroundSample[]>>(SAMPLES_KEY, {});
  return [...samples, ...(saved[projectDir ?? ''] ?? [])];
}

type PlaygroundDeps = Pick<Services, 'context' | 'log'>;
type PlaygroundsDeps = PlaygroundDeps & Pick<Services, 'session'>;

/** The playgrounds of the window, one per container: a service (services.playgrounds). */
export class Playgrounds implements vscode.Disposable {
  private readonly open = new Map<string, PlaygroundPanel>();

  constructor(private readonly services: PlaygroundsDeps) {}

  /**
   * Open (or reveal) the playground of a container. `projectDir` (a container's berth.project
   * label, or the project a run came from) is where samples come from, but only when it lies in an
   * open workspace folder. A container whose port is not reachable on loopback gets a message and
   * no panel. On an ssh:// engine the port is reached through a port forwarded over its ssh
   * connection; the panel closes when Berth connects to another engine.
   */
  async show(record: ContainerRecord, projectDir: string | undefined): Promise<PlaygroundPanel | undefined> {
    const existing = this.open.get(record.id);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const connection = this.services.session.connection;
    const target = await reachTarget(this.services.session.requireEngine(), record.name, chooseTarget(record.name, record.ports));
    const raced = this.open.get(record.id);
    if (raced) {
      raced.reveal();
      return raced;
    }
    if ('error' in target) {
      this.services.log.warn(`Playground: ${target.error}`);
      void vscode.window.showErrorMessage(target.error);
      return undefined;
    }
    const folder = samplesFolder(projectDir, workspaceFolders());
    if (folder.refused) this.services.log.warn(`Playground for ${record.name}: ${folder.refused}`);
    if (target.via !== undefined) this.services.log.info(`Playground for ${record.name}: ${target.url} is the ${target.via}`);
    const panel = new PlaygroundPanel(this.services, record, folder.dir, target, () => {
      this.open.delete(record.id);
      connection.remove(panel);
    });
    this.open.set(record.id, panel);
    connection.add(panel);
    return panel;
  }

  dispose(): void {
    for (const panel of [...this.open.values()]) panel.dispose();
  }
}

/**
 * The inference playground for one running container: requests are sent from here (the extension
 * host) to its loopback-published port; the webview only shows them, as text.
 */
export class PlaygroundPanel {
  private readonly panel: vscode.WebviewPanel;
  private batch: AbortController | undefined;

  constructor(
    private readonly services: PlaygroundDeps,
    private readonly record: ContainerRecord,
    private readonly projectDir: string | undefined,
    private readonly target: { readonly url: string; readonly via?: string },
    onClosed: () => void,
  ) {
    const extensionUri = services.context.extensionUri;
    this.panel = vscode.window.createWebviewPanel(
      'berth.playground',
      `Playground: ${record.name}`,
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'berth.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'playground', `Playground: ${record.name}`);
    this.panel.onDidDispose(() => {
      this.batch?.abort();
      onClosed();
    });
    this.panel.webview.onDidReceiveMessage(
      (m: PlaygroundFromWebview) =>
        void this.onMessage(m).catch((err: unknown) => {
          services.log.error('Playground', err);
          // the panel never waits on an answer that will not come
          const error = `Berth could not do that: ${(err as Error).message} (details in the Berth log)`;
          this.post(
            m.type === 'batch'
              ? { type: 'batchRefused', message: error }
              : { type: 'response', response: { status: 0, latencyMs: 0, body: '', error } },
          );
        }),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  dispose(): void {
    this.panel.dispose();
  }

  private post(message: PlaygroundToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  /** The request a send or batch message asks for, or why it cannot be sent (nothing is sent then). */
  private spec(m: { method: unknown; path: unknown; body: unknown }): RequestSpec | { error: string } {
    const method = checkMethod(m.method);
    if ('error' in method) return method;
    try {
      return {
        url: requestUrl(this.target.url, typeof m.path === 'string' ? m.path : '/'),
        method: method.method,
        body: typeof m.body === 'string' ? m.body : '',
        timeoutMs: timeoutMs(),
      };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  private async onMessage(m: PlaygroundFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready': {
        const samples = loadSamples(this.services, this.projectDir);
        this.post({
          type: 'init',
          container: this.record.name,
          baseUrl: this.target.url,
          ...(this.target.via === undefined ? {} : { via: this.target.via }),
          path: samples.length > 0 ? '/predict' : '/',
          samples,
        });
        return;
      }
      case 'send': {
        const spec = this.spec(m);
        if ('error' in spec) {
          this.post({ type: 'response', response: { status: 0, latencyMs: 0, body: '', error: spec.error } });
          return;
        }
        const r = await sendRequest({ ...spec, maxBodyBytes: MAX_BODY_SHOWN });
        if (r.error) this.services.log.warn(`Playground: ${spec.method} ${spec.url}: ${r.error}`);
        const body = r.bodyBytes > Buffer.byteLength(r.body) ? `${r.body}\n… (${r.bodyBytes} bytes in all)` : r.body;
        this.post({
          type: 'response',
          response: { status: r.status, latencyMs: r.latencyMs, body, ...(r.error ? { error: r.error } : {}) },
        });
        return;
      }
      case 'batch': {
        const spec = this.spec(m);
        if ('error' in spec) {
          this.post({ type: 'batchRefused', message: spec.error });
          return;
        }
        this.batch?.abort();
        const controller = new AbortController();
        this.batch = controller;
        const count = Math.max(1, Math.min(MAX_BATCH, Math.round(Number(m.count) || 1)));
        const summary = await runBatch(spec, count, {
          signal: controller.signal,
          onProgress: (done) => {
            if (done % Math.max(1, Math.floor(count / 20)) === 0) this.post({ type: 'progress', done, total: count });
          },
        });
        this.post({ type: 'batch', batch: summary });
        return;
      }
      case 'saveSample': {
        const key = this.projectDir ?? '';
        const all = this.services.context.workspaceState.get<Record<string, PlaygroundSample[]>>(SAMPLES_KEY, {});
        const list = (all[key] ?? []).filter((s) => s.name !== m.name);
        await this.services.context.workspaceState.update(SAMPLES_KEY, { ...all, [key]: [...list, { name: m.name, body: m.body }] });
        this.post({ type: 'samples', samples: loadSamples(this.services, this.projectDir) });
        return;
      }
    }
  }
}
