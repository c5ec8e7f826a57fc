import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { runStreamBatch } from '../../core/llm/batch';
import { detectLlmServer } from '../../core/llm/detect';
import { chatExport, chatExportText, type ChatExport, type ChatExportEntry, type ChatTarget } from '../../core/llm/export';
import { requestAsCode } from '../../core/llm/snippets';
import { embed, streamChat, streamCompletion } from '../../core/llm/stream';
import type { LlmServerInfo, StreamResult } from '../../core/llm/types';
import type { AbChoice, AbSide, ChatCall, ChatFromWebview, ChatToWebview, CodeFormat } from '../webview/protocol';
import { checkCall, checkEmbeddingRequest, checkFormat, checkSide, clampCount, MAX_BATCH_REQUESTS, MAX_CONCURRENCY } from './chatCheck';

/** What "Copy as" names each language in its confirmation. */
const FORMAT_NAMES: Record<CodeFormat, string> = {
  curl: 'curl',
  pythonOpenAI: 'Python (openai)',
  pythonRequests: 'Python (requests)',
  typescript: 'TypeScript (fetch)',
};

export interface ChatHost {
  /** The container the playground is open on, and its URL as this machine reaches it. */
  readonly a: AbChoice;
  readonly image: string;
  /** B of the A/B chat, once chosen. */
  b(): AbChoice | undefined;
  post(message: ChatToWebview): void;
  readonly log: Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>;
  /** Put text on the clipboard (vscode.env.clipboard). */
  writeClipboard(text: string): Thenable<void>;
  /** A streamed answer counts in the Fleet dashboard's figures of a container without /metrics. */
  recordTraffic(side: AbSide, result: StreamResult): void;
  /** Where an export is suggested (the first workspace folder, else the project). */
  readonly folder: string | undefined;
}

/**
 * The playground's Chat mode on the extension host: finds out whether a side speaks the OpenAI
 * API, streams chat and completions to A (and B in an A/B chat) token by token, runs batches,
 * embeds, writes a request as code to the clipboard and exports what ran as JSON. The webview
 * only shows what it is told, as text.
 */
export class ChatSession implements vscode.Disposable {
  private streams: AbortController | undefined;
  private batch: AbortController | undefined;
  private readonly infos = new Map<AbSide, LlmServerInfo>();
  /** What Export writes: the last chat (both sides of an A/B) or the last batch. */
  private last: ChatExport | undefined;

  constructor(private readonly host: ChatHost) {}

  dispose(): void {
    this.streams?.abort();
    this.batch?.abort();
  }

  /** Ask a side's server what it is (GET /v1/models, else its image) and tell the webview. */
  async detect(side: AbSide, target: AbChoice, image?: string): Promise<void> {
    const started = performance.now();
    let info: LlmServerInfo | undefined;
    let note: string | undefined;
    try {
      info = await detectLlmServer(target.baseUrl, { ...(image === undefined ? {} : { image }), timeoutMs: 3000 });
    } catch (err) {
      note = (err as Error).message;
    }
    const took = (performance.now() - started).toFixed(0);
    if (info) {
      this.infos.set(side, info);
      this.host.log.info(
        `Playground chat: ${target.label} (${target.baseUrl}) speaks the OpenAI API (${info.flavor}, via ${info.via}, models: ${info.models.join(', ') || 'none listed'}) — ${took} ms`,
      );
    } else {
      this.infos.delete(side);
      this.host.log.info(
        `Playground chat: ${target.label} (${target.baseUrl}) is not an OpenAI-compatible server${note ? `: ${note}` : ''} — ${took} ms`,
      );
    }
    this.host.post({
      type: 'llm',
      side,
      target,
      ...(info ? { info } : { note: note ?? `${target.label} does not answer GET /v1/models as an OpenAI-compatible server.` }),
    });
  }

  private targetOf(side: AbSide): AbChoice | { error: string } {
    if (side === 'a') return this.host.a;
    return this.host.b() ?? { error: 'Choose B first: another container, or this one with another model.' };
  }

  private note(message: string, bad = false): void {
    this.host.post({ type: 'chatNote', message, ...(bad ? { bad } : {}) });
  }

