/**
 * Multi-model serving in the real engine: a run profile with `models:` (the sample's iris.npz and
 * iris-v2.npz) gives one container of the sample server that routes by model — with the files
 * bind-mounted, and over the remote-files path (berth.engine.remoteFiles "upload"), where they go
 * into one volume by digest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { startRun } from '../../src/core/engine/run';
import { toCreateOptions, type RunPlan } from '../../src/core/project/createOptions';
import { FILES_LABEL, placeFiles, type FilesContext } from '../../src/core/project/remoteFiles';
import { parseBerthConfig } from '../../src/core/project/runProfile';
import { perModelRuns, selectedModels } from '../../src/ui/run/severalModels';
import { parseExposition, valueOf } from './exposition';
import { cleanup, connect, labels, run, RUN_ID } from './harness';
import * as path from 'node:path';
import { buildSample, publishedPort, SAMPLE, waitHealthy } from './sampleServer';

const TAG = `berth-test/iris-multi:${RUN_ID}`;
/** A versicolor (row 87 of data/iris.csv) the two versions call differently. */
const FLOWER = [6.7, 3.1, 4.7, 1.5];

function servePlan(): RunPlan {
  const { profiles, problems } = parseBerthConfig(
    [
      'profiles:',
      '  serve:',
      `    image: ${TAG}`,
      "    ports: ['127.0.0.1::8000']",
      '    healthcheck: image',
      '    models:',
      '      - model/iris.npz',
      '      - model/iris-v2.npz',
      '',
    ].join('\n'),
  );
  assert.deepEqual(problems, []);
  return toCreateOptions(profiles[0]!, { image: TAG, projectDir: SAMPLE, extraLabels: labels() });
}

interface Prediction {
  readonly predictions: string[];
  readonly probabilities: number[][];
}

