import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ChatSession } from '../../../../src/ui/playground/chat';
import type { AbChoice, ChatToWebview } from '../../../../src/ui/webview/protocol';

/** What the test server received: path and parsed body of each POST. */
const received: { path: string; body: Record<string, unknown> }[] = [];

/**
 * A small OpenAI-compatible server: /v1/models, streamed chat and completions (a role chunk, one
 * chunk per word 10 ms apart, a usage chunk, [DONE]), /v1/embeddings. A message or prompt that
 * says "long" gets 500 words.
 */
function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'm1' }, { id: 'm2' }] }));
    return;
  }
  let raw = '';
  req.on('data', (c: Buffer) => (raw += c.toString()));
  req.on('end', () => {
    const body = JSON.parse(raw) as Record<string, unknown>;
    received.push({ path: req.url ?? '', body });
    if (req.url === '/v1/embeddings') {
      const inputs = Array.isArray(body['input']) ? (body['input'] as string[]) : [String(body['input'])];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          data: inputs.map((_, i) => ({ index: i, embedding: Array.from({ length: 8 }, (_x, j) => j / 8) })),
          usage: { prompt_tokens: inputs.length * 3 },
        }),
      );
      return;
    }
    const chat = req.url === '/v1/chat/completions';
    const messages = (body['messages'] as { content: string }[] | undefined) ?? [];
    const asked = chat ? (messages.at(-1)?.content ?? '') : String(body['prompt']);
    const words = asked.includes('long') ? Array.from({ length: 500 }, (_, i) => ` w${i}`) : ['one', ' two', ' three'];
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (text: string, finish: string | null): string =>
      `data: ${JSON.stringify({
        object: chat ? 'chat.completion.chunk' : 'text_completion',
        choices: [chat ? { index: 0, delta: { content: text }, finish_reason: finish } : { index: 0, text, finish_reason: finish }],
      })}\n\n`;
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (i < words.length) {
        res.write(chunk(words[i] ?? '', null));
        i++;
        setTimeout(next, 10);
        return;
      }
      res.write(chunk('', 'stop'));
      res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 4, completion_tokens: words.length } })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    next();
  });
}

