import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { GpuDetection } from '../../../../src/core/engine/gpu';
import { gpuUnavailable, isGpuRefusal, modelsEnv, toCreateOptions } from '../../../../src/core/project/createOptions';
import { parseBerthConfig, type RunProfile } from '../../../../src/core/project/runProfile';

function profile(yamlBody: string): RunProfile {
  const { profiles, problems } = parseBerthConfig(`profiles:\n  p:\n${yamlBody.replace(/^/gm, '    ')}\n`);
  assert.deepEqual(problems, []);
  return profiles[0]!;
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
  summary: 'GPU: 2 × A100',
  found: ['nvidia-runtime', 'nvidia-smi'],
  devices: [],
  cdiDevices: [],
  reasons: [],
  requestStyle: 'device-requests',
};
const CDI: GpuDetection = {
  available: true,
  summary: 'GPU: 3 CDI',
  found: ['cdi'],
  devices: [],
  cdiDevices: ['nvidia.com/gpu=0', 'nvidia.com/gpu=1', 'nvidia.com/gpu=all'],
  reasons: [],
  requestStyle: 'cdi',
};

describe('toCreateOptions', () => {
  const serve = profile(`image: iris:dev
ports: ["8000", "0.0.0.0:9000:9000"]
volumes: ["./data:/data:ro", "cache:/root/.cache"]
model: model
env: { A: "1" }
memory: 64m
cpus: 0.5
healthcheck: /health
restart: unless-stopped
gpus: all`);

  test('ports on loopback unless chosen, model read-only with its env var, limits, labels', () => {
    const { options, usesGpu, notes } = toCreateOptions(serve, {
      image: 'iris:dev',
      projectDir: '/work/p',
      gpu: NVIDIA,
      envFromFiles: { A: '0', B: '2' },
    });
    const host = options.HostConfig!;
    assert.deepEqual(host.PortBindings, {
      '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '8000' }],
      '9000/tcp': [{ HostIp: '0.0.0.0', HostPort: '9000' }],
    });
    assert.deepEqual(host.Binds, ['/work/p/data:/data:ro', 'cache:/root/.cache', '/work/p/model:/models:ro']);
    assert.deepEqual(options.Env, ['A=1', 'B=2', 'MODEL_PATH=/models']);
    assert.equal(host.Memory, 64 * 2 ** 20);
    assert.equal(host.MemorySwap, 64 * 2 ** 20);
    assert.equal(host.NanoCpus, 5e8);
    assert.equal(host.ShmSize, 2 ** 30);
    assert.deepEqual(host.RestartPolicy, { Name: 'unless-stopped' });
    assert.deepEqual(host.DeviceRequests, [{ Driver: 'nvidia', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} }]);
    assert.equal(usesGpu, true);
    assert.deepEqual(notes, []);
    assert.equal(options.Labels?.['berth.managed'], 'true');
    assert.equal(options.Labels?.['berth.profile'], 'p');
    assert.deepEqual(options.Healthcheck?.Test?.slice(0, 3), ['CMD', 'python3', '-c']);
    assert.match(options.Healthcheck?.Test?.[3] ?? '', /http:\/\/127\.0\.0\.1:8000\/health/);
    assert.equal(options.Healthcheck?.Interval, 2e9);
  });

  test('GPU by count and by device ids; capabilities kept', () => {
    const count = toCreateOptions(profile('image: x\ngpus: 2\ngpuCapabilities: [gpu, compute]'), { image: 'x', projectDir: '/p' });
    assert.deepEqual(count.options.HostConfig?.DeviceRequests?.[0], {
      Driver: 'nvidia',
      Count: 2,
      DeviceIDs: null,
      Capabilities: [['gpu', 'compute']],
      Options: {},
    });
    const ids = toCreateOptions(profile('image: x\ngpus: ["1", "3"]'), { image: 'x', projectDir: '/p' });
    assert.deepEqual(ids.options.HostConfig?.DeviceRequests?.[0]?.DeviceIDs, ['1', '3']);
  });

  test('CDI engines get device names instead of device requests', () => {
    const plan = toCreateOptions(profile('image: x\ngpus: all'), { image: 'x', projectDir: '/p', gpu: CDI });
    assert.equal(plan.options.HostConfig?.DeviceRequests, undefined);
    assert.deepEqual(plan.options.HostConfig?.Devices, [{ PathOnHost: 'nvidia.com/gpu=all', PathInContainer: '', CgroupPermissions: '' }]);
    const two = toCreateOptions(profile('image: x\ngpus: 2'), { image: 'x', projectDir: '/p', gpu: CDI });
    assert.deepEqual(
      (two.options.HostConfig?.Devices as { PathOnHost: string }[] | undefined)?.map((d) => d.PathOnHost),
      ['nvidia.com/gpu=0', 'nvidia.com/gpu=1'],
    );
  });

  test('no GPU: "GPU if available" runs on CPU and says why; a strict profile is flagged', () => {
    const lenient = profile('image: x\ngpus: all\ngpuFallback: cpu');
    const plan = toCreateOptions(lenient, { image: 'x', projectDir: '/p', gpu: NO_GPU });
    assert.equal(plan.options.HostConfig?.DeviceRequests, undefined);
    assert.equal(plan.usesGpu, false);
    assert.match(plan.notes[0] ?? '', /running on CPU \("GPU if available"\)/);
    assert.equal(gpuUnavailable(lenient, NO_GPU), false);
    const strict = profile('image: x\ngpus: all');
    assert.equal(gpuUnavailable(strict, NO_GPU), true);
    assert.equal(gpuUnavailable(strict, NVIDIA), false);
    const forced = toCreateOptions(strict, { image: 'x', projectDir: '/p', gpu: NO_GPU, forceCpu: true });
    assert.equal(forced.options.HostConfig?.DeviceRequests, undefined);
  });

  test('the engine refusing a GPU at start is recognised', () => {
    assert.ok(isGpuRefusal('could not select device driver "" with capabilities: [[gpu]]'));
    assert.ok(isGpuRefusal('OCI runtime create failed: error running hook #0: exit status 1'));
    assert.ok(!isGpuRefusal('port is already allocated'));
  });

  test('a profile without ports or health check adds neither; healthcheck none disables the image one', () => {
    const plain = toCreateOptions(profile('image: x'), { image: 'x', projectDir: '/p' });
    assert.deepEqual(plain.options.ExposedPorts, {});
    assert.equal(plain.options.Healthcheck, undefined);
    const none = toCreateOptions(profile('image: x\nhealthcheck: none'), { image: 'x', projectDir: '/p' });
    assert.deepEqual(none.options.Healthcheck, { Test: ['NONE'] });
  });
});

