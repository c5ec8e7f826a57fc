import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import type { GpuDetection } from '../../../../src/core/engine/gpu';
import {
  batchUser,
  comparisonProfile,
  cpuDecision,
  gpuPreferenceKey,
  onAnyFreePort,
  planFor,
  runContainerName,
  withClickedModel,
} from '../../../../src/core/project/projectRun';
import { parseBerthConfig, type RunProfile } from '../../../../src/core/project/runProfile';

function profile(yamlBody: string, name = 'serve'): RunProfile {
  const { profiles, problems } = parseBerthConfig(`profiles:\n  ${name}:\n${yamlBody.replace(/^/gm, '    ')}\n`);
  assert.deepEqual(problems, []);
  const [p] = profiles;
  assert.ok(p);
  return p;
}

const NO_GPU: GpuDetection = {
  available: false,
  summary: 'no GPU',
  found: [],
  devices: [],
  cdiDevices: [],
  reasons: ['the engine has no "nvidia" runtime'],
  requestStyle: 'none',
};
const NVIDIA: GpuDetection = {
  available: true,
  summary: 'GPU: 1 × A100',
  found: ['nvidia-runtime'],
  devices: [],
  cdiDevices: [],
  reasons: [],
  requestStyle: 'device-requests',
};

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-project-run-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const project = path.join(tmp, 'Iris Classifier');
fs.mkdirSync(path.join(project, 'models'), { recursive: true });
fs.writeFileSync(path.join(project, 'models', 'model.onnx'), 'weights');
fs.writeFileSync(path.join(project, 'train.py'), 'print(1)\n');
fs.writeFileSync(path.join(project, '.env'), 'TOKEN=from-file\nSHARED=file\n');

describe('GPU or CPU before a run starts', () => {
  const wantsGpu = profile('image: python:3.12\ngpus: all');
  const gpuIfAvailable = profile('image: python:3.12\ngpus: all\ngpuFallback: cpu');
  const cpuOnly = profile('image: python:3.12');

  test('a GPU profile on an engine with a GPU runs as planned', () => {
    assert.deepEqual(cpuDecision(wantsGpu, NVIDIA, false), { kind: 'as-planned' });
    // an earlier "Run on CPU" does not take the GPU away when there is one
    assert.deepEqual(cpuDecision(wantsGpu, NVIDIA, true), { kind: 'as-planned' });
  });

  test('a GPU profile on an engine without one asks, saying why', () => {
    assert.deepEqual(cpuDecision(wantsGpu, NO_GPU, false), {
      kind: 'ask',
      reason: 'this engine has none (the engine has no "nvidia" runtime).',
    });
  });

  test('an earlier "Run on CPU" for the profile is remembered', () => {
    assert.deepEqual(cpuDecision(wantsGpu, NO_GPU, true), { kind: 'cpu' });
    // also before detection has answered
    assert.deepEqual(cpuDecision(wantsGpu, undefined, true), { kind: 'cpu' });
  });

  test('"GPU if available" and CPU profiles never ask', () => {
    assert.deepEqual(cpuDecision(gpuIfAvailable, NO_GPU, false), { kind: 'as-planned' });
    assert.deepEqual(cpuDecision(cpuOnly, NO_GPU, false), { kind: 'as-planned' });
    assert.deepEqual(cpuDecision(cpuOnly, NO_GPU, true), { kind: 'as-planned' });
  });

  test('the remembered answer is kept per project and profile', () => {
    assert.equal(gpuPreferenceKey('/p/a', 'serve'), 'berth.gpuIfAvailable:/p/a:serve');
    assert.notEqual(gpuPreferenceKey('/p/a', 'serve'), gpuPreferenceKey('/p/b', 'serve'));
    assert.notEqual(gpuPreferenceKey('/p/a', 'serve'), gpuPreferenceKey('/p/a', 'batch'));
  });
});

