// The comparison container and the runner's protocol: its options, the files copied in, the
// channel on its stdout (messages carry the run's token, a forged one is the cell's output,
// output without a newline is kept apart from the message after it, long messages arrive in
// pieces joined up to a bound) and a cell's fd-level output bounded to its head and tail.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tarStream from 'tar-stream';
import type { GpuDetection } from '../../../../src/core/engine/gpu';
import { toCreateOptions } from '../../../../src/core/project/createOptions';
import { parseBerthConfig } from '../../../../src/core/project/runProfile';
import {
  BoundedOutput,
  compareContainerOptions,
  containerPathOf,
  NotebookRunError,
  parseRunnerLine,
  planLine,
  RunnerChannel,
  prettySource,
  runnerArchive,
  runnerFilesArchive,
  runnerSource,
  runToken,
  waitingCommand,
} from '../../../../src/core/notebook/containerRun';
import { plans45 } from './cells';

type TarEntry = { mode: number | undefined; type: string | null | undefined; body: string };

/** The entries of a tar, in archive order. */
async function tarEntries(tar: Buffer): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  await new Promise<void>((resolve, reject) => {
    const extract = tarStream.extract();
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        entries.set(header.name, { mode: header.mode, type: header.type, body: Buffer.concat(chunks).toString('utf8') });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
    extract.end(tar);
  });
  return entries;
}

const TOKEN = 'f00dfeed';
const line = (flag: string, payload: string, token = TOKEN): string => `\x1eberth:${token} ${flag}${payload}`;

describe('RunnerChannel', () => {
  test('a whole message, and a plain line of output', () => {
    const ch = new RunnerChannel(TOKEN);
    assert.deepEqual(ch.push(line('.', '{"t":"start","index":2}')), { message: { t: 'start', index: 2 } });
    assert.deepEqual(ch.push('loss 0.5'), { output: { text: 'loss 0.5', newline: true } });
  });

  test('output without a trailing newline: kept as output (no newline), the message after it still read', () => {
    const ch = new RunnerChannel(TOKEN);
    assert.deepEqual(ch.push(`50%${line('.', '{"t":"cell","index":1,"outputs":[],"ms":1,"timedOut":false}')}`), {
      output: { text: '50%', newline: false },
      message: { t: 'cell', index: 1, outputs: [], ms: 1, timedOut: false },
    });
  });

  test('forged messages (the old marker, another token, no token) are the cell output', () => {
    const ch = new RunnerChannel(TOKEN);
    for (const forged of ['\x1eberth {"t":"end"}', line('.', '{"t":"end"}', 'guess'), line('.', '{"t":"end"}', '')])
      assert.deepEqual(ch.push(forged), { output: { text: forged, newline: true } });
  });

  test('pieces are joined into one message; output between them stays output', () => {
    const ch = new RunnerChannel(TOKEN);
    const json = JSON.stringify({ t: 'cell', index: 4, outputs: [{ output_type: 'stream', name: 'stdout', text: 'x'.repeat(9000) }] });
    const parts = [json.slice(0, 4000), json.slice(4000, 8000), json.slice(8000)];
    assert.deepEqual(ch.push(line('+', parts[0]!)), {});
    assert.deepEqual(ch.push('from a thread'), { output: { text: 'from a thread', newline: true } });
    assert.deepEqual(ch.push(line('+', parts[1]!)), {});
    assert.deepEqual(ch.push(line('=', parts[2]!)).message, JSON.parse(json));
  });

  test('a message past the bound is dropped and its size reported; the next one is read', () => {
    const ch = new RunnerChannel(TOKEN, 10_000);
    for (let i = 0; i < 5; i++) assert.deepEqual(ch.push(line('+', 'y'.repeat(3000))), {});
    assert.deepEqual(ch.push(line('=', 'y'.repeat(100))), { lost: 15_100 });
    assert.deepEqual(ch.push(line('.', '{"t":"end"}')), { message: { t: 'end' } });
  });

  test('binary-looking output (control characters, replacement characters, the record separator) is output', () => {
    const ch = new RunnerChannel(TOKEN);
    const text = String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i).filter((c) => c !== 10)) + '\ufffd\x1eberth';
    assert.deepEqual(ch.push(text), { output: { text, newline: true } });
  });

  test('tokens are 32 hex characters and differ from run to run', () => {
    const a = runToken();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, runToken());
  });
});

