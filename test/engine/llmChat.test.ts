/**
 * Berth's LLM client (src/core/llm) against the sample LLM server (examples/llm-chat) built and
 * run in the real engine: detection through /v1/models, a streamed chat whose tokens arrive one
 * by one, completions, stop strings, embeddings, a batch under load (and the server's /metrics
 * as the fleet reads them), Stop, and servers that fail mid-stream, drop the connection or never
 * send a token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { parseExposition } from '../../src/core/fleet/exposition';
import { findRequestMetrics } from '../../src/core/fleet/requestFigures';
import { runStreamBatch } from '../../src/core/llm/batch';
import { detectLlmServer } from '../../src/core/llm/detect';
import { embed, requestBody, streamChat, streamCompletion } from '../../src/core/llm/stream';
import type { ChatRequest } from '../../src/core/llm/types';
import { cleanup, connect, RUN_ID } from './harness';
import { buildLlmSample, LLM_MODEL, startLlmServer } from './llmServer';

const TAG = `berth-test/llm-chat:${RUN_ID}`;
const DELAY_MS = 40;
/** A prompt and seed the sample answers with 40 tokens or more (no early end). */
const CHAT: ChatRequest = {
  model: LLM_MODEL,
  messages: [
    { role: 'system', content: 'You tell fables.' },
    { role: 'user', content: 'Tell me a fable about the Lion and the Mouse' },
  ],
  max_tokens: 30,
  seed: 3,
};