describe('the profile a run uses', () => {
  test('the container is named after the profile and the project folder', () => {
    assert.equal(runContainerName(profile('image: x'), project), 'berth-serve-iris-classifier');
  });

  test('clicked weights are mounted as the model, in MODEL_PATH, when the profile names none', () => {
    const p = withClickedModel(profile('image: x'), project, path.join(project, 'models', 'model.onnx'));
    assert.deepEqual(p.model, { path: 'models/model.onnx', mountAt: '/models/model.onnx', env: 'MODEL_PATH' });
  });

  test('a clicked file that is not weights, or a profile with a model, stays as it is', () => {
    const plain = profile('image: x');
    assert.equal(withClickedModel(plain, project, path.join(project, 'train.py')), plain);
    const withModel = profile("image: x\nmodel: { path: 'other.pt', mountAt: '/m/other.pt' }");
    assert.equal(withClickedModel(withModel, project, path.join(project, 'models', 'model.onnx')), withModel);
  });

  test('"Use Any Free Port" leaves the host ports to the engine, nothing else changes', () => {
    const p = profile("image: x\nports: ['8000:8080', '9000']");
    const any = onAnyFreePort(p);
    assert.deepEqual(
      any.ports.map((port) => port.hostPort),
      [0, 0],
    );
    assert.deepEqual(
      any.ports.map((port) => port.containerPort),
      p.ports.map((port) => port.containerPort),
    );
    assert.deepEqual({ ...any, ports: [] }, { ...p, ports: [] });
  });

  test('a comparison serves nothing and is not kept alive, but keeps env, limits and GPU', () => {
    const p = profile("image: x\nports: ['8000']\nhealthcheck: image\nrestart: always\nmemory: 2g\ngpus: all\nenv: { A: '1' }");
    const c = comparisonProfile(p);
    assert.deepEqual(c.ports, []);
    assert.deepEqual(c.healthcheck, { kind: 'none' });
    assert.deepEqual(c.restart, { name: 'no' });
    assert.deepEqual([c.env, c.memoryBytes, c.gpus], [p.env, p.memoryBytes, p.gpus]);
    assert.equal(c.memoryBytes, 2 * 2 ** 30);
  });

  test('a batch job on a local engine runs as the user, unless the profile names one', () => {
    const p = profile('image: x');
    assert.equal(batchUser(p, true, 1000, 1001).user, '1000:1001');
    assert.equal(batchUser(p, false, 1000, 1001).user, undefined);
    assert.equal(batchUser(p, true, undefined, undefined).user, undefined);
    assert.equal(batchUser(profile('image: x\nuser: root'), true, 1000, 1001).user, 'root');
  });
});

describe('the create options of a prepared run', () => {
  test("the profile's env files are read from the project, the profile's own env wins", () => {
    const p = profile("image: x\nenvFiles: ['.env']\nenv: { SHARED: profile }");
    const plan = planFor(p, { image: 'img:1', projectDir: project, name: 'berth-serve-x', gpu: NVIDIA, forceCpu: false });
    assert.equal(plan.options.Image, 'img:1');
    assert.equal(plan.options.name, 'berth-serve-x');
    const env = plan.options.Env ?? [];
    assert.ok(env.includes('TOKEN=from-file'), env.join(' '));
    assert.ok(env.includes('SHARED=profile'), env.join(' '));
  });

  test('GPU requested on a GPU engine; none when the run was moved to the CPU', () => {
    const p = profile('image: x\ngpus: all');
    const gpu = planFor(p, { image: 'x', projectDir: project, gpu: NVIDIA, forceCpu: false });
    assert.equal(gpu.usesGpu, true);
    assert.equal(gpu.options.HostConfig?.DeviceRequests?.length, 1);
    const cpu = planFor(p, { image: 'x', projectDir: project, gpu: NO_GPU, forceCpu: true });
    assert.equal(cpu.usesGpu, false);
    assert.equal(cpu.options.HostConfig?.DeviceRequests, undefined);
    assert.equal(cpu.options.name, undefined);
  });
});
