/**
 * The engine contract against a real engine: what Engine lists and inspects comes back as Berth's
 * records (tags, sizes, labels, mounts), and the raw inspect JSON stays available for display.
 * Everything made here is labelled or tagged with this run's id, and only that is removed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { NotFoundError } from '../../src/core/engine/errors';
import { BUSYBOX, cleanup, connect, labels, run, RUN_ID, TEST_LABEL } from './harness';

describe('engine: the contract’s records', () => {
  let engine: Engine;
  const repo = `berth-test-contract-${RUN_ID}`;
  const images: string[] = [];
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    for (const ref of images) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    await cleanup(engine);
  });

  test('images: a tag of this run lists with its tags, digests, size and labels; dangling ones carry no <none> tag', async () => {
    await engine.tagImage(BUSYBOX, { repo, tag: 'v1' });
    images.push(`${repo}:v1`);
    const listed = await engine.listImages();
    const mine = listed.find((i) => i.tags.includes(`${repo}:v1`));
    assert.ok(mine, `${repo}:v1 is listed`);
    assert.ok(mine.tags.includes(BUSYBOX), 'the other tag of the same image is there too');
    assert.match(mine.id, /^sha256:[0-9a-f]{64}$/);
    assert.ok(mine.size > 0, `size ${mine.size}`);
    assert.ok(mine.created > 1_500_000_000 && mine.created < Date.now() / 1000 + 60, `created ${mine.created} is in seconds`);
    assert.equal(mine.dangling, false);
    assert.ok(!listed.some((i) => i.tags.includes('<none>:<none>') || i.digests.includes('<none>@<none>')));
    for (const image of listed) assert.equal(image.dangling, image.tags.length === 0);

    const inspected = await engine.inspectImage(`${repo}:v1`);
    assert.equal(inspected.id, mine.id);
    assert.deepEqual([...inspected.tags].sort(), [...mine.tags].sort());
    assert.equal(inspected.size, mine.size);
    assert.equal(inspected.created, mine.created);
    assert.deepEqual(inspected.labels, mine.labels);
    assert.equal(typeof inspected.user, 'string');
    await assert.rejects(engine.inspectImage(`${repo}:missing`), NotFoundError);
  });

  test('images: a labelled image (a commit with a LABEL) is found by a label filter, its labels normalised', async () => {
    const id = await run(engine, { start: false });
    const imageId = await engine.commitContainer(id, {
      repo,
      tag: 'labelled',
      changes: [`LABEL ${TEST_LABEL}=${RUN_ID}`, 'LABEL role=contract'],
    });
    images.push(`${repo}:labelled`);
    const found = await engine.listImages({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    assert.deepEqual(
      found.map((i) => i.id),
      [imageId],
    );
    assert.equal(found[0]?.labels[TEST_LABEL], RUN_ID);
    assert.equal(found[0]?.labels.role, 'contract');
    assert.deepEqual(found[0]?.tags, [`${repo}:labelled`]);
  });

  test('volumes and networks: created labelled, listed by label with their labels, removed', async () => {
    const name = `berth-test-contract-vol-${RUN_ID}`;
    const created = await engine.createVolume({ name, labels: labels({ purpose: 'models' }) });
    assert.equal(created.name, name);
    const volumes = await engine.listVolumes({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    const volume = volumes.find((v) => v.name === name);
    assert.ok(volume, 'the labelled volume is listed');
    assert.deepEqual(volume.labels, { [TEST_LABEL]: RUN_ID, purpose: 'models' });
    assert.equal(volume.driver, 'local');
    assert.ok(volume.mountpoint.length > 0);

    const network = await engine.createNetwork({ name: `berth-test-contract-net-${RUN_ID}`, labels: labels() });
    const networks = await engine.listNetworks({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } });
    assert.deepEqual(
      networks.map((n) => [n.id, n.name, n.labels[TEST_LABEL]]),
      [[network, `berth-test-contract-net-${RUN_ID}`, RUN_ID]],
    );
    await engine.removeNetwork(network);
    assert.deepEqual(await engine.listNetworks({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } }), []);

    // a container mounting it: the record names the volume it mounts
    const id = await run(engine, { HostConfig: { Binds: [`${name}:/models:ro`] } });
    const [listed] = await engine.listContainers({ filters: { id: [id] } });
    assert.ok(listed);
    assert.deepEqual(
      listed.mounts?.map((m) => [m.type, m.name, m.destination, m.readOnly]),
      [['volume', name, '/models', true]],
    );
    const detailed = await engine.inspectContainer(id);
    assert.equal(detailed.detailed, true);
    assert.equal(detailed.state, 'running');
    assert.deepEqual(detailed.mounts, listed.mounts);
    assert.equal(detailed.labels[TEST_LABEL], RUN_ID);
    // the Inspect document: the engine's JSON as it is
    const json = (await engine.inspectContainerJson(id)) as { Id?: unknown; Mounts?: unknown };
    assert.equal(json.Id, id);
    assert.ok(Array.isArray(json.Mounts));

    await engine.removeContainer(id, { force: true });
    await engine.removeVolume(name);
    assert.ok(!(await engine.listVolumes({ filters: { label: [`${TEST_LABEL}=${RUN_ID}`] } })).some((v) => v.name === name));
  });
});