/** One series' value from the server's /metrics, summed over the series matching `labels`. */
async function metric(base: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const family = [...parseExposition(text).families.values()].find((f) => f.samples.some((s) => s.name === name));
  return (family?.samples ?? [])
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

describe('the sample LLM server through Berth’s LLM client, on the real engine', { timeout: 300_000 }, () => {
  let engine: Engine;
  let base: string;

  before(async () => {
    engine = await connect();
    await buildLlmSample(TAG);
    ({ base } = await startLlmServer(engine, TAG, { tokenDelayMs: DELAY_MS }));
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(TAG).catch(() => undefined);
  });

  test('detected through /v1/models: an OpenAI-compatible server with its model and APIs', async () => {
    assert.deepEqual(await detectLlmServer(base, { image: TAG }), {
      flavor: 'openai-compatible',
      models: [LLM_MODEL],
      via: 'v1/models',
      apis: ['chat', 'completions', 'embeddings'],
    });
  });

  test('a streamed chat: tokens one by one, usage, TTFT, gaps and tokens/s; the same seed gives the same answer whole', async () => {
    const arrivals: { delta: string; atMs: number }[] = [];
    const r = await streamChat(base, CHAT, { onToken: (delta, atMs) => arrivals.push({ delta, atMs }) });
    assert.equal(r.error, undefined);
    assert.equal(r.status, 200);
    assert.equal(r.streamed, true);
    assert.equal(r.finishReason, 'length');
    assert.equal(arrivals.length, 30);
    assert.equal(arrivals.map((a) => a.delta).join(''), r.text);
    assert.equal(r.metrics.tokenSource, 'usage');
    assert.equal(r.metrics.completionTokens, 30);
    assert.ok((r.metrics.promptTokens ?? 0) > 10, `prompt tokens ${r.metrics.promptTokens}`);
    assert.equal(r.metrics.ttftMs, arrivals[0]!.atMs);
    assert.equal(r.metrics.interTokenMs?.n, 29);
    // never faster than the pacing allows (an upper bound the server guarantees)
    assert.ok(r.metrics.tokensPerSecond! <= (1000 / DELAY_MS) * 1.05, `${r.metrics.tokensPerSecond} tokens/s`);

    // the same seed gives the same answer, streamed or whole
    const whole = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(requestBody(CHAT, false)),
    });
    const answer = (await whole.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    assert.equal(answer.choices[0]!.message.content, r.text);
    assert.equal(answer.usage.completion_tokens, 30);
  });

  test('completions stream text; a stop string ends the answer before it', async () => {
    const c = await streamCompletion(base, { model: LLM_MODEL, prompt: 'The North Wind and the Sun', max_tokens: 12, seed: 1 });
    assert.equal(c.error, undefined);
    assert.ok(c.text.length > 0);
    assert.equal(c.metrics.completionTokens, 12);
    const s = await streamChat(base, { ...CHAT, max_tokens: 200, stop: ['.'] });
    assert.equal(s.error, undefined);
    assert.equal(s.finishReason, 'stop');
    assert.ok(!s.text.includes('.'), s.text);
    assert.ok(s.text.length > 0);
  });

  test('embeddings: one vector per input, of the server’s length', async () => {
    const r = await embed(base, { model: LLM_MODEL, input: ['a fox and grapes', 'the tortoise', 'a lion'] });
    assert.equal(r.error, undefined);
    assert.equal(r.vectors, 3);
    assert.equal(r.dims, 256);
    assert.ok((r.promptTokens ?? 0) >= 7);
  });

  test('a batch under load: 24 streams, 6 at a time, percentiles and no errors; /metrics as the fleet reads it', async () => {
    const before = await metric(base, 'llm_requests_total', { path: '/v1/chat/completions', status: '200' });
    const progress: number[] = [];
    const s = await runStreamBatch(base, { ...CHAT, max_tokens: 12 }, { n: 24, concurrency: 6, onProgress: (p) => progress.push(p.done) });
    assert.equal(s.done, 24);
    assert.equal(s.errors, 0, s.firstErrors.join('; '));
    assert.equal(s.errorRate, 0);
    assert.equal(s.ttftMs?.n, 24);
    assert.equal(s.tokensPerSecond?.n, 24);
    assert.ok(s.ttftMs.p50 <= s.ttftMs.p95 && s.ttftMs.p95 <= s.ttftMs.p99);
    assert.ok(s.tokensPerSecond.p99 <= (1000 / DELAY_MS) * 1.05);
    assert.equal(s.completionTokens, 24 * 12);
    assert.equal(progress.at(-1), 24);
    // the server counted them, under the names the fleet dashboard finds
    assert.equal(await metric(base, 'llm_requests_total', { path: '/v1/chat/completions', status: '200' }), before + 24);
    const text = await (await fetch(`${base}/metrics`)).text();
    const found = findRequestMetrics(parseExposition(text));
    assert.deepEqual(found.counter, { family: 'llm_requests_total', statusLabel: 'status' });
    assert.deepEqual(found.histogram, { family: 'llm_request_duration_seconds', toMs: 1000 });
    assert.ok((await metric(base, 'llm_time_to_first_token_seconds_count', { path: '/v1/chat/completions' })) >= 24);
    assert.ok((await metric(base, 'llm_generation_tokens_total', { path: '/v1/chat/completions' })) >= 24 * 12);
  });

  test('a model the server does not serve: its 404 message, in one line', async () => {
    const r = await streamChat(base, { ...CHAT, model: 'gpt-4o' });
    assert.equal(r.status, 404);
    assert.equal(
      r.error,
      'the server answered 404 for /v1/chat/completions: The model `gpt-4o` does not exist. This server serves aesop-trigram. (is the model name one it serves?)',
    );
  });

  test('Stop after 3 tokens: the first tokens arrived before the last was produced, and the server stops generating', async () => {
    const request = { ...CHAT, max_tokens: 400, seed: 4 };
    // the whole answer, for its length (the same seed, the same tokens)
    const whole = (await (
      await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(requestBody(request, false)),
      })
    ).json()) as { usage: { completion_tokens: number } };
    const length = whole.usage.completion_tokens;
    assert.ok(length > 100, `${length} tokens`);
    const generated = await metric(base, 'llm_generation_tokens_total', { path: '/v1/chat/completions' });
    const stop = new AbortController();
    let seen = 0;
    const r = await streamChat(base, request, {
      signal: stop.signal,
      onToken: () => {
        if (++seen === 3) stop.abort();
      },
    });
    assert.equal(r.error, 'cancelled');
    assert.equal(r.metrics.completionTokens, 3);
    // its next write fails: the server counts the request as closed by the client (499) ...
    for (let i = 0; i < 100 && (await metric(base, 'llm_requests_total', { status: '499' })) === 0; i++)
      await new Promise((res) => setTimeout(res, 100));
    assert.equal(await metric(base, 'llm_requests_total', { path: '/v1/chat/completions', status: '499' }), 1);
    // ... having generated far fewer than the whole answer's tokens: the client had its third
    // token long before the server produced the last (at DELAY_MS a token, the whole takes seconds)
    const made = (await metric(base, 'llm_generation_tokens_total', { path: '/v1/chat/completions' })) - generated;
    assert.ok(made >= 3 && made < length, `generated ${made} of ${length}`);
  });

  test('a server that fails mid-stream: the tokens so far and its error', async () => {
    const faulty = await startLlmServer(engine, TAG, { tokenDelayMs: 5, fault: 'midstream' });
    const r = await streamChat(faulty.base, CHAT);
    assert.equal(r.status, 200);
    assert.equal(r.metrics.completionTokens, 3);
    assert.ok(r.text.length > 0);
    assert.equal(r.error, 'the server reported an error after 3 tokens: the model failed mid-stream (LLM_FAULT=midstream)');
  });

  test('a server that drops the connection mid-stream: the tokens so far and the cut named', async () => {
    const faulty = await startLlmServer(engine, TAG, { tokenDelayMs: 5, fault: 'drop' });
    const r = await streamChat(faulty.base, CHAT);
    assert.equal(r.metrics.completionTokens, 3);
    assert.match(r.error ?? '', /^the (server closed the stream|connection to 127\.0\.0\.1:\d+ broke) after 3 tokens/);
  });

  test('a server that never sends a token: a bounded wait and a clear message', async () => {
    const silent = await startLlmServer(engine, TAG, { fault: 'silent' });
    const r = await streamChat(silent.base, CHAT, { firstTokenTimeoutMs: 1500 });
    assert.equal(r.status, 200);
    assert.equal(r.text, '');
    assert.equal(r.metrics.ttftMs, undefined);
    assert.match(r.error ?? '', /^no token within 1\.5 s from 127\.0\.0\.1:\d+: the server answered but sent no token/);
  });
});
