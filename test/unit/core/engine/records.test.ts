/**
 * The engine's JSON → Berth's records, on JSON captured from Docker Engine 20.10 (API 1.41):
 * test/fixtures/engine/*.json. Odd cases come from the same engine: a dangling image (`<none>:<none>`,
 * `<none>@<none>`), an imported image with `Labels: null`, an anonymous volume with `Labels: null`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { recordFromSummary, type ContainerRecord } from '../../../../src/core/engine/containerStore';
import {
  imageFromDetails,
  imageFromSummary,
  imageTags,
  infoFromRaw,
  networkFromRaw,
  versionFromRaw,
  volumeFromRaw,
  type RawEngineInfo,
  type RawEngineVersion,
  type RawImageDetails,
  type RawImageSummary,
  type RawNetwork,
  type RawVolume,
} from '../../../../src/core/engine/records';
import type { ContainerSummary } from '../../../../src/core/engine/engine';

const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(__dirname, '../../../fixtures/engine', name), 'utf8')) as T;

const images = fixture<RawImageSummary[]>('images.json');
const byId = (prefix: string): RawImageSummary => {
  const found = images.find((i) => i.Id.startsWith(`sha256:${prefix}`));
  assert.ok(found, `fixture image ${prefix}`);
  return found;
};

test('a tagged image: its tags, size, creation time and labels', () => {
  const image = imageFromSummary(byId('2ced7aad'));
  assert.deepEqual(image, {
    id: 'sha256:2ced7aadbb99c0f534f70cb55bee526af379bc81d33ec33f3b628193d9921d10',
    tags: ['berth-busybox:latest', 'berth-fixture-fixture-9664:v1'],
    digests: [],
    size: 1984241,
    created: 1796149662,
    labels: { 'org.berth.base': '1' },
    dangling: false,
  });
});

test('a dangling image: <none>:<none> and <none>@<none> are no tag and no digest; its parent is kept', () => {
  const image = imageFromSummary(byId('d8d01cbb'));
  assert.deepEqual(image.tags, []);
  assert.deepEqual(image.digests, []);
  assert.equal(image.dangling, true);
  assert.equal(image.parentId, 'sha256:2ced7aadbb99c0f534f70cb55bee526af379bc81d33ec33f3b628193d9921d10');
  assert.equal(image.size, 1984241);
});

test('an image without labels (the engine sends Labels: null, RepoDigests: null): empty labels, no digests', () => {
  const raw = byId('3a494d99');
  assert.equal(raw.Labels, null, 'the fixture is the odd case');
  const image = imageFromSummary(raw);
  assert.deepEqual(image.labels, {});
  assert.deepEqual(image.digests, []);
  assert.deepEqual(image.tags, ['berth-fixture-nolabels-fixture-9664:latest']);
  assert.equal(image.size, 0);
  assert.equal('parentId' in image, false, 'ParentId "" is no parent');
});

test('every listed image becomes a record with a sha256 id and a number size', () => {
  const records = images.map(imageFromSummary);
  assert.equal(records.length, images.length);
  for (const r of records) {
    assert.match(r.id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(typeof r.size, 'number');
    assert.equal(r.dangling, r.tags.length === 0);
    assert.ok(!r.tags.includes('<none>:<none>'));
  }
  assert.deepEqual(imageTags(['<none>:<none>', 'a:1']), ['a:1']);
  assert.deepEqual(imageTags(null), []);
});

test('an image inspect: the RFC 3339 creation time in seconds, labels and user from its config', () => {
  const image = imageFromDetails(fixture<RawImageDetails>('image-inspect.json'));
  assert.equal(image.id, 'sha256:2ced7aadbb99c0f534f70cb55bee526af379bc81d33ec33f3b628193d9921d10');
  assert.deepEqual(image.tags, ['berth-busybox:latest', 'berth-fixture-fixture-9664:v1']);
  assert.equal(image.created, Math.floor(Date.parse('2026-12-01T18:27:42.291905972Z') / 1000));
  assert.deepEqual(image.labels, { 'org.berth.base': '1' });
  assert.equal(image.user, '');
  assert.equal(image.size, 1984241);
});

test('an image inspect with Config.Labels null: empty labels', () => {
  const raw = fixture<RawImageDetails>('image-inspect-nolabels.json');
  assert.equal(raw.Config?.Labels, null);
  const image = imageFromDetails(raw);
  assert.deepEqual(image.labels, {});
  assert.equal(image.dangling, false);
  assert.equal(image.created, Math.floor(Date.parse('2026-12-01T21:02:16.011967012Z') / 1000));
});

test('volumes: a labelled one, and an anonymous one with Labels: null', () => {
  const [labelled, anonymous] = fixture<{ Volumes: RawVolume[] }>('volumes.json').Volumes.map(volumeFromRaw);
  assert.deepEqual(labelled, {
    name: 'berth-fixture-vol-fixture-9664',
    driver: 'local',
    mountpoint: '/var/lib/docker/volumes/berth-fixture-vol-fixture-9664/_data',
    scope: 'local',
    labels: { 'berth.test': 'fixture-9664', purpose: 'models' },
    createdAt: '2026-12-01T21:02:15Z',
  });
  assert.ok(anonymous);
  assert.deepEqual(anonymous.labels, {});
  assert.match(anonymous.name, /^[0-9a-f]{64}$/);
});

test('a volume size: kept when the engine computed it, dropped when it says -1', () => {
  const base: RawVolume = { Name: 'v', Driver: 'local', Mountpoint: '/m', Labels: null };
  assert.equal(volumeFromRaw({ ...base, UsageData: { Size: 4096, RefCount: 1 } }).size, 4096);
  assert.equal('size' in volumeFromRaw({ ...base, UsageData: { Size: -1, RefCount: -1 } }), false);
  assert.equal('size' in volumeFromRaw({ ...base, UsageData: null }), false);
});

test('networks: the built-in ones and a labelled one', () => {
  const networks = fixture<RawNetwork[]>('networks.json').map(networkFromRaw);
  assert.deepEqual(
    networks.map((n) => `${n.name} ${n.driver}`),
    ['host host', 'none null', 'bridge bridge', 'berth-fixture-net-fixture-9664 bridge'],
  );
  const mine = networks.find((n) => n.name.startsWith('berth-fixture-net'));
  assert.deepEqual(mine?.labels, { 'berth.test': 'fixture-9664' });
  assert.equal(mine?.internal, false);
  assert.match(mine?.id ?? '', /^[0-9a-f]{64}$/);
});

test('a listed container: name without the slash, image, ports, labels and its mounts (named and anonymous volumes)', () => {
  const [raw] = fixture<ContainerSummary[]>('containers.json');
  assert.ok(raw);
  const record: ContainerRecord = recordFromSummary(raw);
  assert.equal(record.name, 'berth-fixture-fixture-9664');
  assert.equal(record.image, 'berth-fixture-fixture-9664:v1');
  assert.equal(record.imageId, 'sha256:2ced7aadbb99c0f534f70cb55bee526af379bc81d33ec33f3b628193d9921d10');
  assert.equal(record.state, 'running');
  assert.deepEqual(record.ports, [{ containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 32768 }]);
  assert.deepEqual(record.labels, { 'berth.test': 'fixture-9664', 'org.berth.base': '1' });
  assert.deepEqual(record.mounts, [
    {
      type: 'volume',
      name: 'berth-fixture-vol-fixture-9664',
      source: '/var/lib/docker/volumes/berth-fixture-vol-fixture-9664/_data',
      destination: '/models',
      readOnly: false,
    },
    {
      type: 'volume',
      name: '2c0b14c80866175fcab715b187b57402989aad69e3ce3fdcd39f8da6c726ee58',
      source: '',
      destination: '/scratch',
      readOnly: false,
    },
  ]);
});

test('the engine version: Docker and API versions, platform, components', () => {
  const version = versionFromRaw(fixture<RawEngineVersion>('version.json'));
  assert.deepEqual(version, {
    version: '20.10.24+dfsg1',
    apiVersion: '1.41',
    minApiVersion: '1.12',
    os: 'linux',
    arch: 'amd64',
    kernelVersion: '6.18.44-fc-v1045',
    components: [
      { name: 'Engine', version: '20.10.24+dfsg1' },
      { name: 'containerd', version: '1.6.20~ds1' },
      { name: 'runc', version: '1.1.5+ds1' },
      { name: 'docker-init', version: '0.19.0' },
    ],
    flavour: 'docker',
  });
  // an engine that leaves out what is optional: no undefined fields, no components
  const bare = versionFromRaw({ Version: '27.0.1', ApiVersion: '1.46', Os: 'linux', Arch: 'arm64' });
  assert.deepEqual(bare, { version: '27.0.1', apiVersion: '1.46', os: 'linux', arch: 'arm64', components: [], flavour: 'docker' });
});

test('the engine info: the figures shown, runtimes by name, Warnings: null as none', () => {
  const raw = fixture<RawEngineInfo>('info.json');
  assert.equal(raw.Warnings, null, 'the fixture is the odd case');
  const info = infoFromRaw(raw);
  assert.equal(info.operatingSystem, 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(info.cpus, 2);
  assert.equal(info.memoryBytes, 25275990016);
  assert.equal(info.storageDriver, 'overlay2');
  assert.equal(info.cgroupVersion, '1');
  assert.equal(info.cgroupDriver, 'cgroupfs');
  assert.equal(info.defaultRuntime, 'runc');
  assert.deepEqual(info.runtimes, ['io.containerd.runc.v2', 'io.containerd.runtime.v1.linux', 'runc']);
  assert.deepEqual(info.cdiSpecDirs, []);
  assert.deepEqual(info.warnings, []);
  assert.deepEqual(info.securityOptions, ['name=seccomp,profile=default']);
  assert.equal(info.containers, 1);
  assert.equal(info.containersRunning, 1);
  assert.equal(info.images, 4);
  assert.equal(info.systemTime, '2026-12-01T21:02:16.325009392Z');
  assert.equal(info.serverVersion, '20.10.24+dfsg1');
  assert.deepEqual(infoFromRaw({}), { runtimes: [], cdiSpecDirs: [], securityOptions: [], warnings: [] });
});
