/**
 * Streamed requests to an OpenAI-compatible server, made with node:http from the extension host:
 * `stream: true` with `stream_options.include_usage`, the SSE answer parsed as it arrives, each
 * content token timed. A server that ignores `stream` (one JSON answer) is read whole. Never
 * throws: a failure comes back as `error`, with the text and measurements gathered until then.
 * No vscode import.
 */

import * as http from 'node:http';
import * as https from 'node:https';
import { percentiles } from './stats';
import type { ChatRequest, CompletionRequest, EmbeddingRequest, EmbedResult, LlmApi, StreamMetrics, StreamResult } from './types';
import { apiUrl, describeHttpError, describeNetworkError, errorMessageOf, oneLine } from './url';

export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_EMBED_TIMEOUT_MS = 30_000;
/** The most of an error answer kept to find its message. */
const MAX_ERROR_BODY = 64 * 1024;
/** The most of a non-streamed answer read. */
const MAX_WHOLE_BODY = 16 * 1024 * 1024;

export interface StreamOptions {
  readonly signal?: AbortSignal;
  /** Each content token as it arrives; atMs counts from the request's start. */
  readonly onToken?: (delta: string, atMs: number) => void;
  /** How long to wait for the first token (default 60 s). */
  readonly firstTokenTimeoutMs?: number;
  /** How long to wait for each next token (default 30 s). */
  readonly idleTimeoutMs?: number;
}

/** The JSON body Berth sends for a chat or completion request. */
export function requestBody(req: ChatRequest | CompletionRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model };
  if ('messages' in req) body.messages = req.messages.map((m) => ({ role: m.role, content: m.content }));
  else body.prompt = req.prompt;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.top_p !== undefined) body.top_p = req.top_p;
  if (req.max_tokens !== undefined) body.max_tokens = req.max_tokens;
  if (req.stop !== undefined && req.stop.length > 0) body.stop = [...req.stop];
  if (req.seed !== undefined) body.seed = req.seed;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}

export function streamChat(baseUrl: string, req: ChatRequest, opts: StreamOptions = {}): Promise<StreamResult> {
  return streamWithRetry(baseUrl, 'chat', requestBody(req, true), opts);
}

export function streamCompletion(baseUrl: string, req: CompletionRequest, opts: StreamOptions = {}): Promise<StreamResult> {
  return streamWithRetry(baseUrl, 'completions', requestBody(req, true), opts);
}

/** Some servers refuse `stream_options`: asked again once without it. */
async function streamWithRetry(baseUrl: string, api: LlmApi, body: Record<string, unknown>, opts: StreamOptions): Promise<StreamResult> {
  const first = await streamOnce(baseUrl, api, body, opts);
  if ((first.result.status === 400 || first.result.status === 422) && /stream_options/.test(first.errorBody)) {
    const { stream_options: _, ...rest } = body;
    return (await streamOnce(baseUrl, api, rest, opts)).result;
  }
  return first.result;
}

/** The content of one chunk (chat: choices[0].delta.content; completions: choices[0].text). */
function contentOf(choice: Record<string, unknown> | undefined, api: LlmApi): string | undefined {
  if (!choice) return undefined;
  if (api === 'chat') {
    const delta = (choice.delta ?? choice.message) as { content?: unknown } | undefined;
    return typeof delta?.content === 'string' ? delta.content : undefined;
  }
  return typeof choice.text === 'string' ? choice.text : undefined;
}

/** What a stream gathered so far, turned into a result at its end. */
class Gathered {
  readonly parts: string[] = [];
  readonly times: number[] = [];
  finishReason: string | undefined;
  promptTokens: number | undefined;
  usageTokens: number | undefined;
  serverError: string | undefined;
  sawDone = false;
  badChunks = 0;

  constructor(
    private readonly api: LlmApi,
    private readonly started: number,
    private readonly onToken: ((delta: string, atMs: number) => void) | undefined,
  ) {}

  /** One parsed JSON object (a chunk, or the whole answer). */
  take(obj: unknown, at: number): void {
    if (typeof obj !== 'object' || obj === null) {
      this.badChunks++;
      return;
    }
    const o = obj as { error?: unknown; usage?: unknown; choices?: unknown };
    if (o.error !== undefined && o.error !== null) this.serverError = errorMessageOf(o) ?? 'unknown error';
    if (typeof o.usage === 'object' && o.usage !== null) {
      const u = o.usage as { prompt_tokens?: unknown; completion_tokens?: unknown };
      if (typeof u.prompt_tokens === 'number') this.promptTokens = u.prompt_tokens;
      if (typeof u.completion_tokens === 'number') this.usageTokens = u.completion_tokens;
    }
    const choice = Array.isArray(o.choices) ? (o.choices[0] as Record<string, unknown> | undefined) : undefined;
    const content = contentOf(choice, this.api);
    if (content !== undefined && content !== '') this.token(content, at);
    if (typeof choice?.finish_reason === 'string') this.finishReason = choice.finish_reason;
  }