  /** Handle a Chat mode message; false: not one of its own. */
  async onMessage(m: ChatFromWebview | { readonly type: string }): Promise<boolean> {
    const msg = m as ChatFromWebview;
    switch (msg.type) {
      case 'chatSend':
        await this.send(msg);
        return true;
      case 'chatStop':
        this.streams?.abort();
        return true;
      case 'chatBatch':
        await this.runBatch(msg);
        return true;
      case 'chatBatchStop':
        this.batch?.abort();
        return true;
      case 'embed':
        await this.embed(msg);
        return true;
      case 'chatCopy':
        await this.copy(msg);
        return true;
      case 'chatExport':
        await this.export();
        return true;
      default:
        return false;
    }
  }

  private async send(m: Extract<ChatFromWebview, { type: 'chatSend' }>): Promise<void> {
    const run = typeof m.run === 'number' ? m.run : 0;
    const calls: { call: ChatCall; target: AbChoice }[] = [];
    for (const raw of Array.isArray(m.calls) ? m.calls.slice(0, 2) : []) {
      const call = checkCall(raw);
      const side = checkSide((raw as { side?: unknown } | undefined)?.side) ?? 'a';
      const target = 'error' in call ? call : this.targetOf(call.ok.side);
      if ('error' in target || 'error' in call) {
        const error = 'error' in call ? call.error : 'error' in target ? target.error : '';
        this.host.post({ type: 'chatDone', run, side, result: refused(error) });
        continue;
      }
      calls.push({ call: call.ok, target });
    }
    if (calls.length === 0) return;
    this.streams?.abort();
    const controller = new AbortController();
    this.streams = controller;
    const results = await Promise.all(calls.map(({ call, target }) => this.stream(run, call, target, controller.signal)));
    if (this.streams === controller) this.streams = undefined;
    const entries: ChatExportEntry[] = [];
    calls.forEach(({ call, target }, i) => {
      const result = results[i];
      if (call.api === 'chat' && result)
        entries.push({ type: 'run', target: this.exportTarget(call.side, target), request: call.body, result });
    });
    if (entries.length > 0) this.last = chatExport(entries.length === 2 ? 'ab' : 'run', entries);
  }

  private exportTarget(side: AbSide, target: AbChoice): ChatTarget {
    const flavor = this.infos.get(side)?.flavor;
    return { label: target.label, baseUrl: target.baseUrl, ...(flavor === undefined ? {} : { flavor }) };
  }

  private async stream(run: number, call: ChatCall, target: AbChoice, signal: AbortSignal): Promise<StreamResult> {
    const opts = {
      signal,
      onToken: (delta: string, atMs: number) => this.host.post({ type: 'chatToken', run, side: call.side, delta, atMs }),
    };
    let result: StreamResult;
    try {
      result =
        call.api === 'chat' ? await streamChat(target.baseUrl, call.body, opts) : await streamCompletion(target.baseUrl, call.body, opts);
    } catch (err) {
      this.host.log.error(`Playground chat: ${target.label}`, err);
      result = refused((err as Error).message);
    }
    this.host.recordTraffic(call.side, result);
    const m = result.metrics;
    this.host.log.info(
      `Playground chat ${call.side.toUpperCase()} ${target.label} ${call.api} ${call.body.model}: status ${result.status}, ` +
        `TTFT ${m.ttftMs?.toFixed(1) ?? '—'} ms, ${m.tokensPerSecond?.toFixed(1) ?? '—'} tokens/s, ${m.completionTokens} tokens (${m.tokenSource}), ` +
        `total ${m.totalMs.toFixed(0)} ms${result.error ? `; ${result.error}` : ''}`,
    );
    this.host.post({ type: 'chatDone', run, side: call.side, result });
    return result;
  }

