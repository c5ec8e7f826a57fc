/**
 * Disk usage and prunes on the fault engine (scripts/fault-engine.sh), which belongs to the tests:
 * the shared engine is never pruned. A dangling image (the same tag built twice) counted by
 * GET /system/df and freed by the prune; BuildKit build cache (a cache mount, built by Debian's
 * docker CLI with DOCKER_BUILDKIT=1) freed by the build cache prune; an unused volume freed by the
 * volume prune, one a stopped container mounts kept. Volumes on the shared engine:
 * one a container uses is refused naming that container; an unused one is removed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage } from '../../src/core/engine/build';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { VolumeInUseError } from '../../src/core/engine/errors';
import { scanContext } from '../../src/core/project/buildContext';
import { BUSYBOX, cleanup, connect, labels, run, RUN_ID, TEST_LABEL } from './harness';
import { engineScript, secondEngineSkip } from './secondEngines';

/** Debian's docker CLI 20.10: built-in BuildKit (the docker 28 client lacks the buildx plugin). */
const BUILDKIT_CLI = '/usr/bin/docker';

const skipReason = secondEngineSkip('diskUsage.test.ts (prunes)', 'fault engine', ['unshare', 'nsenter']);

const script = (command: 'start' | 'stop' | 'env'): Promise<string> => engineScript('fault-engine.sh', command);

