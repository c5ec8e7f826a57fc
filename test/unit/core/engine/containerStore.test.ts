import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyEvent,
  ContainerStore,
  exitCodeFromStatus,
  gpuRequestOf,
  healthFromStatus,
  type ContainerRecord,
} from '../../../../src/core/engine/containerStore';
import { scriptedEngine, until } from './scriptedEngine';
import { parseEvent } from '../../../../src/core/engine/events';

function event(action: string, attributes: Record<string, string> = {}): ReturnType<typeof parseEvent> {
  return parseEvent(
    JSON.stringify({
      Type: 'container',
      Action: action,
      Actor: { ID: 'c1', Attributes: { name: 'web', image: 'iris:1', ...attributes } },
      time: 1764072000,
      timeNano: 1764072000000000000,
    }),
  );
}

describe('applyEvent: what an event alone says', () => {
  const created = applyEvent(undefined, event('create', { 'com.docker.compose.project': 'stack' }))!;

  test('create builds a record from the attributes, labels included', () => {
    assert.equal(created.name, 'web');
    assert.equal(created.image, 'iris:1');
    assert.equal(created.state, 'created');
    assert.deepEqual(created.labels, { 'com.docker.compose.project': 'stack' });
    assert.equal(created.detailed, false);
  });

  test('start → running, die → exited with the exit code, oom marks the record', () => {
    const running = applyEvent(created, event('start'))!;
    assert.equal(running.state, 'running');
    const oom = applyEvent(running, event('oom'))!;
    const dead = applyEvent(oom, event('die', { exitCode: '137' }))!;
    assert.equal(dead.state, 'exited');
    assert.equal(dead.exitCode, 137);
    assert.equal(dead.oomKilled, true);
    assert.equal(dead.status, 'Exited (137) OOM-killed');
    assert.equal(dead.finishedAt, '2025-11-25T12:00:00.000Z');
    // restarting clears the exit
    const again = applyEvent(dead, event('restart'))!;
    assert.equal(again.state, 'running');
    assert.equal(again.exitCode, undefined);
    assert.equal(again.oomKilled, undefined);
  });

  test('an oom event after the die still marks the exited record, status included', () => {
    const dead = applyEvent(applyEvent(created, event('start')), event('die', { exitCode: '137' }))!;
    assert.equal(dead.status, 'Exited (137)');
    const late = applyEvent(dead, event('oom'))!;
    assert.equal(late.oomKilled, true);
    assert.equal(late.status, 'Exited (137) OOM-killed');
  });

  test('health_status changes health and status; the same health again is no change', () => {
    const up: ContainerRecord = { ...created, state: 'running', status: 'Up 2 minutes (health: starting)', health: 'starting' };
    const healthy = applyEvent(up, event('health_status: healthy'))!;
    assert.equal(healthy.health, 'healthy');
    assert.equal(healthy.status, 'Up 2 minutes (healthy)');
    assert.equal(applyEvent(healthy, event('health_status: healthy')), undefined);
  });

  test('events that change nothing shown return undefined', () => {
    assert.equal(applyEvent(created, event('exec_start: sh')), undefined);
    assert.equal(applyEvent(created, event('create')), undefined);
  });

  test('pause, unpause, rename', () => {
    const paused = applyEvent({ ...created, state: 'running' }, event('pause'))!;
    assert.equal(paused.state, 'paused');
    assert.equal(applyEvent(paused, event('unpause'))!.state, 'running');
    assert.equal(applyEvent(created, event('rename', { name: 'api' }))!.name, 'api');
  });
});

describe('list status parsing', () => {
  test('health and exit code from the engine status text', () => {
    assert.equal(healthFromStatus('Up 5 minutes (healthy)'), 'healthy');
    assert.equal(healthFromStatus('Up 1 second (health: starting)'), 'starting');
    assert.equal(healthFromStatus('Up 3 hours (unhealthy)'), 'unhealthy');
    assert.equal(healthFromStatus('Up 3 hours'), undefined);
    assert.equal(exitCodeFromStatus('Exited (137) 2 seconds ago'), 137);
    assert.equal(exitCodeFromStatus('Up 2 seconds'), undefined);
  });

  test('GPU requests: all, count, device ids; other device requests ignored', () => {
    assert.deepEqual(gpuRequestOf({ DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }), {
      count: -1,
      deviceIds: [],
      capabilities: ['gpu'],
      driver: '',
    });
    assert.deepEqual(
      gpuRequestOf({ DeviceRequests: [{ Driver: 'nvidia', Count: 0, DeviceIDs: ['0', '2'], Capabilities: [['gpu', 'compute']] }] })
        ?.deviceIds,
      ['0', '2'],
    );
    assert.equal(gpuRequestOf({ DeviceRequests: [{ Driver: 'other', Capabilities: [['tpu']] }] }), undefined);
    assert.equal(gpuRequestOf({ DeviceRequests: null }), undefined);
  });
});

