import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { followContainerLogs, type FollowItem } from '../../src/engine/logFollower';
import { cleanup, connect, run } from './harness';
import { connectThroughProxy } from './socketProxy';

/** Consume the follower in the background; `until` resolves when a predicate holds. */
function consume(source: AsyncIterable<FollowItem>): {
  items: FollowItem[];
  until: (ok: (items: FollowItem[]) => boolean, what: string) => Promise<void>;
} {
  const items: FollowItem[] = [];
  const waiters: (() => void)[] = [];
  void (async () => {
    for await (const item of source) {
      items.push(item);
      waiters.splice(0).forEach((w) => w());
    }
  })();
  const until = (ok: (items: FollowItem[]) => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(items.slice(-5))}`)), 30_000);
      const check = (): void => {
        if (ok(items)) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  return { items, until };
}

const texts = (items: FollowItem[]): string[] => items.flatMap((i) => (i.kind === 'line' ? [i.line.text] : [`[${i.marker.kind}]`]));

describe('engine: logs that survive restarts and engine reconnects', { timeout: 120_000 }, () => {
  let engine: Engine;
  before(async () => {
    engine = await connect();
  });
  after(() => cleanup(engine));

  test('a restart: marker with exit code, then the new run lines, nothing repeated', async () => {
    const id = await run(engine, {
      Cmd: [
        'sh',
        '-c',
        'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo "boot $n"; for i in 1 2 3; do echo "line $n.$i"; done; sleep 300',
      ],
    });
    const controller = new AbortController();
    const { items, until } = consume(followContainerLogs(engine, id, { signal: controller.signal }));
    await until((xs) => texts(xs).includes('line 1.3'), 'first run');
    await engine.restartContainer(id, { graceSeconds: 0 });
    await until((xs) => texts(xs).includes('line 2.3'), 'second run');
    await engine.stopContainer(id, { graceSeconds: 0 });
    await until((xs) => texts(xs).filter((t) => t === '[stopped]').length === 2, 'second stop');
    controller.abort();
    assert.deepEqual(texts(items), [
      'boot 1',
      'line 1.1',
      'line 1.2',
      'line 1.3',
      '[stopped]',
      '[started]',
      'boot 2',
      'line 2.1',
      'line 2.2',
      'line 2.3',
      '[stopped]',
    ]);
    const stopped = items.find((i) => i.kind === 'marker' && i.marker.kind === 'stopped');
    assert.ok(stopped?.kind === 'marker' && stopped.marker.kind === 'stopped' && stopped.marker.exitCode === 137);
  });

  test('removal ends the follow with a marker', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'echo only; sleep 300'] });
    const controller = new AbortController();
    const { items, until } = consume(followContainerLogs(engine, id, { signal: controller.signal }));
    await until((xs) => texts(xs).includes('only'), 'the line');
    await engine.removeContainer(id, { force: true });
    await until((xs) => texts(xs).includes('[removed]'), 'removed marker');
    controller.abort();
    assert.deepEqual(texts(items), ['only', '[stopped]', '[removed]']);
  });

  test('the engine connection cut mid-stream: resumes by timestamp, no line lost or repeated', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'i=0; while [ $i -lt 400 ]; do i=$((i+1)); echo $i; sleep 0.01; done; sleep 300'] });
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const controller = new AbortController();
    try {
      const { items, until } = consume(followContainerLogs(viaProxy, id, { signal: controller.signal, retryDelayMs: 100 }));
      await until((xs) => xs.length >= 50, '50 lines');
      proxy.refusing = true;
      proxy.cut();
      await new Promise((r) => setTimeout(r, 500)); // lines keep coming while we are away
      proxy.refusing = false;
      await until((xs) => texts(xs).includes('400'), 'the last line');
      controller.abort();
      const lines = items.filter((i) => i.kind === 'line').map((i) => (i.kind === 'line' ? i.line.text : ''));
      assert.deepEqual(
        lines,
        Array.from({ length: 400 }, (_, i) => String(i + 1)),
      );
      const markers = texts(items).filter((t) => t.startsWith('['));
      assert.deepEqual(markers, ['[engine-lost]', '[engine-back]']);
    } finally {
      controller.abort();
      await proxy.close();
    }
  });
});
