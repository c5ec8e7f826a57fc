/**
 * The playground's current request as code a user can paste: curl, Python with the `openai`
 * client and with `requests`, and TypeScript with `fetch`, at the URL the user reaches the server
 * on. No vscode import.
 */

import type { LlmApi } from './types';
import { API_PATHS } from './url';

export interface RequestCode {
  readonly curl: string;
  readonly pythonOpenAI: string;
  readonly pythonRequests: string;
  readonly typescript: string;
}

/** A string as one POSIX shell word: single quotes, a quote inside as '\''. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A JSON value as a Python literal (True/False/None, strings through JSON's escapes, which Python reads alike). */
export function pythonLiteral(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent + 4);
  const end = ' '.repeat(indent);
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'None';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + pythonLiteral(v, indent + 4)).join(',\n')},\n${end}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 4)}`).join(',\n')},\n${end}}`;
  }
  return 'None';
}

/** Keyword arguments for the openai client, one per line (keys that are not identifiers go through **{…}). */
function pythonKwargs(body: Record<string, unknown>, indent: number): string {
  const pad = ' '.repeat(indent);
  const plain: string[] = [];
  const other: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === undefined) continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) plain.push(`${pad}${k}=${pythonLiteral(v, indent)},`);
    else other[k] = v;
  }
  if (Object.keys(other).length > 0) plain.push(`${pad}**${pythonLiteral(other, indent)},`);
  return plain.join('\n');
}

/** The origin and the path prefix of a base URL, without a trailing `/` or `/v1`. */
function root(baseUrl: string): string {
  const u = new URL(baseUrl);
  return `${u.origin}${u.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}`;
}

const CLIENT_METHOD: Readonly<Record<LlmApi, string>> = {
  chat: 'client.chat.completions.create',
  completions: 'client.completions.create',
  embeddings: 'client.embeddings.create',
};

export function requestAsCode(baseUrl: string, api: LlmApi, body: object): RequestCode {
  const b = body as Record<string, unknown>;
  const url = `${root(baseUrl)}${API_PATHS[api]}`;
  const json = JSON.stringify(b, null, 2);
  const streaming = b.stream === true && api !== 'embeddings';

  const curl = [
    `curl${streaming ? ' -N' : ''} ${shellQuote(url)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(json)}`,
  ].join('\n');

  const { stream_options: _so, ...clientBody } = b;
  const clientArgs: Record<string, unknown> = streaming ? { ...clientBody, stream_options: b.stream_options } : clientBody;
  const printOpenAI =
    api === 'embeddings'
      ? ['print(len(result.data), len(result.data[0].embedding))']
      : streaming
        ? [
            'for chunk in result:',
            '    if chunk.choices:',
            api === 'chat'
              ? '        print(chunk.choices[0].delta.content or "", end="", flush=True)'
              : '        print(chunk.choices[0].text, end="", flush=True)',
            'print()',
          ]
        : [api === 'chat' ? 'print(result.choices[0].message.content)' : 'print(result.choices[0].text)'];
  const pythonOpenAI = [
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url=${JSON.stringify(`${root(baseUrl)}/v1`)}, api_key="none")`,
    `result = ${CLIENT_METHOD[api]}(`,
    pythonKwargs(clientArgs, 4),
    ')',
    ...printOpenAI,
    '',
  ].join('\n');

  const pythonRequests = [
    ...(streaming ? ['import json', ''] : []),
    'import requests',
    '',
    `body = ${pythonLiteral(b)}`,
    `response = requests.post(${JSON.stringify(url)}, json=body${streaming ? ', stream=True' : ''}, timeout=300)`,
    'response.raise_for_status()',
    ...(streaming
      ? [
          'for line in response.iter_lines(decode_unicode=True):',
          '    if not line or not line.startswith("data: "):',
          '        continue',
          '    data = line[len("data: "):]',
          '    if data == "[DONE]":',
          '        break',
          '    chunk = json.loads(data)',
          '    if chunk.get("choices"):',
          api === 'chat'
            ? '        print(chunk["choices"][0]["delta"].get("content") or "", end="", flush=True)'
            : '        print(chunk["choices"][0].get("text") or "", end="", flush=True)',
          'print()',
        ]
      : ['print(response.json())']),
    '',
  ].join('\n');

  const typescript = [
    `const response = await fetch(${JSON.stringify(url)}, {`,
    `  method: 'POST',`,
    `  headers: { 'Content-Type': 'application/json' },`,
    `  body: JSON.stringify(${json.replace(/\n/g, '\n  ')}),`,
    '});',
    'if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);',
    ...(streaming
      ? [
          'const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();',
          "let buffer = '';",
          'for (;;) {',
          '  const { done, value } = await reader.read();',
          '  if (done) break;',
          '  buffer += value;',
          "  const events = buffer.split('\\n\\n');",
          "  buffer = events.pop() ?? '';",
          '  for (const event of events) {',
          "    const data = event.replace(/^data: /, '');",
          "    if (data === '[DONE]') continue;",
          '    const chunk = JSON.parse(data);',
          api === 'chat'
            ? "    process.stdout.write(chunk.choices?.[0]?.delta?.content ?? '');"
            : "    process.stdout.write(chunk.choices?.[0]?.text ?? '');",
          '  }',
          '}',
        ]
      : ['console.log(await response.json());']),
    '',
  ].join('\n');

  return { curl, pythonOpenAI, pythonRequests, typescript };
}
