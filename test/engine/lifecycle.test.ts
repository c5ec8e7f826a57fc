import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compareApiVersions, MAX_API_VERSION, type Engine } from '../../src/core/engine/engine';
import { ConflictError, NotFoundError } from '../../src/core/engine/errors';
import { BUSYBOX, cleanup, connect, labels, run, RUN_ID, TEST_LABEL } from './harness';

describe('engine: connection, listing and lifecycle', () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('connects and negotiates the API version with the engine', async (t) => {
    const v = engine.serverVersion;
    t.diagnostic(`engine: Docker ${v.version}, engine API ${v.apiVersion}, negotiated ${engine.apiVersion}, at ${engine.endpoint.host}`);
    assert.ok(compareApiVersions(engine.apiVersion, v.apiVersion) <= 0);
    assert.ok(compareApiVersions(engine.apiVersion, MAX_API_VERSION) <= 0);
    assert.equal(await engine.ping(), 'OK');
    const info = await engine.info();
    assert.equal(typeof info.serverVersion, 'string');
    assert.equal((await engine.version()).version, v.version);
  });

  test('list containers, images, volumes, networks; sizes are never computed', async () => {
    const id = await run(engine, { start: false, name: `berth-test-list-${RUN_ID}` });
    const volume = await engine.createVolume({ name: `berth-test-vol-${RUN_ID}`, labels: labels() });
    const network = await engine.createNetwork({ name: `berth-test-net-${RUN_ID}`, labels: labels() });
    const filters = { label: [`${TEST_LABEL}=${RUN_ID}`] };

    const containers = await engine.listContainers({ filters });
    const mine = containers.find((c) => c.id === id);
    assert.ok(mine, 'created container is listed');
    assert.equal(mine.state, 'created');
    assert.equal(mine.image, BUSYBOX);
    const raw = (await engine.listContainersJson({ filters })).find((c) => c.Id === id);
    assert.equal(raw && 'SizeRw' in raw, false, 'size=false: no SizeRw');

    const images = await engine.listImages();
    assert.ok(images.some((i) => i.tags.includes(BUSYBOX)));
    assert.ok((await engine.listVolumes({ filters })).some((v) => v.name === volume.name));
    assert.ok((await engine.listNetworks({ filters })).some((n) => n.id === network));
  });

  test('start, stop, restart, kill, remove — with typed errors', async () => {
    const name = `berth-test-life-${RUN_ID}`;
    const id = await run(engine, { name, StopSignal: 'SIGTERM', Cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'] });
    assert.equal((await engine.inspectContainerJson(id)).State.Running, true);

    await assert.rejects(run(engine, { name }), ConflictError);

    await engine.stopContainer(id, { graceSeconds: 5 });
    let state = (await engine.inspectContainerJson(id)).State;
    assert.equal(state.Running, false);
    assert.equal(state.ExitCode, 0);
    await engine.stopContainer(id); // already stopped: not an error

    await engine.restartContainer(id, { graceSeconds: 5 });
    assert.equal((await engine.inspectContainerJson(id)).State.Running, true);

    await engine.killContainer(id, { signal: 'SIGKILL' });
    state = (await engine.inspectContainerJson(id)).State;
    assert.equal(state.Running, false);
    assert.equal(state.ExitCode, 137);

    await engine.removeContainer(id);
    await assert.rejects(
      engine.inspectContainerJson(id),
      (e: unknown) => e instanceof NotFoundError && /No such container/i.test(e.message),
    );
    await assert.rejects(engine.startContainer(id), NotFoundError);
  });

  test('removing a running container needs force', async () => {
    const id = await run(engine);
    await assert.rejects(engine.removeContainer(id), ConflictError);
    await engine.removeContainer(id, { force: true });
    await assert.rejects(engine.inspectContainerJson(id), NotFoundError);
  });
});
