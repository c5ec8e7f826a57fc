import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import { engineEvents, type EngineEvent, type EventStreamState } from '../../src/core/engine/events';
import { cleanup, connect, run, RUN_ID, TEST_LABEL } from './harness';
import { connectThroughProxy } from './socketProxy';

/** Pull events until `done` says so; the caller's signal ends the stream. */
async function until(
  stream: AsyncIterator<EngineEvent>,
  done: (seen: EngineEvent[]) => boolean,
  seen: EngineEvent[] = [],
): Promise<EngineEvent[]> {
  while (!done(seen)) {
    const next = await stream.next();
    if (next.done === true) break;
    seen.push(next.value);
  }
  return seen;
}

const actionsOf = (events: EngineEvent[], id: string): string[] => events.filter((e) => e.id === id).map((e) => e.verb);

describe('engine: the event stream', { timeout: 60_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('observes create, start, stop (die) of a container', async () => {
    const controller = new AbortController();
    const stream = engineEvents(engine, {
      signal: controller.signal,
      filters: { label: [`${TEST_LABEL}=${RUN_ID}`], type: ['container'] },
    })[Symbol.asyncIterator]();
    const first = stream.next(); // opens the stream
    await new Promise((r) => setTimeout(r, 300));
    const id = await run(engine);
    await engine.stopContainer(id, { graceSeconds: 1 });
    const seen = await until(stream, (s) => actionsOf(s, id).includes('stop'), [(await first).value as EngineEvent]);
    controller.abort();
    assert.deepEqual(actionsOf(seen, id), ['create', 'start', 'kill', 'die', 'stop']);
    const die = seen.find((e) => e.id === id && e.verb === 'die');
    assert.equal(die?.attributes.exitCode, '137');
    assert.equal(die?.attributes[TEST_LABEL], RUN_ID);
    assert.ok(await stream.next().then((r) => r.done));
  });

  test('a stream cut mid-way resumes with since= and loses nothing, repeats nothing', async () => {
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const controller = new AbortController();
    const states: EventStreamState[] = [];
    const stream = engineEvents(viaProxy, {
      signal: controller.signal,
      filters: { label: [`${TEST_LABEL}=${RUN_ID}`], type: ['container'] },
      minBackoffMs: 100,
      onState: (s) => states.push(s),
    })[Symbol.asyncIterator]();
    try {
      const pending = stream.next();
      await new Promise((r) => setTimeout(r, 300));
      const ids: string[] = [];
      ids.push(await run(engine, { start: false }));
      const seen = await until(stream, (s) => s.some((e) => e.id === ids[0]), [(await pending).value as EngineEvent]);

      // cut the stream, keep the engine "away" while five more containers come and go
      proxy.refusing = true;
      proxy.cut();
      for (let i = 0; i < 5; i++) {
        const id = await run(engine, { start: false });
        ids.push(id);
        await engine.removeContainer(id);
      }
      proxy.refusing = false;

      await until(stream, (s) => ids.slice(1).every((id) => actionsOf(s, id).includes('destroy')), seen);
      for (const id of ids.slice(1)) assert.deepEqual(actionsOf(seen, id), ['create', 'destroy'], `events of ${id}`);
      assert.deepEqual(actionsOf(seen, ids[0]!), ['create']);
      const keys = seen.map((e) => `${e.timeNano}${e.id}${e.action}`);
      assert.equal(new Set(keys).size, keys.length, 'no event twice');
      assert.ok(
        states.some((s) => s.kind === 'reconnecting'),
        'the cut was noticed',
      );
      assert.ok(proxy.connections >= 2, 'and the stream was reopened');
    } finally {
      controller.abort();
      await proxy.close();
    }
  });
});
