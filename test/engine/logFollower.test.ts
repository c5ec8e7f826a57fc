import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import { EngineRequestError } from '../../src/core/engine/errors';
import { followContainerLogs, type FollowItem } from '../../src/core/engine/logFollower';
import { containerLogs, type LogLine } from '../../src/core/engine/logs';
import { cleanup, collect, connect, run } from './harness';
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

/** The engine, and a promise settled when a log stream has been opened through it. */
function watchLogOpens(engine: Engine): { engine: Engine; logsOpened: Promise<void> } {
  let opened: () => void = () => undefined;
  const logsOpened = new Promise<void>((resolve) => (opened = resolve));
  const watched = new Proxy(engine, {
    get(target, property, receiver) {
      if (property === 'openStream') {
        return async (request: Parameters<Engine['openStream']>[0]) => {
          const stream = await target.openStream(request);
          if (request.path.endsWith('/logs')) opened();
          return stream;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { engine: watched, logsOpened };
}

/** Poll until a condition holds (30 s at most). */
async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition never held');
}

/** The text of the newest item, if a line (a cheap check on every item of a flood). */
const lastText = (items: FollowItem[]): string | undefined => {
  const last = items.at(-1);
  return last?.kind === 'line' ? last.line.text : undefined;
};
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

  test('stdout and stderr written at once, fast, followed across a restart: every line exactly once', async () => {
    // the two streams are stamped apart: in the log a line often carries an earlier time than the one before it
    const id = await run(engine, {
      Cmd: [
        'sh',
        '-c',
        'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; ' +
          'for b in 1 2 3 4 5 6 7 8; do seq 1 3000 | sed "s/^/out $n.$b./" & seq 1 3000 | sed "s/^/err $n.$b./" >&2 & wait; done; ' +
          'echo "done $n"; echo "done $n" >&2; sleep 300',
      ],
    });
    const controller = new AbortController();
    const { items, until } = consume(followContainerLogs(engine, id, { signal: controller.signal, tail: 'all' }));
    try {
      // each stream ends with "done <run>": both must have arrived
      const bothDone =
        (run: number) =>
        (xs: FollowItem[]): boolean =>
          lastText(xs) === `done ${run}` && texts(xs).filter((t) => t === `done ${run}`).length === 2;
      await until(bothDone(1), 'the first run');
      await engine.restartContainer(id, { graceSeconds: 0 });
      await until(bothDone(2), 'the second run');
    } finally {
      controller.abort();
    }
    const lines = items.flatMap((i) => (i.kind === 'line' ? [i.line.text] : []));
    const expected = [1, 2].flatMap((n) => [
      ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((b) =>
        Array.from({ length: 3000 }, (_, i) => [`out ${n}.${b}.${i + 1}`, `err ${n}.${b}.${i + 1}`]).flat(),
      ),
      `done ${n}`,
      `done ${n}`,
    ]);
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    const wanted = new Map<string, number>();
    for (const l of expected) wanted.set(l, (wanted.get(l) ?? 0) + 1);
    const wrong = [...wanted].filter(([l, n]) => counts.get(l) !== n).map(([l, n]) => `${l} ×${counts.get(l) ?? 0} (not ×${n})`);
    assert.deepEqual(wrong, [], 'lines not shown exactly once');
    assert.equal(lines.length, expected.length);
    const all = (await collect(containerLogs(engine, id))).map((l) => l.time);
    const backwards = all.filter((t, i) => i > 0 && t < all[i - 1]!).length;
    assert.ok(backwards > 0, 'the engine stamped some line earlier than the one before it (else this test proves nothing)');
  });

  test('a first open that shows nothing, then a restart: only the new run is shown, not the history again', async () => {
    const id = await run(engine, {
      Cmd: [
        'sh',
        '-c',
        'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; for i in 1 2 3; do echo "run $n line $i"; done; sleep 300',
      ],
    });
    // history exists, but only new lines are asked for: the first open shows nothing
    await until(async () => (await collect(containerLogs(engine, id))).length === 3);
    const controller = new AbortController();
    const { engine: watched, logsOpened } = watchLogOpens(engine);
    const { items, until: seen } = consume(followContainerLogs(watched, id, { signal: controller.signal, tail: 0 }));
    try {
      await logsOpened;
      await engine.restartContainer(id, { graceSeconds: 0 });
      await seen((xs) => texts(xs).includes('run 2 line 3'), 'the second run');
      await engine.stopContainer(id, { graceSeconds: 0 });
      await seen((xs) => texts(xs).filter((t) => t === '[stopped]').length === 2, 'the second stop');
    } finally {
      controller.abort();
    }
    assert.deepEqual(texts(items), ['[stopped]', '[started]', 'run 2 line 1', 'run 2 line 2', 'run 2 line 3', '[stopped]']);
  });

  test('a restart while the engine is away: its stop (exit code from the engine) and its start are both said', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo "run $n"; sleep 300'],
    });
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const controller = new AbortController();
    try {
      const { items, until: seen } = consume(followContainerLogs(viaProxy, id, { signal: controller.signal, retryDelayMs: 100 }));
      await seen((xs) => texts(xs).includes('run 1'), 'the first run');
      proxy.refusing = true;
      proxy.cut();
      await seen((xs) => texts(xs).includes('[engine-lost]'), 'the lost marker');
      // the container stops (killed: 137) and starts again while the follower cannot see it
      await engine.restartContainer(id, { graceSeconds: 0 });
      await until(async () => (await collect(containerLogs(engine, id))).length === 2);
      proxy.refusing = false;
      await seen((xs) => texts(xs).includes('run 2'), 'the second run');
      controller.abort();
      assert.deepEqual(texts(items), ['run 1', '[engine-lost]', '[engine-back]', '[stopped]', '[started]', 'run 2']);
      const stop = items.find((i) => i.kind === 'marker' && i.marker.kind === 'stopped');
      assert.ok(stop?.kind === 'marker' && stop.marker.kind === 'stopped');
      assert.equal(stop.marker.exitCode, 137, 'the exit code of the run that ended, from its die event');
      assert.equal(stop.marker.oomKilled, false);
    } finally {
      controller.abort();
      await proxy.close();
    }
  });

  test('the engine lost before the first line: the reopen does not dump the history that was not asked for', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo "run $n a"; echo "run $n b"; sleep 300'],
    });
    await until(async () => (await collect(containerLogs(engine, id))).length === 2);
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const { engine: watched, logsOpened } = watchLogOpens(viaProxy);
    const controller = new AbortController();
    try {
      const { items, until: seen } = consume(followContainerLogs(watched, id, { signal: controller.signal, tail: 0, retryDelayMs: 100 }));
      await logsOpened;
      proxy.refusing = true;
      proxy.cut();
      await seen((xs) => texts(xs).includes('[engine-lost]'), 'the lost marker');
      proxy.refusing = false;
      await seen((xs) => texts(xs).includes('[engine-back]'), 'the back marker');
      await engine.restartContainer(id, { graceSeconds: 0 });
      await seen((xs) => texts(xs).includes('run 2 b'), 'the second run');
      controller.abort();
      assert.deepEqual(texts(items), ['[engine-lost]', '[engine-back]', '[stopped]', '[started]', 'run 2 a', 'run 2 b']);
    } finally {
      controller.abort();
      await proxy.close();
    }
  });

  test('stdout and stderr with the engine connection cut mid-stream: every line once, one lost and one back marker', async () => {
    const id = await run(engine, {
      Cmd: [
        'sh',
        '-c',
        'for b in $(seq 1 12); do seq 1 1000 | sed "s/^/out $b./" & seq 1 1000 | sed "s/^/err $b./" >&2 & wait; sleep 0.2; done; echo end; echo end >&2; sleep 300',
      ],
    });
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const controller = new AbortController();
    try {
      const { items, until } = consume(followContainerLogs(viaProxy, id, { signal: controller.signal, retryDelayMs: 100, tail: 'all' }));
      await until((xs) => xs.length >= 300, '300 lines');
      proxy.refusing = true;
      proxy.cut();
      await new Promise((r) => setTimeout(r, 700)); // several retries fail; lines keep coming while away
      proxy.refusing = false;
      await until((xs) => lastText(xs) === 'end' && texts(xs).filter((t) => t === 'end').length === 2, 'the last lines');
      controller.abort();
      // exactly the engine's log, in its order: nothing lost, nothing repeated
      const key = (l: LogLine): string => `${l.stream} ${l.time} ${l.text}`;
      const shown = items.flatMap((i) => (i.kind === 'line' ? [key(i.line)] : []));
      const log = await collect(containerLogs(engine, id));
      assert.equal(log.length, 24_002);
      const differ = log.findIndex((l, i) => key(l) !== shown[i]);
      assert.equal(differ, -1, `first difference at line ${differ}: shown ${shown[differ]}, log ${log[differ] && key(log[differ])}`);
      assert.equal(shown.length, log.length);
      assert.ok(
        log.some((l, i) => i > 0 && l.time < log[i - 1]!.time),
        'the engine stamped some line earlier than the one before it (else this test proves less)',
      );
      assert.deepEqual(
        texts(items).filter((t) => t.startsWith('[')),
        ['[engine-lost]', '[engine-back]'],
      );
    } finally {
      controller.abort();
      await proxy.close();
    }
  });

  test('the engine lost while the container is stopped: one lost and one back marker, then the next run', async () => {
    const id = await run(engine, {
      Cmd: ['sh', '-c', 'n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo "run $n"; [ $n -ge 2 ] && sleep 300'],
    });
    const { proxy, engine: viaProxy } = await connectThroughProxy();
    const controller = new AbortController();
    try {
      const { items, until } = consume(followContainerLogs(viaProxy, id, { signal: controller.signal, retryDelayMs: 100 }));
      await until((xs) => texts(xs).includes('[stopped]'), 'the stop');
      await new Promise((r) => setTimeout(r, 300)); // waiting for the next start now
      proxy.refusing = true;
      proxy.cut();
      await until((xs) => texts(xs).includes('[engine-lost]'), 'the lost marker');
      await new Promise((r) => setTimeout(r, 1000)); // several reconnections fail
      await engine.startContainer(id); // while away
      proxy.refusing = false;
      await until((xs) => texts(xs).includes('run 2'), 'the next run');
      controller.abort();
      assert.deepEqual(texts(items), ['run 1', '[stopped]', '[engine-lost]', '[engine-back]', '[started]', 'run 2']);
    } finally {
      controller.abort();
      await proxy.close();
    }
  });

  test('containers that exit at once are reported started once per run, not again and again', async () => {
    // such a container's own start event is stamped after it finished (and so can be its StartedAt)
    const follows = await Promise.all(
      [1, 2, 3].map(async () => {
        const id = await run(engine, { Cmd: ['sh', '-c', 'echo ran; exit 3'] });
        await engine.waitContainer(id);
        const controller = new AbortController();
        const follow = consume(followContainerLogs(engine, id, { signal: controller.signal }));
        return { id, controller, ...follow };
      }),
    );
    const stops = (n: number) => (xs: FollowItem[]) => texts(xs).filter((t) => t === '[stopped]').length === n;
    for (const f of follows) await f.until(stops(1), 'the first stop');
    await new Promise((r) => setTimeout(r, 500)); // a spurious start would be reported by now
    for (const f of follows) await engine.startContainer(f.id);
    for (const f of follows) await f.until(stops(2), 'the second stop');
    await new Promise((r) => setTimeout(r, 500));
    for (const f of follows) await engine.removeContainer(f.id, { force: true });
    for (const f of follows) await f.until((xs) => texts(xs).includes('[removed]'), 'the removal');
    for (const f of follows) {
      f.controller.abort();
      assert.deepEqual(texts(f.items), ['ran', '[stopped]', '[started]', 'ran', '[stopped]', '[removed]']);
    }
  });

  test('an engine that refuses /info (a socket proxy may) still has its logs followed', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'echo one; echo two; sleep 300'] });
    const noInfo = new Proxy(engine, {
      get(target, property, receiver) {
        if (property === 'info') return () => Promise.reject(new EngineRequestError('forbidden', 403));
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const controller = new AbortController();
    const { items, until } = consume(followContainerLogs(noInfo, id, { signal: controller.signal }));
    try {
      await until((xs) => texts(xs).includes('two'), 'the lines');
    } finally {
      controller.abort();
    }
    assert.deepEqual(texts(items), ['one', 'two']);
  });

  test('a container whose logging driver cannot be read: one clear error, not an endless lost/back', async () => {
    const id = await run(engine, { Cmd: ['sh', '-c', 'echo hidden; sleep 300'], HostConfig: { LogConfig: { Type: 'none', Config: {} } } });
    const controller = new AbortController();
    const items: FollowItem[] = [];
    try {
      await assert.rejects(
        (async () => {
          for await (const item of followContainerLogs(engine, id, { signal: controller.signal, retryDelayMs: 50 })) {
            items.push(item);
            if (items.length >= 4) return;
          }
        })(),
        /Cannot follow the logs of .*does not support reading.*json-file/,
      );
    } finally {
      controller.abort();
    }
    assert.deepEqual(texts(items), []);
  });
});