  token(content: string, at: number): void {
    this.parts.push(content);
    this.times.push(at - this.started);
    this.onToken?.(content, at - this.started);
  }

  metrics(end: number): StreamMetrics {
    const times = this.times;
    const gaps: number[] = [];
    for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
    const completionTokens = this.usageTokens ?? times.length;
    const span = times.length > 1 ? times[times.length - 1]! - times[0]! : 0;
    const interTokenMs = percentiles(gaps);
    return {
      ...(times.length > 0 ? { ttftMs: times[0]! } : {}),
      ...(interTokenMs ? { interTokenMs } : {}),
      ...(span > 0 && completionTokens > 1 ? { tokensPerSecond: ((completionTokens - 1) * 1000) / span } : {}),
      totalMs: end - this.started,
      ...(this.promptTokens !== undefined ? { promptTokens: this.promptTokens } : {}),
      completionTokens,
      tokenSource: this.usageTokens !== undefined ? 'usage' : 'counted',
    };
  }
}

/** Server-sent events, parsed from text as it arrives: the data of each event. */
export class SseParser {
  private buffer = '';
  constructor(private readonly onData: (data: string, event: string | undefined) => void) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const m = /\r?\n\r?\n|\r\r/.exec(this.buffer);
      if (!m) return;
      const block = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.block(block);
    }
  }

  /** The end of the stream: a last event without its blank line still counts. */
  end(): void {
    if (this.buffer.trim() !== '') this.block(this.buffer);
    this.buffer = '';
  }

  private block(block: string): void {
    const data: string[] = [];
    let event: string | undefined;
    for (const line of block.split(/\r?\n|\r/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
    }
    if (data.length > 0) this.onData(data.join('\n'), event);
  }
}

interface Once {
  readonly result: StreamResult;
  /** The body of an HTTP error answer (for the stream_options retry). */
  readonly errorBody: string;
}

function streamOnce(baseUrl: string, api: LlmApi, body: Record<string, unknown>, opts: StreamOptions): Promise<Once> {
  const started = performance.now();
  let url: URL;
  try {
    url = apiUrl(baseUrl, api);
  } catch (err) {
    return Promise.resolve({
      result: {
        status: 0,
        text: '',
        streamed: false,
        metrics: { totalMs: 0, completionTokens: 0, tokenSource: 'counted' },
        error: (err as Error).message,
      },
      errorBody: '',
    });
  }
  const firstTimeout = opts.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS;
  const idleTimeout = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const payload = JSON.stringify(body);

  return new Promise<Once>((resolve) => {
    let status = 0;
    let streamed = false;
    let errorBody = '';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, message: () => string): void => {
      if (timer) clearTimeout(timer);
      if (settled) return;
      timer = setTimeout(() => finish(message()), ms);
    };
    const g = new Gathered(api, started, opts.onToken);
    const tokens = (): string => `${g.times.length} token${g.times.length === 1 ? '' : 's'}`;
    const onAbort = (): void => finish('cancelled');

    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      request.destroy();
      const end = performance.now();
      resolve({
        result: {
          status,
          text: g.parts.join(''),
          ...(g.finishReason !== undefined ? { finishReason: g.finishReason } : {}),
          streamed,
          metrics: g.metrics(end),
          ...(error !== undefined ? { error } : {}),
        },
        errorBody,
      });
    };

    const host = url.host;
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream, application/json',
        'content-length': Buffer.byteLength(payload),
      },
    });
    arm(
      firstTimeout,
      () =>
        `no token within ${firstTimeout / 1000} s from ${host}: the server ${status === 0 ? 'did not answer' : 'answered but sent no token'} (still loading the model, overloaded, or stuck?)`,
    );

    request.on('error', (err) => {
      if (status === 0) finish(describeNetworkError(err, host));
      else finish(`the connection to ${host} broke after ${tokens()}: ${oneLine(err.message)} — see the container's logs`);
    });

    request.on('response', (res) => {
      status = res.statusCode ?? 0;
      const contentType = String(res.headers['content-type'] ?? '');
      res.setEncoding('utf8');
      const broken = (): void =>
        finish(
          `the server closed the stream after ${tokens()} without finishing (no [DONE], no finish reason): did it crash? See the container's logs`,
        );
      res.on('aborted', broken);
      res.on('error', broken);

      if (status >= 400) {
        res.on('data', (chunk: string) => {
          if (errorBody.length < MAX_ERROR_BODY) errorBody += chunk;
        });
        res.on('end', () => finish(describeHttpError(status, url.pathname, errorBody)));
        return;
      }

      if (/json/i.test(contentType)) {
        // a server that ignores `stream`: the whole answer at once
        let whole = '';
        res.on('data', (chunk: string) => {
          if (whole.length < MAX_WHOLE_BODY) whole += chunk;
        });
        res.on('end', () => {
          let obj: unknown;
          try {
            obj = JSON.parse(whole);
          } catch {
            finish(`the server answered ${status} with JSON that does not parse (${whole.length} characters)`);
            return;
          }
          g.take(obj, performance.now());
          if (g.serverError !== undefined) finish(`the server reported an error: ${oneLine(g.serverError)}`);
          else finish();
        });
        return;
      }

      streamed = true;
      const parser = new SseParser((data, event) => {
        if (data === '[DONE]') {
          g.sawDone = true;
          return;
        }
        const before = g.times.length;
        let obj: unknown;
        try {
          obj = JSON.parse(data);
        } catch {
          if (event === 'error') g.serverError = data;
          else g.badChunks++;
          return;
        }
        g.take(obj, performance.now());
        if (event === 'error' && g.serverError === undefined) g.serverError = errorMessageOf(obj) ?? oneLine(data);
        if (g.times.length > before)
          arm(
            idleTimeout,
            () => `the stream stopped: no token for ${idleTimeout / 1000} s after ${tokens()} (the server is stuck or overloaded?)`,
          );
      });
      res.on('data', (chunk: string) => {
        parser.push(chunk);
        if (g.serverError !== undefined) finish(`the server reported an error after ${tokens()}: ${oneLine(g.serverError)}`);
        // [DONE] is the end, whether or not the server closes the response right after it
        else if (g.sawDone) finish();
      });
      res.on('end', () => {
        parser.end();
        if (g.serverError !== undefined) finish(`the server reported an error after ${tokens()}: ${oneLine(g.serverError)}`);
        else if (!g.sawDone && g.finishReason === undefined) broken();
        else if (g.times.length === 0 && g.badChunks > 0)
          finish(`the server's stream had no content Berth could read (${g.badChunks} chunks that are not JSON)`);
        else finish();
      });
    });

    if (opts.signal?.aborted) {
      finish('cancelled');
      return;
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    request.end(payload);
  });
}

