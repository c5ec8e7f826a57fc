import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  containerPath,
  debugProfile,
  debugpyCommand,
  endedBeforeAttach,
  lacksDebugpy,
  pathMappings,
  publishedDebugPort,
} from '../../../../src/core/project/debugRun';
import { planFor } from '../../../../src/core/project/projectRun';
import { parseBerthConfig, type RunProfile } from '../../../../src/core/project/runProfile';

const SAMPLE = path.resolve(import.meta.dirname, '../../../../examples/iris-classifier');

function sampleProfile(): RunProfile {
  const { profiles, problems } = parseBerthConfig(fs.readFileSync(path.join(SAMPLE, 'berth.yaml'), 'utf8'));
  assert.deepEqual(problems, []);
  const [serve] = profiles;
  assert.ok(serve);
  return serve;
}

describe('Debug in Container: the run plan', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-debug-run-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("the sample's serve.py under debugpy: command, /workspace, its port and debugpy's on any free port of 127.0.0.1", () => {
    const profile = debugProfile(sampleProfile(), SAMPLE, { program: path.join(SAMPLE, 'serve.py') });
    assert.equal(profile.name, 'serve-debug');
    assert.deepEqual(profile.command, ['python3', '-m', 'debugpy', '--listen', '0.0.0.0:5678', '--wait-for-client', '/workspace/serve.py']);
    assert.equal(profile.workdir, '/workspace');
    assert.deepEqual(profile.ports, [
      { containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 },
      { containerPort: 5678, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 },
    ]);
    assert.deepEqual(profile.healthcheck, { kind: 'none' });
    assert.deepEqual(profile.restart, { name: 'no' });

    const plan = planFor(profile, {
      image: 'iris:dev',
      projectDir: SAMPLE,
      name: 'berth-serve-debug-iris',
      gpu: undefined,
      forceCpu: false,
    });
    const o = plan.options;
    assert.deepEqual(o.Cmd, profile.command);
    assert.equal(o.WorkingDir, '/workspace');
    assert.deepEqual(o.HostConfig?.PortBindings, {
      '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '5678/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    assert.deepEqual(o.ExposedPorts, { '8000/tcp': {}, '5678/tcp': {} });
    assert.ok(o.HostConfig?.Binds?.includes(`${SAMPLE}:/workspace:ro`), String(o.HostConfig?.Binds));
    assert.ok(o.HostConfig?.Binds?.includes(`${path.join(SAMPLE, 'data')}:/input:ro`));
    assert.deepEqual(o.Healthcheck, { Test: ['NONE'] });
    assert.equal(o.Labels?.['berth.profile'], 'serve-debug');
    assert.equal(o.Labels?.['berth.project'], SAMPLE);
  });

  test('a host port asked for is used; a profile port on 5678 makes way for debugpy', () => {
    const base: RunProfile = {
      ...sampleProfile(),
      ports: [{ containerPort: 5678, protocol: 'tcp', hostIp: '127.0.0.1' }],
    };
    const profile = debugProfile(base, SAMPLE, { program: path.join(SAMPLE, 'serve.py'), hostPort: 5679 });
    assert.deepEqual(profile.ports, [{ containerPort: 5678, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 5679 }]);
    const plan = planFor(profile, { image: 'x', projectDir: SAMPLE, gpu: undefined, forceCpu: false });
    assert.deepEqual(plan.options.HostConfig?.PortBindings, { '5678/tcp': [{ HostIp: '127.0.0.1', HostPort: '5679' }] });
  });

  test('a file in a subfolder runs from its place under /workspace; one outside the project or not Python is refused', () => {
    fs.mkdirSync(path.join(tmp, 'src', 'pkg'), { recursive: true });
    assert.equal(containerPath(tmp, path.join(tmp, 'src', 'pkg', 'train.py')), '/workspace/src/pkg/train.py');
    assert.deepEqual(
      debugProfile(sampleProfile(), tmp, { program: path.join(tmp, 'src', 'pkg', 'train.py') }).command?.at(-1),
      '/workspace/src/pkg/train.py',
    );
    assert.throws(() => containerPath(tmp, path.join(os.tmpdir(), 'elsewhere.py')), /is not inside the project/);
    assert.throws(
      () => debugProfile(sampleProfile(), tmp, { program: path.join(tmp, 'notes.txt') }),
      /runs a Python file; notes.txt is not one/,
    );
  });

  test('debugpy listens on the port given; the project maps to /workspace', () => {
    assert.deepEqual(debugpyCommand('/workspace/a.py', 6000).slice(3, 5), ['--listen', '0.0.0.0:6000']);
    assert.deepEqual(pathMappings('/home/me/iris'), [{ localRoot: '/home/me/iris', remoteRoot: '/workspace' }]);
  });
});

describe('Debug in Container: the published port and why a run ended', () => {
  test('the IPv4 loopback binding of 5678 is chosen; a wildcard address is reached on 127.0.0.1; none published: undefined', () => {
    assert.deepEqual(
      publishedDebugPort([
        { containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32001 },
        { containerPort: 5678, protocol: 'tcp', hostIp: '::1', hostPort: 32003 },
        { containerPort: 5678, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32002 },
      ]),
      { host: '127.0.0.1', port: 32002 },
    );
    assert.deepEqual(publishedDebugPort([{ containerPort: 5678, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 40000 }]), {
      host: '127.0.0.1',
      port: 40000,
    });
    assert.equal(publishedDebugPort([{ containerPort: 5678, protocol: 'tcp' }]), undefined);
    assert.equal(publishedDebugPort([{ containerPort: 5678, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5678 }]), undefined);
  });

  test('no debugpy in the image says how to add it; any other end gives the exit code and the last line', () => {
    // what python3 prints for `python3 -m debugpy` without the module
    const missing = '/usr/bin/python3: No module named debugpy';
    assert.ok(lacksDebugpy(missing));
    assert.equal(
      endedBeforeAttach('iris:dev', 1, missing),
      'The image iris:dev has no debugpy: add it to the image (Debian: apt-get install python3-debugpy; pip: pip install debugpy) and run Debug in Container again.',
    );
    assert.ok(!lacksDebugpy('No module named debugpy_extra'));
    assert.equal(
      endedBeforeAttach('iris:dev', 2, 'Traceback (most recent call last):\n  ...\nValueError: bad\n\n'),
      'The program ended (exit code 2) before the debugger attached: ValueError: bad. The log has its output.',
    );
    assert.match(endedBeforeAttach('busybox', 127, 'exec: "python3": executable file not found in $PATH'), /has no python3/);
  });
});
