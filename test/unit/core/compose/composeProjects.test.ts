import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import {
  FailureWatch,
  describeFailing,
  failingServices,
  fileProject,
  isComposeFile,
  labelledProjects,
  labelledTarget,
  overrideFileOf,
  projectNameFromDotEnv,
} from '../../../../src/core/compose/composeProjects';

const rec = (id: string, labels: Record<string, string>, more: Partial<ContainerRecord> = {}): ContainerRecord => ({
  id,
  name: `c-${id}`,
  image: 'img',
  imageId: 'sha256:1',
  command: '',
  state: 'running',
  status: 'Up',
  created: 0,
  ports: [],
  labels,
  detailed: true,
  ...more,
});

const compose = (project: string, service: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'com.docker.compose.project': project,
  'com.docker.compose.service': service,
  ...extra,
});

describe('compose projects: files, names, labels', () => {
  test('only the names Compose reads by itself are projects; override files are not', () => {
    for (const f of ['/p/compose.yaml', '/p/compose.yml', '/p/docker-compose.yml', '/p/docker-compose.yaml'])
      assert.ok(isComposeFile(f), f);
    for (const f of ['/p/compose.override.yaml', '/p/docker-compose.override.yml', '/p/prometheus.yml', '/p/my-compose.yaml'])
      assert.ok(!isComposeFile(f), f);
  });

  test('the override file Compose adds: same stem, either extension; none when absent', () => {
    const have = new Set(['/p/docker-compose.override.yml', '/q/compose.override.yaml']);
    assert.equal(
      overrideFileOf('/p/docker-compose.yml', (f) => have.has(f)),
      '/p/docker-compose.override.yml',
    );
    assert.equal(
      overrideFileOf('/q/compose.yaml', (f) => have.has(f)),
      '/q/compose.override.yaml',
    );
    assert.equal(
      overrideFileOf('/p/compose.yaml', (f) => have.has(f)),
      undefined,
    );
  });

  test('COMPOSE_PROJECT_NAME from .env (quotes, export, normalised), else the folder name', () => {
    assert.equal(projectNameFromDotEnv('A=1\nexport COMPOSE_PROJECT_NAME="My Stack"\n'), 'mystack');
    assert.equal(projectNameFromDotEnv("COMPOSE_PROJECT_NAME='iris'"), 'iris');
    assert.equal(projectNameFromDotEnv('# COMPOSE_PROJECT_NAME=x\nOTHER=1'), undefined);
    assert.equal(projectNameFromDotEnv(undefined), undefined);
    const p = fileProject(
      '/work/ML Project/compose.yaml',
      () => undefined,
      () => false,
    );
    assert.equal(p.name, 'mlproject');
    assert.deepEqual(p.target, {
      files: ['/work/ML Project/compose.yaml'],
      projectName: 'mlproject',
      projectDirectory: '/work/ML Project',
    });
    const named = fileProject(
      '/w/a/compose.yaml',
      (f) => (f === path.join('/w/a', '.env') ? 'COMPOSE_PROJECT_NAME=stack1' : undefined),
      (f) => f === '/w/a/compose.override.yaml',
    );
    assert.equal(named.name, 'stack1');
    assert.deepEqual(named.target.files, ['/w/a/compose.yaml', '/w/a/compose.override.yaml']);
  });

  test('projects from labels: files (relative ones joined to the working dir), services once each', () => {
    const wd = 'com.docker.compose.project.working_dir';
    const files = 'com.docker.compose.project.config_files';
    const found = labelledProjects([
      rec('1', compose('iris', 'inference', { [wd]: '/srv/iris', [files]: '/srv/iris/compose.yaml,override.yaml' })),
      rec('2', compose('iris', 'redis', { [wd]: '/srv/iris', [files]: '/srv/iris/compose.yaml,override.yaml' })),
      rec('3', compose('iris', 'redis')),
      rec('4', { 'berth.managed': 'true' }),
    ]);
    assert.deepEqual([...found.keys()], ['iris']);
    const iris = found.get('iris')!;
    assert.deepEqual(iris.configFiles, ['/srv/iris/compose.yaml', '/srv/iris/override.yaml']);
    assert.deepEqual(iris.services, ['inference', 'redis']);
    assert.deepEqual(
      labelledTarget(iris, () => true),
      { files: ['/srv/iris/compose.yaml', '/srv/iris/override.yaml'], projectName: 'iris', projectDirectory: '/srv/iris' },
    );
    // files gone (another machine's paths): no target
    assert.equal(
      labelledTarget(iris, (f) => f.endsWith('compose.yaml')),
      undefined,
    );
  });
});

describe('compose projects: services failing after an Up', () => {
  test('restarts counted from the Up; three make a crash loop; a clean exit is not a failure', () => {
    const records = [
      rec('a', compose('p', 'worker'), { state: 'restarting', restartCount: 5, exitCode: 1 }),
      rec('b', compose('p', 'web'), { restartCount: 4 }),
      rec('c', compose('p', 'once'), { state: 'exited', exitCode: 0 }),
      rec('d', compose('p', 'oom'), { state: 'exited', exitCode: 137, oomKilled: true }),
      rec('e', compose('other', 'worker'), { state: 'restarting', restartCount: 9 }),
    ];
    // web had restarted 3 times before the Up: one more since is not a loop
    const failing = failingServices('p', records, new Map([['b', 3]]));
    assert.deepEqual(
      failing.map((f) => [f.service, f.kind, f.restarts]),
      [
        ['oom', 'exited', 0],
        ['worker', 'crash-loop', 5],
      ],
    );
    assert.equal(describeFailing(failing[1]!), 'worker is crash-looping: restarted 5 times, last exit code 1');
    assert.equal(describeFailing(failing[0]!), 'oom stopped right after starting: killed for exceeding its memory limit (OOM)');
    // two restarts are not yet a loop
    assert.deepEqual(failingServices('p', [rec('a', compose('p', 'worker'), { state: 'running', restartCount: 2 })], new Map()), []);
  });

  test('the watch: a stop told once it lasted, a loop at once with the exit code it died with, each told once', () => {
    const watch = new FailureWatch('p', new Map());
    const died = rec('w', compose('p', 'worker'), { state: 'exited', exitCode: 3, restartCount: 0 });
    assert.deepEqual(watch.observe([died], 1000), [], 'not yet: a restart policy may bring it back');
    const back = rec('w', compose('p', 'worker'), { state: 'running', restartCount: 1 });
    assert.deepEqual(watch.observe([back], 1500), []);
    // restarted three times, seen running: the code comes from what the watch saw before
    const loop = watch.observe([rec('w', compose('p', 'worker'), { state: 'running', restartCount: 3 })], 1600);
    assert.deepEqual(
      loop.map((f) => [f.service, f.kind, f.exitCode]),
      [['worker', 'crash-loop', 3]],
    );
    assert.deepEqual(watch.observe([rec('w', compose('p', 'worker'), { state: 'running', restartCount: 5 })], 1700), [], 'once');
    // a stop that lasts is told after it settled, and once
    const stopped = rec('m', compose('p', 'migrate'), { state: 'exited', exitCode: 2 });
    assert.deepEqual(watch.observe([stopped], 2000), []);
    assert.deepEqual(
      watch.observe([stopped], 4100).map((f) => [f.service, f.kind]),
      [['migrate', 'exited']],
    );
    assert.deepEqual(watch.observe([stopped], 9000), []);
  });
});
