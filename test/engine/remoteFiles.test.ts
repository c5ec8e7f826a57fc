/**
 * The local engine treated as remote (berth.engine.remoteFiles "upload"): the sample project's
 * model and workspace reach its containers through volumes filled over the Engine API, never a
 * bind mount, and what a batch job writes comes back into the local output folder.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runBatchJob } from '../../src/core/engine/batchJob';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook } from '../../src/core/notebook/comparison';
import type { Engine } from '../../src/core/engine/engine';
import { NotFoundError } from '../../src/core/engine/errors';
import { startRun } from '../../src/core/engine/run';
import { batchProfile } from '../../src/core/project/batchProfile';
import { toCreateOptions } from '../../src/core/project/createOptions';
import {
  bringBack,
  ensureFolder,
  FILES_LABEL,
  placeFiles,
  remoteFilesMode,
  removeOutputs,
  writableVolume,
  type FilesContext,
  type PlacedFiles,
} from '../../src/core/project/remoteFiles';
import { parseBerthConfig } from '../../src/core/project/runProfile';
import { cleanup, connect, labels, localEndpoint, PYTHON, RUN_ID, TEST_LABEL } from './harness';
import { buildSample, publishedPort, SAMPLE, waitHealthy } from './sampleServer';

const TAG = `berth-test/iris-remote:${RUN_ID}`;
const MOUNT_AT = '/models/remote-iris.npz';

/** The sample project copied, so its model can change; output/ left out as a fresh checkout has it. */
function copyOfSample(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-remote-'));
  fs.cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}output`) });
  return dir;
}

function profileYaml(): string {
  return [
    'profiles:',
    '  serve:',
    `    image: ${TAG}`,
    "    ports: ['127.0.0.1::8000']",
    '    healthcheck: image',
    `    model: { path: model/iris.npz, mountAt: ${MOUNT_AT} }`,
    '',
  ].join('\n');
}

describe('engine: a remote engine gets the files through volumes', { timeout: 240_000 }, () => {
  let engine: Engine;
  let dir: string;
  const uploads: string[] = [];
  let ctx: FilesContext;
  before(async () => {
    engine = await connect();
    await buildSample(TAG);
    dir = copyOfSample();
    ctx = {
      projectDir: dir,
      image: TAG,
      labels: labels(),
      namePrefix: `berth-test-${RUN_ID}`,
      onUpload: (what) => uploads.push(what),
    };
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(TAG, { force: true }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const servePlan = () => {
    const { profiles, problems } = parseBerthConfig(profileYaml());
    assert.deepEqual(problems, []);
    return toCreateOptions(profiles[0]!, { image: TAG, projectDir: dir, extraLabels: labels() });
  };

  test('the setting forced to "upload" treats the local engine as remote', () => {
    assert.equal(remoteFilesMode('auto', localEndpoint()), 'bind');
    assert.equal(remoteFilesMode('upload', localEndpoint()), 'upload');
  });

  test('Run Model: /predict answers with the model from its volume; no bind mount in the container', async () => {
    const placed = await placeFiles(engine, servePlan(), ctx);
    assert.deepEqual(uploads, [path.join(dir, 'model', 'iris.npz')]);
    const id = await startRun(engine, placed.plan);
    await waitHealthy(engine, id);
    const base = `http://127.0.0.1:${await publishedPort(engine, id, '8000/tcp')}`;
    const health = (await (await fetch(`${base}/health`)).json()) as { model: string };
    assert.equal(health.model, 'remote-iris.npz', 'the model was loaded from the volume, not the image');
    const predict = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] }),
    });
    assert.deepEqual(((await predict.json()) as { predictions: string[] }).predictions, ['setosa']);

    const inspect = (await engine.inspectContainerJson(id)) as {
      HostConfig: { Binds?: string[] };
      Mounts: { Type: string; Name?: string; Destination: string; RW: boolean }[];
    };
    assert.ok(
      (inspect.HostConfig.Binds ?? []).every((b) => !b.startsWith('/')),
      `no host path: ${JSON.stringify(inspect.HostConfig.Binds)}`,
    );
    assert.deepEqual(
      inspect.Mounts.map((m) => [m.Type, m.Destination, m.RW]),
      [['volume', '/models', false]],
    );
    const volume = (await engine.listVolumes({ filters: { name: [inspect.Mounts[0]!.Name!] } }))[0];
    const sha = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(dir, 'model', 'iris.npz')))
      .digest('hex');
    assert.equal(volume?.labels[FILES_LABEL.digest], `sha256:${sha}`);
    assert.equal(volume?.labels[TEST_LABEL], RUN_ID);
    await engine.removeContainer(id, { force: true });
  });

  test('a second run uploads nothing: the model is found by its digest', async () => {
    const before = uploads.length;
    const first = await placeFiles(engine, servePlan(), ctx);
    const second = await placeFiles(engine, servePlan(), ctx);
    assert.equal(uploads.length, before, 'nothing was sent');
    assert.deepEqual(first.uploaded, []);
    assert.deepEqual(second.reused, first.reused);
    assert.deepEqual(second.plan.options.HostConfig?.Binds, first.plan.options.HostConfig?.Binds);
  });

  test('a changed model file gets a volume of its own; the earlier one stays for its digest', async () => {
    const earlier = (await placeFiles(engine, servePlan(), ctx)).plan.options.HostConfig?.Binds?.[0];
    const model = path.join(dir, 'model', 'iris.npz');
    fs.copyFileSync(model, `${model}.orig`);
    fs.appendFileSync(model, Buffer.from('retrained'));
    try {
      const before = uploads.length;
      const changed = await placeFiles(engine, servePlan(), ctx);
      assert.equal(uploads.length, before + 1);
      const now = changed.plan.options.HostConfig?.Binds?.[0];
      assert.notEqual(now, earlier);
      const ours = await engine.listVolumes({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`, `${FILES_LABEL.role}=model`] } });
      assert.equal(ours.length, 2);
    } finally {
      fs.renameSync(`${model}.orig`, model);
    }
    const back = await placeFiles(engine, servePlan(), ctx);
    assert.equal(back.plan.options.HostConfig?.Binds?.[0], earlier, 'the first digest is found again');
  });

  test('Batch Job: the workspace as .dockerignore leaves it, data/ and the model in volumes; output/ comes back', async () => {
    const { profiles } = parseBerthConfig(profileYaml());
    const job = batchProfile(profiles[0]!, dir, path.join(dir, 'predict_batch.py'));
    const plan = toCreateOptions(job, { image: TAG, projectDir: dir, extraLabels: labels() });
    let placed: PlacedFiles | undefined;
    try {
      placed = await placeFiles(engine, plan, ctx);
      assert.deepEqual(uploads.slice(-2), [dir, path.join(dir, 'data')], 'the workspace and data/ uploaded; the model found by its digest');
      const result = await runBatchJob(engine, placed.plan);
      assert.equal(result.exitCode, 0, 'the job ran as the image user (10001) and could write /output');
      const inspect = (await engine.inspectContainerJson(result.id)) as { Mounts: { Type: string }[] };
      assert.ok(inspect.Mounts.length >= 4 && inspect.Mounts.every((m) => m.Type === 'volume'));
      // the workspace volume holds what the build context would: no notebook, no data/
      await assert.rejects(engine.getArchive(result.id, '/workspace/train.ipynb'), NotFoundError);
      await engine.getArchive(result.id, '/workspace/predict_batch.py').then((s) => s.destroy());

      const output = placed.outputs[0]!;
      assert.equal(output.source, path.join(dir, 'output'));
      const back = await bringBack(engine, output, ctx);
      assert.equal(back.files, 1);
      const csv = fs.readFileSync(path.join(dir, 'output', 'predictions.csv'), 'utf8').split(/\r?\n/);
      assert.equal(csv[0], 'species,predicted');
      assert.equal(csv.filter((l) => l.length > 0).length, 151);
      await engine.removeContainer(result.id, { force: true });
    } finally {
      if (placed) await removeOutputs(engine, placed);
    }
    // the output volume is gone; a second job sends neither the workspace nor data/ again
    const outputs = await engine.listVolumes({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`, `${FILES_LABEL.role}=output`] } });
    assert.deepEqual(outputs, []);
    const before = uploads.length;
    const again = await placeFiles(engine, plan, ctx);
    assert.equal(uploads.length, before);
    await removeOutputs(engine, again);
  });

  test('Compare: the notebook runs on the uploaded workspace; what it writes comes back to the local run folder', async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-remote-nb-'));
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-remote-out-'));
    try {
      fs.writeFileSync(path.join(workspace, 'data.txt'), 'from the workspace\n');
      const code = (source: string, text: string, n: number) => ({
        cell_type: 'code',
        execution_count: n,
        id: `c${n}`,
        metadata: {},
        outputs: [{ name: 'stdout', output_type: 'stream', text: [text] }],
        source: [source],
      });
      const nb = {
        cells: [
          code("print(open('data.txt').read(), end='')", 'from the workspace\n', 1),
          code("import os\nopen(os.path.join(os.environ['OUTPUT_DIR'], 'result.txt'), 'w').write('42')\nprint('written')", 'written\n', 2),
        ],
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        nbformat: 4,
        nbformat_minor: 5,
      };
      const notebookPath = path.join(workspace, 'nb.ipynb');
      fs.writeFileSync(notebookPath, JSON.stringify(nb));
      const nbCtx = { ...ctx, projectDir: workspace, image: PYTHON };
      const ws = await ensureFolder(engine, workspace, nbCtx);
      const runFolder = path.join(scratch, 'run-1');
      const output = await writableVolume(engine, runFolder, nbCtx);
      try {
        const report = await compareNotebook(engine, {
          notebookPath,
          workspaceDir: workspace,
          image: PYTHON,
          settings: DEFAULT_SETTINGS,
          outputDir: scratch,
          outputRun: 'run-1',
          labels: labels(),
          volumes: { workspace: ws.volume, output },
        });
        assert.deepEqual(
          report.cells.map((c) => c.status),
          ['identical', 'identical'],
          JSON.stringify(report.cells.map((c) => c.reason)),
        );
        const back = await bringBack(engine, { volume: output, source: runFolder }, nbCtx);
        assert.equal(back.files, 1);
        assert.equal(fs.readFileSync(path.join(runFolder, 'result.txt'), 'utf8'), '42');
      } finally {
        await removeOutputs(engine, { outputs: [{ volume: output, source: runFolder }] });
      }
    } finally {
      fs.rmSync(workspace, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  test('helpers are removed: no container of this run is left but the ones a test removes itself', async () => {
    const helpers = await engine.listContainers({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`, `${FILES_LABEL.role}=helper`] } });
    assert.deepEqual(helpers, []);
  });
});
