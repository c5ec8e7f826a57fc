import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  DOCKER_HUB_SERVER,
  DockerConfigError,
  displayServer,
  dockerConfigPath,
  forgetLogin,
  recordLogin,
  listRegistries,
  normaliseServer,
  parseDockerConfig,
  readDockerConfig,
  registryOfReference,
} from '../../../../src/core/registry/dockerConfig';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('docker config', () => {
  test('server keys normalised as the CLI does: Docker Hub one key, others host[:port] with or without scheme', () => {
    for (const hub of [
      'docker.io',
      'index.docker.io',
      'registry-1.docker.io',
      'https://index.docker.io/v1/',
      'https://registry-1.docker.io/v2/',
      'http://docker.io',
    ]) {
      assert.equal(normaliseServer(hub), DOCKER_HUB_SERVER, hub);
      assert.equal(displayServer(hub), 'Docker Hub');
    }
    assert.equal(normaliseServer('https://ghcr.io'), 'ghcr.io');
    assert.equal(normaliseServer('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
    assert.equal(normaliseServer('Registry.Example.com:443'), 'registry.example.com:443');
    assert.equal(normaliseServer('localhost:5000'), 'localhost:5000');
  });

  test("an image reference's registry: a first part with '.', ':' or localhost; else Docker Hub", () => {
    assert.equal(registryOfReference('python:3.12'), DOCKER_HUB_SERVER);
    assert.equal(registryOfReference('library/python'), DOCKER_HUB_SERVER);
    assert.equal(registryOfReference('myuser/model:1'), DOCKER_HUB_SERVER);
    assert.equal(registryOfReference('127.0.0.1:5000/berth/model:1'), '127.0.0.1:5000');
    assert.equal(registryOfReference('localhost/model'), 'localhost');
    assert.equal(registryOfReference('ghcr.io/org/model@sha256:abc'), 'ghcr.io');
    assert.equal(registryOfReference('docker.io/library/python'), DOCKER_HUB_SERVER);
  });

  test('auths: base64 user:password (a password may hold colons), identity tokens, plain username/password', () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          'https://index.docker.io/v1/': { auth: b64('alice:pa:ss:word') },
          'ghcr.io': { auth: '', identitytoken: 'refresh-123' },
          'registry.example.com': { username: 'bob', password: 'pw' },
          'quay.io': {},
        },
      }),
      '/x/config.json',
    );
    assert.deepEqual(config.auths['https://index.docker.io/v1/'], { username: 'alice', password: 'pa:ss:word' });
    assert.deepEqual(config.auths['ghcr.io'], { identityToken: 'refresh-123' });
    assert.deepEqual(config.auths['registry.example.com'], { username: 'bob', password: 'pw' });
    assert.deepEqual(config.auths['quay.io'], {});
    assert.equal(config.exists, true);
    assert.equal(config.credsStore, undefined);
  });

  test('the registries listed: auths and credHelpers, once each, Docker Hub first, with where their credentials live', () => {
    const withStore = parseDockerConfig(
      JSON.stringify({
        auths: { 'https://index.docker.io/v1/': {}, 'registry.example.com': {}, 'https://registry.example.com': {} },
        credsStore: 'desktop',
        credHelpers: { 'gcr.io': 'gcloud', 'registry.example.com': 'pass' },
      }),
      '/x/config.json',
    );
    assert.deepEqual(listRegistries(withStore), [
      { server: DOCKER_HUB_SERVER, display: 'Docker Hub', source: 'credsStore', helper: 'desktop' },
      { server: 'gcr.io', display: 'gcr.io', source: 'credHelpers', helper: 'gcloud' },
      { server: 'registry.example.com', display: 'registry.example.com', source: 'credHelpers', helper: 'pass' },
    ]);
    const plain = parseDockerConfig(
      JSON.stringify({ auths: { 'docker.io': { auth: b64('a:b') }, 'localhost:5000': { auth: b64('u:p') } } }),
      '/x/c.json',
    );
    assert.deepEqual(listRegistries(plain), [
      { server: DOCKER_HUB_SERVER, display: 'Docker Hub', source: 'auths' },
      { server: 'localhost:5000', display: 'localhost:5000', source: 'auths' },
    ]);
  });

  test('a malformed config is a DockerConfigError naming the file and what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['{ "auths": ', /not valid JSON/],
      ['[1]', /not a JSON object/],
      ['{"auths": []}', /"auths" is not an object/],
      ['{"auths": {"x": {"auth": "' + b64('nocolon') + '"}}}', /"auth" of x is not base64 of user:password/],
      ['{"credHelpers": {"x": 1}}', /helper of x/],
      ['{"credsStore": 3}', /"credsStore" is not a string/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseDockerConfig(text, '/home/u/.docker/config.json'),
        (err: unknown) =>
          err instanceof DockerConfigError &&
          err.file === '/home/u/.docker/config.json' &&
          why.test(err.message) &&
          err.message.includes('/home/u/.docker/config.json'),
        text,
      );
    }
  });

  test('read from $DOCKER_CONFIG, else ~/.docker; a missing file is an empty config', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dockercfg-'));
    try {
      assert.equal(dockerConfigPath({ DOCKER_CONFIG: dir }), path.join(dir, 'config.json'));
      assert.equal(dockerConfigPath({ HOME: '/home/u' }), '/home/u/.docker/config.json');
      const empty = await readDockerConfig({ DOCKER_CONFIG: dir });
      assert.deepEqual(empty, { file: path.join(dir, 'config.json'), exists: false, auths: {}, credHelpers: {} });
      await fs.writeFile(
        path.join(dir, 'config.json'),
        JSON.stringify({ auths: { 'localhost:5000': { auth: b64('u:p') } }, credsStore: 'pass' }),
      );
      const config = await readDockerConfig({ DOCKER_CONFIG: dir });
      assert.equal(config.credsStore, 'pass');
      assert.deepEqual(config.auths['localhost:5000'], { username: 'u', password: 'p' });
      await fs.writeFile(path.join(dir, 'config.json'), '{oops');
      await assert.rejects(readDockerConfig({ DOCKER_CONFIG: dir }), DockerConfigError);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docker config: logins recorded as the CLI records them with a credential store', () => {
  test('recordLogin adds an empty auths entry (keeping the rest of the file); forgetLogin removes every spelling', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dockercfg-'));
    try {
      const file = path.join(dir, 'config.json');
      await fs.writeFile(
        file,
        JSON.stringify({ credsStore: 'pass', auths: { 'https://ghcr.io': {} }, proxies: { default: { httpProxy: 'x' } } }),
      );
      let config = await readDockerConfig({ DOCKER_CONFIG: dir });
      await recordLogin(config, 'http://127.0.0.1:5000/v2/');
      await recordLogin(config, 'ghcr.io');
      config = await readDockerConfig({ DOCKER_CONFIG: dir });
      assert.deepEqual(Object.keys(config.auths), ['https://ghcr.io', '127.0.0.1:5000']);
      assert.deepEqual(
        listRegistries(config).map((r) => [r.server, r.source]),
        [
          ['127.0.0.1:5000', 'credsStore'],
          ['ghcr.io', 'credsStore'],
        ],
      );
      const raw = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
      assert.deepEqual(raw.proxies, { default: { httpProxy: 'x' } });
      await forgetLogin(config, 'ghcr.io');
      assert.deepEqual(Object.keys((await readDockerConfig({ DOCKER_CONFIG: dir })).auths), ['127.0.0.1:5000']);
      // a config that does not exist yet is created, private
      const fresh = path.join(dir, 'new');
      await recordLogin(await readDockerConfig({ DOCKER_CONFIG: fresh }), 'docker.io');
      assert.deepEqual(Object.keys((await readDockerConfig({ DOCKER_CONFIG: fresh })).auths), [DOCKER_HUB_SERVER]);
      assert.equal((await fs.stat(path.join(fresh, 'config.json'))).mode & 0o777, 0o600);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
