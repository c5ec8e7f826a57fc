/**
 * Podman's Docker-compatible API as Berth reads it, on JSON captured from Podman 4.3.1's
 * `podman system service` (test/fixtures/engine/*podman*): the version that tells it apart, its
 * event and state names mapped to Docker's, its sockets, and the GPU requests it cannot honour.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { applyEvent, ContainerStore, recordFromDetails, recordFromSummary } from '../../../../src/core/engine/containerStore';
import type { ContainerDetails, ContainerSummary } from '../../../../src/core/engine/engine';
import { parseEvent } from '../../../../src/core/engine/events';
import { detectGpu, type GpuProbe } from '../../../../src/core/engine/gpu';
import {
  asksDockerGpu,
  cdiDevicesAsked,
  dockerEventVerb,
  dockerState,
  flavourOf,
  isCdiName,
  isPodman,
  podmanCdiRefusal,
  podmanSockets,
  PODMAN_ROOTFUL_SOCKET,
} from '../../../../src/core/engine/podman';
import { versionFromRaw, type RawEngineVersion } from '../../../../src/core/engine/records';
import { scriptedEngine, until } from './scriptedEngine';

const FIXTURES = path.join(__dirname, '../../../fixtures/engine');
const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
const podmanEvents = fs
  .readFileSync(path.join(FIXTURES, 'events-podman.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

describe('telling Podman from Docker by its version', () => {
  test('Podman 4.3: "Podman Engine" among the components; the normaliser says podman', () => {
    const raw = fixture<RawEngineVersion>('version-podman.json');
    assert.equal(isPodman(raw), true);
    const version = versionFromRaw(raw);
    assert.equal(version.flavour, 'podman');
    assert.equal(isPodman(version), true);
    // what Podman claims: Docker's API version, its own product version
    assert.equal(version.apiVersion, '1.41');
    assert.equal(version.version, '4.3.1');
  });

  test('Docker Engine 20.10 (and an engine with no components): docker', () => {
    const docker = fixture<RawEngineVersion>('version.json');
    assert.equal(isPodman(docker), false);
    assert.equal(versionFromRaw(docker).flavour, 'docker');
    assert.equal(flavourOf({}), 'docker');
  });
});

describe('the Podman socket candidates', () => {
  const all = (): boolean => true;
  test('root: rootful first, then rootless under XDG_RUNTIME_DIR', () => {
    const found = podmanSockets({ env: { XDG_RUNTIME_DIR: '/run/user/0' }, uid: 0, exists: all });
    assert.deepEqual(
      found.map((s) => [s.mode, s.host]),
      [
        ['rootful', `unix://${PODMAN_ROOTFUL_SOCKET}`],
        ['rootless', 'unix:///run/user/0/podman/podman.sock'],
      ],
    );
  });

  test('a user: rootless first; /run/user/<uid> without XDG_RUNTIME_DIR', () => {
    assert.deepEqual(
      podmanSockets({ env: { XDG_RUNTIME_DIR: '/tmp/xdg/' }, uid: 1000, exists: all }).map((s) => s.path),
      ['/tmp/xdg/podman/podman.sock', PODMAN_ROOTFUL_SOCKET],
    );
    assert.deepEqual(
      podmanSockets({ env: {}, uid: 1000, exists: all }).map((s) => s.path),
      ['/run/user/1000/podman/podman.sock', PODMAN_ROOTFUL_SOCKET],
    );
  });

  test('only the sockets that exist; none on Windows without XDG_RUNTIME_DIR but the rootful path', () => {
    const exists = (p: string): boolean => p === '/run/user/1000/podman/podman.sock';
    assert.deepEqual(
      podmanSockets({ env: {}, uid: 1000, exists }).map((s) => s.mode),
      ['rootless'],
    );
    assert.deepEqual(podmanSockets({ env: {}, uid: 1000, exists: () => false }), []);
    assert.deepEqual(
      podmanSockets({ env: {}, uid: undefined, exists: all }).map((s) => s.path),
      [PODMAN_ROOTFUL_SOCKET],
    );
  });
});

describe("Podman's events and states in Docker's words", () => {
  test('a captured lifecycle: remove is destroy, exec/exec_died are exec_start/exec_die; the action is kept', () => {
    const events = podmanEvents.map(parseEvent);
    assert.deepEqual(
      events.map((e) => e.action),
      ['create', 'init', 'start', 'exec', 'exec_died', 'die', 'cleanup', 'cleanup', 'remove'],
    );
    assert.deepEqual(
      events.map((e) => e.verb),
      ['create', 'init', 'start', 'exec_start', 'exec_die', 'die', 'cleanup', 'cleanup', 'destroy'],
    );
    assert.equal(events[5]?.attributes.exitCode, '137');
    // Docker's own names pass through, and only container events are mapped
    assert.equal(dockerEventVerb('container', 'destroy'), 'destroy');
    assert.equal(dockerEventVerb('image', 'remove'), 'remove');
  });

  test("Podman's extra event attributes are not taken for labels", () => {
    const create = parseEvent(podmanEvents[0] ?? '');
    assert.equal(create.attributes.podId, '');
    const record = applyEvent(undefined, create);
    assert.ok(record);
    assert.deepEqual(record.labels, { 'berth.test': 'fixture-podman', 'org.berth.base': '1' });
  });

  test('states: configured/initialized → created, stopped → exited, stopping → running', () => {
    assert.equal(dockerState('configured'), 'created');
    assert.equal(dockerState('initialized'), 'created');
    assert.equal(dockerState('stopped'), 'exited');
    assert.equal(dockerState('stopping'), 'running');
    assert.equal(dockerState('paused'), 'paused');
  });

  test('a container being stopped (captured inspect and list): running, "Stopping", no exit code yet', () => {
    const details = recordFromDetails(fixture<ContainerDetails>('container-inspect-podman-stopping.json'));
    assert.equal(details.state, 'running');
    assert.equal(details.status, 'Stopping');
    assert.equal(details.exitCode, undefined);
    const [summary] = fixture<ContainerSummary[]>('containers-podman-stopping.json').map(recordFromSummary);
    assert.equal(summary?.state, 'running');
    assert.equal(summary?.status, 'Stopping');
  });

  test('the model: init and cleanup ask nothing; remove drops the record at once, without an inspect', async () => {
    const { engine, send, inspects } = scriptedEngine();
    const store = new ContainerStore(engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
    const removed: string[] = [];
    store.onChange((changes) => {
      for (const c of changes) if (c.kind === 'removed') removed.push(c.id);
    });
    await store.start();
    try {
      send(['create', 'init', 'start'], 'p1', { podId: '', containerExitCode: '0' });
      await until('the start inspect', () => inspects.length === 1);
      inspects[0]?.answer('running');
      await until('running', () => store.get('p1')?.state === 'running');
      send(['die', 'cleanup', 'cleanup'], 'p1', { exitCode: '0', podId: '' });
      await until('the die inspect', () => inspects.length === 2);
      inspects[1]?.answer('exited');
      await until('exited', () => store.get('p1')?.state === 'exited');
      send('remove', 'p1');
      await until('removed', () => removed.includes('p1'));
      assert.equal(store.get('p1'), undefined);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(inspects.length, 2, 'no inspect for init, cleanup or remove');
    } finally {
      store.stop();
    }
  });
});

test("Podman's health event names no status: the model inspects for it (Docker's says it: no inspect)", async () => {
  const line = fs.readFileSync(path.join(FIXTURES, 'events-podman-health.jsonl'), 'utf8').trim();
  const health = parseEvent(line);
  assert.equal(health.verb, 'health_status');
  assert.equal(health.detail, undefined);
  const { engine, send, inspects } = scriptedEngine();
  const store = new ContainerStore(engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
  await store.start();
  try {
    send(['create', 'start'], 'h1');
    await until('the start inspect', () => inspects.length === 1);
    inspects[0]?.answer('running');
    await until('running', () => store.get('h1')?.state === 'running');
    send('health_status', 'h1');
    await until('an inspect for the health event', () => inspects.length === 2);
    inspects[1]?.answer('running');
    send('health_status: healthy', 'h1');
    await until('healthy from the event', () => store.get('h1')?.health === 'healthy');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(inspects.length, 2, "Docker's health event alone is enough");
  } finally {
    store.stop();
  }
});

describe('GPU requests on Podman', () => {
  test('what asks for a GPU the Docker way, and what names CDI devices', () => {
    assert.equal(asksDockerGpu({ HostConfig: { DeviceRequests: [{ Driver: '', Capabilities: [['gpu']] }] } }), true);
    assert.equal(asksDockerGpu({ HostConfig: { DeviceRequests: [{ Driver: 'nvidia' }] } }), true);
    assert.equal(asksDockerGpu({ HostConfig: { DeviceRequests: [{ Driver: 'other', Capabilities: [['tpu']] }] } }), false);
    assert.equal(asksDockerGpu({}), false);
    assert.deepEqual(
      cdiDevicesAsked({ HostConfig: { Devices: [{ PathOnHost: 'nvidia.com/gpu=all' }, { PathOnHost: '/dev/fuse' }, null] } }),
      ['nvidia.com/gpu=all'],
    );
    assert.equal(isCdiName('nvidia.com/gpu=0'), true);
    assert.equal(isCdiName('/dev/dri/card0'), false);
  });

  test("Podman 4.3's compat refusal of a CDI name becomes the GPU message; other failures do not", () => {
    const said = 'container create: stat nvidia.com/gpu=all: no such file or directory';
    assert.match(
      podmanCdiRefusal(said, ['nvidia.com/gpu=all']) ?? '',
      /GPU device nvidia\.com\/gpu=all.*nvidia-ctk cdi generate.*Run on CPU/,
    );
    assert.match(
      podmanCdiRefusal('setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=all', ['nvidia.com/gpu=all']) ?? '',
      /CDI/,
    );
    assert.equal(podmanCdiRefusal('image not known', ['nvidia.com/gpu=all']), undefined);
    assert.equal(podmanCdiRefusal(said, []), undefined);
  });

  const probe = (files: Record<string, string>, runtimes: string[]): GpuProbe => ({
    info: { runtimes, cdiSpecDirs: [] },
    local: true,
    flavour: 'podman',
    listDir: (dir) => {
      const names = Object.keys(files)
        .filter((f) => f.startsWith(`${dir}/`))
        .map((f) => f.slice(dir.length + 1));
      return names.length > 0 ? names : undefined;
    },
    readFile: (f) => files[f],
    nvidiaSmi: () => Promise.resolve('0, Tesla T4, 15360, 535.0\n'),
  });

  test('detection: an nvidia runtime counts for nothing on Podman; CDI specs do', async () => {
    const noCdi = await detectGpu(probe({}, ['crun', 'nvidia', 'runc']));
    assert.equal(noCdi.available, false);
    assert.equal(noCdi.requestStyle, 'none');
    assert.ok(!noCdi.found.includes('nvidia-runtime'));
    assert.match(noCdi.reasons.join('\n'), /Podman, which ignores Docker's GPU request.*--device nvidia\.com\/gpu=all/);
    const cdi = await detectGpu(
      probe({ '/etc/cdi/nvidia.yaml': 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n  - name: all\n    containerEdits: {}\n' }, [
        'runc',
      ]),
    );
    assert.equal(cdi.available, true);
    assert.equal(cdi.requestStyle, 'cdi');
    assert.deepEqual(cdi.cdiDevices, ['nvidia.com/gpu=all']);
  });
});