function contextDir(dockerfile: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-df-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

describe('disk usage and prunes on the fault engine', { timeout: 300_000, skip: skipReason }, () => {
  let engine: Engine;
  let host: string;
  let startedHere = false;
  const dirs: string[] = [];
  const tag = `berth-df-${RUN_ID}:latest`;
  /** The BuildKit build's own tag: built under `tag` it would leave the classic build dangling. */
  const cacheTag = `berth-df-cache-${RUN_ID}:latest`;

  before(async () => {
    startedHere = /^fault-engine: started /m.test(await script('start'));
    const found = /^DOCKER_HOST=(.+)$/m.exec(await script('env'))?.[1];
    assert.ok(found, 'fault-engine.sh env prints DOCKER_HOST');
    host = found;
    const endpoint = resolveEndpoint({
      env: { DOCKER_HOST: host },
      homeDir: os.homedir(),
      platform: process.platform,
      readFile: () => undefined,
    });
    engine = await Engine.connect(endpoint, { timeoutMs: 15_000, env: {} });
  });

  after(async () => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    if (engine) {
      await cleanup(engine).catch(() => undefined);
      for (const t of [tag, cacheTag]) await engine.removeImage(t, { force: true }).catch(() => undefined);
    }
    if (startedHere) await script('stop');
  });

  test('a dangling image: counted reclaimable by df, removed by the prune, which reports the bytes freed', async () => {
    const before = await engine.diskUsage();
    // the run id in the step: no cache of an earlier run makes this run's images
    const build = async (marker: string): Promise<void> => {
      const dir = contextDir(
        `FROM ${BUSYBOX}\nRUN echo ${RUN_ID}-${marker} > /marker && dd if=/dev/zero of=/blob bs=1k count=256 2>/dev/null\n`,
      );
      dirs.push(dir);
      await buildImage(engine, { scan: scanContext(dir), dockerfile: 'Dockerfile', tag, labels: { [TEST_LABEL]: RUN_ID } });
    };
    await build('one');
    const first = (await engine.inspectImage(tag)).id;
    await build('two'); // the tag moves: the first image is left with no tag
    const dangling = (await engine.listImages({ filters: { dangling: ['true'] } })).map((i) => i.id);
    assert.ok(dangling.includes(first), 'the first build is dangling');

    const df = await engine.diskUsage();
    assert.equal(df.dangling.count, before.dangling.count + 1);
    assert.ok(df.dangling.size - before.dangling.size >= 256 * 1024, `its own bytes: ${df.dangling.size - before.dangling.size}`);
    assert.ok(df.images.reclaimable >= df.dangling.size, 'reclaimable covers the dangling image');

    const result = await engine.pruneDanglingImages();
    assert.ok(result.removed >= 1, `removed ${result.removed}`);
    assert.ok(result.spaceReclaimed >= 256 * 1024, `freed ${result.spaceReclaimed}`);
    assert.equal(result.spaceReclaimed, df.dangling.size, 'freed what df said the dangling images take');
    await assert.rejects(engine.inspectImage(first), { code: 'not-found' });
    assert.equal((await engine.diskUsage()).dangling.count, 0);
    assert.ok((await engine.inspectImage(tag)).tags.includes(tag), 'the tagged image stays');
  });

  test('BuildKit build cache: df counts a cache mount, the prune frees it', async () => {
    const { execa } = await import('execa');
    const dir = contextDir(
      `FROM ${BUSYBOX}\nLABEL ${TEST_LABEL}=${RUN_ID}\nRUN --mount=type=cache,target=/cache dd if=/dev/zero of=/cache/download bs=1k count=512 2>/dev/null && echo ${RUN_ID}\n`,
    );
    dirs.push(dir);
    const built = await execa(BUILDKIT_CLI, ['-H', host, 'build', '-q', '-t', cacheTag, dir], {
      env: { DOCKER_BUILDKIT: '1' },
      timeout: 120_000,
      reject: false,
      all: true,
    });
    assert.equal(built.exitCode, 0, `BuildKit build failed:\n${built.all}`);
    const df = await engine.diskUsage();
    assert.ok(df.buildCache.count > 0, 'build cache records');
    assert.ok(df.buildCache.reclaimable >= 512 * 1024, `the cache mount is reclaimable: ${df.buildCache.reclaimable}`);

    const result = await engine.pruneBuildCache();
    assert.ok(result.removed > 0, `records removed: ${result.removed}`);
    assert.ok(result.spaceReclaimed >= 512 * 1024, `freed ${result.spaceReclaimed}`);
    const afterPrune = await engine.diskUsage();
    assert.equal(afterPrune.buildCache.reclaimable, 0);
    assert.ok(afterPrune.buildCache.size < df.buildCache.size, `${afterPrune.buildCache.size} < ${df.buildCache.size}`);
  });

  test('unused volumes: the prune removes those no container mounts (named ones too), keeps the one a stopped container mounts', async () => {
    const unused = `berth-df-unused-${RUN_ID}`;
    const used = `berth-df-used-${RUN_ID}`;
    for (const name of [unused, used]) await engine.createVolume({ name, labels: labels() });
    // 128 KiB in the unused volume, written by a container removed afterwards
    const writer = await run(engine, {
      Cmd: ['sh', '-c', 'dd if=/dev/zero of=/d/x bs=1k count=128 2>/dev/null'],
      HostConfig: { Binds: [`${unused}:/d`] },
    });
    assert.equal(await engine.waitContainer(writer), 0);
    await engine.removeContainer(writer);
    await run(engine, { start: false, HostConfig: { Binds: [`${used}:/d`] } });
    const df = await engine.diskUsage();
    assert.ok(df.volumes.reclaimable >= 128 * 1024, `reclaimable ${df.volumes.reclaimable}`);

    const result = await engine.pruneVolumes();
    assert.ok(result.removed >= 1);
    assert.ok(result.spaceReclaimed >= 128 * 1024, `freed ${result.spaceReclaimed}`);
    const left = (await engine.listVolumes()).map((v) => v.name);
    assert.ok(!left.includes(unused), 'the unused volume is gone');
    assert.ok(left.includes(used), 'the mounted one stays');
  });

  test('a df bounded by its own timeout: a too-short bound is a timeout error, not a hang', async () => {
    await assert.rejects(engine.diskUsage({ timeoutMs: 1 }), { code: 'timeout' });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(engine.diskUsage({}, controller.signal));
  });
});

describe('volumes on the shared engine', { timeout: 60_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
  });

  test('a volume a container uses is refused, naming the container; once it is gone the volume is removed', async () => {
    const volume = `berth-vol-${RUN_ID}`;
    await engine.createVolume({ name: volume, labels: labels() });
    const name = `berth-voluser-${RUN_ID}`;
    await run(engine, { name, start: false, HostConfig: { Binds: [`${volume}:/data`] } });
    const refusal = await engine.removeVolume(volume).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refusal instanceof VolumeInUseError, `a VolumeInUseError: ${String(refusal)}`);
    assert.deepEqual(refusal.containers, [name]);
    assert.match(refusal.message, new RegExp(`Volume ${volume} is in use by container ${name}\\. Remove it first`));
    assert.ok(
      (await engine.listVolumes({ filters: { name: [volume] } })).some((v) => v.name === volume),
      'still there',
    );

    await engine.removeContainer(name, { force: true });
    await engine.removeVolume(volume);
    assert.ok(!(await engine.listVolumes({ filters: { name: [volume] } })).some((v) => v.name === volume), 'removed');
  });
});
