import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { EngineEndpoint } from '../../../../src/core/engine/connection';
import {
  BuildKitFinder,
  buildxVersion,
  candidates,
  chooseCli,
  cliEnv,
  describeCli,
  majorMinor,
  type CliProbe,
} from '../../../../src/core/build/dockerCli';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/buildkit');
const read = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const ok = (stdout: string): { exitCode: number; stdout: string; stderr: string } => ({ exitCode: 0, stdout, stderr: '' });
const failed = (stderr: string, stdout = ''): { exitCode: number; stdout: string; stderr: string } => ({ exitCode: 1, stdout, stderr });

/** The two CLIs of these machines, as they answered (recorded in test/fixtures/buildkit). */
const docker28: CliProbe = {
  path: '/usr/local/bin/docker',
  version: ok(read('version-docker-28.json')),
  buildx: failed(read('buildx-missing-28.txt')),
};
const debian2010: CliProbe = {
  path: '/usr/bin/docker',
  version: ok(read('version-debian-20.10.json')),
  buildx: failed(read('buildx-missing-20.10.txt')),
};

describe('finding a docker CLI that builds with BuildKit', () => {
  test('this machine: docker 28 without buildx is passed over for Debian’s 20.10 with built-in BuildKit, and says why', () => {
    const decision = chooseCli([docker28, debian2010]);
    assert.deepEqual(decision.cli, {
      path: '/usr/bin/docker',
      version: '20.10.24+dfsg1',
      mode: 'built-in',
      engineVersion: '20.10.24+dfsg1',
    });
    assert.equal(decision.rejected.length, 1);
    assert.equal(decision.rejected[0]?.path, '/usr/local/bin/docker');
    assert.match(decision.rejected[0]?.why ?? '', /^docker 28\.2\.2 has no buildx plugin, and from 23\.0 on/);
    assert.match(
      decision.why,
      /^BuildKit via \/usr\/bin\/docker 20\.10\.24 \(built-in\) \(not \/usr\/local\/bin\/docker: docker 28\.2\.2 has no buildx/,
    );
  });

  test('buildx wins over built-in BuildKit, whatever the order', () => {
    const withBuildx: CliProbe = { ...docker28, buildx: ok(read('buildx-0.12.1.txt')) };
    const decision = chooseCli([debian2010, withBuildx]);
    assert.deepEqual(decision.cli, {
      path: '/usr/local/bin/docker',
      version: '28.2.2',
      mode: 'buildx',
      buildxVersion: '0.12.1',
      engineVersion: '20.10.24+dfsg1',
    });
    assert.equal(describeCli(decision.cli), 'BuildKit via /usr/local/bin/docker 28.2.2 (buildx 0.12.1)');
    assert.deepEqual(decision.rejected, []);
  });

  test('a CLI that cannot reach the engine is rejected with the CLI’s own words', () => {
    const unreachable: CliProbe = {
      path: '/usr/bin/docker',
      version: failed(read('version-unreachable-20.10.stderr.txt'), read('version-unreachable-20.10.json')),
      buildx: failed(read('buildx-missing-20.10.txt')),
    };
    const decision = chooseCli([unreachable]);
    assert.equal(decision.cli, undefined);
    assert.equal(
      decision.rejected[0]?.why,
      'docker 20.10.24+dfsg1 cannot reach the engine: Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?',
    );
    assert.match(decision.why, /^no docker CLI here builds with BuildKit \(\/usr\/bin\/docker: docker 20\.10\.24\+dfsg1 cannot reach/);
  });

  test('an engine older than 18.09, an old client, a CLI that does not run, and none at all', () => {
    const oldEngine = JSON.parse(read('version-debian-20.10.json')) as { Server: { Version: string } };
    oldEngine.Server.Version = '18.06.3-ce';
    assert.match(
      chooseCli([{ ...debian2010, version: ok(JSON.stringify(oldEngine)) }]).rejected[0]?.why ?? '',
      /engine \(18\.06\.3-ce\) is older than 18\.09/,
    );
    const oldClient = JSON.parse(read('version-debian-20.10.json')) as { Client: { Version: string } };
    oldClient.Client.Version = '17.12.1-ce';
    assert.match(
      chooseCli([{ ...debian2010, version: ok(JSON.stringify(oldClient)) }]).rejected[0]?.why ?? '',
      /docker 17\.12\.1-ce is older than 18\.09/,
    );
    assert.equal(
      chooseCli([{ path: '/x/docker', runError: 'spawn /x/docker EACCES' }]).rejected[0]?.why,
      'cannot be run (spawn /x/docker EACCES)',
    );
    const none = chooseCli([]);
    assert.equal(none.cli, undefined);
    assert.equal(none.why, 'no docker CLI found (none on PATH or in /usr/bin)');
  });

  test('versions read as Docker writes them', () => {
    assert.deepEqual(majorMinor('20.10.24+dfsg1'), [20, 10]);
    assert.deepEqual(majorMinor('18.09.1'), [18, 9]);
    assert.equal(majorMinor('dev'), undefined);
    assert.equal(buildxVersion('github.com/docker/buildx v0.12.1 30feaa1'), '0.12.1');
  });

  test('candidates: the setting first, PATH in order, /usr/bin/docker; each executable once by real path', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
    try {
      const mk = (rel: string): string => {
        const file = path.join(root, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
        return file;
      };
      const a = mk('a/docker');
      const b = mk('b/docker');
      fs.mkdirSync(path.join(root, 'c'));
      fs.symlinkSync(b, path.join(root, 'c/docker'));
      fs.writeFileSync(path.join(root, 'c/not-exec'), '', { mode: 0o644 });
      const mine = mk('mine/docker');
      const list = candidates({
        setting: mine,
        pathEnv: [path.join(root, 'a'), path.join(root, 'missing'), path.join(root, 'c'), path.join(root, 'b')].join(path.delimiter),
        platform: 'linux',
        extra: [path.join(root, 'c/not-exec'), a],
      });
      assert.deepEqual(list, [mine, a, path.join(root, 'c/docker')]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('the CLI talks to Berth’s endpoint: DOCKER_HOST, TLS from the same folder, no DOCKER_CONTEXT to override it', () => {
    const base = { PATH: '/bin', DOCKER_CONTEXT: 'other', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/elsewhere', HOME: '/root' };
    const unix: EngineEndpoint = { host: 'unix:///var/run/docker.sock', source: 'default', context: 'default', reason: '' };
    assert.deepEqual(cliEnv(unix, base), { PATH: '/bin', HOME: '/root', DOCKER_HOST: 'unix:///var/run/docker.sock' });
    const tls: EngineEndpoint = {
      host: 'tcp://10.0.0.5:2376',
      source: 'context',
      context: 'remote',
      reason: '',
      tls: { from: '/root/.docker/contexts/tls/abc/docker', verify: true },
    };
    assert.deepEqual(cliEnv(tls, base), {
      PATH: '/bin',
      HOME: '/root',
      DOCKER_HOST: 'tcp://10.0.0.5:2376',
      DOCKER_CERT_PATH: '/root/.docker/contexts/tls/abc/docker',
      DOCKER_TLS_VERIFY: '1',
    });
    const noVerify = cliEnv({ ...tls, tls: { from: '/t', verify: false } }, {});
    assert.equal(noVerify.DOCKER_TLS, '1');
    assert.equal(noVerify.DOCKER_TLS_VERIFY, undefined);
  });

  test('the decision is made once per endpoint and candidate list, and again after forget()', async () => {
    const probed: string[] = [];
    const finder = new BuildKitFinder((cli, env) => {
      probed.push(`${cli} ${env.DOCKER_HOST ?? ''}`);
      return Promise.resolve(cli === debian2010.path ? debian2010 : docker28);
    });
    const endpoint: EngineEndpoint = { host: 'unix:///var/run/docker.sock', source: 'default', context: 'default', reason: '' };
    const list = [docker28.path, debian2010.path];
    assert.equal((await finder.find(endpoint, list, {})).cli?.path, '/usr/bin/docker');
    await finder.find(endpoint, list, {});
    assert.equal(probed.length, 2);
    await finder.find({ ...endpoint, host: 'unix:///other.sock' }, list, {});
    assert.equal(probed.length, 4);
    assert.equal(probed[2], '/usr/local/bin/docker unix:///other.sock');
    finder.forget();
    await finder.find(endpoint, list, {});
    assert.equal(probed.length, 6);
  });
});
