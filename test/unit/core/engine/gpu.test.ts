import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { detectGpu, parseNvidiaSmi, type GpuProbe } from '../../../../src/core/engine/gpu';

const CDI_YAML = `cdiVersion: 0.5.0
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes: [{ path: /dev/nvidia0 }]
  - name: all
    containerEdits:
      deviceNodes: [{ path: /dev/nvidia0 }]
containerEdits: {}
`;

function probe(over: Partial<GpuProbe> & { files?: Record<string, string> }): GpuProbe {
  const files = over.files ?? {};
  return {
    info: over.info ?? { runtimes: ['runc'], cdiSpecDirs: [] },
    local: over.local ?? true,
    listDir: (dir) => {
      const names = Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`))
        .map((f) => f.slice(dir.length + 1));
      return names.length > 0 ? names : undefined;
    },
    readFile: (f) => files[f],
    nvidiaSmi: over.nvidiaSmi ?? (() => Promise.resolve(undefined)),
  };
}

describe('detectGpu', () => {
  test('nothing: not available, each reason given', async () => {
    const d = await detectGpu(probe({}));
    assert.equal(d.available, false);
    assert.equal(d.summary, 'no GPU');
    assert.equal(d.requestStyle, 'none');
    assert.equal(d.reasons.length, 3);
    assert.match(d.reasons[0] ?? '', /no "nvidia" runtime \(runtimes: runc\)/);
    assert.match(d.reasons[1] ?? '', /no CDI GPU devices in \/etc\/cdi or \/var\/run\/cdi/);
    assert.match(d.reasons[2] ?? '', /nvidia-smi is not installed/);
  });

  test('runtime + nvidia-smi: available via DeviceRequests', async () => {
    const d = await detectGpu(
      probe({
        info: { runtimes: ['runc', 'nvidia'], cdiSpecDirs: [] },
        nvidiaSmi: () => Promise.resolve('0, NVIDIA A100-SXM4-40GB, 40960, 550.54.15\n1, NVIDIA A100-SXM4-40GB, 40960, 550.54.15\n'),
      }),
    );
    assert.equal(d.available, true);
    assert.equal(d.summary, 'GPU: 2 × NVIDIA A100-SXM4-40GB');
    assert.deepEqual(d.found, ['nvidia-runtime', 'nvidia-smi']);
    assert.equal(d.requestStyle, 'device-requests');
    assert.deepEqual(d.reasons, []);
  });

  test('CDI specs only (Podman style): available via CDI names', async () => {
    const d = await detectGpu(probe({ files: { '/etc/cdi/nvidia.yaml': CDI_YAML, '/etc/cdi/README': 'x' } }));
    assert.equal(d.available, true);
    assert.deepEqual(d.cdiDevices, ['nvidia.com/gpu=0', 'nvidia.com/gpu=all']);
    assert.equal(d.requestStyle, 'cdi');
  });

  test('the engine-reported CDI dirs are used, JSON specs too', async () => {
    const d = await detectGpu(
      probe({
        info: { runtimes: [], cdiSpecDirs: ['/opt/cdi'] },
        files: { '/opt/cdi/gpu.json': JSON.stringify({ cdiVersion: '0.6.0', kind: 'nvidia.com/gpu', devices: [{ name: '0' }] }) },
      }),
    );
    assert.deepEqual(d.cdiDevices, ['nvidia.com/gpu=0']);
  });

  test('a GPU on the host but no runtime or CDI: says the engine is not set up', async () => {
    const d = await detectGpu(probe({ nvidiaSmi: () => Promise.resolve('0, Tesla T4, 15360, 535.0\n') }));
    assert.equal(d.available, false);
    assert.match(d.reasons[0] ?? '', /1 GPU\(s\) on the host, but the engine is not set up/);
  });

  test('a broken CDI spec and a failing nvidia-smi are reported', async () => {
    const d = await detectGpu(
      probe({
        files: { '/etc/cdi/bad.yaml': 'kind: [' },
        nvidiaSmi: () => Promise.reject(new Error('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver')),
      }),
    );
    assert.equal(d.available, false);
    assert.ok(d.reasons.some((r) => r.startsWith('unreadable CDI spec /etc/cdi/bad.yaml')));
    assert.ok(d.reasons.some((r) => r.includes('could not communicate with the NVIDIA driver')));
  });

  test('remote engine with the nvidia runtime: available, host not inspected', async () => {
    const d = await detectGpu(
      probe({ local: false, info: { runtimes: ['nvidia'], cdiSpecDirs: [] }, nvidiaSmi: () => Promise.reject(new Error('must not run')) }),
    );
    assert.equal(d.available, true);
    assert.equal(d.summary, 'GPU: nvidia runtime');
  });

  test('parseNvidiaSmi', () => {
    assert.deepEqual(parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, 81559, 560.35.03\n'), [
      { index: '0', name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, driverVersion: '560.35.03' },
    ]);
  });
});
