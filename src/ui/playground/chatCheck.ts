/**
 * What the playground's Chat mode accepts from its webview before anything is sent: a request
 * body rebuilt from known fields only (model, messages or prompt, sampling parameters), or one
 * line saying what is wrong with it. No vscode import.
 */
import type { ChatMessage, ChatParams, ChatRequest, CompletionRequest, EmbeddingRequest } from '../../core/llm/types';
import type { AbSide, ChatCall, CodeFormat } from '../webview/protocol';

/** Limits of one request from the panel: a conversation can be long, not unbounded. */
export const MAX_MESSAGES = 500;
export const MAX_TEXT_CHARS = 1_000_000;
export const MAX_STOP_SEQUENCES = 4;
export const MAX_BATCH_REQUESTS = 1000;
export const MAX_CONCURRENCY = 64;

const ROLES: readonly ChatMessage['role'][] = ['system', 'user', 'assistant'];
const FORMATS: readonly CodeFormat[] = ['curl', 'pythonOpenAI', 'pythonRequests', 'typescript'];

type Checked<T> = { readonly ok: T } | { readonly error: string };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function checkSide(x: unknown): AbSide | undefined {
  return x === 'a' || x === 'b' ? x : undefined;
}

export function checkFormat(x: unknown): CodeFormat | undefined {
  return FORMATS.find((f) => f === x);
}

/** A count from the panel: a whole number in [min, max], else the fallback. */
export function clampCount(x: unknown, min: number, max: number, fallback: number): number {
  const n = typeof x === 'number' && Number.isFinite(x) ? Math.round(x) : fallback;
  return Math.max(min, Math.min(max, n));
}

/** The sampling parameters of a body: those given, each checked. */
function checkParams(b: Record<string, unknown>): Checked<ChatParams> {
  const model = b['model'];
  if (typeof model !== 'string' || model.trim() === '' || model.length > 256) return { error: 'Choose a model: the request names none.' };
  const number = (key: string, min: number, max: number): number | undefined | { error: string } => {
    const v = b[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      return { error: `${key} must be a number from ${min} to ${max}.` };
    return v;
  };
  const temperature = number('temperature', 0, 2);
  if (typeof temperature === 'object') return temperature;
  const topP = number('top_p', 0, 1);
  if (typeof topP === 'object') return topP;
  const maxTokens = number('max_tokens', 1, 1_000_000);
  if (typeof maxTokens === 'object') return maxTokens;
  if (maxTokens !== undefined && !Number.isInteger(maxTokens)) return { error: 'max_tokens must be a whole number.' };
  const seed = number('seed', 0, Number.MAX_SAFE_INTEGER);
  if (typeof seed === 'object') return seed;
  if (seed !== undefined && !Number.isInteger(seed)) return { error: 'seed must be a whole number.' };
  const stopRaw = b['stop'];
  let stop: string[] | undefined;
  if (stopRaw !== undefined && stopRaw !== null) {
    if (!Array.isArray(stopRaw) || !stopRaw.every((s): s is string => typeof s === 'string' && s !== '' && s.length <= 200))
      return { error: 'stop must be a list of non-empty strings (200 characters at most each).' };
    if (stopRaw.length > MAX_STOP_SEQUENCES) return { error: `At most ${MAX_STOP_SEQUENCES} stop sequences.` };
    if (stopRaw.length > 0) stop = stopRaw;
  }
  return {
    ok: {
      model,
      ...(temperature === undefined ? {} : { temperature }),
      ...(topP === undefined ? {} : { top_p: topP }),
      ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }),
      ...(stop === undefined ? {} : { stop }),
      ...(seed === undefined ? {} : { seed }),
    },
  };
}

export function checkChatRequest(x: unknown): Checked<ChatRequest> {
  if (!isObject(x)) return { error: 'The request is not a JSON object.' };
  const params = checkParams(x);
  if ('error' in params) return params;
  const raw = x['messages'];
  if (!Array.isArray(raw) || raw.length === 0) return { error: 'Write a message first: the conversation is empty.' };
  if (raw.length > MAX_MESSAGES)
    return { error: `The conversation has ${raw.length} messages; the playground sends ${MAX_MESSAGES} at most.` };
  const messages: ChatMessage[] = [];
  let chars = 0;
  for (const m of raw) {
    if (!isObject(m)) return { error: 'A message is not an object with a role and a content.' };
    const role = ROLES.find((r) => r === m['role']);
    const content = m['content'];
    if (!role || typeof content !== 'string') return { error: 'A message needs a role (system, user or assistant) and a text content.' };
    chars += content.length;
    messages.push({ role, content });
  }
  if (chars > MAX_TEXT_CHARS)
    return { error: `The conversation is ${chars} characters long; the playground sends ${MAX_TEXT_CHARS} at most.` };
  return { ok: { ...params.ok, messages } };
}

export function checkCompletionRequest(x: unknown): Checked<CompletionRequest> {
  if (!isObject(x)) return { error: 'The request is not a JSON object.' };
  const params = checkParams(x);
  if ('error' in params) return params;
  const prompt = x['prompt'];
  if (typeof prompt !== 'string' || prompt === '') return { error: 'Write a prompt first.' };
  if (prompt.length > MAX_TEXT_CHARS)
    return { error: `The prompt is ${prompt.length} characters long; the playground sends ${MAX_TEXT_CHARS} at most.` };
  return { ok: { ...params.ok, prompt } };
}

export function checkEmbeddingRequest(x: unknown): Checked<EmbeddingRequest> {
  if (!isObject(x)) return { error: 'The request is not a JSON object.' };
  const model = x['model'];
  if (typeof model !== 'string' || model.trim() === '' || model.length > 256) return { error: 'Choose a model: the request names none.' };
  const input = x['input'];
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input : undefined;
  if (!texts || texts.length === 0 || !texts.every((t): t is string => typeof t === 'string' && t !== ''))
    return { error: 'Write the text to embed first (one input per line).' };
  if (texts.reduce((n, t) => n + t.length, 0) > MAX_TEXT_CHARS) return { error: `The input is longer than ${MAX_TEXT_CHARS} characters.` };
  return { ok: { model, input: typeof input === 'string' ? input : texts } };
}

/** One call of a chatSend or chatBatch message, checked. */
export function checkCall(x: unknown): Checked<ChatCall> {
  if (!isObject(x)) return { error: 'The request is not a JSON object.' };
  const side = checkSide(x['side']);
  if (!side) return { error: 'The request names no side (A or B).' };
  if (x['api'] === 'chat') {
    const body = checkChatRequest(x['body']);
    return 'error' in body ? body : { ok: { side, api: 'chat', body: body.ok } };
  }
  if (x['api'] === 'completions') {
    const body = checkCompletionRequest(x['body']);
    return 'error' in body ? body : { ok: { side, api: 'completions', body: body.ok } };
  }
  return { error: 'The playground streams chat and completions requests only.' };
}
