/**
 * Push, pull, browse and delete against a real registry: Debian's docker-registry 2.8 on
 * 127.0.0.1 with htpasswd (bcrypt) basic auth (scripts/registry.sh), through the real engine.
 * Tags are made under berth-test/<run id>; the tests remove only the local tags and images they
 * made.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { CancelledError } from '../../src/core/engine/errors';
import {
  TransferCancelledError,
  TransferError,
  pullImage,
  pushImage,
  tagImage,
  type RegistryAuth,
  type TransferProgress,
} from '../../src/core/engine/transfer';
import { RegistryClient, RegistryError } from '../../src/core/registry/client';
import { credentialsFor, helperList } from '../../src/core/registry/credentials';
import { listRegistries, readDockerConfig } from '../../src/core/registry/dockerConfig';
import { makeTestHelper } from '../unit/core/registry/credentialHelper';
import { BUSYBOX, PYTHON, RUN_ID, cleanup, connect, run } from './harness';
import { freePort, sharedRegistry, startRegistry, type SharedRegistry } from './registries';

async function dockerLogin(addr: string, user: string, password: string, env: NodeJS.ProcessEnv): Promise<void> {
  const { execa } = await import('execa');
  await execa('docker', ['login', '--username', user, '--password-stdin', addr], { input: password, env, timeout: 30_000 });
}

describe('registry: push, pull, browse and delete through the engine and the Registry API', () => {
  let engine: Engine;
  let reg: SharedRegistry;
  let auth: RegistryAuth;
  let client: RegistryClient;
  const made: string[] = [];
  const repo = (name: string) => `berth-test/${RUN_ID}-${name}`;
  const local = (name: string, tag: string) => `${reg.addr}/${repo(name)}:${tag}`;

  before(async () => {
    engine = await connect();
    reg = await sharedRegistry();
    auth = { serverAddress: reg.addr, username: reg.user, password: reg.password };
    client = new RegistryClient({ server: reg.addr, credential: { username: reg.user, secret: reg.password } });
  });
  after(async () => {
    for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    await cleanup(engine);
  });

  async function tag(source: string, target: string): Promise<void> {
    await tagImage(engine, source, target);
    made.push(target);
  }

  test('push the Python base image with per-layer progress; the registry lists it and describes its size and date', async () => {
    // a registry of its own, so every layer is uploaded (the shared one may hold them from an earlier run)
    const own = await startRegistry(reg.bin, { deleteEnabled: true, basicAuth: { user: reg.user, password: reg.password } });
    try {
      await pushPython(own.addr);
    } finally {
      await own.stop();
    }
  });

  async function pushPython(addr: string): Promise<void> {
    const ref = `${addr}/${repo('python')}:1`;
    const auth = { serverAddress: addr, username: reg.user, password: reg.password };
    const client = new RegistryClient({ server: addr, credential: { username: reg.user, secret: reg.password } });
    await tag(PYTHON, ref);
    const events: TransferProgress[] = [];
    const result = await pushImage(engine, ref, { auth, onProgress: (p) => events.push(p) });
    assert.match(result.digest, /^sha256:[0-9a-f]{64}$/);
    assert.ok(events.some((p) => p.layers.some((l) => l.status === 'Pushing' && (l.current ?? 0) > 0)));
    const last = events[events.length - 1] as TransferProgress;
    assert.ok(last.layersTotal >= 1);
    assert.equal(last.layersDone, last.layersTotal);
    assert.ok(last.bytesTotal > 50_000_000, `pushed ${last.bytesTotal} bytes`);

    assert.ok((await client.repositories()).repositories.includes(repo('python')));
    assert.deepEqual(await client.tags(repo('python')), ['1']);
    const described = await client.describe(repo('python'), '1');
    const image = await engine.inspectImage(ref);
    assert.equal(described.digest, result.digest);
    assert.equal(described.kind, 'image');
    assert.equal(described.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    // compressed layers + config: smaller than the unpacked image, and not nothing
    assert.ok(described.size > 20_000_000 && described.size < image.size, `${described.size} of ${image.size}`);
    assert.equal(Math.floor(Date.parse(described.created ?? '') / 1000), image.created);
  }

  test('pull back an image removed locally: its new layer downloads, with progress, and it is the same image', async () => {
    const container = await run(engine, { Cmd: ['sh', '-c', 'head -c 3000000 /dev/urandom > /blob'], start: true });
    await engine.waitContainer(container);
    const ref = local('unique', '1');
    const id = await engine.commitContainer(container, {
      repo: `${reg.addr}/${repo('unique')}`,
      tag: '1',
      changes: [`LABEL berth.test=${RUN_ID}`],
    });
    made.push(ref);
    const pushed = await pushImage(engine, ref, { auth });
    await engine.removeImage(ref);
    const events: TransferProgress[] = [];
    const pulled = await pullImage(engine, ref, { auth, onProgress: (p) => events.push(p) });
    assert.equal(pulled.digest, pushed.digest);
    assert.equal((await engine.inspectImage(ref)).id, id);
    const last = events[events.length - 1] as TransferProgress;
    assert.ok(
      last.layers.some((l) => l.status === 'Pull complete'),
      JSON.stringify(last.layers),
    );
    assert.ok(last.layers.some((l) => l.status === 'Already exists'));
    assert.ok(last.bytesDone >= 3_000_000 && last.bytesDone === last.bytesTotal, `${last.bytesDone}/${last.bytesTotal}`);
  });

  test('delete a tag: gone from the tag list; the digest it named is what was deleted', async () => {
    const ref = local('busybox', 'gone');
    await tag(BUSYBOX, ref);
    const { digest } = await pushImage(engine, ref, { auth });
    assert.equal(await client.hasTag(repo('busybox'), 'gone'), true);
    assert.equal(await client.deleteTag(repo('busybox'), 'gone'), digest);
    assert.equal(await client.hasTag(repo('busybox'), 'gone'), false);
    assert.deepEqual(await client.tags(repo('busybox')), []);
  });

  test('a registry that does not allow deleting says so and how to allow it', async () => {
    const own = await startRegistry(reg.bin, { deleteEnabled: false });
    try {
      const ref = `${own.addr}/${repo('nodelete')}:1`;
      await tag(BUSYBOX, ref);
      await pushImage(engine, ref);
      const anonymous = new RegistryClient({ server: own.addr });
      await assert.rejects(
        anonymous.deleteTag(repo('nodelete'), '1'),
        (err: unknown) =>
          err instanceof RegistryError &&
          err.code === 'unsupported' &&
          err.status === 405 &&
          /does not allow deleting.*REGISTRY_STORAGE_DELETE_ENABLED/.test(err.message),
      );
      assert.equal(await anonymous.hasTag(repo('nodelete'), '1'), true);
    } finally {
      await own.stop();
    }
  });

  test('wrong password: the Registry API and the engine both say unauthorized', async () => {
    const wrong = new RegistryClient({ server: reg.addr, credential: { username: reg.user, secret: 'not-the-password' } });
    await assert.rejects(
      wrong.ping(),
      (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized' && /refused the username or password/.test(err.message),
    );
    await assert.rejects(wrong.tags(repo('unique')), (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized');
    const ref = local('busybox', 'wrong');
    await tag(BUSYBOX, ref);
    await assert.rejects(
      pushImage(engine, ref, { auth: { ...auth, password: 'not-the-password' } }),
      (err: unknown) => err instanceof TransferError && err.reason === 'unauthorized' && /Log in to the registry/.test(err.message),
    );
    await assert.rejects(
      pullImage(engine, local('unique', '1'), { auth: { ...auth, password: 'nope' } }),
      (err: unknown) => err instanceof TransferError && err.reason === 'unauthorized',
    );
  });

  test('a push without credentials is refused by the registry (no basic auth credentials)', async () => {
    const ref = local('busybox', 'anon');
    await tag(BUSYBOX, ref);
    await assert.rejects(
      pushImage(engine, ref),
      (err: unknown) =>
        err instanceof TransferError &&
        err.reason === 'unauthorized' &&
        /no basic auth credentials|authentication required/.test(err.message),
    );
    await assert.rejects(
      new RegistryClient({ server: reg.addr }).tags(repo('python')),
      (err: unknown) => err instanceof RegistryError && err.code === 'unauthorized' && /needs you to log in/.test(err.message),
    );
  });

  test('an unknown tag or repository: not found, from the Registry API and from a pull', async () => {
    await assert.rejects(
      client.describe(repo('unique'), 'no-such-tag'),
      (err: unknown) => err instanceof RegistryError && err.code === 'not-found',
    );
    await assert.rejects(
      client.tags(repo('no-such-repo')),
      (err: unknown) => err instanceof RegistryError && err.code === 'not-found' && /repository/.test(err.message),
    );
    await assert.rejects(
      pullImage(engine, local('unique', 'no-such-tag'), { auth }),
      (err: unknown) => err instanceof TransferError && err.reason === 'not-found',
    );
  });

  test('a registry that is down: unreachable from the Registry API, and the push fails (neither hangs)', async () => {
    const port = await freePort();
    await assert.rejects(
      new RegistryClient({ server: `127.0.0.1:${port}`, timeoutMs: 5000 }).ping(),
      (err: unknown) => err instanceof RegistryError && err.code === 'unreachable' && /is the registry running/.test(err.message),
    );
    const ref = `127.0.0.1:${port}/${repo('down')}:1`;
    await tag(BUSYBOX, ref);
    await assert.rejects(
      pushImage(engine, ref, { auth: { ...auth, serverAddress: `127.0.0.1:${port}` } }),
      (err: unknown) => err instanceof TransferError && /connection refused/.test(err.message),
    );
  });

  test('a cancelled push stops, says so, and leaves no tag in the registry', async () => {
    const own = await startRegistry(reg.bin, { deleteEnabled: true, basicAuth: { user: reg.user, password: reg.password } });
    try {
      await cancelPush(own.addr);
    } finally {
      await own.stop();
    }
  });

  async function cancelPush(addr: string): Promise<void> {
    const ref = `${addr}/${repo('cancelled')}:1`;
    const auth = { serverAddress: addr, username: reg.user, password: reg.password };
    const client = new RegistryClient({ server: addr, credential: { username: reg.user, secret: reg.password } });
    await tag(PYTHON, ref);
    const controller = new AbortController();
    let uploaded = 0;
    const push = pushImage(engine, ref, {
      auth,
      signal: controller.signal,
      onProgress: (p) => {
        uploaded = p.bytesDone;
        if (p.bytesDone > 0) controller.abort();
      },
    });
    await assert.rejects(
      push,
      (err: unknown) =>
        err instanceof TransferCancelledError &&
        err instanceof CancelledError &&
        err.code === 'cancelled' &&
        /The registry was not given the tag/.test(err.message),
    );
    assert.ok(uploaded > 0);
    // give an engine that kept going time to finish what it would have: still no tag
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await client.hasTag(repo('cancelled'), '1'), false);
  }

  test('the docker CLI logs in (its own DOCKER_CONFIG); Berth reads that config and its credential, and lists the registry', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dockerconfig-'));
    try {
      await dockerLogin(reg.addr, reg.user, reg.password, { ...process.env, DOCKER_CONFIG: dir });
      const config = await readDockerConfig({ DOCKER_CONFIG: dir });
      assert.deepEqual(listRegistries(config), [{ server: reg.addr, display: reg.addr, source: 'auths' }]);
      const cred = await credentialsFor(config, `http://${reg.addr}/`);
      assert.deepEqual(cred, { username: reg.user, secret: reg.password });
      assert.deepEqual(await new RegistryClient({ server: reg.addr, credential: cred }).tags(repo('unique')), ['1']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('the docker CLI stores its login through a credential helper (credsStore); Berth gets it back through the same helper', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-dockerconfig-'));
    const helper = await makeTestHelper();
    try {
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
      const env = { ...helper.env, DOCKER_CONFIG: dir };
      await dockerLogin(reg.addr, reg.user, reg.password, env);
      const config = await readDockerConfig(env);
      assert.deepEqual(listRegistries(config), [{ server: reg.addr, display: reg.addr, source: 'credsStore', helper: 'berthtest' }]);
      // nothing secret in the config file: the helper holds it
      assert.ok(!(await fs.readFile(config.file, 'utf8')).includes(reg.password));
      assert.deepEqual(await helperList('berthtest', { env }), { [reg.addr]: reg.user });
      assert.deepEqual(await credentialsFor(config, reg.addr, undefined, { env }), { username: reg.user, secret: reg.password });
    } finally {
      await helper.dispose();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
