import assert from 'node:assert/strict';
import * as os from 'node:os';
import { after, before, describe, test } from 'node:test';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { GpuUnavailableError } from '../../src/core/engine/errors';
import { detectGpu, hostGpuProbe, type GpuDetection } from '../../src/core/engine/gpu';
import { containerLogs } from '../../src/core/engine/logs';
import { startRun } from '../../src/core/engine/run';
import { toCreateOptions, type RunContext } from '../../src/core/project/createOptions';
import { parseBerthConfig, type RunProfile } from '../../src/core/project/runProfile';
import { BUSYBOX, cleanup, collect, connect, labels, RUN_ID, TEST_LABEL } from './harness';
import { engineScript, secondEngineSkip } from './secondEngines';

const PRINT = '[sh, -c, "cat /berth-gpu-marker 2>&1; echo ---; env"]';

const skipReason = secondEngineSkip('gpu.test.ts', 'GPU engine', ['unshare']);

const script = (command: 'start' | 'stop' | 'env'): Promise<string> => engineScript('gpu-engine.sh', command, 120_000);

function profileFrom(body: string): RunProfile {
  const config = parseBerthConfig(`profiles:\n  p:\n    image: x\n${body}`);
  assert.deepEqual(config.problems, []);
  const profile = config.profiles[0];
  assert.ok(profile);
  return profile;
}

const context = (extra: Partial<RunContext> = {}): RunContext => ({
  image: BUSYBOX,
  projectDir: os.tmpdir(),
  extraLabels: labels(),
  ...extra,
});

interface Seen {
  readonly exitCode: number;
  /** The marker the fake hook wrote into the rootfs, as KEY=VALUE lines; undefined when absent. */
  readonly marker: Record<string, string> | undefined;
  readonly env: Record<string, string>;
}

