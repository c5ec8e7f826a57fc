import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import {
  CredentialHelperError,
  credentialsFor,
  eraseCredentials,
  helperFor,
  helperGet,
  helperList,
  storeCredentials,
} from '../../../../src/core/registry/credentials';
import { DOCKER_HUB_SERVER, parseDockerConfig } from '../../../../src/core/registry/dockerConfig';
import { makeTestHelper, type TestHelper } from './credentialHelper';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const config = (value: object) => parseDockerConfig(JSON.stringify(value), '/x/config.json');

describe('credentials: the CLI order, and a real credential helper', () => {
  let helper: TestHelper;
  before(async () => {
    helper = await makeTestHelper();
  });
  after(async () => {
    await helper.dispose();
  });

  test('which helper: credHelpers for the server (any spelling of it), else credsStore, else none', () => {
    const c = config({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud', 'docker.io': 'hubhelper' } });
    assert.equal(helperFor(c, 'gcr.io'), 'gcloud');
    assert.equal(helperFor(c, 'https://gcr.io'), 'gcloud');
    assert.equal(helperFor(c, DOCKER_HUB_SERVER), 'hubhelper');
    assert.equal(helperFor(c, 'quay.io'), 'desktop');
    assert.equal(helperFor(config({}), 'quay.io'), undefined);
  });

  test('without a helper: auths (password or identity token), then the fallback', async () => {
    const c = config({ auths: { 'docker.io': { auth: b64('alice:pw') }, 'ghcr.io': { identitytoken: 'tok' } } });
    assert.deepEqual(await credentialsFor(c, DOCKER_HUB_SERVER), { username: 'alice', secret: 'pw' });
    assert.deepEqual(await credentialsFor(c, 'https://ghcr.io/'), { username: '<token>', secret: 'tok' });
    const asked: string[] = [];
    const fallback = (server: string) => {
      asked.push(server);
      return Promise.resolve({ username: 'kept', secret: 'in-secret-storage' });
    };
    assert.deepEqual(await credentialsFor(c, 'http://localhost:5000/', fallback), { username: 'kept', secret: 'in-secret-storage' });
    assert.deepEqual(asked, ['localhost:5000']);
    assert.equal(await credentialsFor(c, 'quay.io'), undefined);
    // no helper configured: nothing stored, so the caller keeps it in SecretStorage
    assert.equal(await storeCredentials(c, 'quay.io', { username: 'u', secret: 's' }), false);
    assert.equal(await eraseCredentials(c, 'quay.io'), false);
  });

  test('store, get, list and erase through docker-credential-berthtest; the secret only ever on stdin', async () => {
    const c = config({ credsStore: 'berthtest', auths: { 'registry.example.com:5000': { auth: b64('ignored:when-a-store-is-set') } } });
    const secret = 's3cret with spaces & $symbols';
    assert.equal(
      await storeCredentials(c, 'https://registry.example.com:5000/v2/', { username: 'bob', secret }, { env: helper.env }),
      true,
    );
    const stored = JSON.parse(await fs.readFile(helper.store, 'utf8')) as Record<string, unknown>;
    // stored under the auths key the CLI wrote for that registry
    assert.deepEqual(Object.keys(stored), ['registry.example.com:5000']);
    assert.deepEqual(await credentialsFor(c, 'registry.example.com:5000', undefined, { env: helper.env }), { username: 'bob', secret });
    assert.deepEqual(await helperList('berthtest', { env: helper.env }), { 'registry.example.com:5000': 'bob' });
    // a helper with nothing for a server: not found, then the fallback
    assert.equal(await helperGet('berthtest', 'other.example.com', { env: helper.env }), undefined);
    assert.deepEqual(
      await credentialsFor(c, 'other.example.com', () => Promise.resolve({ username: 'f', secret: 'b' }), { env: helper.env }),
      { username: 'f', secret: 'b' },
    );
    assert.equal(await eraseCredentials(c, 'registry.example.com:5000', { env: helper.env }), true);
    assert.equal(await helperGet('berthtest', 'registry.example.com:5000', { env: helper.env }), undefined);
    const argvs = await helper.argvs();
    assert.deepEqual(
      argvs.map((a) => a.join(' ')),
      ['store', 'get', 'list', 'get', 'get', 'erase', 'get'],
    );
    assert.ok(!JSON.stringify(argvs).includes('s3cret'));
  });

  test('a missing helper names the program; a failing one gives its own message, never the secret', async () => {
    const missing = config({ credsStore: 'berth-nonexistent' });
    await assert.rejects(
      credentialsFor(missing, 'quay.io', undefined, { env: helper.env }),
      (err: unknown) =>
        err instanceof CredentialHelperError &&
        err.code === 'helper-missing' &&
        /^docker-credential-berth-nonexistent not found on PATH/.test(err.message),
    );
    const failing = config({ credHelpers: { 'quay.io': 'berthtest' } });
    await assert.rejects(
      storeCredentials(failing, 'quay.io', { username: 'u', secret: 'TOPSECRET' }, { env: { ...helper.env, BERTHTEST_FAIL: '1' } }),
      (err: unknown) =>
        err instanceof CredentialHelperError &&
        err.code === 'helper-failed' &&
        err.message === 'docker-credential-berthtest store failed: the berthtest store is locked' &&
        !JSON.stringify(err, Object.getOwnPropertyNames(err)).includes('TOPSECRET') &&
        err.cause === undefined,
    );
  });
});
