import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { cleanup, connect, RUN_ID } from './harness';
import { buildSample, startSample } from './sampleServer';

const TAG = `berth-test/iris-classifier:${RUN_ID}`;

describe('the sample ML project builds and serves in a real container', { timeout: 120_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(TAG).catch(() => undefined);
  });

  test('docker build with the local base, then /health and /predict over a 127.0.0.1 port', async () => {
    await buildSample(TAG);
    const image = await engine.inspectImageJson(TAG);
    assert.equal(image.Config.User, '10001:10001');
    assert.equal((image.Config as { StopSignal?: string }).StopSignal, 'SIGINT');

    const { id, base } = await startSample(engine, TAG);
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string };
    assert.equal(health.status, 'ok');
    const predict = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        instances: [
          [5.1, 3.5, 1.4, 0.2],
          [6.7, 3.1, 4.7, 1.5],
          [7.7, 3.0, 6.1, 2.3],
        ],
      }),
    });
    assert.equal(predict.status, 200);
    assert.deepEqual(((await predict.json()) as { predictions: string[] }).predictions, ['setosa', 'versicolor', 'virginica']);
    const bad = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"instances": [[1, 2]]}',
    });
    assert.equal(bad.status, 400);

    // one model (MODEL_PATH, no MODELS): served under its file's name as well
    const listed = (await (await fetch(`${base}/models`)).json()) as { default: string; models: { name: string }[] };
    assert.deepEqual([listed.default, listed.models.map((m) => m.name)], ['iris', ['iris']]);
    const routed = await fetch(`${base}/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: [7.7, 3.0, 6.1, 2.3] }),
    });
    assert.deepEqual(((await routed.json()) as { predictions: string[] }).predictions, ['virginica']);
    assert.equal((await fetch(`${base}/models/iris-v2/predict`, { method: 'POST', body: '{}' })).status, 404);

    // STOPSIGNAL SIGINT: a clean exit, well inside the grace period
    await engine.stopContainer(id, { graceSeconds: 10 });
    assert.equal((await engine.inspectContainerJson(id)).State.ExitCode, 0);
  });
});
