import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { BuildFailedError } from '../../../../src/core/engine/build';
import type { EngineEndpoint } from '../../../../src/core/engine/connection';
import type { EngineVersion } from '../../../../src/core/engine/contract';
import { chooseBuilder, describeBuilder } from '../../../../src/core/build/builder';
import { BuildKitFinder, type CliProbe } from '../../../../src/core/build/dockerCli';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/buildkit');
const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const version = (flavour: 'docker' | 'podman'): EngineVersion => ({
  version: flavour === 'docker' ? '20.10.24' : '4.3.1',
  apiVersion: '1.41',
  os: 'linux',
  arch: 'amd64',
  components: [],
  flavour,
});
const endpoint = { host: 'unix:///var/run/docker.sock', source: 'default', context: 'default', reason: '' } as EngineEndpoint;
const engine = { endpoint, serverVersion: version('docker') };
const podman = { endpoint: { ...endpoint, host: 'unix:///run/podman/podman.sock' }, serverVersion: version('podman') };
const debian: CliProbe = {
  path: '/usr/bin/docker',
  version: { exitCode: 0, stdout: read('version-debian-20.10.json'), stderr: '' },
  buildx: { exitCode: 1, stdout: '', stderr: read('buildx-missing-20.10.txt') },
};
const finder = (): { finder: BuildKitFinder; probed: string[] } => {
  const probed: string[] = [];
  return {
    probed,
    finder: new BuildKitFinder((cli) => {
      probed.push(cli);
      return Promise.resolve({ ...debian, path: cli });
    }),
  };
};

describe('choosing the builder', () => {
  test('auto: BuildKit when a CLI has it, named in the header', async () => {
    const { finder: f } = finder();
    const choice = await chooseBuilder(engine, { setting: 'auto', finder: f, candidates: ['/usr/bin/docker'] });
    assert.equal(choice.kind, 'buildkit');
    assert.equal(describeBuilder(choice), 'BuildKit via /usr/bin/docker 20.10.24 (built-in)');
  });

  test('classic when the setting says so, without running any CLI', async () => {
    const { finder: f, probed } = finder();
    const choice = await chooseBuilder(engine, { setting: 'classic', finder: f, candidates: ['/usr/bin/docker'] });
    assert.equal(describeBuilder(choice), 'classic builder (Engine API): the berth.build.builder setting is "classic"');
    assert.deepEqual(probed, []);
  });

  test('auto with no CLI found: the classic builder, saying why', async () => {
    const { finder: f } = finder();
    const choice = await chooseBuilder(engine, { setting: 'auto', finder: f, candidates: [] });
    assert.equal(describeBuilder(choice), 'classic builder (Engine API): no docker CLI found (none on PATH or in /usr/bin)');
  });

  test('buildkit required and none found: refused with the reason and the way out', async () => {
    const { finder: f } = finder();
    await assert.rejects(
      chooseBuilder(engine, { setting: 'buildkit', finder: f, candidates: [] }),
      (err: unknown) =>
        err instanceof BuildFailedError &&
        err.message ===
          'Build failed: berth.build.builder is "buildkit", and no docker CLI found (none on PATH or in /usr/bin). Set it to "auto" to build with the classic builder.',
    );
  });

  test('the candidates come from the setting and PATH when not given', async () => {
    const { finder: f, probed } = finder();
    await chooseBuilder(engine, { setting: 'auto', finder: f, cliPath: process.execPath, env: { PATH: '' } });
    assert.equal(probed[0], process.execPath);
  });

  test('Podman: its own builder without asking any CLI, saying why; BuildKit required is refused with the way out', async () => {
    const { finder: f, probed } = finder();
    const choice = await chooseBuilder(podman, { setting: 'auto', finder: f, candidates: ['/usr/bin/docker'] });
    assert.equal(
      describeBuilder(choice),
      'classic builder (Engine API): the engine is Podman, which builds with Buildah behind the classic build API (the docker CLI’s BuildKit route fails against it)',
    );
    assert.deepEqual(probed, []);
    await assert.rejects(
      chooseBuilder(podman, { setting: 'buildkit', finder: f, candidates: ['/usr/bin/docker'] }),
      (err: unknown) => err instanceof BuildFailedError && /Set it to "auto" to build with Podman's builder\.$/.test(err.message),
    );
  });
});
