import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  RegistryClient,
  RegistryError,
  nextPageUrl,
  parseAuthenticate,
  registryHost,
} from '../../../../src/core/registry/client';

describe('registry client: headers', () => {
  test('WWW-Authenticate challenges: Bearer with quoted params (commas and escapes inside), Basic, several at once', () => {
    assert.deepEqual(
      parseAuthenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull,push"',
      ),
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/python:pull,push' },
        },
      ],
    );
    assert.deepEqual(parseAuthenticate('Basic realm="berth test \\"registry\\""'), [
      { scheme: 'basic', params: { realm: 'berth test "registry"' } },
    ]);
    assert.deepEqual(parseAuthenticate('Basic realm="a", Bearer realm="https://t/x", error="invalid_token"'), [
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'https://t/x', error: 'invalid_token' } },
    ]);
    assert.deepEqual(parseAuthenticate('Bearer realm=https://t/token,service=reg'), [
      { scheme: 'bearer', params: { realm: 'https://t/token', service: 'reg' } },
    ]);
    assert.deepEqual(parseAuthenticate(''), []);
  });

  test('Link pagination: the rel="next" target, resolved against the registry', () => {
    const base = 'http://127.0.0.1:5000';
    assert.equal(nextPageUrl('</v2/_catalog?last=b&n=2>; rel="next"', base), 'http://127.0.0.1:5000/v2/_catalog?last=b&n=2');
    assert.equal(nextPageUrl('<https://other/v2/x/tags/list?n=1&last=a>; rel=next', base), 'https://other/v2/x/tags/list?n=1&last=a');
    assert.equal(
      nextPageUrl('</v2/_catalog?last=a>; rel="prev", </v2/_catalog?last=c>; rel="next"', base),
      'http://127.0.0.1:5000/v2/_catalog?last=c',
    );
    assert.equal(nextPageUrl(null, base), undefined);
    assert.equal(nextPageUrl('</v2/_catalog?last=a>; rel="prev"', base), undefined);
  });

  test('the host the API answers on: Docker Hub → registry-1.docker.io; others host[:port]', () => {
    assert.equal(registryHost('https://index.docker.io/v1/'), 'registry-1.docker.io');
    assert.equal(registryHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryHost('http://127.0.0.1:5000/v2/'), '127.0.0.1:5000');
  });

  test('the Accept header names Docker v2 schema 2 (manifest and list) and OCI (manifest and index)', () => {
    for (const type of Object.values(MEDIA_TYPES)) assert.ok(MANIFEST_ACCEPT.includes(type), type);
  });
});

/**
 * A registry on 127.0.0.1 that speaks the distribution spec's token flow: 401 with a Bearer
 * challenge naming its token endpoint; tokens per scope, for one user, expiring when the test says.
 */
