/**
 * The pure parts of Berth's LLM client (src/core/llm): percentiles, the URLs it will send to,
 * server detection by image and by /v1/models, the batch summary, the request as code (checked
 * by the Python and TypeScript parsers) and the export document.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { BatchStats, MAX_FIRST_ERRORS, runStreamBatch } from '../../src/core/llm/batch';
import { detectLlmServer, flavorOfImage, imageRepository } from '../../src/core/llm/detect';
import { CHAT_EXPORT_KIND, chatExport, chatExportText, isChatExport } from '../../src/core/llm/export';
import { pythonLiteral, requestAsCode, shellQuote } from '../../src/core/llm/snippets';
import { percentiles } from '../../src/core/llm/stats';
import { requestBody } from '../../src/core/llm/stream';
import type { ChatRequest, StreamResult } from '../../src/core/llm/types';
import { apiUrl, describeHttpError } from '../../src/core/llm/url';

describe('percentiles', () => {
  test('nearest rank over 1..100, mean, n; none for no values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.deepEqual(percentiles(values), { p50: 50, p95: 95, p99: 99, mean: 50.5, n: 100 });
    assert.equal(values[0], 100, 'the input is not reordered');
    assert.deepEqual(percentiles([7]), { p50: 7, p95: 7, p99: 7, mean: 7, n: 1 });
    assert.equal(percentiles([]), undefined);
  });
});

describe('apiUrl', () => {
  test('the API paths on a loopback base, with or without / or /v1', () => {
    assert.equal(apiUrl('http://127.0.0.1:8000', 'chat').href, 'http://127.0.0.1:8000/v1/chat/completions');
    assert.equal(apiUrl('http://localhost:8000/v1/', 'models').href, 'http://localhost:8000/v1/models');
    assert.equal(apiUrl('http://[::1]:9/proxy/', 'embeddings').href, 'http://[::1]:9/proxy/v1/embeddings');
  });
  test('anything but http(s) on loopback is refused', () => {
    assert.throws(() => apiUrl('http://192.168.1.2:8000', 'chat'), /only to this machine \(127\.0\.0\.1\), not 192\.168\.1\.2/);
    assert.throws(() => apiUrl('file:///etc/passwd', 'chat'), /Only http\(s\)/);
    assert.throws(() => apiUrl('http://u:p@127.0.0.1:1', 'chat'), /user name or password/);
    assert.throws(() => apiUrl('not a url', 'chat'), /is not a URL/);
  });
  test('HTTP errors as one line', () => {
    assert.equal(
      describeHttpError(404, '/v1/chat/completions', 'Not Found'),
      'the server answered 404 for /v1/chat/completions: Not Found (is the model name one it serves?)',
    );
    assert.equal(
      describeHttpError(404, '/v1/chat/completions', ''),
      'the server answered 404 for /v1/chat/completions: it does not serve this OpenAI-compatible API at this port',
    );
    assert.equal(
      describeHttpError(400, '/v1/completions', '{"error":"max_tokens must be positive"}'),
      'the server refused the request (400): max_tokens must be positive',
    );
    assert.equal(
      describeHttpError(503, '/v1/completions', '{"detail":"loading\\nmodel"}'),
      'the server failed (503) on /v1/completions: loading model',
    );
  });
});

describe('flavorOfImage', () => {
  const cases: [string, string | undefined][] = [
    ['vllm/vllm-openai:v0.6.3', 'vllm'],
    ['vllm/vllm-openai', 'vllm'],
    ['myregistry.example:5000/vllm/vllm-openai:latest', 'vllm'],
    ['huggingface/text-generation-inference:2.4.0', 'tgi'],
    ['ggml-org/llama.cpp:server', 'llama.cpp'],
    ['ggerganov/llama.cpp:server-cuda', 'llama.cpp'],
    ['ollama/ollama:0.4.0', 'ollama'],
    ['ollama/ollama@sha256:abc', 'ollama'],
    ['localai/localai:latest-aio-cpu', 'localai'],
    ['go-skynet/local-ai:v2', 'localai'],
    ['python:3.12-slim', undefined],
    ['berth-test/iris:1', undefined],
    ['', undefined],
  ];
  for (const [image, flavor] of cases)
    test(`${image || '(empty)'} → ${flavor ?? 'none'}`, () => assert.equal(flavorOfImage(image), flavor));
  test('imageRepository drops host, tag and digest', () => {
    assert.equal(imageRepository('localhost:5000/a/b:c'), 'a/b');
    assert.equal(imageRepository('Ollama/Ollama@sha256:1'), 'ollama/ollama');
  });
});

describe('detectLlmServer', () => {
  let server: http.Server;
  let base: string;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url !== '/v1/models') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  test('an OpenAI model list makes a server one; owned_by or the image names the flavor', async () => {
    answer = { status: 200, body: JSON.stringify({ object: 'list', data: [{ id: 'tiny', object: 'model', owned_by: 'berth' }] }) };
    assert.deepEqual(await detectLlmServer(base), {
      flavor: 'openai-compatible',
      models: ['tiny'],
      via: 'v1/models',
      apis: ['chat', 'completions', 'embeddings'],
    });
    answer = { status: 200, body: JSON.stringify({ data: [{ id: 'meta/llama', owned_by: 'vllm' }] }) };
    assert.equal((await detectLlmServer(`${base}/v1`))?.flavor, 'vllm');
    assert.deepEqual((await detectLlmServer(base, { image: 'huggingface/text-generation-inference:2' }))?.apis, ['chat', 'completions']);
  });
  test('no model list: known by its image, or not an LLM server', async () => {
    answer = { status: 200, body: JSON.stringify({ predictions: [] }) };
    assert.equal(await detectLlmServer(base), undefined);
    assert.deepEqual(await detectLlmServer(base, { image: 'ollama/ollama' }), {
      flavor: 'ollama',
      models: [],
      via: 'image',
      apis: ['chat', 'completions', 'embeddings'],
    });
    answer = { status: 500, body: '{"data":[]}' };
    assert.equal(await detectLlmServer(base), undefined);
    answer = { status: 200, body: 'not json' };
    assert.equal(await detectLlmServer(base), undefined);
    assert.equal(await detectLlmServer('http://10.1.1.1:8000', { image: 'python' }), undefined);
  });
});

const ok = (ttft: number, gap: number, tps: number, total: number, tokens = 10): StreamResult => ({
  status: 200,
  text: 'x',
  streamed: true,
  metrics: {
    ttftMs: ttft,
    interTokenMs: { p50: gap, p95: gap, p99: gap, mean: gap, n: tokens - 1 },
    tokensPerSecond: tps,
    totalMs: total,
    completionTokens: tokens,
    tokenSource: 'usage',
  },
});
const failed = (error: string): StreamResult => ({
  status: 0,
  text: '',
  streamed: false,
  metrics: { totalMs: 1, completionTokens: 0, tokenSource: 'counted' },
  error,
});

describe('batch', () => {
  test('BatchStats: percentiles of the good requests, error rate over all, distinct first errors', () => {
    const s = new BatchStats(10, 0);
    for (let i = 1; i <= 8; i++) s.add(ok(i, i * 2, 100 - i, i * 10));
    s.add(failed('refused'));
    s.add(failed('refused'));
    const sum = s.summary(1000);
    assert.equal(sum.done, 10);
    assert.equal(sum.errors, 2);
    assert.equal(sum.errorRate, 0.2);
    assert.equal(sum.ttftMs?.n, 8);
    assert.equal(sum.ttftMs.p50, 4);
    assert.equal(sum.ttftMs.p99, 8);
    assert.equal(sum.interTokenMs?.p95, 16);
    assert.equal(sum.tokensPerSecond?.p50, 95);
    assert.equal(sum.totalMs?.mean, 45);
    assert.equal(sum.completionTokens, 80);
    assert.equal(sum.wallMs, 1000);
    assert.deepEqual(sum.firstErrors, ['refused']);
    const many = new BatchStats(20, 0);
    for (let i = 0; i < 20; i++) many.add(failed(`e${i}`));
    assert.equal(many.summary().firstErrors.length, MAX_FIRST_ERRORS);
  });

  test('runStreamBatch: n requests, never more than C at once, progress, a final summary', async () => {
    let inFlight = 0;
    let most = 0;
    let sent = 0;
    const progress: number[] = [];
    const summary = await runStreamBatch(
      'http://127.0.0.1:1',
      { model: 'm', messages: [] },
      {
        n: 23,
        concurrency: 4,
        onProgress: (s) => progress.push(s.done),
        send: async () => {
          sent++;
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
          return sent % 5 === 0 ? failed('boom') : ok(5, 1, 50, 20);
        },
      },
    );
    assert.equal(sent, 23);
    assert.equal(most, 4);
    assert.equal(summary.done, 23);
    assert.equal(summary.errors, 4);
    assert.equal(progress.at(-1), 23);
  });

  test('runStreamBatch: an abort stops sending; the requests never sent do not count', async () => {
    const stop = new AbortController();
    let sent = 0;
    const summary = await runStreamBatch(
      'http://127.0.0.1:1',
      { model: 'm', messages: [] },
      {
        n: 1000,
        concurrency: 2,
        signal: stop.signal,
        send: async (signal) => {
          if (++sent === 5) stop.abort();
          await new Promise((r) => setTimeout(r, 1));
          return signal?.aborted ? failed('cancelled') : ok(1, 1, 1, 1);
        },
      },
    );
    assert.ok(sent < 10, `${sent} sent`);
    assert.equal(summary.done, sent);
    assert.equal(summary.n, 1000);
  });

  test('runStreamBatch against a refused port: every request an error, the message kept', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const s = await runStreamBatch(
      `http://127.0.0.1:${port}`,
      { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      { n: 6, concurrency: 3 },
    );
    assert.equal(s.errors, 6);
    assert.equal(s.errorRate, 1);
    assert.match(s.firstErrors[0] ?? '', /connection refused/);
    assert.equal(s.ttftMs, undefined);
  });
});

const hasPython = ((): boolean => {
  try {
    execFileSync('python3', ['-c', 'pass']);
    return true;
  } catch {
    return false;
  }
})();

/**
 * One python3 run for every check (starting Python is the slow part): each snippet through
 * Python's own parser (its SyntaxError, or ''), each literal read back as JSON, each shell word split.
 */