const predict = async (base: string, route: string, instances: number[][] = [FLOWER]): Promise<Response> =>
  fetch(`${base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });

/** What every multi-model container must do, however its files arrived. */
async function checkRouting(base: string): Promise<void> {
  const listed = (await (await fetch(`${base}/models`)).json()) as { default: string; models: { name: string; model: string }[] };
  assert.deepEqual(
    listed.models.map((m) => [m.name, m.model]),
    [
      ['iris', 'iris.npz'],
      ['iris-v2', 'iris-v2.npz'],
    ],
  );
  assert.equal(listed.default, 'iris');

  const v1 = await predict(base, '/models/iris/predict');
  const v2 = await predict(base, '/models/iris-v2/predict');
  assert.equal(v1.status, 200);
  assert.equal(v2.status, 200);
  const [a, b] = [(await v1.json()) as Prediction, (await v2.json()) as Prediction];
  assert.deepEqual(a.predictions, ['versicolor']);
  assert.deepEqual(b.predictions, ['virginica'], 'the second version calls this flower differently');
  assert.ok(Math.abs((a.probabilities[0]?.[1] ?? 0) - (b.probabilities[0]?.[1] ?? 0)) > 0.1, 'and is less sure of it');
  // /predict is the default model, as before
  assert.deepEqual(await (await predict(base, '/predict')).json(), a);

  const unknown = await predict(base, '/models/iris-v3/predict');
  assert.equal(unknown.status, 404);
  const body = (await unknown.json()) as { error: string; models: string[] };
  assert.deepEqual(body.models, ['iris', 'iris-v2']);
  assert.match(body.error, /unknown model: 'iris-v3' \(known: iris, iris-v2\)/);

  const metrics = parseExposition(await (await fetch(`${base}/metrics`)).text());
  const route = '/models/{name}/predict';
  assert.equal(valueOf(metrics, 'iris_requests_total', { path: route, method: 'POST', status: '200', model: 'iris' }), 1);
  assert.equal(valueOf(metrics, 'iris_requests_total', { path: route, method: 'POST', status: '200', model: 'iris-v2' }), 1);
  assert.equal(valueOf(metrics, 'iris_requests_total', { path: '/predict', method: 'POST', status: '200', model: 'iris' }), 1);
  assert.equal(
    valueOf(metrics, 'iris_requests_total', { path: route, method: 'POST', status: '404', model: 'other' }),
    1,
    'an unknown model name is counted as "other"',
  );
  assert.equal(valueOf(metrics, 'iris_request_errors_total', { path: route, method: 'POST', kind: 'client', model: 'other' }), 1);
  assert.equal(valueOf(metrics, 'iris_request_duration_seconds_count', { path: route, method: 'POST', model: 'iris-v2' }), 1);
}

async function startServing(engine: Engine, plan: RunPlan): Promise<{ id: string; base: string }> {
  const id = await startRun(engine, plan);
  await waitHealthy(engine, id);
  return { id, base: `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}` };
}

describe('engine: one container serves several models, routed by name', { timeout: 240_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
    await buildSample(TAG);
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(TAG, { force: true }).catch(() => undefined);
  });

  test('bind mounts: each model read-only at /models/<file>, MODELS names both, the routes answer', async () => {
    const plan = servePlan();
    assert.ok(plan.options.Env?.includes('MODELS=iris=/models/iris.npz,iris-v2=/models/iris-v2.npz'));
    const { id, base } = await startServing(engine, plan);
    const inspect = (await engine.inspectContainerJson(id)) as { Mounts: { Type: string; Destination: string; RW: boolean }[] };
    assert.deepEqual(inspect.Mounts.map((m) => [m.Type, m.Destination, m.RW]).sort(), [
      ['bind', '/models/iris-v2.npz', false],
      ['bind', '/models/iris.npz', false],
    ]);
    await checkRouting(base);
    await engine.removeContainer(id, { force: true });
  });

  test('remote files (upload): both models in one volume at /models, found by digest on the next run', async () => {
    const uploads: string[] = [];
    const ctx: FilesContext = {
      projectDir: SAMPLE,
      image: TAG,
      labels: labels(),
      namePrefix: `berth-test-${RUN_ID}`,
      onUpload: (what) => uploads.push(what),
    };
    const placed = await placeFiles(engine, servePlan(), ctx);
    assert.deepEqual(uploads, [`${SAMPLE}/model/iris.npz, ${SAMPLE}/model/iris-v2.npz`]);
    assert.equal(placed.uploaded.length, 1);
    const { id, base } = await startServing(engine, placed.plan);
    const inspect = (await engine.inspectContainerJson(id)) as {
      HostConfig: { Binds?: string[] };
      Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
    };
    assert.ok(
      (inspect.HostConfig.Binds ?? []).every((b) => !b.startsWith('/')),
      `no host path: ${String(inspect.HostConfig.Binds)}`,
    );
    assert.deepEqual(
      inspect.Mounts.map((m) => [m.Type, m.Destination, m.RW]),
      [['volume', '/models', false]],
    );
    const volume = (await engine.listVolumes({ filters: { name: [inspect.Mounts[0]!.Name!] } }))[0];
    assert.equal(volume?.labels[FILES_LABEL.source], 'iris-v2.npz+iris.npz');
    assert.match(volume?.labels[FILES_LABEL.digest] ?? '', /^sha256:[0-9a-f]{64}$/);
    await checkRouting(base);
    await engine.removeContainer(id, { force: true });

    const again = await placeFiles(engine, servePlan(), ctx);
    assert.equal(uploads.length, 1, 'nothing uploaded the second time');
    assert.deepEqual(again.reused, placed.uploaded);
  });

  test('one container per model (Run Model on two selected files): distinct names and 127.0.0.1 ports, each its own model', async () => {
    const { profiles } = parseBerthConfig(`profiles:\n  serve:\n    image: ${TAG}\n    ports: ['8000']\n    healthcheck: image\n`);
    const models = selectedModels(SAMPLE, [path.join(SAMPLE, 'model', 'iris.npz'), path.join(SAMPLE, 'model', 'iris-v2.npz')]);
    const runs = perModelRuns(profiles[0]!, SAMPLE, models).map((r) => ({ ...r, name: `${r.name}-${RUN_ID}` }));
    const started = [];
    for (const r of runs)
      started.push(
        await startServing(engine, toCreateOptions(r.profile, { image: TAG, projectDir: SAMPLE, name: r.name, extraLabels: labels() })),
      );
    assert.notEqual(started[0]?.base, started[1]?.base, 'two ports');
    for (const { id } of started) {
      const binding = (await engine.inspectContainerJson(id)).NetworkSettings.Ports['8000/tcp']?.[0];
      assert.equal(binding?.HostIp, '127.0.0.1');
    }
    const answers = [];
    for (const { base } of started) {
      const health = (await (await fetch(`${base}/health`)).json()) as { models: string[] };
      answers.push([health.models, ((await (await predict(base, '/predict')).json()) as Prediction).predictions]);
    }
    assert.deepEqual(answers, [
      [['iris'], ['versicolor']],
      [['iris-v2'], ['virginica']],
    ]);
    for (const { id } of started) await engine.removeContainer(id, { force: true });
  });

  test('a MODELS the server cannot use: it exits at once, saying why', async () => {
    const id = await run(engine, {
      Image: TAG,
      Cmd: undefined,
      StopSignal: undefined,
      Env: ['MODELS=iris=/app/model/iris.npz,iris=/app/model/iris-v2.npz'],
    });
    let state = (await engine.inspectContainerJson(id)).State;
    for (let i = 0; i < 100 && state.Running; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = (await engine.inspectContainerJson(id)).State;
    }
    assert.equal(state.ExitCode, 2);
    const { execa } = await import('execa');
    const logs = await execa('docker', ['logs', id], { all: true });
    assert.match(logs.all ?? '', /invalid MODELS: two models named 'iris': name them in MODELS as NAME=PATH/);
  });
});
