import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContainerStore, type ContainerRecord } from '../../../../src/core/engine/containerStore';
import { describeContainer } from '../../../../src/ui/containers/format';
import { RowRefresh, rowKey } from '../../../../src/ui/containers/rowRefresh';
import { scriptedEngine, until } from '../../core/engine/scriptedEngine';

/** A store on a scripted engine, and the row refreshes a tree of it would send, as the row texts they carry. */
async function setup(agedDelayMs = 1000): Promise<{
  store: ContainerStore;
  rows: RowRefresh;
  script: ReturnType<typeof scriptedEngine>;
  refreshes: string[][];
  settled: () => Promise<void>;
  clock: { now: number };
}> {
  const script = scriptedEngine();
  // read after the scripted run's start, so that "up" counts from it (not a millisecond short)
  const clock = { now: Date.now() };
  const store = new ContainerStore(script.engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
  const key = (r: ContainerRecord): string => rowKey(r, clock.now);
  const refreshes: string[][] = [];
  const rows = new RowRefresh({
    key,
    agedDelayMs,
    fire: (ids) => {
      // the tree renders what it was asked to refresh
      refreshes.push(ids.map((id) => describeContainer(store.get(id)!, clock.now)));
      for (const id of ids) rows.rendered(store.get(id)!, key(store.get(id)!));
    },
  });
  store.onChange((changes) => {
    for (const c of changes) {
      if (c.kind === 'removed') rows.forget(c.id);
      else if (c.kind === 'added')
        rows.rendered(c.record, key(c.record)); // a new row renders with the whole tree
      else rows.update(c.record);
    }
  });
  await store.start();
  const settled = async (): Promise<void> => {
    await until('inspects settled', () => store.debugSizes().inflight === 0 && store.debugSizes().pending === 0);
    await new Promise((r) => setImmediate(r));
  };
  // a running container, its details filled
  script.send(['create', 'start'], 'c1');
  await until('inspect', () => script.inspects.length === 1);
  script.inspects[0]!.answer('running');
  await settled();
  refreshes.length = 0;
  return { store, rows, script, refreshes, settled, clock };
}

describe('container rows refresh only when what they show changes', () => {
  test('kill, then die while the inspect of the kill is on its way: one refresh, carrying exited', async () => {
    const { store, script, refreshes, settled } = await setup();
    try {
      script.send('kill', 'c1', { signal: '9' });
      await until('the inspect of the kill', () => script.inspects.length === 2);
      script.send('die', 'c1', { exitCode: '137' });
      await until('die applied', () => store.get('c1')?.state === 'exited');
      script.inspects[1]!.answer('running'); // read before the die
      await until('the inspect of the die', () => script.inspects.length === 3);
      script.inspects[2]!.answer('exited');
      await settled();
      assert.equal(refreshes.length, 1, `refreshes: ${JSON.stringify(refreshes)}`);
      assert.match(refreshes[0]![0]!, /^exited 137 · /);
      assert.equal(store.get('c1')?.state, 'exited');
    } finally {
      store.stop();
    }
  });

  test('kill and die in one read of the event stream: one refresh', async () => {
    const { store, script, refreshes, settled } = await setup();
    try {
      script.send(['kill', 'die'], 'c1', { exitCode: '137' });
      await until('the inspect', () => script.inspects.length === 2);
      script.inspects[1]!.answer('exited');
      await settled();
      assert.equal(refreshes.length, 1, `refreshes: ${JSON.stringify(refreshes)}`);
      assert.match(refreshes[0]![0]!, /^exited 137 · /);
    } finally {
      store.stop();
    }
  });

  test('events that change nothing a row shows (a kill the process survives, the inspect after start) fire nothing', async () => {
    const { store, script, refreshes, settled, clock } = await setup();
    try {
      script.send('kill', 'c1', { signal: '10' });
      await until('the inspect of the kill', () => script.inspects.length === 2);
      script.inspects[1]!.answer('running');
      await settled();
      assert.deepEqual(refreshes, []);
      // nor does one after the row's "up 0s" has aged (the clock refreshes that, not an inspect)
      clock.now += 5000;
      script.send('kill', 'c1', { signal: '10' });
      await until('the inspect of the second kill', () => script.inspects.length === 3);
      script.inspects[2]!.answer('running');
      await settled();
      assert.deepEqual(refreshes, []);
      // pause shows; its inspect, saying the same, does not
      script.send('pause', 'c1');
      await until('the inspect of the pause', () => script.inspects.length === 4);
      script.inspects[3]!.answer('paused');
      await settled();
      assert.equal(refreshes.length, 1, `refreshes: ${JSON.stringify(refreshes)}`);
      assert.match(refreshes[0]![0], /^paused · /);
    } finally {
      store.stop();
    }
  });

  test('rows that only aged wait to ride along with the next refresh for an event, else go out alone', async () => {
    const { store, rows, script, refreshes, settled, clock } = await setup(400);
    try {
      script.send(['create', 'start'], 'c2');
      await until('inspect of c2', () => script.inspects.length === 2);
      script.inspects[1]!.answer('running');
      await settled();
      refreshes.length = 0;
      // both rows' uptimes now read differently: the clock asks, nothing goes out yet
      clock.now += 120_000;
      rows.aged([store.get('c1')!, store.get('c2')!]);
      await new Promise((r) => setImmediate(r));
      assert.equal(refreshes.length, 0, `refreshes: ${JSON.stringify(refreshes)}`);
      // a pause of c1: one refresh, carrying c2's aged row too
      script.send('pause', 'c1');
      await until('the refresh of the pause', () => refreshes.length > 0);
      assert.equal(refreshes.length, 1);
      assert.equal(refreshes[0]!.length, 2, `refresh: ${JSON.stringify(refreshes[0])}`);
      assert.match(refreshes[0]![0]!, /^paused · /);
      await until('the inspect of the pause', () => script.inspects.length === 3);
      script.inspects[2]!.answer('paused');
      await settled();
      // aged again with no event to ride along with: it goes out alone after the delay
      refreshes.length = 0;
      clock.now += 120_000;
      rows.aged([store.get('c2')!]);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(refreshes.length, 0, `refreshes: ${JSON.stringify(refreshes)}`);
      await until('the aged row, with no event', () => refreshes.length === 1);
      assert.ok(refreshes[0]!.includes('running · up 4m · busybox'), `refresh: ${JSON.stringify(refreshes[0])}`);
    } finally {
      store.stop();
      rows.dispose();
    }
  });
});
