/**
 * Which LLM server a container runs: from its image's name (vLLM, TGI, llama.cpp's server,
 * Ollama, LocalAI) and from its answer to `GET /v1/models` (any OpenAI-compatible server).
 * No vscode import.
 */

import * as http from 'node:http';
import * as https from 'node:https';
import type { LlmApi, LlmFlavor, LlmServerInfo } from './types';
import { apiUrl } from './url';

export const DEFAULT_DETECT_TIMEOUT_MS = 3_000;

/** Image repositories (without registry host or tag) of the servers Berth knows. */
const IMAGE_FLAVORS: readonly (readonly [RegExp, LlmFlavor])[] = [
  [/(^|\/)vllm(-[a-z0-9]+)*(\/|$)|(^|\/)vllm-openai$/, 'vllm'],
  [/(^|\/)text-generation-inference$|(^|\/)tgi(-[a-z0-9]+)*$/, 'tgi'],
  [/(^|\/)llama[.-]?cpp(-[a-z0-9]+)*$|(^|\/)llama-server$/, 'llama.cpp'],
  [/(^|\/)ollama$/, 'ollama'],
  [/(^|\/)local-?ai$/, 'localai'],
];

/** The APIs each flavor serves besides chat (TGI has no embeddings). */
const FLAVOR_APIS: Readonly<Record<LlmFlavor, readonly LlmApi[]>> = {
  vllm: ['chat', 'completions', 'embeddings'],
  tgi: ['chat', 'completions'],
  'llama.cpp': ['chat', 'completions', 'embeddings'],
  ollama: ['chat', 'completions', 'embeddings'],
  localai: ['chat', 'completions', 'embeddings'],
  'openai-compatible': ['chat', 'completions', 'embeddings'],
};

/** An image reference's repository path, lower case, without its registry host, tag or digest. */
export function imageRepository(image: string): string {
  let ref = image.trim().toLowerCase();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const parts = ref.split('/');
  const last = parts[parts.length - 1] ?? '';
  const colon = last.indexOf(':');
  if (colon >= 0) parts[parts.length - 1] = last.slice(0, colon);
  // a first part with a dot or a port, or "localhost", is a registry host
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift();
  return parts.join('/');
}

/** The LLM server an image runs, known by its name; undefined for any other image. */
export function flavorOfImage(image: string): LlmFlavor | undefined {
  const repo = imageRepository(image);
  if (repo === '') return undefined;
  return IMAGE_FLAVORS.find(([re]) => re.test(repo))?.[1];
}

/** The flavor an answer to /v1/models suggests (`owned_by`), when the image does not say. */
function flavorOfModels(models: readonly { owned_by?: unknown }[]): LlmFlavor {
  const owners = new Set(models.map((m) => (typeof m.owned_by === 'string' ? m.owned_by.toLowerCase() : '')));
  if (owners.has('vllm')) return 'vllm';
  if (owners.has('llamacpp') || owners.has('llama.cpp')) return 'llama.cpp';
  if (owners.has('library')) return 'ollama';
  return 'openai-compatible';
}

/** `GET` a JSON document, undefined on any failure. */
function getJson(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (value: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      request.destroy();
      resolve(value);
    };
    const onAbort = (): void => done(undefined);
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.get(url, { agent: false, headers: { accept: 'application/json' } });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    request.on('error', () => done(undefined));
    request.on('response', (res) => {
      if ((res.statusCode ?? 0) !== 200) {
        res.resume();
        done(undefined);
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        if (text.length > 1024 * 1024) done(undefined);
      });
      res.on('error', () => done(undefined));
      res.on('end', () => {
        try {
          done(JSON.parse(text));
        } catch {
          done(undefined);
        }
      });
    });
    if (signal?.aborted) done(undefined);
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * What LLM server answers at `baseUrl` (loopback only): an OpenAI-compatible `/v1/models` list
 * (`{"data": [{"id": …}]}`) makes it one; otherwise an image Berth knows does, with no models
 * listed; undefined when neither. Never throws for an unreachable server.
 */
export async function detectLlmServer(
  baseUrl: string,
  opts: { image?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<LlmServerInfo | undefined> {
  const byImage = opts.image !== undefined ? flavorOfImage(opts.image) : undefined;
  let url: URL | undefined;
  try {
    url = apiUrl(baseUrl, 'models');
  } catch {
    url = undefined;
  }
  const answer = url ? await getJson(url, opts.timeoutMs ?? DEFAULT_DETECT_TIMEOUT_MS, opts.signal) : undefined;
  const data = (answer as { data?: unknown } | undefined)?.data;
  if (Array.isArray(data)) {
    const entries = data.filter((m): m is { id: string; owned_by?: unknown } => typeof (m as { id?: unknown } | null)?.id === 'string');
    if (entries.length === data.length) {
      const flavor = byImage ?? flavorOfModels(entries);
      return { flavor, models: entries.map((m) => m.id), via: 'v1/models', apis: FLAVOR_APIS[flavor] };
    }
  }
  if (byImage) return { flavor: byImage, models: [], via: 'image', apis: FLAVOR_APIS[byImage] };
  return undefined;
}
