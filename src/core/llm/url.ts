/**
 * The URLs of an OpenAI-compatible server's APIs on the base URL the playground reaches, which
 * must be this machine's loopback, and failures as one line a user can act on. No vscode import.
 */

import { isLoopbackHost } from '../engine/loopback';
import type { LlmApi } from './types';

export const API_PATHS: Readonly<Record<LlmApi | 'models', string>> = {
  chat: '/v1/chat/completions',
  completions: '/v1/completions',
  embeddings: '/v1/embeddings',
  models: '/v1/models',
};

/** Thrown for a base URL the client will not send to. */
export class LlmTargetError extends Error {
  override readonly name = 'LlmTargetError';
}

/**
 * The URL of `api` on `baseUrl` (`http://127.0.0.1:8000`, with or without a trailing `/` or
 * `/v1`); throws LlmTargetError for anything but http(s) on this machine's loopback.
 */
export function apiUrl(baseUrl: string, api: LlmApi | 'models'): URL {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new LlmTargetError(`${JSON.stringify(baseUrl)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LlmTargetError(`Only http(s) servers can be asked, not ${u.protocol}`);
  if (!isLoopbackHost(u.hostname)) throw new LlmTargetError(`Requests go only to this machine (127.0.0.1), not ${u.hostname}`);
  if (u.username !== '' || u.password !== '') throw new LlmTargetError('A server URL with a user name or password is not sent to');
  const prefix = u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return new URL(`${u.origin}${prefix}${API_PATHS[api]}`);
}

/** A socket-level failure (no HTTP answer) as one line. */
export function describeNetworkError(err: unknown, host: string): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `connection refused at ${host}: nothing listens there — is the container's server running?`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the connection to ${host} was closed without an answer: is the server listening on 0.0.0.0 inside the container, and speaking HTTP?`;
    case 'ETIMEDOUT':
      return `no connection to ${host} in time`;
    default:
      return `no answer from ${host}: ${e.message ?? String(err)}`;
  }
}

/** The message of an OpenAI-style error body (`{"error": {"message": …}}`, `{"error": "…"}`, `{"detail": …}`), if any. */
export function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { error?: unknown; detail?: unknown; message?: unknown };
  const e = b.error;
  if (typeof e === 'string' && e !== '') return e;
  if (typeof e === 'object' && e !== null) {
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m !== '') return m;
  }
  if (typeof b.detail === 'string' && b.detail !== '') return b.detail;
  if (typeof b.message === 'string' && b.message !== '') return b.message;
  return undefined;
}

/** An HTTP error answer to `path` as one line, with the server's own message when it gave one. */
export function describeHttpError(status: number, path: string, bodyText: string): string {
  let message: string | undefined;
  try {
    message = errorMessageOf(JSON.parse(bodyText));
  } catch {
    message = bodyText.trim().split('\n')[0]?.slice(0, 200) || undefined;
  }
  const said = message ? `: ${oneLine(message)}` : '';
  if (status === 404 && !message) return `the server answered 404 for ${path}: it does not serve this OpenAI-compatible API at this port`;
  if (status === 404) return `the server answered 404 for ${path}${said} (is the model name one it serves?)`;
  if (status >= 500) return `the server failed (${status}) on ${path}${said}`;
  return `the server refused the request (${status})${said}`;
}

export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