function python(input: { parse: string[]; literals: string[]; shell: string[] }): {
  parse: string[];
  literals: unknown[];
  shell: string[][];
} {
  const script = [
    'import ast, json, shlex, sys',
    'q = json.load(sys.stdin)',
    'def check(code):',
    '    try:',
    '        ast.parse(code)',
    '        return ""',
    '    except SyntaxError as e:',
    '        return str(e)',
    'print(json.dumps({"parse": [check(c) for c in q["parse"]], "literals": [ast.literal_eval(l) for l in q["literals"]], "shell": [shlex.split(s) for s in q["shell"]]}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(input) }).toString()) as ReturnType<typeof python>;
}

function typescriptProblems(code: string): string[] {
  const out = ts.transpileModule(`export {};\n${code}`, {
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('requestAsCode', () => {
  const req: ChatRequest = {
    model: 'tiny-fables',
    messages: [
      { role: 'system', content: "You tell fables. Don't moralise." },
      { role: 'user', content: 'A fox said: "grapes" \\ \u00e9 $HOME `x`' },
    ],
    temperature: 0.7,
    max_tokens: 64,
    stop: ['\n\n'],
  };
  const body = requestBody(req, true);
  const code = requestAsCode('http://127.0.0.1:49153/', 'chat', body);

  test('curl: -N, the reachable URL, the body as one single-quoted word', () => {
    assert.match(code.curl, /^curl -N 'http:\/\/127\.0\.0\.1:49153\/v1\/chat\/completions' \\\n/);
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  test(
    'Python (openai and requests) parses, with the same values; the shell reads the curl body back',
    { skip: !hasPython && 'no python3' },
    () => {
      const snippets = (['chat', 'completions', 'embeddings'] as const).map((api) => {
        const b =
          api === 'embeddings'
            ? { model: 'm', input: ['a', 'b'] }
            : api === 'chat'
              ? body
              : requestBody({ model: 'm', prompt: 'p' }, false);
        return requestAsCode('http://localhost:8000/v1', api, b);
      });
      const checked = python({
        parse: snippets.flatMap((c) => [c.pythonOpenAI, c.pythonRequests]),
        literals: [pythonLiteral(body)],
        shell: [code.curl.slice(code.curl.indexOf("-d '") + 3)],
      });
      assert.deepEqual(checked.parse, ['', '', '', '', '', '']);
      assert.deepEqual(checked.literals[0], body);
      assert.deepEqual(JSON.parse(checked.shell[0]![0]!), body);
      for (const c of snippets) assert.deepEqual(typescriptProblems(c.typescript), [], c.typescript);
      assert.match(code.pythonOpenAI, /OpenAI\(base_url="http:\/\/127\.0\.0\.1:49153\/v1"/);
      assert.match(code.pythonOpenAI, /client\.chat\.completions\.create\(/);
      assert.match(code.pythonOpenAI, /stream=True,/);
    },
  );

  test('TypeScript: fetch to the URL with the body, streamed read', () => {
    assert.deepEqual(typescriptProblems(code.typescript), []);
    assert.match(code.typescript, /fetch\("http:\/\/127\.0\.0\.1:49153\/v1\/chat\/completions"/);
    assert.match(code.typescript, /getReader\(\)/);
    assert.match(code.typescript, /"model": "tiny-fables"/);
  });
});

describe('chat export', () => {
  const target = { label: 'A', baseUrl: 'http://127.0.0.1:1' };
  const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
  test('versioned documents of a run, a batch, an A/B', () => {
    const run = chatExport('run', [{ type: 'run', target, request, result: ok(1, 2, 3, 4) }], new Date(0));
    assert.equal(run.kind, CHAT_EXPORT_KIND);
    assert.equal(run.version, 1);
    assert.equal(run.exportedAt, '1970-01-01T00:00:00.000Z');
    assert.ok(isChatExport(JSON.parse(chatExportText(run))));
    assert.equal(isChatExport({ kind: 'berth.playground.ab', version: 1, entries: [] }), false);
    assert.throws(() => chatExport('ab', run.entries), /two sides/);
    const summary = new BatchStats(1, 0).summary(0);
    assert.equal(chatExport('batch', [{ type: 'batch', target, request, concurrency: 2, summary }]).mode, 'batch');
  });
});
