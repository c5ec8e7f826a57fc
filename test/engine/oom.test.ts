import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { engineEvents, oomEventSince, type EngineEvent } from '../../src/core/engine/events';
import { cleanup, connect, PYTHON, run, RUN_ID, TEST_LABEL } from './harness';

describe('engine: memory limit and OOM', { timeout: 60_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('exceeding a 64 MiB limit: OOMKilled, exit 137, an oom event then die', async () => {
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const watching = (async () => {
      for await (const e of engineEvents(engine, {
        signal: controller.signal,
        filters: { label: [`${TEST_LABEL}=${RUN_ID}`], type: ['container'] },
      })) {
        events.push(e);
        if (e.verb === 'die') break;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const id = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', 'chunks = [bytearray(16 * 2**20) for _ in range(16)]; print("survived")'],
      HostConfig: { Memory: 64 * 2 ** 20, MemorySwap: 64 * 2 ** 20 },
    });
    const exitCode = await engine.waitContainer(id);
    await watching;
    controller.abort();
    const state = (await engine.inspectContainerJson(id)).State;
    assert.equal(exitCode, 137);
    assert.equal(state.ExitCode, 137);
    // (the engine's OOMKilled flag is not asserted: it is racy — about one OOM kill in a dozen
    // under load reads false — which is why Berth asks the events, below)
    const verbs = events.filter((e) => e.id === id).map((e) => e.verb);
    assert.ok(verbs.includes('oom'), `events: ${verbs.join(',')}`);
    assert.ok(verbs.indexOf('oom') < verbs.indexOf('die'));
    assert.equal(events.find((e) => e.verb === 'die')?.attributes.exitCode, '137');
  });

  test("oomEventSince: an OOM kill says so from the engine's events; a SIGKILL with the same exit code does not", async () => {
    const oom = await run(engine, {
      Image: PYTHON,
      Cmd: ['python3', '-c', 'chunks = [bytearray(16 * 2**20) for _ in range(16)]'],
      HostConfig: { Memory: 64 * 2 ** 20, MemorySwap: 64 * 2 ** 20 },
    });
    assert.equal(await engine.waitContainer(oom), 137);
    const oomState = (await engine.inspectContainerJson(oom)).State;
    assert.equal(await oomEventSince(engine, oom, oomState.StartedAt), true);

    const killed = await run(engine, { Cmd: ['sleep', '300'] });
    await engine.killContainer(killed);
    assert.equal(await engine.waitContainer(killed), 137);
    const killedState = (await engine.inspectContainerJson(killed)).State;
    assert.equal(killedState.OOMKilled, false);
    assert.equal(await oomEventSince(engine, killed, killedState.StartedAt), false);
    // and only this container's events count: the OOM-killed one's are not the killed one's
    assert.equal(await oomEventSince(engine, killed, oomState.StartedAt), false);
  });
});
