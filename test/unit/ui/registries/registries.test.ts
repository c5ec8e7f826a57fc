/**
 * Registries and credentials: Log In checks the credential against a registry that answers as a
 * v2 registry with basic auth does (a real HTTP server on 127.0.0.1), and keeps it in the docker
 * credential helper when the config names one (a real docker-credential-* program on PATH), else
 * in SecretStorage; a refused one is stored nowhere. Log Out erases it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { RegistryError } from '../../../../src/core/registry/client';
import { Registries } from '../../../../src/ui/registries/registries';

/** A v2 registry's /v2/ with basic auth for one user, and a catalog. */
function basicAuthRegistry(user: string, password: string): Promise<{ server: http.Server; addr: string; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    seen.push(auth);
    const ok = auth === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    if (!ok) {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="test"',
        'content-type': 'application/json',
        'docker-distribution-api-version': 'registry/2.0',
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
    res.end(req.url?.startsWith('/v2/_catalog') ? JSON.stringify({ repositories: ['ml/iris'] }) : '{}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, addr: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen })),
  );
}

/** What Registries uses of the extension context: secrets, globalState and workspaceState kept in maps. */
function fakeContext(): { context: vscode.ExtensionContext; secrets: Map<string, string>; global: Map<string, unknown> } {
  const secrets = new Map<string, string>();
  const memento = (map: Map<string, unknown>) => ({
    get: (key: string, fallback?: unknown) => (map.has(key) ? map.get(key) : fallback),
    update: (key: string, value: unknown) => {
      map.set(key, value);
      return Promise.resolve();
    },
    keys: () => [...map.keys()],
  });
  const global = new Map<string, unknown>();
  const context = {
    secrets: {
      get: (k: string) => Promise.resolve(secrets.get(k)),
      store: (k: string, v: string) => Promise.resolve(void secrets.set(k, v)),
      delete: (k: string) => Promise.resolve(void secrets.delete(k)),
    },
    globalState: memento(global),
    workspaceState: memento(new Map()),
  } as unknown as vscode.ExtensionContext;
  return { context, secrets, global };
}

/** A credential helper (docker-credential-berthtest) keeping what it is given as files in `store`. */
function credentialHelper(dir: string): { bin: string; store: string } {
  const bin = path.join(dir, 'bin');
  const store = path.join(dir, 'store');
  fs.mkdirSync(bin);
  fs.mkdirSync(store);
  const script = `#!/bin/sh
set -e
STORE='${store}'
input=$(cat)
case "$1" in
  store) server=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/'); printf '%s' "$input" > "$STORE/$(printf '%s' "$server" | tr '/:' '__')";;
  get) f="$STORE/$(printf '%s' "$input" | tr '/:' '__')"; if [ -f "$f" ]; then cat "$f"; else echo "credentials not found in native keychain"; exit 1; fi;;
  erase) f="$STORE/$(printf '%s' "$input" | tr '/:' '__')"; if [ -f "$f" ]; then rm -f "$f"; else echo "credentials not found in native keychain"; exit 1; fi;;
  list) echo '{}';;
esac
`;
  fs.writeFileSync(path.join(bin, 'docker-credential-berthtest'), script, { mode: 0o755 });
  return { bin, store };
}

describe('Registries: log in, credentials, log out', () => {
  let registry: Awaited<ReturnType<typeof basicAuthRegistry>>;
  let dir: string;
  before(async () => {
    registry = await basicAuthRegistry('berth', 's3cret-pw');
  });
  after(() => registry.server.close());
  beforeEach(() => {
    standIn.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registries-'));
  });

  test('without a credential store: a verified login goes to SecretStorage (never a file), and back out on Log Out', async () => {
    const { context, secrets, global } = fakeContext();
    const env = { ...process.env, DOCKER_CONFIG: dir };
    const registries = new Registries(context, env);
    let changes = 0;
    registries.onDidChange(() => changes++);
    const stored = await registries.login(registry.addr, { username: 'berth', secret: 's3cret-pw' });
    assert.deepEqual(stored, { kind: 'secrets' });
    assert.deepEqual([...secrets.keys()], [`berth.registry.credential:${registry.addr}`]);
    assert.deepEqual(JSON.parse(secrets.get(`berth.registry.credential:${registry.addr}`) ?? ''), {
      username: 'berth',
      secret: 's3cret-pw',
    });
    // no docker config written, nothing secret in globalState
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.ok(!JSON.stringify([...global.values()]).includes('s3cret'));
    // the registry is listed, and browsing and the engine use the credential
    assert.deepEqual(
      (await registries.list()).map((r) => [r.server, r.source]),
      [[registry.addr, 'berth']],
    );
    assert.deepEqual(await registries.authFor(`${registry.addr}/ml/iris:1`), {
      serverAddress: registry.addr,
      username: 'berth',
      password: 's3cret-pw',
    });
    assert.deepEqual((await (await registries.client(registry.addr)).repositories()).repositories, ['ml/iris']);
    await registries.logout(registry.addr);
    assert.equal(secrets.size, 0);
    assert.deepEqual(await registries.list(), []);
    assert.equal(await registries.authFor(`${registry.addr}/ml/iris:1`), undefined);
    assert.equal(changes, 2);
  });

  test('a wrong password: the registry refuses it (unauthorized) and nothing is stored anywhere', async () => {
    const { context, secrets, global } = fakeContext();
    const helper = credentialHelper(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
    const registries = new Registries(context, { ...process.env, DOCKER_CONFIG: dir, PATH: `${helper.bin}:${process.env.PATH ?? ''}` });
    await assert.rejects(
      registries.login(registry.addr, { username: 'berth', secret: 'wrong' }),
      (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized',
    );
    assert.equal(secrets.size, 0);
    assert.deepEqual(fs.readdirSync(helper.store), []);
    assert.deepEqual([...global.values()], []);
    assert.ok(registry.seen.includes(`Basic ${Buffer.from('berth:wrong').toString('base64')}`), 'the credential was checked');
  });

  test('with a credsStore: the login goes to the docker credential helper, not SecretStorage; Log Out erases it there', async () => {
    const { context, secrets } = fakeContext();
    const helper = credentialHelper(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
    const registries = new Registries(context, { ...process.env, DOCKER_CONFIG: dir, PATH: `${helper.bin}:${process.env.PATH ?? ''}` });
    const stored = await registries.login(registry.addr, { username: 'berth', secret: 's3cret-pw' });
    assert.deepEqual(stored, { kind: 'helper', helper: 'berthtest' });
    assert.equal(secrets.size, 0);
    const files = fs.readdirSync(helper.store);
    assert.equal(files.length, 1);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(helper.store, files[0] ?? ''), 'utf8')), {
      ServerURL: registry.addr,
      Username: 'berth',
      Secret: 's3cret-pw',
    });
    assert.deepEqual(await registries.credential(registry.addr), { username: 'berth', secret: 's3cret-pw' });
    await registries.logout(registry.addr);
    assert.deepEqual(fs.readdirSync(helper.store), []);
    assert.equal(await registries.credential(registry.addr), undefined);
    // logging out where the helper has nothing (it says "credentials not found") is no failure
    await registries.logout(registry.addr);
  });

  test('a login kept in SecretStorage before a credsStore was configured is still erased by Log Out', async () => {
    const { context, secrets } = fakeContext();
    const helper = credentialHelper(dir);
    const env = { ...process.env, DOCKER_CONFIG: dir, PATH: `${helper.bin}:${process.env.PATH ?? ''}` };
    await new Registries(context, env).login(registry.addr, { username: 'berth', secret: 's3cret-pw' });
    assert.equal(secrets.size, 1);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
    const registries = new Registries(context, env);
    // the helper has none: the CLI's order falls back to Berth's SecretStorage
    assert.deepEqual(await registries.credential(registry.addr), { username: 'berth', secret: 's3cret-pw' });
    await registries.logout(registry.addr);
    assert.equal(secrets.size, 0);
  });

  test('a helper that fails otherwise: Log Out says which helper is missing', async () => {
    const { context } = fakeContext();
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'berth-missing-helper' }));
    const registries = new Registries(context, { ...process.env, DOCKER_CONFIG: dir });
    await assert.rejects(registries.logout(registry.addr), /docker-credential-berth-missing-helper not found on PATH/);
  });

  test('registries from the docker config (auths, credHelpers) and repositories remembered per server', async () => {
    const { context } = fakeContext();
    fs.writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({ auths: { 'https://index.docker.io/v1/': {}, 'ghcr.io': {} }, credHelpers: { 'registry.example.com': 'berthtest' } }),
    );
    const registries = new Registries(context, { ...process.env, DOCKER_CONFIG: dir });
    const listed = await registries.list();
    assert.deepEqual(listed.map((r) => [r.display, r.source]).sort(), [
      ['Docker Hub', 'auths'],
      ['ghcr.io', 'auths'],
      ['registry.example.com', 'credHelpers'],
    ]);
    await registries.rememberRepository('ghcr.io', 'acme/iris');
    await registries.rememberRepository('ghcr.io', 'acme/iris');
    await registries.rememberRepository('ghcr.io', 'acme/bert');
    assert.deepEqual(registries.rememberedRepositories('ghcr.io'), ['acme/bert', 'acme/iris']);
    assert.deepEqual(registries.rememberedRepositories('docker.io'), []);
  });
});
