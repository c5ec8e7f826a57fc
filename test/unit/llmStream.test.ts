/**
 * Berth's streamed LLM requests (src/core/llm/stream.ts) against real HTTP servers on 127.0.0.1
 * that answer as OpenAI-compatible servers do, and as broken ones do: tokens timed as they
 * arrive, usage or counted tokens, a server that ignores `stream`, HTTP errors, a stream cut or
 * failing mid-way, a server that sends nothing, cancellation, a refused connection.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { embed, requestBody, SseParser, streamChat, streamCompletion } from '../../src/core/llm/stream';
import type { ChatRequest } from '../../src/core/llm/types';

type Handler = (req: http.IncomingMessage, body: Record<string, unknown>, res: http.ServerResponse) => void;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const chunk = (content: string, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

const REQ: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 };

describe('streamChat', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler = () => undefined;
  const seen: Record<string, unknown>[] = [];
  const sockets = new Set<import('node:net').Socket>();

  before(async () => {
    server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        seen.push(body);
        handler(req, body, res);
      });
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  const sse = (res: http.ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
  };

  test('streams tokens as they arrive, with usage from the final chunk', async () => {
    seen.length = 0;
    // the server sends each next token only once the client has handed the one before to
    // onToken: a client that read the answer whole would never get past the first
    let received: () => void = () => undefined;
    handler = (_req, _body, res) => {
      sse(res);
      void (async () => {
        for (const t of ['Once', ' upon', ' a', ' time']) {
          const next = new Promise<void>((r) => (received = r));
          res.write(chunk(t));
          await next;
        }
        res.write(chunk('', 'length'));
        res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } })}\n\n`);
        res.end('data: [DONE]\n\n');
      })();
    };
    const arrivals: { delta: string; atMs: number }[] = [];
    const r = await streamChat(base, REQ, {
      firstTokenTimeoutMs: 10_000,
      idleTimeoutMs: 10_000,
      onToken: (delta, atMs) => {
        arrivals.push({ delta, atMs });
        received();
      },
    });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 200);
    assert.equal(r.streamed, true);
    assert.equal(r.text, 'Once upon a time');
    assert.equal(r.finishReason, 'length');
    assert.deepEqual(
      arrivals.map((a) => a.delta),
      ['Once', ' upon', ' a', ' time'],
    );
    assert.equal(r.metrics.tokenSource, 'usage');
    assert.equal(r.metrics.completionTokens, 4);
    assert.equal(r.metrics.promptTokens, 3);
    // the figures are those of the arrivals
    const at = arrivals.map((a) => a.atMs);
    const gaps = [at[1]! - at[0]!, at[2]! - at[1]!, at[3]! - at[2]!];
    assert.equal(r.metrics.ttftMs, at[0]);
    assert.equal(r.metrics.interTokenMs?.n, 3);
    assert.equal(r.metrics.interTokenMs.p50, [...gaps].sort((x, y) => x - y)[1]);
    assert.ok(Math.abs(r.metrics.interTokenMs.mean - (at[3]! - at[0]!) / 3) < 1e-9);
    assert.ok(Math.abs(r.metrics.tokensPerSecond! - 3000 / (at[3]! - at[0]!)) < 1e-9);
    assert.ok(r.metrics.totalMs >= at[3]!);
    // what was sent
    assert.equal(seen[0]!.stream, true);
    assert.deepEqual(seen[0]!.stream_options, { include_usage: true });
    assert.equal(seen[0]!.max_tokens, 8);
    assert.deepEqual(seen[0]!.messages, [{ role: 'user', content: 'hi' }]);
  });

  test('counts tokens when the server gives no usage; SSE split anywhere, CRLF line ends', async () => {
    handler = (_req, _body, res) => {
      sse(res);
      const text = (chunk('a') + chunk('b') + chunk('c', 'stop') + 'data: [DONE]\n\n').replace(/\n/g, '\r\n');
      void (async () => {
        for (let i = 0; i < text.length; i += 7) {
          res.write(text.slice(i, i + 7));
          await sleep(1);
        }
        res.end();
      })();
    };
    const r = await streamChat(base, REQ);
    assert.equal(r.error, undefined);
    assert.equal(r.text, 'abc');
    assert.equal(r.metrics.tokenSource, 'counted');
    assert.equal(r.metrics.completionTokens, 3);
    assert.equal(r.metrics.promptTokens, undefined);
    assert.equal(r.finishReason, 'stop');
  });

  test('[DONE] ends the answer even when the server keeps the response open', async () => {
    handler = (_req, _body, res) => {
      sse(res);
      res.write(chunk('done', 'stop') + 'data: [DONE]\n\n');
    };
    const r = await streamChat(base, REQ, { idleTimeoutMs: 60_000 });
    assert.equal(r.error, undefined);
    assert.equal(r.text, 'done');
    assert.ok(r.metrics.totalMs < 60_000);
  });

  test('a server that ignores stream: the one JSON answer is read whole', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          choices: [{ index: 0, message: { role: 'assistant', content: 'whole answer' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 2, completion_tokens: 2 },
        }),
      );
    };
    const r = await streamChat(base, REQ);
    assert.equal(r.error, undefined);
    assert.equal(r.streamed, false);
    assert.equal(r.text, 'whole answer');
    assert.equal(r.metrics.completionTokens, 2);
    assert.equal(r.metrics.tokenSource, 'usage');
    assert.ok(r.metrics.ttftMs !== undefined);
  });

  test('completions stream choices[0].text', async () => {
    seen.length = 0;
    handler = (_req, _body, res) => {
      sse(res);
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: 'to be', finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: ' or not', finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    const r = await streamCompletion(base, { model: 'm', prompt: 'To be', temperature: 0.5, stop: ['.'] });
    assert.equal(r.error, undefined);
    assert.equal(r.text, 'to be or not');
    assert.equal(seen[0]!.prompt, 'To be');
    assert.deepEqual(seen[0]!.stop, ['.']);
    assert.equal(seen[0]!.temperature, 0.5);
  });

  test("an HTTP error answer: the server's own message, one line", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'The model `nope` does not exist.', type: 'NotFoundError' } }));
    };
    const r = await streamChat(base, { ...REQ, model: 'nope' });
    assert.equal(r.status, 404);
    assert.match(r.error ?? '', /404 .*\/v1\/chat\/completions: The model `nope` does not exist\./);
    assert.equal(r.text, '');
  });

  test('a server that refuses stream_options is asked again without it', async () => {
    seen.length = 0;
    handler = (_req, body, res) => {
      if ('stream_options' in body) {
        res.writeHead(422, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'extra field stream_options not permitted' }));
        return;
      }
      sse(res);
      res.end(chunk('ok', 'stop') + 'data: [DONE]\n\n');
    };
    const r = await streamChat(base, REQ);
    assert.equal(r.error, undefined);
    assert.equal(r.text, 'ok');
    assert.equal(seen.length, 2);
    assert.equal('stream_options' in seen[1]!, false);
  });

  test('an error chunk mid-stream: the tokens so far and the error', async () => {
    handler = (_req, _body, res) => {
      sse(res);
      res.write(chunk('one'));
      res.write(chunk(' two'));
      res.end(`data: ${JSON.stringify({ error: { message: 'CUDA out of memory', code: 500 } })}\n\n`);
    };
    const r = await streamChat(base, REQ);
    assert.equal(r.text, 'one two');
    assert.equal(r.error, 'the server reported an error after 2 tokens: CUDA out of memory');
  });

  test('a connection dropped mid-stream: the tokens so far and a message naming the cut', async () => {
    handler = (req, _body, res) => {
      sse(res);
      res.write(chunk('one'));
      setTimeout(() => req.socket.destroy(), 30);
    };
    const r = await streamChat(base, REQ);
    assert.equal(r.text, 'one');
    assert.match(r.error ?? '', /closed the stream after 1 token without finishing|broke after 1 token/);
  });

  test('a stream that ends without [DONE] or a finish reason is not taken for complete', async () => {
    handler = (_req, _body, res) => {
      sse(res);
      res.end(chunk('half'));
    };
    const r = await streamChat(base, REQ);
    assert.equal(r.text, 'half');
    assert.match(r.error ?? '', /closed the stream after 1 token without finishing/);
  });

  test('a server that sends headers and then nothing: bounded wait, clear message', async () => {
    handler = (_req, _body, res) => sse(res);
    const started = performance.now();
    const r = await streamChat(base, REQ, { firstTokenTimeoutMs: 300 });
    assert.ok(performance.now() - started < 5000);
    assert.equal(r.status, 200);
    assert.match(r.error ?? '', /^no token within 0\.3 s from 127\.0\.0\.1:\d+: the server answered but sent no token/);
    assert.equal(r.metrics.ttftMs, undefined);
  });

  test('a stream that stops after some tokens: the idle wait, then a message', async () => {
    handler = (_req, _body, res) => {
      sse(res);
      res.write(chunk('a'));
      res.write(chunk('b'));
    };
    const r = await streamChat(base, REQ, { idleTimeoutMs: 200 });
    assert.equal(r.text, 'ab');
    assert.equal(r.error, 'the stream stopped: no token for 0.2 s after 2 tokens (the server is stuck or overloaded?)');
  });

  test('Stop: an abort ends the stream at once with what came', async () => {
    handler = (_req, _body, res) => {
      sse(res);
      res.write(chunk('first'));
    };
    const stop = new AbortController();
    const r = await streamChat(base, REQ, { signal: stop.signal, onToken: () => stop.abort() });
    assert.equal(r.error, 'cancelled');
    assert.equal(r.text, 'first');
    const pre = new AbortController();
    pre.abort();
    assert.equal((await streamChat(base, REQ, { signal: pre.signal })).error, 'cancelled');
  });

  test('embeddings: vectors, dimensions and prompt tokens', async () => {
    seen.length = 0;
    handler = (_req, body, res) => {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((_, i) => ({ object: 'embedding', index: i, embedding: [0.1, 0.2, 0.3] })),
          usage: { prompt_tokens: 5, total_tokens: 5 },
        }),
      );
    };
    const r = await embed(base, { model: 'm', input: ['a', 'b'] });
    assert.deepEqual({ ...r, latencyMs: 0 }, { status: 200, vectors: 2, dims: 3, latencyMs: 0, promptTokens: 5 });
    assert.deepEqual(seen[0], { model: 'm', input: ['a', 'b'] });
  });

  test('a refused connection and a non-loopback URL: no request, one line each', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await streamChat(`http://127.0.0.1:${port}`, REQ);
    assert.equal(refused.status, 0);
    assert.equal(refused.error, `connection refused at 127.0.0.1:${port}: nothing listens there — is the container's server running?`);
    const remote = await streamChat('http://10.0.0.8:8000', REQ);
    assert.equal(remote.error, 'Requests go only to this machine (127.0.0.1), not 10.0.0.8');
    assert.match((await embed('http://example.test:1', { model: 'm', input: 'x' })).error ?? '', /only to this machine/);
  });
});

describe('SseParser', () => {
  test('events split across pushes, multi-line data, comments and event names', () => {
    const got: [string, string | undefined][] = [];
    const p = new SseParser((data, event) => got.push([data, event]));
    p.push(': keep-alive\n\nda');
    p.push('ta: {"a":1}\n');
    p.push('\nevent: error\ndata: line1\ndata: line2\n\ndata:x');
    assert.deepEqual(got, [
      ['{"a":1}', undefined],
      ['line1\nline2', 'error'],
    ]);
    p.end();
    assert.deepEqual(got[2], ['x', undefined]);
  });
});

describe('requestBody', () => {
  test('only the parameters given, stream flags when streaming', () => {
    assert.deepEqual(requestBody({ model: 'm', prompt: 'p' }, false), { model: 'm', prompt: 'p' });
    assert.deepEqual(requestBody({ ...REQ, stop: [], top_p: 0.9, seed: 1 }, true), {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      top_p: 0.9,
      max_tokens: 8,
      seed: 1,
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});