describe('playground chat: the extension host side against a real OpenAI-compatible server', () => {
  let server: http.Server;
  let a: AbChoice;
  let b: AbChoice | undefined;
  const posted: ChatToWebview[] = [];
  const clipboard: string[] = [];
  let session: ChatSession;
  const log = { info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

  before(async () => {
    server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    a = { label: 'server-a', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    session = new ChatSession({
      a,
      image: 'example/llm:1',
      b: () => b,
      post: (m) => posted.push(m),
      log,
      writeClipboard: (text) => {
        clipboard.push(text);
        return Promise.resolve();
      },
      recordTraffic: () => undefined,
      folder: undefined,
    });
  });
  after(() => {
    session.dispose();
    server.close();
  });

  const take = <T extends ChatToWebview['type']>(type: T): Extract<ChatToWebview, { type: T }>[] => {
    const out = posted.filter((m): m is Extract<ChatToWebview, { type: T }> => m.type === type);
    return out;
  };
  const reset = (): void => {
    posted.length = 0;
    received.length = 0;
  };

  test('detection: a server answering GET /v1/models is OpenAI-compatible, with its models', async () => {
    reset();
    await session.detect('a', a, 'example/llm:1');
    const [m] = take('llm');
    assert.equal(m?.side, 'a');
    assert.deepEqual(m?.info?.models, ['m1', 'm2']);
    assert.equal(m?.info?.via, 'v1/models');
  });

  test('a chat streams token by token to the webview, then its figures; the body sent is the one checked', async () => {
    reset();
    await session.onMessage({
      type: 'chatSend',
      run: 1,
      calls: [{ side: 'a', api: 'chat', body: { model: 'm1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, seed: 3 } }],
    });
    assert.deepEqual(
      take('chatToken').map((t) => [t.run, t.side, t.delta]),
      [
        [1, 'a', 'one'],
        [1, 'a', ' two'],
        [1, 'a', ' three'],
      ],
    );
    const tokenTimes = take('chatToken').map((t) => t.atMs);
    assert.ok(
      tokenTimes.every((t, i) => i === 0 || t >= (tokenTimes[i - 1] ?? 0)),
      JSON.stringify(tokenTimes),
    );
    const [done] = take('chatDone');
    assert.equal(done?.result.text, 'one two three');
    assert.equal(done?.result.error, undefined);
    assert.equal(done?.result.metrics.completionTokens, 3);
    assert.equal(done?.result.metrics.tokenSource, 'usage');
    assert.ok((done?.result.metrics.ttftMs ?? 0) > 0);
    // the last message in the list the webview is told about comes after every token
    assert.equal(posted.at(-1)?.type, 'chatDone');
    assert.deepEqual(received[0]?.body['messages'], [{ role: 'user', content: 'hi' }]);
    assert.equal(received[0]?.body['seed'], 3);
    assert.equal(received[0]?.body['stream'], true);
  });

  test('A/B: both sides stream at once, each to its own column; without B, B is refused and A still runs', async () => {
    reset();
    const call = (side: 'a' | 'b'): unknown => ({
      side,
      api: 'chat',
      body: { model: side === 'a' ? 'm1' : 'm2', messages: [{ role: 'user', content: 'x' }] },
    });
    await session.onMessage({ type: 'chatSend', run: 2, calls: [call('a'), call('b')] as never });
    const dones = take('chatDone');
    assert.deepEqual(
      dones.map((d) => [d.side, d.result.text || d.result.error]),
      [
        ['b', 'Choose B first: another container, or this one with another model.'],
        ['a', 'one two three'],
      ],
    );
    assert.equal(received.length, 1);

    reset();
    b = { label: 'server-b', baseUrl: a.baseUrl };
    await session.onMessage({ type: 'chatSend', run: 3, calls: [call('a'), call('b')] as never });
    const sides = take('chatToken').map((t) => t.side);
    // interleaved: B's first token comes before A's last
    assert.ok(sides.indexOf('b') < sides.lastIndexOf('a'), sides.join(''));
    assert.deepEqual(
      take('chatDone')
        .map((d) => [d.side, d.result.text])
        .sort(),
      [
        ['a', 'one two three'],
        ['b', 'one two three'],
      ],
    );
    assert.deepEqual(received.map((r) => r.body['model']).sort(), ['m1', 'm2']);
  });

  test('completions stream too; a body that does not pass the checks is not sent', async () => {
    reset();
    await session.onMessage({
      type: 'chatSend',
      run: 4,
      calls: [{ side: 'a', api: 'completions', body: { model: 'm1', prompt: 'Once' } }],
    });
    assert.equal(take('chatDone')[0]?.result.text, 'one two three');
    assert.equal(received[0]?.path, '/v1/completions');

    reset();
    await session.onMessage({
      type: 'chatSend',
      run: 5,
      calls: [{ side: 'a', api: 'chat', body: { model: 'm1', messages: [], temperature: 9 } }] as never,
    });
    assert.match(take('chatDone')[0]?.result.error ?? '', /^temperature must be a number from 0 to 2\.$/);
    assert.equal(received.length, 0);
  });

  test('Stop ends a stream where it is, keeping what arrived', async () => {
    reset();
    const sending = session.onMessage({
      type: 'chatSend',
      run: 6,
      calls: [{ side: 'a', api: 'chat', body: { model: 'm1', messages: [{ role: 'user', content: 'a long one' }] } }],
    });
    while (take('chatToken').length < 3) await new Promise((r) => setTimeout(r, 5));
    await session.onMessage({ type: 'chatStop' });
    await sending;
    const [done] = take('chatDone');
    assert.equal(done?.result.error, 'cancelled');
    const tokens = take('chatToken').length;
    assert.ok(tokens >= 3 && tokens < 500, `${tokens} tokens`);
    assert.equal(
      done?.result.text,
      take('chatToken')
        .map((t) => t.delta)
        .join(''),
    );
  });

  test('embeddings: vectors and dimensions', async () => {
    reset();
    await session.onMessage({ type: 'embed', run: 7, side: 'a', body: { model: 'm1', input: ['a', 'b'] } });
    const [e] = take('embedResult');
    assert.deepEqual([e?.result.status, e?.result.vectors, e?.result.dims, e?.result.promptTokens], [200, 2, 8, 6]);
  });

  test('a batch: N requests at concurrency C, summed up with percentiles', async () => {
    reset();
    await session.onMessage({
      type: 'chatBatch',
      call: { side: 'a', api: 'chat', body: { model: 'm1', messages: [{ role: 'user', content: 'x' }] } },
      n: 6,
      concurrency: 2,
    });
    const [batch] = take('chatBatch');
    assert.deepEqual([batch?.summary.n, batch?.summary.done, batch?.summary.errors, batch?.stopped], [6, 6, 0, false]);
    assert.equal(batch?.summary.ttftMs?.n, 6);
    assert.equal(received.length, 6);
  });

  test('copy as curl: the checked request, streaming, to the URL as this machine reaches it', async () => {
    reset();
    clipboard.length = 0;
    await session.onMessage({
      type: 'chatCopy',
      format: 'curl',
      side: 'a',
      api: 'chat',
      body: { model: 'm1', messages: [{ role: 'user', content: "it's" }], max_tokens: 5, api_key: 'x' },
    });
    const curl = clipboard[0] ?? '';
    assert.ok(curl.startsWith(`curl -N '${a.baseUrl}/v1/chat/completions'`), curl);
    assert.ok(curl.includes('"stream": true') && curl.includes('"max_tokens": 5') && !curl.includes('api_key'), curl);
    assert.match(take('chatNote')[0]?.message ?? '', /^Copied as curl: the request to server-a\.$/);

    await session.onMessage({ type: 'chatCopy', format: 'cobol' as never, side: 'a', api: 'chat', body: {} });
    assert.equal(take('chatNote')[1]?.bad, true);
    assert.equal(clipboard.length, 1);
  });
});
