import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import type { Services } from '../services';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { AbChoice, AbExport, PlaygroundFromWebview, PlaygroundSample, PlaygroundToWebview } from '../webview/protocol';
import { MAX_AB_REQUESTS, runAb } from './abRun';
import { ChatSession } from './chat';
import { checkMethod, MAX_BATCH, requestUrl, runBatch, sendRequest, type RequestResult, type RequestSpec } from './requests';
import { readProjectSamples, samplesFolder } from './samples';
import { chooseTarget, reachTarget, type PortTarget } from './target';

const SAMPLES_KEY = 'berth.playground.samples';
const MAX_BODY_SHOWN = 256 * 1024;

const workspaceFolders = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);

/** Seconds a playground request waits for its answer (berth.playground.requestTimeoutSeconds). */
function timeoutMs(): number {
  const s = vscode.workspace.getConfiguration('berth').get<number>('playground.requestTimeoutSeconds', 30);
  return Math.max(1, Number.isFinite(s) ? s : 30) * 1000;
}

/** The notebook comparison's tolerances (berth.compare.*), where an A/B run starts from. */
function tolerance(): { rtol: number; atol: number } {
  const c = vscode.workspace.getConfiguration('berth');
  const read = (key: string, fallback: number): number => {
    const v = c.get<number>(key, fallback);
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
  };
  return { rtol: read('compare.relativeTolerance', 1e-3), atol: read('compare.absoluteTolerance', 1e-6) };
}

/** A tolerance from the webview: a finite number of 0 or more, else the fallback. */
const nonNegative = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback);

/** A file name made of a container's name (nothing that leads elsewhere). */
const fileSafe = (name: string): string => name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'container';

/** Request bodies the project ships (requests/*.json, read only inside the workspace) and those saved from the playground. */
function loadSamples(services: PlaygroundDeps, projectDir: string | undefined): PlaygroundSample[] {
  const { samples, skipped } = projectDir ? readProjectSamples(projectDir, workspaceFolders()) : { samples: [], skipped: [] };
  for (const s of skipped) services.log.warn(`Playground: sample not read: ${s}`);
  const saved = services.context.workspaceState.get<Record<string, PlaygroundSample[]>>(SAMPLES_KEY, {});
  return [...samples, ...(saved[projectDir ?? ''] ?? [])];
}