function tokenRegistry() {
  const repos = Array.from({ length: 5 }, (_, i) => `team/model-${i}`);
  const tags = ['1.0', '1.1', '2.0'];
  const config = Buffer.from(
    JSON.stringify({ created: '2026-11-30T10:00:00Z', config: { Labels: { 'org.opencontainers.image.version': '1.0' } } }),
  );
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const image = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:aa', size: 1000 },
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:bb', size: 2000 },
      ],
    }),
  );
  const imageDigest = `sha256:${createHash('sha256').update(image).digest('hex')}`;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [
        { mediaType: MEDIA_TYPES.ociManifest, digest: imageDigest, size: image.length, platform: { os: 'linux', architecture: 'amd64' } },
        {
          mediaType: MEDIA_TYPES.ociManifest,
          digest: imageDigest,
          size: image.length,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
      annotations: { 'org.opencontainers.image.revision': 'abc123' },
    }),
  );
  const state = { tokens: new Map<string, string>(), tokenRequests: [] as string[], deleted: [] as string[], accepts: [] as string[] };
  let next = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (url.pathname === '/token') {
      state.tokenRequests.push(url.searchParams.get('scope') ?? '');
      if (req.headers.authorization !== `Basic ${Buffer.from('alice:right').toString('base64')}`)
        return send(401, { details: 'incorrect username or password' });
      const token = `t${next++}`;
      state.tokens.set(token, url.searchParams.get('scope') ?? '');
      return send(200, url.searchParams.get('scope')?.includes('catalog') ? { access_token: token } : { token });
    }
    const scopeFor =
      url.pathname === '/v2/'
        ? ''
        : url.pathname === '/v2/_catalog'
          ? 'registry:catalog:*'
          : `repository:${/^\/v2\/(.+?)\/(tags|manifests|blobs)\//.exec(url.pathname)?.[1]}:${req.method === 'DELETE' ? 'delete' : 'pull'}`;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token === undefined || state.tokens.get(token) !== scopeFor) {
      const port = (server.address() as AddressInfo).port;
      return send(
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        {
          'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test-registry"${scopeFor ? `,scope="${scopeFor}"` : ''}`,
        },
      );
    }
    if (url.pathname === '/v2/') return send(200, {});
    if (url.pathname === '/v2/_catalog') {
      const n = Number(url.searchParams.get('n') ?? 100);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : repos.indexOf(last) + 1;
      const page = repos.slice(start, start + n);
      const more = start + n < repos.length;
      return send(200, { repositories: page }, more ? { link: `</v2/_catalog?last=${page[page.length - 1]}&n=${n}>; rel="next"` } : {});
    }
    const m = /^\/v2\/(.+?)\/(tags\/list|manifests\/(.+)|blobs\/(.+))$/.exec(url.pathname);
    const repo = m?.[1];
    if (!repo || !repos.includes(repo))
      return send(404, { errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] });
    if (m[2] === 'tags/list') {
      const n = Number(url.searchParams.get('n') ?? 100);
      const last = url.searchParams.get('last');
      const start = last === null ? 0 : tags.indexOf(last) + 1;
      const page = tags.slice(start, start + n);
      return send(
        200,
        { name: repo, tags: page },
        start + n < tags.length ? { link: `</v2/${repo}/tags/list?last=${page[page.length - 1]}&n=${n}>; rel="next"` } : {},
      );
    }
    if (m[4] !== undefined) return m[4] === configDigest ? send(200, config) : send(404, { errors: [{ code: 'BLOB_UNKNOWN' }] });
    const reference = m[3] ?? '';
    state.accepts.push(req.headers.accept ?? '');
    if (req.method === 'DELETE') {
      if (repo === 'team/model-4') return send(405, { errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] });
      state.deleted.push(`${repo}@${reference}`);
      return send(202, '');
    }
    const body = reference === '2.0' ? index : reference === '1.0' || reference === imageDigest ? image : undefined;
    if (!body) return send(404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] });
    const type = body === index ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
    // no Docker-Content-Digest for the index: the client computes it
    return send(200, req.method === 'HEAD' ? '' : body, {
      'content-type': type,
      ...(body === image ? { 'docker-content-digest': imageDigest } : {}),
    });
  });
  return { server, state, imageDigest, index, expireTokens: () => state.tokens.clear() };
}