/** One embeddings request: how many vectors of what length, in how long. Never throws. */
export function embed(
  baseUrl: string,
  req: EmbeddingRequest,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<EmbedResult> {
  const started = performance.now();
  const failed = (status: number, error: string): EmbedResult => ({
    status,
    vectors: 0,
    dims: 0,
    latencyMs: performance.now() - started,
    error,
  });
  let url: URL;
  try {
    url = apiUrl(baseUrl, 'embeddings');
  } catch (err) {
    return Promise.resolve(failed(0, (err as Error).message));
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_EMBED_TIMEOUT_MS;
  const payload = JSON.stringify({ model: req.model, input: typeof req.input === 'string' ? req.input : [...req.input] });
  return new Promise<EmbedResult>((resolve) => {
    let settled = false;
    const done = (r: EmbedResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(r);
    };
    const onAbort = (): void => done(failed(0, 'cancelled'));
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    const timer = setTimeout(() => done(failed(0, `no answer within ${timeoutMs / 1000} s from ${url.host}`)), timeoutMs);
    request.on('error', (err) => done(failed(0, describeNetworkError(err, url.host))));
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < MAX_WHOLE_BODY) text += chunk;
      });
      res.on('error', () => done(failed(status, `the connection to ${url.host} broke during the answer`)));
      res.on('end', () => {
        if (status >= 400) return done(failed(status, describeHttpError(status, url.pathname, text)));
        let obj: { data?: unknown; usage?: { prompt_tokens?: unknown } };
        try {
          obj = JSON.parse(text) as typeof obj;
        } catch {
          return done(failed(status, `the server answered ${status} with JSON that does not parse`));
        }
        if (!Array.isArray(obj.data)) return done(failed(status, 'the answer has no "data" list of embeddings'));
        const first = (obj.data[0] as { embedding?: unknown } | undefined)?.embedding;
        const promptTokens = obj.usage?.prompt_tokens;
        done({
          status,
          vectors: obj.data.length,
          dims: Array.isArray(first) ? first.length : 0,
          latencyMs: performance.now() - started,
          ...(typeof promptTokens === 'number' ? { promptTokens } : {}),
        });
      });
    });
    if (opts.signal?.aborted) return done(failed(0, 'cancelled'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    request.end(payload);
  });
}