describe('BoundedOutput', () => {
  test('small output is kept whole, same-stream runs merged', () => {
    const b = new BoundedOutput(100, 100);
    b.add('stdout', 'a\n');
    b.add('stdout', 'b\n');
    b.add('stderr', 'warn\n');
    assert.deepEqual(b.outputs(), [
      { kind: 'stream', name: 'stdout', text: 'a\nb\n' },
      { kind: 'stream', name: 'stderr', text: 'warn\n' },
    ]);
    assert.equal(b.cut, 0);
  });

  test('large output keeps its head and tail and says how much was cut', () => {
    const b = new BoundedOutput(10, 10);
    for (let i = 0; i < 1000; i++) b.add('stdout', `${String(i).padStart(3, '0')}\n`);
    const [out] = b.outputs();
    assert.equal(b.cut, 4000 - 20);
    assert.ok(out?.kind === 'stream');
    assert.equal(out.text, `000\n001\n00\n[... 3980 characters of output cut ...]\n7\n998\n999\n`);
  });
});

describe('the runner protocol and the comparison container', () => {
  test('parseRunnerLine accepts only whole marker lines with the token and JSON', () => {
    assert.deepEqual(parseRunnerLine('\x1eberth: .{"t":"start","index":3}'), { t: 'start', index: 3 });
    assert.deepEqual(parseRunnerLine('\x1eberth: .{"t":"hello","python":"3.11.4","packages":{"numpy":{"version":"1.24.2"}}}'), {
      t: 'hello',
      python: '3.11.4',
      packages: { numpy: { version: '1.24.2' } },
    });
    assert.deepEqual(parseRunnerLine('\x1eberth:abc .{"t":"end"}', 'abc'), { t: 'end' });
    assert.equal(parseRunnerLine('\x1eberth:abc .{"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('\x1eberth: .{"t":"end"}', 'abc'), undefined);
    assert.equal(parseRunnerLine('{"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('berth {"t":"end"}'), undefined);
    assert.equal(parseRunnerLine(' \x1eberth: .{"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('\x1eberth {"t":"end"}'), undefined);
    assert.equal(parseRunnerLine('\x1eberth: .{"t":"cell", "outputs": ['), undefined);
    assert.equal(parseRunnerLine('epoch 1/10 - loss 0.52'), undefined);
  });

  test('containerPathOf: the notebook folder under /workspace', () => {
    assert.equal(containerPathOf('/home/ana/proj', '/home/ana/proj'), '/workspace');
    assert.equal(containerPathOf('/home/ana/proj', '/home/ana/proj/notebooks/eda'), '/workspace/notebooks/eda');
    assert.equal(containerPathOf('/home/ana/proj/', '/home/ana/proj/notebooks'), '/workspace/notebooks');
  });

  test('containerPathOf: outside the workspace is a NotebookRunError', () => {
    for (const outside of ['/home/ana/other', '/home/ana', '/home/ana/proj-old/nb'])
      assert.throws(
        () => containerPathOf('/home/ana/proj', outside),
        (err: unknown) =>
          err instanceof NotebookRunError &&
          err.message === `The notebook ${outside} is outside the workspace folder /home/ana/proj, which is what Berth mounts.`,
      );
  });

  test('containerPathOf: a folder whose name starts with two dots is still inside', () => {
    assert.equal(containerPathOf('/home/ana/proj', '/home/ana/proj/..data/nb'), '/workspace/..data/nb');
  });

  test('compareContainerOptions: read-only workspace, the runner as command, no health check, Berth labels', () => {
    const o = compareContainerOptions({ image: 'iris:dev', workspaceDir: '/home/ana/proj', notebookDir: '/home/ana/proj/notebooks' });
    assert.equal(o.Image, 'iris:dev');
    assert.deepEqual(o.Entrypoint, ['python3']);
    assert.deepEqual(o.Cmd, ['-u', '/berth-runner/runner.py', '/berth-runner/plan.json']);
    assert.equal(o.WorkingDir, '/workspace/notebooks');
    assert.deepEqual(o.HostConfig?.Binds, ['/home/ana/proj:/workspace:ro']);
    assert.deepEqual(o.Env, [
      'PYTHONUNBUFFERED=1',
      'PYTHONDONTWRITEBYTECODE=1',
      'MPLBACKEND=Agg',
      'MATPLOTLIBRC=/berth-runner/matplotlibrc',
      'MPLCONFIGDIR=/tmp/berth-matplotlib',
    ]);
    assert.deepEqual(o.Labels, {
      'berth.managed': 'true',
      'berth.project': '/home/ana/proj',
      'berth.compare': '/home/ana/proj/notebooks',
    });
    assert.deepEqual(o.Healthcheck, { Test: ['NONE'] });
    assert.equal(o.Tty, false);
    assert.deepEqual(o.HostConfig?.RestartPolicy, { Name: '' });
    assert.equal(o.HostConfig?.PortBindings, undefined);
    assert.equal(o.ExposedPorts, undefined);
    assert.equal(o.HostConfig?.Memory, undefined);
  });

  test('compareContainerOptions on an engine that cannot see the folders: the volumes where the folders were, same paths inside', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj/notebooks',
      outputDir: '/home/ana/.cache/berth/compare-1',
      volumes: { workspace: 'berth-folder-0123456789abcdef', output: 'berth-output-fedcba9876543210' },
    });
    assert.deepEqual(o.HostConfig?.Binds, ['berth-folder-0123456789abcdef:/workspace:ro', 'berth-output-fedcba9876543210:/output']);
    assert.equal(o.WorkingDir, '/workspace/notebooks');
    assert.ok(o.Env?.includes('OUTPUT_DIR=/output'));
    const noOutput = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      outputDir: '/home/ana/.cache/berth/compare-1',
      volumes: { workspace: 'w' },
    });
    assert.deepEqual(noOutput.HostConfig?.Binds, ['w:/workspace:ro']);
    assert.ok(!noOutput.Env?.some((e) => e.startsWith('OUTPUT_DIR=')));
  });

  test('compareContainerOptions: a writable output folder, named in OUTPUT_DIR', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      outputDir: '/home/ana/.cache/berth/compare-1',
    });
    assert.deepEqual(o.HostConfig?.Binds, ['/home/ana/proj:/workspace:ro', '/home/ana/.cache/berth/compare-1:/output']);
    assert.ok(o.Env?.includes('OUTPUT_DIR=/output'));
    assert.equal(o.WorkingDir, '/workspace');
  });

  const NVIDIA: GpuDetection = {
    available: true,
    summary: 'GPU: 1 × T4',
    found: ['nvidia-runtime'],
    devices: [],
    cdiDevices: [],
    reasons: [],
    requestStyle: 'device-requests',
  };
  function base(volumes = '["./data:/data:ro"]') {
    const { profiles, problems } = parseBerthConfig(
      `profiles:\n  train:\n    image: iris:dev\n    command: ["python", "serve.py"]\n    user: "1000:1000"\n    ports: ["8000"]\n    volumes: ${volumes}\n    env: { SEED: "42" }\n    memory: 2g\n    cpus: 2\n    shmSize: 1g\n    gpus: all\n    healthcheck: /health\n    restart: unless-stopped\n    labels: { team: vision }\n`,
    );
    assert.deepEqual(problems, []);
    return toCreateOptions(profiles[0]!, { image: 'iris:dev', projectDir: '/home/ana/proj', gpu: NVIDIA });
  }

  test("compareContainerOptions: the profile's env, limits, GPU, user and volumes kept; its ports, health check, restart and command dropped", () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj/notebooks',
      base: base(),
      labels: { 'berth.run': 'compare' },
    });
    assert.equal(o.User, '1000:1000');
    assert.equal(o.Env?.[0], 'SEED=42');
    assert.deepEqual(o.Cmd, ['-u', '/berth-runner/runner.py', '/berth-runner/plan.json']);
    assert.deepEqual(o.Entrypoint, ['python3']);
    const host = o.HostConfig!;
    assert.deepEqual(host.Binds, ['/home/ana/proj/data:/data:ro', '/home/ana/proj:/workspace:ro']);
    assert.equal(host.Memory, 2 * 2 ** 30);
    assert.equal(host.MemorySwap, 2 * 2 ** 30);
    assert.equal(host.NanoCpus, 2e9);
    assert.equal(host.ShmSize, 2 ** 30);
    assert.equal(host.DeviceRequests?.[0]?.Driver, 'nvidia');
    assert.equal(host.PortBindings, undefined);
    assert.equal(o.ExposedPorts, undefined);
    assert.deepEqual(host.RestartPolicy, { Name: '' });
    assert.deepEqual(o.Healthcheck, { Test: ['NONE'] });
    assert.equal(o.Labels?.['berth.managed'], 'true');
    assert.equal(o.Labels?.['berth.compare'], '/home/ana/proj/notebooks');
    assert.equal(o.Labels?.team, 'vision');
    assert.equal(o.Labels?.['berth.run'], 'compare');
  });

  test('compareContainerOptions: an explicit memory limit overrides the profile', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      base: base(),
      memoryBytes: 512 * 2 ** 20,
    });
    assert.equal(o.HostConfig?.Memory, 512 * 2 ** 20);
    assert.equal(o.HostConfig?.MemorySwap, 512 * 2 ** 20);
  });

  test('compareContainerOptions: a profile that mounts the project at /workspace itself leaves one read-only mount there', () => {
    const o = compareContainerOptions({
      image: 'iris:dev',
      workspaceDir: '/home/ana/proj',
      notebookDir: '/home/ana/proj',
      base: base('[".:/workspace"]'),
    });
    const atWorkspace = (o.HostConfig?.Binds ?? []).filter((b) => b.split(':')[1] === '/workspace');
    // Docker refuses two mounts at one path ("Duplicate mount point"), and a writable one defeats :ro
    assert.deepEqual(atWorkspace, ['/home/ana/proj:/workspace:ro']);
  });

  test('compareContainerOptions: a notebook outside the workspace is refused', () => {
    assert.throws(
      () => compareContainerOptions({ image: 'iris:dev', workspaceDir: '/home/ana/proj', notebookDir: '/tmp/nb' }),
      NotebookRunError,
    );
  });

  test('runnerArchive: runner.py, its pretty printer, plan.json (every cell, with its original source where IPython syntax was planned away) and matplotlibrc, mode 0644', async () => {
    const tar = await runnerArchive({
      cwd: '/workspace/notebooks',
      modules: ['numpy', 'sklearn', 'torch'],
      timeoutSeconds: 90,
      cells: plans45,
    });
    const entries = await tarEntries(tar);
    assert.deepEqual(
      [...entries.keys()],
      ['berth-runner/', 'berth-runner/runner.py', 'berth-runner/pretty.py', 'berth-runner/plan.json', 'berth-runner/matplotlibrc'],
    );
    assert.equal(entries.get('berth-runner/')?.type, 'directory');
    for (const f of ['runner.py', 'pretty.py', 'plan.json', 'matplotlibrc']) {
      assert.equal(entries.get(`berth-runner/${f}`)?.mode, 0o644, f);
      assert.equal(entries.get(`berth-runner/${f}`)?.type, 'file', f);
    }
    const runner = entries.get('berth-runner/runner.py')!.body;
    assert.equal(runner, runnerSource());
    assert.match(runner, /^"""Berth's notebook runner/);
    assert.equal(entries.get('berth-runner/pretty.py')!.body, prettySource());
    assert.match(prettySource(), /^def pretty\(obj/m);
    assert.deepEqual(JSON.parse(entries.get('berth-runner/plan.json')!.body), {
      cwd: '/workspace/notebooks',
      modules: ['numpy', 'sklearn', 'torch'],
      timeout: 90,
      cells: [
        {
          index: 1,
          ordinal: 1,
          source: 'pass\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression',
          original: '!pip install -q scikit-learn\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression',
        },
        {
          index: 2,
          ordinal: 2,
          source: '\nmodel = LogisticRegression(max_iter=200)\nprint(model)',
          original: '%%time\nmodel = LogisticRegression(max_iter=200)\nprint(model)',
        },
        { index: 3, ordinal: 3, source: 'np.float64(0.25) * 2' },
        { index: 5, ordinal: 4, source: 'import torch' },
        // only IPython's shell runs it; the standard-library runner leaves it out
        { index: 6, ordinal: 5, source: 'pass\n', original: '%%bash\necho "disk usage:"\ndu -sh data', ipythonOnly: true },
      ],
    });
    const rc = entries.get('berth-runner/matplotlibrc')!.body;
    assert.match(rc, /^backend: Agg$/m);
    assert.match(rc, /^figure\.dpi: 72$/m);
    assert.match(rc, /^figure\.figsize: 6\.0, 4\.0$/m);
  });

  test('a runner started ahead of time: its files copied in first; the plan is one line for its stdin', async () => {
    const files = await tarEntries(await runnerFilesArchive());
    assert.deepEqual([...files.keys()], ['berth-runner/', 'berth-runner/runner.py', 'berth-runner/pretty.py', 'berth-runner/matplotlibrc']);
    const line = planLine({ cwd: '/workspace', modules: ['numpy'], timeoutSeconds: 5, cells: plans45 });
    assert.equal(line.indexOf('\n'), line.length - 1, 'exactly one line');
    const plan = JSON.parse(line) as { cwd: string; cells: unknown[]; timeout: number; ipython?: boolean };
    assert.equal(plan.cells.length, 5);
    assert.equal(plan.timeout, 5);
    assert.equal(plan.ipython, undefined, 'IPython when the image has it, unless told otherwise');
    const planned = JSON.parse(planLine({ cwd: '/workspace', modules: [], timeoutSeconds: 5, cells: plans45, ipython: false })) as {
      ipython?: boolean;
    };
    assert.equal(planned.ipython, false);
    assert.deepEqual(waitingCommand(600), ['-u', '/berth-runner/runner.py', '--wait', '600']);
  });
});
