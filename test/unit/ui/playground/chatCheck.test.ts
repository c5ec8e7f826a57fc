import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkCall,
  checkChatRequest,
  checkCompletionRequest,
  checkEmbeddingRequest,
  checkFormat,
  clampCount,
  MAX_MESSAGES,
} from '../../../../src/ui/playground/chatCheck';
import { metricsLine, parseStop } from '../../../../webview/playground/chatText';

describe('playground chat: what the webview may ask for', () => {
  test('a chat request is rebuilt from the known fields only', () => {
    const r = checkChatRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief', name: 'x' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 32,
      stop: ['\n\n'],
      seed: 7,
      stream: false,
      api_key: 'leak',
    });
    assert.deepEqual(r, {
      ok: {
        model: 'm',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
        temperature: 0.7,
        top_p: 0.9,
        max_tokens: 32,
        stop: ['\n\n'],
        seed: 7,
      },
    });
  });

  test('each wrong field is named in one line', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const error = (x: unknown): string => {
      const r = checkChatRequest(x);
      assert.ok('error' in r, JSON.stringify(r));
      return r.error;
    };
    assert.match(error({ ...base, model: '' }), /Choose a model/);
    assert.match(error({ ...base, messages: [] }), /conversation is empty/);
    assert.match(error({ ...base, messages: [{ role: 'tool', content: 'x' }] }), /role \(system, user or assistant\)/);
    assert.match(error({ ...base, temperature: 3 }), /^temperature must be a number from 0 to 2/);
    assert.match(error({ ...base, top_p: Number.NaN }), /^top_p must be/);
    assert.match(error({ ...base, max_tokens: 1.5 }), /whole number/);
    assert.match(error({ ...base, max_tokens: 0 }), /^max_tokens must be a number from 1/);
    assert.match(error({ ...base, stop: ['a', 'b', 'c', 'd', 'e'] }), /At most 4 stop sequences/);
    assert.match(error({ ...base, stop: [''] }), /non-empty strings/);
    assert.match(
      error({ ...base, messages: Array.from({ length: MAX_MESSAGES + 1 }, () => ({ role: 'user', content: 'x' })) }),
      /sends 500 at most/,
    );
    assert.match(error('text'), /not a JSON object/);
  });

  test('completions need a prompt, embeddings an input; calls name their side and API', () => {
    assert.deepEqual(checkCompletionRequest({ model: 'm', prompt: 'Once' }), { ok: { model: 'm', prompt: 'Once' } });
    assert.ok('error' in checkCompletionRequest({ model: 'm', prompt: '' }));
    assert.deepEqual(checkEmbeddingRequest({ model: 'm', input: ['a', 'b'] }), { ok: { model: 'm', input: ['a', 'b'] } });
    assert.deepEqual(checkEmbeddingRequest({ model: 'm', input: 'a' }), { ok: { model: 'm', input: 'a' } });
    assert.ok('error' in checkEmbeddingRequest({ model: 'm', input: ['a', ''] }));
    assert.ok('error' in checkEmbeddingRequest({ model: 'm', input: [] }));
    const call = checkCall({ side: 'b', api: 'completions', body: { model: 'm', prompt: 'x' } });
    assert.deepEqual(call, { ok: { side: 'b', api: 'completions', body: { model: 'm', prompt: 'x' } } });
    assert.match((checkCall({ side: 'c', api: 'chat', body: {} }) as { error: string }).error, /no side/);
    assert.match((checkCall({ side: 'a', api: 'embeddings', body: {} }) as { error: string }).error, /chat and completions/);
  });

  test('formats and counts', () => {
    assert.equal(checkFormat('curl'), 'curl');
    assert.equal(checkFormat('typescript'), 'typescript');
    assert.equal(checkFormat('bash'), undefined);
    assert.equal(clampCount(5000, 1, 1000, 20), 1000);
    assert.equal(clampCount(-2, 1, 1000, 20), 1);
    assert.equal(clampCount('7', 1, 1000, 20), 20);
    assert.equal(clampCount(3.6, 1, 1000, 20), 4);
  });

  test('stop sequences as typed: commas, escapes, or a JSON list', () => {
    assert.deepEqual(parseStop(''), []);
    assert.deepEqual(parseStop('\\n\\n, END'), ['\n\n', 'END']);
    assert.deepEqual(parseStop('a,,b'), ['a', 'b']);
    assert.deepEqual(parseStop('["a,b", "\\n"]'), ['a,b', '\n']);
    assert.deepEqual(parseStop('[not json'), ['[not json']);
  });

  test("an answer's figures in words: what came from usage and what was counted", () => {
    const parts = metricsLine({
      status: 200,
      text: 'abc',
      streamed: true,
      finishReason: 'length',
      metrics: {
        ttftMs: 12.345,
        interTokenMs: { p50: 15.04, p95: 20, p99: 31.5, mean: 16, n: 9 },
        tokensPerSecond: 61.27,
        totalMs: 812.4,
        promptTokens: 7,
        completionTokens: 10,
        tokenSource: 'usage',
      },
    });
    assert.deepEqual(
      parts.map((p) => p.text),
      [
        'TTFT 12.3 ms',
        'inter-token p50 15.0 ms · p99 31.5 ms',
        '61.3 tokens/s',
        'total 812.4 ms',
        '7 prompt + 10 completion tokens (from usage)',
        'finish: length',
      ],
    );
    const none = metricsLine({
      status: 0,
      text: '',
      streamed: false,
      metrics: { totalMs: 3.2, completionTokens: 0, tokenSource: 'counted' },
      error: 'refused',
    });
    assert.deepEqual(
      none.map((p) => p.text),
      ['TTFT —', '— tokens/s', 'total 3.20 ms', '0 completion tokens (counted)'],
    );
  });
});
