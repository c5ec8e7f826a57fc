import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComposeNotFoundError, composeCliFrom, composeEnv, parseComposeVersion } from '../../../../src/core/compose/composeCli';

// `docker-compose version` of Debian's 1.29.2 (recorded here) and `docker compose version` of v2
const V1 =
  'docker-compose version 1.29.2, build unknown\ndocker-py version: 5.0.3\nCPython version: 3.11.2\nOpenSSL version: OpenSSL 3.0.19 27 Jan 2026\n';
const V2 = 'Docker Compose version v2.24.5\n';

describe('compose CLI detection', () => {
  it('reads the version of v1 and v2', () => {
    assert.equal(parseComposeVersion(V1), '1.29.2');
    assert.equal(parseComposeVersion(V2), '2.24.5');
    assert.equal(parseComposeVersion("docker: 'compose' is not a docker command."), undefined);
  });
  it('the flavour follows the version, not the command (a standalone v2 is docker-compose too)', () => {
    assert.deepEqual(composeCliFrom('docker-compose', [], V1), {
      file: 'docker-compose',
      baseArgs: [],
      flavour: 'v1',
      version: '1.29.2',
      description: 'docker-compose 1.29.2 (Compose v1)',
    });
    assert.equal(composeCliFrom('docker', ['compose'], V2)?.description, 'docker compose 2.24.5 (Compose v2)');
    assert.equal(composeCliFrom('/usr/local/bin/docker-compose', [], V2)?.flavour, 'v2');
  });
  it('the endpoint environment: DOCKER_HOST set, DOCKER_CONTEXT dropped', () => {
    const env = composeEnv({ host: 'tcp://10.0.0.2:2376' } as never, { PATH: '/bin', DOCKER_CONTEXT: 'remote' });
    assert.deepEqual(env, { PATH: '/bin', DOCKER_HOST: 'tcp://10.0.0.2:2376' });
  });
  it('no CLI: the message says how to install one', () => {
    const err = new ComposeNotFoundError(['docker compose: not found']);
    assert.match(err.message, /apt-get install docker-compose/);
    assert.match(err.message, /Compose v2 plugin/);
  });
});