type PlaygroundDeps = Pick<Services, 'context' | 'log' | 'fleet'>;
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
  async show(
    record: ContainerRecord,
    projectDir: string | undefined,
    options: { path?: string } = {},
  ): Promise<PlaygroundPanel | undefined> {
    const existing = this.open.get(record.id);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const connection = this.services.session.connection;
    const target = await this.reach(record);
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
    const panel = new PlaygroundPanel(this.services, record, folder.dir, target, {
      ...(options.path === undefined ? {} : { path: options.path }),
      chooseB: () => this.chooseB(record, target.url, target.via),
      onClosed: () => {
        this.open.delete(record.id);
        connection.remove(panel);
      },
    });
    this.open.set(record.id, panel);
    connection.add(panel);
    return panel;
  }

  /**
   * Open A's playground in A/B mode with B chosen: "Compare Two Containers (A/B)" on two
   * selected containers. B unreachable: a message, and A's playground without a B.
   */
  async compare(a: ContainerRecord, b: ContainerRecord, projectDir: string | undefined): Promise<PlaygroundPanel | undefined> {
    const panel = await this.show(a, projectDir);
    if (!panel) return undefined;
    const target = await this.reach(b);
    if ('error' in target) {
      this.services.log.warn(`Playground A/B: ${target.error}`);
      void vscode.window.showErrorMessage(target.error);
      return panel;
    }
    panel.setB({ label: b.name, baseUrl: target.url, ...(target.via === undefined ? {} : { via: target.via }) }, true);
    return panel;
  }

  /** A container's port as this machine reaches it (a forwarded port on an ssh engine), or why not. */
  private reach(record: ContainerRecord): Promise<PortTarget> {
    return reachTarget(this.services.session.requireEngine(), record.name, chooseTarget(record.name, record.ports));
  }

  /** B for A's playground: A itself (another path of the same server), or another running container with a TCP port. */
  private async chooseB(a: ContainerRecord, aUrl: string, aVia: string | undefined): Promise<AbChoice | undefined> {
    const records = await this.services.session.requireEngine().listContainers();
    const others = records
      .filter((r) => r.id !== a.id && r.state === 'running' && r.ports.some((p) => p.protocol === 'tcp' && (p.hostPort ?? 0) > 0))
      .sort((x, y) => x.name.localeCompare(y.name));
    const items: (vscode.QuickPickItem & { record?: ContainerRecord })[] = [
      { label: a.name, description: vscode.l10n.t('this container: another path (two models of one server)') },
      ...others.map((r) => ({ label: r.name, description: r.image, detail: r.status, record: r })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('A/B: compare {0} with…', a.name),
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    if (!picked.record) return { label: a.name, baseUrl: aUrl, ...(aVia === undefined ? {} : { via: aVia }) };
    const target = await this.reach(picked.record);
    if ('error' in target) {
      this.services.log.warn(`Playground A/B: ${target.error}`);
      void vscode.window.showErrorMessage(target.error);
      return undefined;
    }
    return { label: picked.record.name, baseUrl: target.url, ...(target.via === undefined ? {} : { via: target.via }) };
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
  private ab: AbortController | undefined;
  /** B of the A/B run, once chosen; `abOpen`: show the A/B section when the page is ready. */
  private b: AbChoice | undefined;
  private abOpen = false;
  private lastAb: AbExport | undefined;
  private ready = false;
  private disposed = false;
  private readonly chat: ChatSession;

  constructor(
    private readonly services: PlaygroundDeps,
    private readonly record: ContainerRecord,
    private readonly projectDir: string | undefined,
    private readonly target: { readonly url: string; readonly via?: string },
    private readonly hooks: {
      /** The path the panel starts with (default: /predict when the project has samples, else /). */
      readonly path?: string;
      readonly chooseB: () => Promise<AbChoice | undefined>;
      readonly onClosed: () => void;
    },
  ) {
    const extensionUri = services.context.extensionUri;
    this.panel = vscode.window.createWebviewPanel(
      'berth.playground',
      vscode.l10n.t('Playground: {0}', record.name),
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'berth.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'playground', vscode.l10n.t('Playground: {0}', record.name));
    const a: AbChoice = { label: record.name, baseUrl: target.url, ...(target.via === undefined ? {} : { via: target.via }) };
    this.chat = new ChatSession({
      a,
      image: record.image,
      b: () => this.b,
      post: (message) => this.post(message),
      log: services.log,
      writeClipboard: (text) => vscode.env.clipboard.writeText(text),
      recordTraffic: (side, r) => {
        if (side === 'a')
          this.recordTraffic({ latencyMs: r.metrics.totalMs, status: r.status, ...(r.error === undefined ? {} : { error: r.error }) });
      },
      folder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? projectDir,
    });
    this.panel.onDidDispose(() => {
      this.disposed = true;
      this.batch?.abort();
      this.ab?.abort();
      this.chat.dispose();
      hooks.onClosed();
    });
    this.panel.webview.onDidReceiveMessage(
      (m: PlaygroundFromWebview) =>
        void this.onMessage(m).catch((err: unknown) => {
          services.log.error('Playground', err);
          // the panel never waits on an answer that will not come
          const error = `Berth could not do that: ${(err as Error).message} (details in the Berth log)`;
          this.post(
            m.type.startsWith('chat') || m.type === 'embed'
              ? { type: 'chatNote', message: error, bad: true }
              : m.type === 'batch'
                ? { type: 'batchRefused', message: error }
                : m.type.startsWith('ab')
                  ? { type: 'abRefused', message: error }
                  : { type: 'response', response: { status: 0, latencyMs: 0, body: '', error } },
          );
        }),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Set B of the A/B run (and, with `open`, show the A/B section). */
  setB(b: AbChoice, open: boolean): void {
    this.b = b;
    this.abOpen = this.abOpen || open;
    if (this.ready) {
      this.post({ type: 'abTarget', target: b, open });
      void this.chat.detect('b', b);
    }
  }

  dispose(): void {
    this.panel.dispose();
  }

  private post(message: PlaygroundToWebview): void {
    // a run that ends after its panel closed has no one to tell
    if (this.disposed) return;
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

  /** A request sent from here counts in the Fleet dashboard's figures of a container without /metrics. */
  private recordTraffic(r: Pick<RequestResult, 'latencyMs' | 'status' | 'error'>): void {
    this.services.fleet.recordTraffic(this.record.id, {
      at: Date.now(),
      latencyMs: r.latencyMs,
      ok: r.error === undefined && r.status < 500,
    });
  }

  private async onMessage(m: PlaygroundFromWebview): Promise<void> {
    if (await this.chat.onMessage(m)) return;
    switch (m.type) {
      case 'ready': {
        const samples = loadSamples(this.services, this.projectDir);
        this.post({
          type: 'init',
          container: this.record.name,
          baseUrl: this.target.url,
          ...(this.target.via === undefined ? {} : { via: this.target.via }),
          path: this.hooks.path ?? (samples.length > 0 ? '/predict' : '/'),
          samples,
          tolerance: tolerance(),
        });
        this.ready = true;
        if (this.b) this.post({ type: 'abTarget', target: this.b, open: this.abOpen });
        // an OpenAI-compatible server gets the Chat mode
        void this.chat.detect(
          'a',
          { label: this.record.name, baseUrl: this.target.url, ...(this.target.via === undefined ? {} : { via: this.target.via }) },
          this.record.image,
        );
        if (this.b) void this.chat.detect('b', this.b);
        return;
      }
      case 'send': {
        const spec = this.spec(m);
        if ('error' in spec) {
          this.post({ type: 'response', response: { status: 0, latencyMs: 0, body: '', error: spec.error } });
          return;
        }
        const r = await sendRequest({ ...spec, maxBodyBytes: MAX_BODY_SHOWN });
        this.recordTraffic(r);
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
          onResult: (r) => this.recordTraffic(r),
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
      case 'abChooseB': {
        const b = await this.hooks.chooseB();
        if (b) this.setB(b, false);
        return;
      }
      case 'abRun':
        await this.runAb(m);
        return;
      case 'abStop':
        this.ab?.abort();
        return;
      case 'abExport':
        await this.exportAb();
        return;
    }
  }

  private async runAb(m: Extract<PlaygroundFromWebview, { type: 'abRun' }>): Promise<void> {
    const b = this.b;
    if (!b) {
      this.post({ type: 'abRefused', message: vscode.l10n.t('Choose B first: another container, or this one with another path.') });
      return;
    }
    const method = checkMethod(m.method);
    if ('error' in method) {
      this.post({ type: 'abRefused', message: method.error });
      return;
    }
    const samples = m.cycleSamples ? loadSamples(this.services, this.projectDir) : [];
    const bodies = samples.length > 0 ? samples.map((s) => s.body) : [typeof m.body === 'string' ? m.body : ''];
    const names = samples.length > 0 ? samples.map((s) => s.name) : ['body'];
    const fallback = tolerance();
    const count = Math.max(1, Math.min(MAX_AB_REQUESTS, Math.round(Number(m.count) || 1)));
    this.ab?.abort();
    const controller = new AbortController();
    this.ab = controller;
    const a = this.target;
    const run = await runAb(
      {
        a: { label: this.record.name, baseUrl: a.url, path: String(m.pathA), ...(a.via === undefined ? {} : { via: a.via }) },
        b: { label: b.label, baseUrl: b.baseUrl, path: String(m.pathB), ...(b.via === undefined ? {} : { via: b.via }) },
      },
      {
        method: method.method,
        bodies,
        bodyNames: names,
        count,
        concurrency: Math.round(Number(m.concurrency) || 1),
        tolerance: { rtol: nonNegative(m.rtol, fallback.rtol), atol: nonNegative(m.atol, fallback.atol) },
        timeoutMs: timeoutMs(),
      },
      {
        signal: controller.signal,
        onProgress: (done, total) => {
          if (done % Math.max(1, Math.floor(total / 20)) === 0) this.post({ type: 'abProgress', done, total });
        },
      },
    );
    // a run replaced by a newer one is not shown: the newer one's results follow
    if (this.ab !== controller) return;
    this.ab = undefined;
    this.lastAb = run;
    const s = run.summary;
    this.services.log.info(
      `Playground A/B ${run.targets.a.label}${run.targets.a.path} vs ${run.targets.b.label}${run.targets.b.path}: ${run.requests.length} requests${run.stopped ? ' (stopped)' : ''}; ` +
        `p50 ${s.a.p50.toFixed(1)} vs ${s.b.p50.toFixed(1)} ms; errors ${s.a.errors} vs ${s.b.errors}; ${s.identical} identical, ${s.withinTolerance} within tolerance, ${s.differs} differ`,
    );
    this.post({ type: 'abResult', run });
  }

  private async exportAb(): Promise<void> {
    const run = this.lastAb;
    if (!run) {
      this.post({ type: 'abRefused', message: vscode.l10n.t('Nothing to export yet: run A/B first.') });
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? this.projectDir;
    const name = `ab-${fileSafe(run.targets.a.label)}-vs-${fileSafe(run.targets.b.label)}.json`;
    const target = await vscode.window.showSaveDialog({
      ...(folder === undefined ? {} : { defaultUri: vscode.Uri.file(path.join(folder, name)) }),
      filters: { JSON: ['json'] },
      title: vscode.l10n.t('Export A/B Run'),
    });
    if (!target) return;
    fs.writeFileSync(target.fsPath, `${JSON.stringify(run, null, 2)}\n`);
    this.services.log.info(`Playground A/B run exported to ${target.fsPath}`);
    void vscode.window.showInformationMessage(vscode.l10n.t('A/B run exported to {0}.', vscode.workspace.asRelativePath(target)));
  }
}