describe('ContainerStore: a container removed while its inspect is on the way', () => {
  test('the inspect that answers after destroy brings no row back, and nothing is left in its maps', async () => {
    const { engine, send, inspects } = scriptedEngine();
    const store = new ContainerStore(engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
    await store.start();
    try {
      send('create', 'c1');
      await until('c1 inspected', () => inspects.length === 1);
      assert.notEqual(store.get('c1'), undefined);
      send('destroy', 'c1');
      await until('c1 removed', () => store.get('c1') === undefined);
      inspects[0]!.answer('exited');
      await until('the inspect settled', () => store.debugSizes().inflight === 0);
      assert.equal(store.get('c1'), undefined, 'a ghost row');
      assert.deepEqual(store.debugSizes(), { records: 0, pending: 0, inflight: 0, touched: 0, oomSeen: 0 });
    } finally {
      store.stop();
    }
  });

  test('an inspect with no event after it lands, and leaves nothing behind in the maps', async () => {
    const { engine, send, inspects } = scriptedEngine();
    const store = new ContainerStore(engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
    await store.start();
    try {
      send('create', 'c2');
      await until('c2 inspected', () => inspects.length === 1);
      inspects[0]!.answer();
      await until('c2 detailed', () => store.get('c2')?.detailed === true);
      assert.deepEqual(store.debugSizes(), { records: 1, pending: 0, inflight: 0, touched: 0, oomSeen: 0 });
    } finally {
      store.stop();
    }
  });
});

describe("ContainerStore: the engine's OOMKilled flag is racy, its oom event is not", () => {
  // the scripted inspects answer "exited 137, OOMKilled false", as the engine does when its exit
  // notice overtakes the OOM one
  test('an oom event before the die: the inspect after it does not undo "OOM-killed"', async () => {
    const { engine, send, inspects } = scriptedEngine();
    const store = new ContainerStore(engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
    await store.start();
    try {
      send(['create', 'start', 'oom', 'die'], 'c3', { exitCode: '137' });
      await until('c3 inspected', () => inspects.length === 1);
      inspects[0]!.answer('exited');
      await until('c3 detailed', () => store.get('c3')?.detailed === true);
      assert.equal(store.get('c3')?.oomKilled, true);
      assert.equal(store.get('c3')?.status, 'Exited (137) OOM-killed');
      // a new start is a new run: what the next exit says stands
      send(['start', 'die'], 'c3', { exitCode: '137' });
      await until('c3 inspected again', () => inspects.length === 2);
      inspects[1]!.answer('exited');
      await until('c3 detailed again', () => store.get('c3')?.detailed === true && store.debugSizes().inflight === 0);
      assert.equal(store.get('c3')?.oomKilled, false);
      assert.equal(store.debugSizes().oomSeen, 0);
    } finally {
      store.stop();
    }
  });

  test('an oom event after the die and its inspect: the row says OOM-killed all the same', async () => {
    const { engine, send, inspects } = scriptedEngine();
    const store = new ContainerStore(engine, { coalesceMs: 1, reconcileIntervalMs: 600_000 });
    await store.start();
    try {
      send(['create', 'start', 'die'], 'c4', { exitCode: '137' });
      await until('c4 inspected', () => inspects.length === 1);
      inspects[0]!.answer('exited');
      await until('c4 detailed', () => store.get('c4')?.detailed === true);
      assert.equal(store.get('c4')?.oomKilled, false);
      send('oom', 'c4');
      await until('c4 marked at once', () => store.get('c4')?.oomKilled === true);
      await until('c4 inspected again', () => inspects.length === 2);
      inspects[1]!.answer('exited');
      await until('the inspect settled', () => store.debugSizes().inflight === 0 && store.debugSizes().pending === 0);
      assert.equal(store.get('c4')?.oomKilled, true);
      assert.equal(store.get('c4')?.status, 'Exited (137) OOM-killed');
      send('destroy', 'c4');
      await until('c4 removed', () => store.get('c4') === undefined);
      assert.equal(store.debugSizes().oomSeen, 0);
    } finally {
      store.stop();
    }
  });
});