function keyValues(lines: readonly string[]): Record<string, string> {
  return Object.fromEntries(lines.filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Start a run of `profile`, wait for it, and read back what the container saw. */
async function runAndRead(engine: Engine, profile: RunProfile, ctx: RunContext): Promise<Seen> {
  const plan = toCreateOptions(profile, ctx);
  const id = await startRun(engine, plan);
  const exitCode = await engine.waitContainer(id);
  const lines = (await collect(containerLogs(engine, id))).map((l) => l.text);
  const split = lines.indexOf('---');
  const markerLines = lines.slice(0, split);
  const marker = markerLines.some((l) => /No such file/.test(l)) ? undefined : keyValues(markerLines);
  return { exitCode, marker, env: keyValues(lines.slice(split + 1)) };
}

describe('engine: GPU requests reach the engine (fake NVIDIA hook) and a refusal offers CPU', { timeout: 180_000 }, () => {
  let gpuEngine: Engine | undefined;
  let mainEngine: Engine;
  let detection: GpuDetection;
  let startedHere = false;
  const mine = { label: [`${TEST_LABEL}=${RUN_ID}`] };

  before(async () => {
    mainEngine = await connect();
    if (skipReason) return;
    const started = Date.now();
    const out = await script('start');
    startedHere = !out.includes('already running');
    const host = /^DOCKER_HOST=(.+)$/m.exec(await script('env'))?.[1];
    assert.ok(host, 'gpu-engine.sh env prints DOCKER_HOST');
    const endpoint = resolveEndpoint({
      env: { DOCKER_HOST: host },
      homeDir: os.homedir(),
      platform: process.platform,
      readFile: () => undefined,
    });
    gpuEngine = await Engine.connect(endpoint, { timeoutMs: 15_000, env: {} });
    const info = await gpuEngine.info();
    // the engine host has no nvidia-smi: the probe stands in for the two GPUs the fake hook serves
    detection = await detectGpu({
      info,
      local: true,
      listDir: () => undefined,
      readFile: () => undefined,
      nvidiaSmi: () => Promise.resolve('0, Berth Fake GPU, 16384, 550.54\n1, Berth Fake GPU, 16384, 550.54'),
    });
    console.log(`GPU engine at ${host} ready in ${Date.now() - started} ms; runtimes: ${info.runtimes.join(', ')}`);
  });

  after(async () => {
    await cleanup(mainEngine);
    if (gpuEngine) await cleanup(gpuEngine);
    if (startedHere) await script('stop');
  });

  test('the GPU engine reports an nvidia runtime, so detection says device requests work', { skip: skipReason }, () => {
    assert.equal(detection.available, true, detection.reasons.join('; '));
    assert.equal(detection.requestStyle, 'device-requests');
    assert.ok(detection.found.includes('nvidia-runtime'));
    assert.equal(detection.summary, 'GPU: 2 × Berth Fake GPU');
  });

  const cases = [
    { gpus: 'all', visible: 'all', capabilities: undefined },
    { gpus: '2', visible: '0,1', capabilities: undefined },
    { gpus: '["0", "1"]', visible: '0,1', capabilities: undefined },
    { gpus: 'all', visible: 'all', capabilities: '[gpu, compute]' },
  ] as const;
  for (const c of cases) {
    const title = `gpus: ${c.gpus}${c.capabilities ? `, gpuCapabilities: ${c.capabilities}` : ''}`;
    test(`${title} → the hook ran and the container sees NVIDIA_VISIBLE_DEVICES=${c.visible}`, { skip: skipReason }, async () => {
      assert.ok(gpuEngine);
      const profile = profileFrom(
        `    command: ${PRINT}\n    gpus: ${c.gpus}\n${c.capabilities ? `    gpuCapabilities: ${c.capabilities}\n` : ''}`,
      );
      const plan = toCreateOptions(profile, context({ gpu: detection }));
      assert.equal(plan.usesGpu, true);
      const seen = await runAndRead(gpuEngine, profile, context({ gpu: detection }));
      assert.equal(seen.exitCode, 0);
      assert.ok(seen.marker, 'the fake nvidia-container-runtime-hook wrote its marker into the container');
      assert.equal(seen.marker.hook, 'prestart');
      assert.equal(seen.marker.NVIDIA_VISIBLE_DEVICES, c.visible);
      assert.equal(seen.env.NVIDIA_VISIBLE_DEVICES, c.visible);
      // the engine sets NVIDIA_DRIVER_CAPABILITIES only for NVIDIA driver capabilities ("gpu" is not one)
      const caps = c.capabilities ? 'compute' : undefined;
      assert.equal(seen.env.NVIDIA_DRIVER_CAPABILITIES, caps);
      assert.equal(seen.marker.NVIDIA_DRIVER_CAPABILITIES, caps ?? '');
    });
  }

  test('without a GPU request the hook does not run', { skip: skipReason }, async () => {
    assert.ok(gpuEngine);
    const seen = await runAndRead(gpuEngine, profileFrom(`    command: ${PRINT}\n`), context({ gpu: detection }));
    assert.equal(seen.exitCode, 0);
    assert.equal(seen.marker, undefined);
    assert.equal(seen.env.NVIDIA_VISIBLE_DEVICES, undefined);
  });

  test('on the plain engine: gpus: all is refused with GpuUnavailableError offering CPU, nothing left; forceCpu runs', async (t) => {
    const plain = await detectGpu(hostGpuProbe(await mainEngine.info(), true));
    assert.equal(plain.available, false);
    const profile = profileFrom(`    command: [sh, -c, "echo running on cpu"]\n    gpus: all\n`);
    const before = (await mainEngine.listContainers({ filters: mine })).length;
    const plan = toCreateOptions(profile, context({ gpu: plain }));
    assert.equal(plan.usesGpu, true);
    await assert.rejects(startRun(mainEngine, plan, { gpu: plain }), (e: unknown) => {
      assert.ok(e instanceof GpuUnavailableError, `got ${String(e)}`);
      t.diagnostic(e.message);
      assert.equal(e.code, 'gpu-unavailable');
      assert.match(
        e.message,
        /^The engine could not give this container a GPU: .*could not select device driver.*\. Run on CPU instead\?$/s,
      );
      assert.match(e.reasons[0] ?? '', /could not select device driver/);
      assert.ok(
        e.reasons.some((r) => /no "nvidia" runtime/.test(r)),
        'detection reasons are carried along',
      );
      return true;
    });
    assert.equal((await mainEngine.listContainers({ filters: mine })).length, before, 'the refused container was removed');

    const cpu = toCreateOptions(profile, context({ gpu: plain, forceCpu: true }));
    assert.equal(cpu.usesGpu, false);
    assert.equal(cpu.options.HostConfig?.DeviceRequests, undefined);
    const id = await startRun(mainEngine, cpu);
    assert.equal(await mainEngine.waitContainer(id), 0);
    assert.deepEqual(
      (await collect(containerLogs(mainEngine, id))).map((l) => l.text),
      ['running on cpu'],
    );
  });
});
