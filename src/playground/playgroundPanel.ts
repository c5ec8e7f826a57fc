import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerRecord } from '../engine/containerStore';
import type { Services } from '../services';
import { publishedPorts } from '../tree/format';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { PlaygroundFromWebview, PlaygroundSample, PlaygroundToWebview } from '../webview/protocol';
import { runBatch, sendRequest } from './requests';

const SAMPLES_KEY = 'berth.playground.samples';
const MAX_BODY_SHOWN = 256 * 1024;

/** Request bodies a project ships (requests/*.json) and those saved from the playground. */
function loadSamples(context: vscode.ExtensionContext, projectDir: string | undefined): PlaygroundSample[] {
  const samples: PlaygroundSample[] = [];
  const dir = projectDir ? path.join(projectDir, 'requests') : undefined;
  if (dir && fs.existsSync(dir)) {
    for (const name of fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()) {
      samples.push({ name, body: fs.readFileSync(path.join(dir, name), 'utf8') });
    }
  }
  const saved = context.workspaceState.get<Record<string, PlaygroundSample[]>>(SAMPLES_KEY, {});
  return [...samples, ...(saved[projectDir ?? ''] ?? [])];
}

/**
 * The inference playground for one running container: requests are sent from here (the extension
 * host) to its loopback-published port; the webview only shows them, as text.
 */
export class PlaygroundPanel {
  private static readonly open = new Map<string, PlaygroundPanel>();
  private readonly panel: vscode.WebviewPanel;
  private readonly baseUrl: string;
  private batch: AbortController | undefined;

  static show(services: Services, record: ContainerRecord, projectDir: string | undefined): PlaygroundPanel {
    const existing = PlaygroundPanel.open.get(record.id);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = new PlaygroundPanel(services, record, projectDir);
    PlaygroundPanel.open.set(record.id, panel);
    return panel;
  }

  private constructor(
    private readonly services: Services,
    private readonly record: ContainerRecord,
    private readonly projectDir: string | undefined,
  ) {
    const port = publishedPorts(record).find((p) => p.protocol === 'tcp');
    if (!port?.hostPort) throw new Error(`${record.name} publishes no TCP port: the playground needs one to send requests to.`);
    const host = port.hostIp && port.hostIp !== '0.0.0.0' && port.hostIp !== '::' ? port.hostIp : '127.0.0.1';
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port.hostPort}`;
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
      PlaygroundPanel.open.delete(record.id);
    });
    this.panel.webview.onDidReceiveMessage(
      (m: PlaygroundFromWebview) => void this.onMessage(m).catch((err: unknown) => services.log.error('Playground', err)),
    );
  }

  private post(message: PlaygroundToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private url(p: string): string {
    return `${this.baseUrl}${p.startsWith('/') ? p : `/${p}`}`;
  }

  private async onMessage(m: PlaygroundFromWebview): Promise<void> {
    switch (m.type) {
      case 'ready': {
        const samples = loadSamples(this.services.context, this.projectDir);
        this.post({
          type: 'init',
          container: this.record.name,
          baseUrl: this.baseUrl,
          path: samples.length > 0 ? '/predict' : '/',
          samples,
        });
        return;
      }
      case 'send': {
        const r = await sendRequest({ url: this.url(m.path), method: m.method, body: m.body });
        const body = r.body.length > MAX_BODY_SHOWN ? `${r.body.slice(0, MAX_BODY_SHOWN)}\n… (${r.body.length} characters in all)` : r.body;
        this.post({
          type: 'response',
          response: { status: r.status, latencyMs: r.latencyMs, body, ...(r.error ? { error: r.error } : {}) },
        });
        return;
      }
      case 'batch': {
        this.batch?.abort();
        const controller = new AbortController();
        this.batch = controller;
        const count = Math.max(1, Math.min(10_000, Math.round(m.count)));
        const summary = await runBatch({ url: this.url(m.path), method: m.method, body: m.body }, count, {
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
        this.post({ type: 'samples', samples: loadSamples(this.services.context, this.projectDir) });
        return;
      }
    }
  }
}