describe('registry client: Bearer token flow on a 127.0.0.1 registry', () => {
  const reg = tokenRegistry();
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => reg.server.listen(0, '127.0.0.1', resolve));
    port = (reg.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => reg.server.close(() => resolve())));
  const client = (secret = 'right') => new RegistryClient({ server: `127.0.0.1:${port}`, credential: { username: 'alice', secret } });

  test('catalog and tags across pages; a token per scope, cached, fetched again after a 401', async () => {
    const c = client();
    reg.state.tokenRequests.length = 0;
    assert.deepEqual(await c.repositories({ pageSize: 2 }), {
      repositories: ['team/model-0', 'team/model-1', 'team/model-2', 'team/model-3', 'team/model-4'],
      catalog: true,
    });
    assert.deepEqual(await c.tags('team/model-1', { pageSize: 2 }), ['1.0', '1.1', '2.0']);
    assert.deepEqual(await c.tags('team/model-1'), ['1.0', '1.1', '2.0']);
    // ping (no scope), the catalog once for three pages, the repository once for two listings
    assert.deepEqual(reg.state.tokenRequests, ['', 'registry:catalog:*', 'repository:team/model-1:pull']);
    reg.expireTokens();
    assert.deepEqual(await c.tags('team/model-1'), ['1.0', '1.1', '2.0']);
    assert.equal(reg.state.tokenRequests.length, 4);
  });

  test('describe: an image (size = config + layers, created, labels) and an index per platform', async () => {
    const c = client();
    const image = await c.describe('team/model-0', '1.0');
    assert.equal(image.kind, 'image');
    assert.equal(image.digest, reg.imageDigest);
    assert.equal(image.mediaType, MEDIA_TYPES.ociManifest);
    assert.ok(image.size > 3000 && image.size < 3300, String(image.size));
    assert.equal(image.created, '2026-11-30T10:00:00Z');
    assert.deepEqual(image.labels, { 'org.opencontainers.image.version': '1.0' });
    assert.ok(reg.state.accepts.every((a) => a === MANIFEST_ACCEPT));
    const index = await c.describe('team/model-0', '2.0');
    assert.equal(index.kind, 'index');
    assert.equal(index.digest, `sha256:${createHash('sha256').update(reg.index).digest('hex')}`);
    assert.deepEqual(
      index.platforms.map((p) => [p.platform, p.size]),
      [
        ['linux/amd64', image.size],
        ['linux/arm64/v8', image.size],
      ],
    );
    assert.equal(index.size, 2 * image.size);
    assert.equal(index.created, '2026-11-30T10:00:00Z');
    assert.deepEqual(index.annotations, { 'org.opencontainers.image.revision': 'abc123' });
  });

  test('delete a tag by its digest (delete scope); a registry that refuses deleting says how to allow it', async () => {
    const c = client();
    assert.equal(await c.deleteTag('team/model-2', '1.0'), reg.imageDigest);
    assert.deepEqual(reg.state.deleted, [`team/model-2@${reg.imageDigest}`]);
    await assert.rejects(
      c.deleteTag('team/model-4', '1.0'),
      (err: unknown) =>
        err instanceof RegistryError &&
        err.code === 'unsupported' &&
        /does not allow deleting.*REGISTRY_STORAGE_DELETE_ENABLED/.test(err.message),
    );
  });

  test('typed errors: wrong password, unknown repository and tag, hasTag', async () => {
    await assert.rejects(
      client('wrong').ping(),
      (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized' && /refused the username or password/.test(err.message),
    );
    await assert.rejects(
      client().tags('team/nope'),
      (err: unknown) => err instanceof RegistryError && err.code === 'not-found' && err.status === 404 && /repository/.test(err.message),
    );
    await assert.rejects(
      client().describe('team/model-0', '9.9'),
      (err: unknown) => err instanceof RegistryError && err.code === 'not-found' && /tag team\/model-0:9\.9/.test(err.message),
    );
    assert.equal(await client().hasTag('team/model-0', '9.9'), false);
    assert.equal(await client().hasTag('team/model-0', '1.0'), true);
  });
});

describe('registry client: a registry that is not there', () => {
  test('a closed port is unreachable at once; a registry that never answers is unreachable after the timeout', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(
      new RegistryClient({ server: `127.0.0.1:${port}` }).ping(),
      (err: unknown) =>
        err instanceof RegistryError && err.code === 'unreachable' && /ECONNREFUSED.*is the registry running/.test(err.message),
    );

    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentPort = (silent.address() as AddressInfo).port;
      await assert.rejects(
        new RegistryClient({ server: `127.0.0.1:${silentPort}`, timeoutMs: 300 }).ping(),
        (err: unknown) => err instanceof RegistryError && err.code === 'unreachable' && /did not answer within 0\.3 s/.test(err.message),
      );
      const controller = new AbortController();
      const pending = new RegistryClient({ server: `127.0.0.1:${silentPort}` }).tags('a/b', { signal: controller.signal });
      controller.abort();
      await assert.rejects(pending, (err: unknown) => err instanceof RegistryError && err.code === 'cancelled');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('Docker Hub offers no catalog: said, without a request', async () => {
    const listing = await new RegistryClient({ server: 'docker.io' }).repositories();
    assert.equal(listing.catalog, false);
    assert.match(listing.reason ?? '', /Docker Hub does not list repositories/);
  });
});
