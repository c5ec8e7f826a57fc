/**
 * Token (Bearer) auth against a real registry: docker-registry 2.8 with `auth.token`, trusting a
 * certificate made here with openssl, in front of a token server written here on 127.0.0.1 that
 * follows the distribution token spec (GET realm?service=&scope= with Basic credentials; an RS256
 * JWT with the certificate in `x5c`, granting the scopes asked for to one user). The engine logs
 * in through it to push and pull; Berth's client lists, describes and deletes through it.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { TransferError, pullImage, pushImage, tagImage, type TransferProgress } from '../../src/core/engine/transfer';
import { RegistryClient, RegistryError } from '../../src/core/registry/client';
import { BUSYBOX, RUN_ID, cleanup, connect, run } from './harness';
import { sharedRegistry, startRegistry, type OwnRegistry } from './registries';

const USER = 'berth-token-user';
const PASSWORD = crypto.randomBytes(12).toString('hex');
const SERVICE = 'berth-test-registry';
const ISSUER = 'berth-test-issuer';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

interface TokenServer {
  readonly realm: string;
  /** Every request: the scopes asked for and whether credentials were right. */
  readonly requests: { scopes: string[]; account: string | undefined }[];
  close(): Promise<void>;
}

async function startTokenServer(certPem: string, keyPem: string): Promise<TokenServer> {
  const der = new crypto.X509Certificate(certPem).raw;
  const key = crypto.createPrivateKey(keyPem);
  const requests: TokenServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scopes = url.searchParams.getAll('scope');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user, password] = basic ? Buffer.from(basic, 'base64').toString().split(/:(.*)/s) : [];
    const account = basic ? user : undefined;
    requests.push({ scopes, account });
    if (basic && (user !== USER || password !== PASSWORD)) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    // the user gets every action asked for; anonymous gets nothing
    const access = account
      ? scopes.map((s) => {
          const [type, ...rest] = s.split(':');
          const name = rest.slice(0, -1).join(':');
          const asked = (rest[rest.length - 1] ?? '').split(',');
          // a read-only repository: pull only; a kept one: no delete
          const actions = name.endsWith('-readonly')
            ? asked.filter((a) => a === 'pull')
            : name.endsWith('-kept')
              ? asked.filter((a) => a !== 'delete' && a !== '*')
              : asked;
          return { type, name, actions };
        })
      : [];
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der.toString('base64')] }));
    const claims = b64url(
      JSON.stringify({
        iss: ISSUER,
        sub: account ?? '',
        aud: SERVICE,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: crypto.randomUUID(),
        access,
      }),
    );
    const signature = b64url(crypto.sign('sha256', Buffer.from(`${header}.${claims}`), key));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${signature}`, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('registry with token (Bearer) auth: a real docker-registry and a token server', () => {
  let engine: Engine;
  let dir: string;
  let tokens: TokenServer;
  let registry: OwnRegistry;
  const made: string[] = [];
  const repo = `berth-test/${RUN_ID}-token`;

  before(async () => {
    engine = await connect();
    const { bin } = await sharedRegistry();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-token-'));
    const { execa } = await import('execa');
    await execa('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=berth-test-token',
    ]);
    tokens = await startTokenServer(
      await fs.readFile(path.join(dir, 'cert.pem'), 'utf8'),
      await fs.readFile(path.join(dir, 'key.pem'), 'utf8'),
    );
    registry = await startRegistry(bin, {
      deleteEnabled: true,
      authYaml: [
        'auth:',
        '  token:',
        `    realm: ${tokens.realm}`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${path.join(dir, 'cert.pem')}`,
      ].join('\n'),
    });
  });
  after(async () => {
    for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    await cleanup(engine);
    await registry.stop();
    await tokens.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const client = (password = PASSWORD) => new RegistryClient({ server: registry.addr, credential: { username: USER, secret: password } });

  test('the registry answers with a Bearer challenge naming the token server', async () => {
    const response = await fetch(`http://${registry.addr}/v2/`);
    assert.equal(response.status, 401);
    assert.match(
      response.headers.get('www-authenticate') ?? '',
      /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="berth-test-registry"/,
    );
  });

  test('the engine pushes and pulls through the token flow; the client lists, describes and deletes with tokens per scope', async () => {
    const container = await run(engine, { Cmd: ['sh', '-c', 'head -c 500000 /dev/urandom > /blob'] });
    await engine.waitContainer(container);
    const ref = `${registry.addr}/${repo}:1`;
    await engine.commitContainer(container, {
      repo: `${registry.addr}/${repo}`,
      tag: '1',
      changes: [`LABEL berth.test=${RUN_ID}`, 'LABEL org.opencontainers.image.version=1'],
    });
    made.push(ref);
    const auth = { serverAddress: registry.addr, username: USER, password: PASSWORD };
    const events: TransferProgress[] = [];
    const { digest } = await pushImage(engine, ref, { auth, onProgress: (p) => events.push(p) });
    assert.ok(events.some((p) => p.layers.some((l) => l.status === 'Pushed')));
    // the engine asked the token server itself, with the user's credentials and a push scope
    assert.ok(
      tokens.requests.some(
        (r) => r.account === USER && r.scopes.some((s) => s === `repository:${repo}:pull,push` || s === `repository:${repo}:push,pull`),
      ),
      JSON.stringify(tokens.requests),
    );

    const c = client();
    const before = tokens.requests.length;
    assert.deepEqual(await c.repositories(), { repositories: [repo], catalog: true });
    assert.deepEqual(await c.tags(repo), ['1']);
    const described = await c.describe(repo, '1');
    assert.equal(described.digest, digest);
    assert.equal(described.labels['org.opencontainers.image.version'], '1');
    assert.deepEqual(await c.tags(repo), ['1']);
    // one token each: the ping, the catalog, the repository's pull scope (cached for the second listing and describe)
    assert.deepEqual(
      tokens.requests.slice(before).map((r) => r.scopes),
      [[], ['registry:catalog:*'], [`repository:${repo}:pull`]],
    );

    await engine.removeImage(ref);
    const pulled = await pullImage(engine, ref, { auth });
    assert.equal(pulled.digest, digest);

    await tagImage(engine, BUSYBOX, `${registry.addr}/${repo}:2`);
    made.push(`${registry.addr}/${repo}:2`);
    await pushImage(engine, `${registry.addr}/${repo}:2`, { auth });
    assert.equal(await c.hasTag(repo, '2'), true);
    await c.deleteTag(repo, '2');
    assert.equal(await c.hasTag(repo, '2'), false);
    // the registry's challenge named the delete scope
    assert.ok(tokens.requests.some((r) => r.scopes.some((s) => s.startsWith(`repository:${repo}:`) && s.includes('delete'))));
  });

  test('a push or delete the token server does not grant is denied (engine and client), though the password is right', async () => {
    const ref = `${registry.addr}/${repo}-readonly:1`;
    await tagImage(engine, BUSYBOX, ref);
    made.push(ref);
    await assert.rejects(
      pushImage(engine, ref, { auth: { serverAddress: registry.addr, username: USER, password: PASSWORD } }),
      (err: unknown) =>
        err instanceof TransferError &&
        err.reason === 'denied' &&
        /was denied by the registry \(denied: requested access to the resource is denied\)/.test(err.message),
    );
    const kept = `${registry.addr}/${repo}-kept:1`;
    await tagImage(engine, BUSYBOX, kept);
    made.push(kept);
    await pushImage(engine, kept, { auth: { serverAddress: registry.addr, username: USER, password: PASSWORD } });
    await assert.rejects(
      client().deleteTag(`${repo}-kept`, '1'),
      (err: unknown) =>
        err instanceof RegistryError &&
        err.code === 'denied' &&
        /denied access to the tag .*-kept:1 — this account may not do that/.test(err.message),
    );
    assert.equal(await client().hasTag(`${repo}-kept`, '1'), true);
  });

  test('a wrong password is refused at the token server; anonymous gets no access', async () => {
    await assert.rejects(
      client('wrong').ping(),
      (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized' && /refused the username or password/.test(err.message),
    );
    await assert.rejects(client('wrong').tags(repo), (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized');
    await assert.rejects(
      new RegistryClient({ server: registry.addr }).tags(repo),
      (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized' && /needs you to log in/.test(err.message),
    );
    await assert.rejects(
      pushImage(engine, `${registry.addr}/${repo}:2`, { auth: { serverAddress: registry.addr, username: USER, password: 'wrong' } }),
      (err: unknown) => err instanceof TransferError && err.reason === 'unauthorized',
    );
  });
});
