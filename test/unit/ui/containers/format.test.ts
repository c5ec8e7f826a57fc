import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import { formatBytes } from '../../../../src/core/project/units';
import {
  containerContext,
  containerTooltip,
  describeContainer,
  formatDuration,
  groupLabel,
  groupOf,
  matchesFilter,
  stateText,
  toneOf,
} from '../../../../src/ui/containers/format';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const base: ContainerRecord = {
  id: 'a1b2c3d4e5f6a7b8',
  name: 'iris-serve',
  image: 'iris-classifier:latest',
  imageId: 'sha256:1',
  command: 'python3 serve.py',
  state: 'running',
  status: 'Up 5 minutes (healthy)',
  health: 'healthy',
  created: NOW / 1000 - 600,
  startedAt: '2026-11-25T11:55:00Z',
  ports: [
    { containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18000 },
    { containerPort: 8000, protocol: 'tcp', hostIp: '::1', hostPort: 18000 },
  ],
  labels: { 'berth.managed': 'true' },
  gpu: { count: -1, deviceIds: [], capabilities: ['gpu'], driver: '' },
  detailed: true,
};

describe('tree formatting', () => {
  test('a healthy GPU run: state, uptime, port once, GPU, image', () => {
    assert.equal(describeContainer(base, NOW), 'healthy · up 5m · 127.0.0.1:18000→8000 · GPU all · iris-classifier:latest');
    assert.equal(toneOf(base), 'ok');
    assert.equal(containerContext(base), 'container.running.ports');
    // a Compose service's container gets the service menus
    const service = { ...base, labels: { 'com.docker.compose.project': 'iris', 'com.docker.compose.service': 'inference' } };
    assert.equal(containerContext(service), 'container.running.ports.compose');
    assert.deepEqual(groupOf(base), { kind: 'berth' });
    assert.equal(groupLabel(groupOf(base)), 'Berth runs');
  });

  test('OOM-killed is called out; exit codes shown; tone is error', () => {
    const { health: _health, ...rest } = base;
    const oom: ContainerRecord = {
      ...rest,
      state: 'exited',
      exitCode: 137,
      oomKilled: true,
      finishedAt: '2026-11-25T11:59:30Z',
      ports: [],
    };
    assert.equal(stateText(oom), 'OOM-killed');
    assert.match(describeContainer(oom, NOW), /^OOM-killed · 30s ago/);
    assert.equal(toneOf(oom), 'error');
    assert.equal(containerContext(oom), 'container.stopped');
    assert.match(containerTooltip(oom, NOW), /killed for exceeding its memory limit \(OOM\)/);
    assert.equal(stateText({ ...oom, oomKilled: false, exitCode: 0 }), 'exited 0');
    assert.equal(toneOf({ ...oom, oomKilled: false, exitCode: 0 }), 'idle');
  });

  test('compose containers group by project; tooltips escape what containers control', () => {
    const c: ContainerRecord = {
      ...base,
      name: 'x*y_[z]',
      labels: { 'com.docker.compose.project': 'stack', 'com.docker.compose.service': 'api' },
    };
    assert.deepEqual(groupOf(c), { kind: 'compose', project: 'stack' });
    const tip = containerTooltip(c, NOW);
    assert.ok(tip.startsWith('**x\\*y\\_\\[z\\]**'));
    assert.match(tip, /Compose: stack \/ api/);
  });

  test('quick filter: all words must match name, image, state, id or label', () => {
    assert.ok(matchesFilter(base, 'iris healthy'));
    assert.ok(matchesFilter(base, 'berth.managed=true'));
    assert.ok(matchesFilter(base, 'A1B2C3'));
    assert.ok(!matchesFilter(base, 'iris exited'));
  });

  test('durations and sizes', () => {
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(3 * 3600_000 + 5 * 60_000), '3h 5m');
    assert.equal(formatDuration(50 * 3600_000), '2d 2h');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(169 * 2 ** 20), '169 MiB');
    assert.equal(formatBytes(1.5 * 2 ** 30), '1.5 GiB');
  });
});