describe('models: each file read-only at /models/<file name>, all named in MODELS', () => {
  test('binds and env in the profile order; the profile env cannot hide MODELS', () => {
    const p = profile(
      [
        'image: iris',
        'env: { MODELS: stale, LOG: info }',
        'models:',
        '  - model/iris.npz',
        '  - { name: v2, path: /abs/iris-v2.npz }',
      ].join('\n'),
    );
    const { options } = toCreateOptions(p, { image: 'iris:1', projectDir: '/proj' });
    assert.deepEqual(options.HostConfig?.Binds, ['/proj/model/iris.npz:/models/iris.npz:ro', '/abs/iris-v2.npz:/models/iris-v2.npz:ro']);
    assert.deepEqual(options.Env, ['MODELS=iris=/models/iris.npz,v2=/models/iris-v2.npz', 'LOG=info']);
    assert.equal(modelsEnv(p.models ?? []), 'iris=/models/iris.npz,v2=/models/iris-v2.npz');
  });

  test('a single model stays as before: MODEL_PATH, no MODELS', () => {
    const { options } = toCreateOptions(profile('image: iris\nmodel: { path: model/iris.npz, mountAt: /models/iris.npz }'), {
      image: 'iris:1',
      projectDir: '/proj',
    });
    assert.deepEqual(options.Env, ['MODEL_PATH=/models/iris.npz']);
    assert.deepEqual(options.HostConfig?.Binds, ['/proj/model/iris.npz:/models/iris.npz:ro']);
  });
});

describe('escape hatches: run options the form does not show, as the Engine API takes them', () => {
  test('ipc, ulimits, devices, runtime, network, entrypoint and labels; Berth labels win', () => {
    const p = profile(`image: x
entrypoint: [python3, -m]
command: [serve]
ipc: host
ulimits: { nofile: 65536, memlock: -1, nproc: { soft: 100, hard: 200 } }
devices: [/dev/fuse, "/dev/zero:/dev/berth-zero:r"]
runtime: nvidia
network: my-net
labels: { org.example.team: vision, tier: 2 }`);
    const { options } = toCreateOptions({ ...p, labels: { ...p.labels, 'berth.profile': 'forged' } }, { image: 'x', projectDir: '/p' });
    const host = options.HostConfig!;
    assert.equal(host.IpcMode, 'host');
    assert.deepEqual(host.Ulimits, [
      { Name: 'nofile', Soft: 65536, Hard: 65536 },
      { Name: 'memlock', Soft: -1, Hard: -1 },
      { Name: 'nproc', Soft: 100, Hard: 200 },
    ]);
    assert.deepEqual(host.Devices, [
      { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/zero', PathInContainer: '/dev/berth-zero', CgroupPermissions: 'r' },
    ]);
    assert.equal(host.Runtime, 'nvidia');
    assert.equal(host.NetworkMode, 'my-net');
    assert.deepEqual(options.Entrypoint, ['python3', '-m']);
    assert.deepEqual(options.Cmd, ['serve']);
    assert.equal(options.Labels?.['org.example.team'], 'vision');
    assert.equal(options.Labels?.tier, '2');
    assert.equal(options.Labels?.['berth.profile'], 'p', "Berth's own label wins over the profile's");
  });

  test('none of them set: the engine defaults, nothing sent; "" clears the image entrypoint', () => {
    const { options } = toCreateOptions(profile('image: x'), { image: 'x', projectDir: '/p' });
    for (const key of ['IpcMode', 'Ulimits', 'Devices', 'Runtime', 'NetworkMode'] as const)
      assert.equal(options.HostConfig?.[key], undefined, key);
    assert.equal(options.Entrypoint, undefined);
    assert.deepEqual(toCreateOptions(profile('image: x\nentrypoint: ""'), { image: 'x', projectDir: '/p' }).options.Entrypoint, ['']);
  });

  test('host devices come after the CDI GPU devices', () => {
    const p = profile('image: x\ngpus: all\ndevices: [/dev/fuse]');
    const { options } = toCreateOptions(p, { image: 'x', projectDir: '/p', gpu: CDI });
    assert.deepEqual(
      options.HostConfig?.Devices?.map((d) => d.PathOnHost),
      ['nvidia.com/gpu=all', '/dev/fuse'],
    );
  });
});
