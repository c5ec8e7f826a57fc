import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildArgs,
  configArgs,
  downArgs,
  psArgs,
  pullArgs,
  scaleArgs,
  serviceArgs,
  upArgs,
} from '../../../../src/core/compose/composeArgs';

const v1 = { file: 'docker-compose', baseArgs: [], flavour: 'v1' as const };
const v2 = { file: 'docker', baseArgs: ['compose'], flavour: 'v2' as const };
const target = {
  files: ['compose.yaml', 'gpu.override.yaml'],
  projectName: 'stack',
  envFile: '.env.dev',
  profiles: ['cache', 'monitoring'],
};
const globals = [
  '-f',
  'compose.yaml',
  '-f',
  'gpu.override.yaml',
  '-p',
  'stack',
  '--env-file',
  '.env.dev',
  '--profile',
  'cache',
  '--profile',
  'monitoring',
];

describe('compose argument lists', () => {
  it('config: JSON on v2, YAML (no --format) on v1', () => {
    assert.deepEqual(configArgs(v2, target), {
      file: 'docker',
      args: ['compose', ...globals, 'config', '--format', 'json'],
      verb: 'config',
    });
    assert.deepEqual(configArgs(v1, target), { file: 'docker-compose', args: [...globals, 'config'], verb: 'config' });
  });
  it('up: detached, a subset, --build and --no-deps; global options before the verb in both', () => {
    for (const cli of [v1, v2]) {
      const { args } = upArgs(cli, target, { services: ['inference', 'redis'], build: true, noDeps: true });
      assert.deepEqual(args, [...cli.baseArgs, ...globals, 'up', '-d', '--build', '--no-deps', 'inference', 'redis']);
    }
    assert.deepEqual(upArgs(v1, { files: [] }).args, ['up', '-d']);
  });
  it('down with volumes and a timeout', () => {
    assert.deepEqual(downArgs(v2, { files: [], projectName: 'p' }, { volumes: true, timeoutSeconds: 1 }).args, [
      'compose',
      '-p',
      'p',
      'down',
      '-v',
      '-t',
      '1',
    ]);
    assert.deepEqual(downArgs(v1, { files: [], projectName: 'p' }).args, ['-p', 'p', 'down']);
  });
  it('start/stop/restart one service (no timeout for start)', () => {
    assert.deepEqual(serviceArgs(v1, { files: [] }, 'stop', 'web', 1).args, ['stop', '-t', '1', 'web']);
    assert.deepEqual(serviceArgs(v2, { files: [] }, 'restart', 'web', 2).args, ['compose', 'restart', '-t', '2', 'web']);
    assert.deepEqual(serviceArgs(v2, { files: [] }, 'start', 'web', 2).args, ['compose', 'start', 'web']);
  });
  it('build, pull, ps', () => {
    assert.deepEqual(buildArgs(v1, { files: [] }, ['a']).args, ['build', 'a']);
    assert.deepEqual(pullArgs(v2, { files: [] }, ['a', 'b']).args, ['compose', 'pull', 'a', 'b']);
    assert.deepEqual(psArgs(v1, { files: [], projectName: 'p' }).args, ['-p', 'p', 'ps', '-a', '-q']);
  });
  it('scale through up --scale --no-recreate, a whole number only', () => {
    assert.deepEqual(scaleArgs(v1, { files: [] }, 'worker', 2).args, ['up', '-d', '--scale', 'worker=2', '--no-recreate', 'worker']);
    assert.deepEqual(scaleArgs(v2, { files: [] }, 'worker', 0).args, [
      'compose',
      'up',
      '-d',
      '--scale',
      'worker=0',
      '--no-recreate',
      'worker',
    ]);
    assert.throws(() => scaleArgs(v1, { files: [] }, 'worker', 1.5), RangeError);
    assert.throws(() => scaleArgs(v1, { files: [] }, 'worker', -1), RangeError);
  });
});