  private async runBatch(m: Extract<ChatFromWebview, { type: 'chatBatch' }>): Promise<void> {
    const call = checkCall(m.call);
    if ('error' in call) return this.note(call.error, true);
    if (call.ok.api !== 'chat') return this.note('A batch sends chat requests: switch the API to chat.', true);
    const target = this.targetOf(call.ok.side);
    if ('error' in target) return this.note(target.error, true);
    const n = clampCount(m.n, 1, MAX_BATCH_REQUESTS, 20);
    const concurrency = clampCount(m.concurrency, 1, MAX_CONCURRENCY, 4);
    this.batch?.abort();
    const controller = new AbortController();
    this.batch = controller;
    let last = 0;
    const summary = await runStreamBatch(target.baseUrl, call.ok.body, {
      n,
      concurrency,
      signal: controller.signal,
      onProgress: (s) => {
        // at most ~10 updates a second
        const now = performance.now();
        if (now - last < 100 && s.done < n) return;
        last = now;
        this.host.post({ type: 'chatBatchProgress', summary: s });
      },
    });
    if (this.batch === controller) this.batch = undefined;
    const stopped = controller.signal.aborted;
    this.last = chatExport('batch', [
      { type: 'batch', target: this.exportTarget(call.ok.side, target), request: call.ok.body, concurrency, summary },
    ]);
    this.host.log.info(
      `Playground chat batch on ${target.label}: ${summary.done} of ${n} at concurrency ${concurrency}${stopped ? ' (stopped)' : ''}, ` +
        `${summary.errors} errors; TTFT p50 ${summary.ttftMs?.p50.toFixed(1) ?? '—'} ms, p99 ${summary.ttftMs?.p99.toFixed(1) ?? '—'} ms`,
    );
    for (const e of summary.firstErrors) this.host.log.warn(`Playground chat batch: ${e}`);
    this.host.post({ type: 'chatBatch', summary, stopped });
  }

  private async embed(m: Extract<ChatFromWebview, { type: 'embed' }>): Promise<void> {
    const run = typeof m.run === 'number' ? m.run : 0;
    const body = checkEmbeddingRequest(m.body);
    const side = checkSide(m.side) ?? 'a';
    const target = this.targetOf(side);
    const failed = 'error' in body ? body.error : 'error' in target ? target.error : undefined;
    if (failed !== undefined || 'error' in body || 'error' in target) {
      this.host.post({ type: 'embedResult', run, result: { status: 0, vectors: 0, dims: 0, latencyMs: 0, error: failed ?? '' } });
      return;
    }
    const result = await embed(target.baseUrl, body.ok, { timeoutMs: 60_000 });
    this.host.log.info(
      `Playground embeddings on ${target.label}: status ${result.status}, ${result.vectors} × ${result.dims} in ${result.latencyMs.toFixed(1)} ms${result.error ? `; ${result.error}` : ''}`,
    );
    this.host.post({ type: 'embedResult', run, result });
  }

  private async copy(m: Extract<ChatFromWebview, { type: 'chatCopy' }>): Promise<void> {
    const format = checkFormat(m.format);
    const side = checkSide(m.side) ?? 'a';
    const target = this.targetOf(side);
    if (!format) return this.note('That is not a language the playground writes requests in.', true);
    if ('error' in target) return this.note(target.error, true);
    const checked =
      m.api === 'embeddings'
        ? checkEmbeddingRequest(m.body)
        : m.api === 'chat' || m.api === 'completions'
          ? checkCall({ side, api: m.api, body: m.body })
          : { error: 'Unknown API.' };
    if ('error' in checked) return this.note(checked.error, true);
    const body = 'side' in checked.ok ? checked.ok.body : checked.ok;
    const api = m.api;
    // the snippet streams as the playground does
    const code = requestAsCode(
      target.baseUrl,
      api,
      api === 'embeddings' ? body : { ...body, stream: true, stream_options: { include_usage: true } },
    )[format];
    await this.host.writeClipboard(code);
    this.note(vscode.l10n.t('Copied as {0}: the request to {1}.', FORMAT_NAMES[format], target.label));
  }

  private async export(): Promise<void> {
    const doc = this.last;
    if (!doc) return this.note('Nothing to export yet: send a chat message or run a batch first.', true);
    const name = `chat-${fileSafe(this.host.a.label)}-${doc.mode}.json`;
    const uri = await vscode.window.showSaveDialog({
      ...(this.host.folder === undefined ? {} : { defaultUri: vscode.Uri.file(path.join(this.host.folder, name)) }),
      filters: { JSON: ['json'] },
      title: vscode.l10n.t('Export Chat Run'),
    });
    if (!uri) return;
    fs.writeFileSync(uri.fsPath, chatExportText(doc));
    this.host.log.info(`Playground chat ${doc.mode} exported to ${uri.fsPath}`);
    this.note(vscode.l10n.t('Exported to {0}.', vscode.workspace.asRelativePath(uri)));
  }
}

/** A request that was not sent: no status, no tokens, the reason. */
function refused(error: string): StreamResult {
  return { status: 0, text: '', streamed: false, metrics: { totalMs: 0, completionTokens: 0, tokenSource: 'counted' }, error };
}

/** A file name made of a container's name (nothing that leads elsewhere). */
const fileSafe = (name: string): string => name.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'container';
