/**
 * Faults of the engine itself, on a second engine that may be broken (scripts/fault-engine.sh:
 * its own network namespace, a small tmpfs data root): dockerd crashing (SIGKILL) or stopping
 * (SIGTERM) and coming back while the tree and ten log terminals follow it, and a build on a full
 * disk. Figures (how long the tree took to match the engine) are printed, not asserted.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BuildFailedError, buildImage } from '../../src/core/engine/build';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { ContainerStore, type ContainerRecord } from '../../src/core/engine/containerStore';
import { Engine } from '../../src/core/engine/engine';
import { followContainerLogs, type FollowItem, type LogMarker } from '../../src/core/engine/logFollower';
import { containerLogs, type LogLine } from '../../src/core/engine/logs';
import { delay } from '../../src/core/engine/streams';
import { scanContext } from '../../src/core/project/buildContext';
import { BUSYBOX, cleanup, collect, labels, RUN_ID, TEST_LABEL } from './harness';
import { engineScript, secondEngineSkip } from './secondEngines';

const skipReason = secondEngineSkip('faults.test.ts', 'fault engine', ['unshare', 'nsenter']);

type Command = 'start' | 'stop' | 'env' | 'kill' | 'term' | 'revive';

const script = (command: Command): Promise<string> => engineScript('fault-engine.sh', command);

/** Prints "line N", one every ~20 ms, every tenth on stderr; exits 0 on SIGTERM. */
const BUSY = [
  'sh',
  '-c',
  'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); if [ $((i % 10)) -eq 0 ]; then echo "line $i" >&2; else echo "line $i"; fi; usleep 20000 || sleep 0.02; done',
];

/** What the tree shows of a container that `docker ps -a` also shows. */
const row = (r: ContainerRecord): string => `${r.name} ${r.state} ${r.id}`;
const rows = (records: readonly ContainerRecord[]): string[] => records.map(row).sort();

/** A log terminal: a follower whose items are kept, with a way to wait for them. */
class Terminal {
  readonly items: FollowItem[] = [];
  private readonly controller = new AbortController();
  private waiters: (() => void)[] = [];
  readonly done: Promise<void>;
  constructor(
    engine: Engine,
    readonly id: string,
  ) {
    this.done = (async () => {
      for await (const item of followContainerLogs(engine, id, { signal: this.controller.signal, tail: 'all' })) {
        this.items.push(item);
        this.waiters.splice(0).forEach((w) => w());
      }
    })();
  }
  get lines(): LogLine[] {
    return this.items.flatMap((i) => (i.kind === 'line' ? [i.line] : []));
  }
  get markers(): LogMarker[] {
    return this.items.flatMap((i) => (i.kind === 'marker' ? [i.marker] : []));
  }
  until(ok: (items: FollowItem[]) => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`${this.id.slice(0, 12)}: timed out waiting for ${what}; last items: ${JSON.stringify(this.items.slice(-4))}`));
      }, timeoutMs);
      const check = (): void => {
        if (ok(this.items)) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }
  close(): Promise<void> {
    this.controller.abort();
    return this.done;
  }
}

/** Index after the last marker of one of the kinds, or 0. */
function afterLast(items: readonly FollowItem[], kinds: readonly LogMarker['kind'][]): number {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (item?.kind === 'marker' && kinds.includes(item.marker.kind)) return i + 1;
  }
  return 0;
}

/** The container's runs as its numbered lines show them ("line 1" starts a run): "1-180, 1-95 (3 not stored)". */
function runs(lines: readonly LogLine[]): string {
  const found: { count: number; max: number }[] = [];
  for (const l of lines) {
    const n = Number(/^line (\d+)$/.exec(l.text)?.[1] ?? NaN);
    if (Number.isNaN(n)) continue;
    if (n === 1 || found.length === 0) found.push({ count: 0, max: 0 });
    const run = found[found.length - 1]!;
    run.count++;
    run.max = Math.max(run.max, n);
  }
  return found.map((r) => `1-${r.max}${r.count === r.max ? '' : ` (${r.max - r.count} not stored)`}`).join(', ');
}

/** Poll until the tree shows what `docker ps -a` shows; when it did (Date.now()), or the last difference. */
async function treeMatches(
  engine: Engine,
  store: ContainerStore,
  timeoutMs: number,
): Promise<{ at?: number; tree: string[]; list: string[] }> {
  const start = Date.now();
  for (;;) {
    const list = rows(await engine.listContainers({ all: true }));
    const tree = rows(store.all());
    if (tree.length === list.length && tree.every((r, i) => r === list[i])) return { at: Date.now(), tree, list };
    if (Date.now() - start > timeoutMs) return { tree, list };
    await delay(50);
  }
}

const key = (l: LogLine): string => `${l.stream} ${l.time} ${l.text}`;

/** Lines the engine stored that the terminal lacks, and lines the terminal has more often than the engine. */
function compareLines(stored: readonly LogLine[], shown: readonly LogLine[]): { missing: string[]; repeated: string[] } {
  const count = new Map<string, number>();
  for (const l of stored) count.set(key(l), (count.get(key(l)) ?? 0) + 1);
  const repeated: string[] = [];
  for (const l of shown) {
    const left = count.get(key(l)) ?? 0;
    if (left === 0) repeated.push(key(l));
    else count.set(key(l), left - 1);
  }
  const missing = [...count].flatMap(([k, n]) => Array.from({ length: n }, () => k));
  return { missing, repeated };
}

describe('engine faults: a crashed or restarted engine, a full disk', { timeout: 300_000, skip: skipReason }, () => {
  let engine: Engine;
  let startedHere = false;

  before(async () => {
    const started = Date.now();
    const out = await script('start');
    startedHere = /^fault-engine: started /m.test(out);
    const host = /^DOCKER_HOST=(.+)$/m.exec(await script('env'))?.[1];
    assert.ok(host, 'fault-engine.sh env prints DOCKER_HOST');
    const endpoint = resolveEndpoint({
      env: { DOCKER_HOST: host },
      homeDir: os.homedir(),
      platform: process.platform,
      readFile: () => undefined,
    });
    engine = await Engine.connect(endpoint, { timeoutMs: 15_000, env: {} });
    console.log(`fault engine at ${host} ${startedHere ? 'started' : 'already running'} (${Date.now() - started} ms)`);
  });

  after(async () => {
    // the engine may be down if a test failed half-way: bring it back to clean up
    if (engine) {
      await script('revive').catch(() => undefined);
      await cleanup(engine).catch(() => undefined);
    }
    if (startedHere) await script('stop');
  });

  /**
   * 50 labelled containers: 10 busy ones with `policy` (each followed by a log terminal), 20
   * sleeping, 10 exited, 10 created; the tree (a ContainerStore, as the extension runs it) and
   * the terminals follow them while dockerd goes away (`how`) and comes back.
   */
  async function breakAndReturn(how: 'kill' | 'term', policy: 'always' | 'unless-stopped'): Promise<void> {
    const setup = Date.now();
    const create = async (kind: string, i: number): Promise<string> => {
      const busy = kind === 'busy';
      const id = await engine.createContainer({
        Image: BUSYBOX,
        name: `berth-fault-${RUN_ID}-${how}-${kind}-${i}`,
        Cmd: busy ? BUSY : kind === 'exited' ? ['true'] : ['sleep', '300'],
        Labels: labels({ 'berth.fault': kind }),
        HostConfig: busy ? { RestartPolicy: { Name: policy } } : {},
        // a busy container whose output pipe is full cannot run its trap: the engine kills it after 1 s
        ...(busy ? { StopTimeout: 1 } : { StopSignal: 'SIGKILL' }),
      });
      if (kind !== 'created') await engine.startContainer(id);
      if (kind === 'exited') await engine.waitContainer(id);
      return id;
    };
    const plan = [
      ...Array.from({ length: 10 }, (_, i) => ['busy', i] as const),
      ...Array.from({ length: 20 }, (_, i) => ['sleeping', i] as const),
      ...Array.from({ length: 10 }, (_, i) => ['exited', i] as const),
      ...Array.from({ length: 10 }, (_, i) => ['created', i] as const),
    ];
    const ids: string[] = [];
    for (let i = 0; i < plan.length; i += 5) ids.push(...(await Promise.all(plan.slice(i, i + 5).map(([k, n]) => create(k, n)))));
    const busy = ids.slice(0, 10);

    // the periodic safety-net list is pushed far out: only the store's reconnect may bring it in line
    const store = new ContainerStore(engine, { reconcileIntervalMs: 600_000 });
    await store.start();
    const terminals = busy.map((id) => new Terminal(engine, id));
    try {
      await Promise.all(terminals.map((t) => t.until((xs) => xs.filter((x) => x.kind === 'line').length >= 20, 'the first lines')));
      assert.deepEqual(rows(store.all()), rows(await engine.listContainers({ all: true })), 'the tree before');
      console.log(`${how}: 50 containers, tree and 10 terminals live in ${Date.now() - setup} ms`);

      // dockerd goes away, and is started again; poll until it answers
      const broken = Date.now();
      await script(how);
      const revived = script('revive');
      let answered: number | undefined;
      while (answered === undefined) {
        if (Date.now() - broken > 90_000) throw new Error('the engine did not answer within 90 s of being started again');
        await engine.ping().then(
          () => (answered = Date.now()),
          () => delay(50),
        );
      }
      await revived;

      // the tree equals `docker ps -a` (checked every 50 ms, for up to 30 s)
      const match = await treeMatches(engine, store, 30_000);
      const list = await engine.listContainers({ all: true });
      const back = busy.filter((id) => list.find((c) => c.id === id)?.state === 'running').length;
      console.log(
        `${how}: engine answered ${answered - broken} ms after dockerd went away; ` +
          (match.at === undefined
            ? 'the tree did NOT match docker ps -a within 30 s'
            : `the tree matched docker ps -a ${match.at - answered} ms after that`) +
          `; ${back}/10 busy containers (restart policy ${policy}) running again`,
      );
      assert.deepEqual(match.tree, match.list, 'the tree equals docker ps -a within 30 s of the engine answering');
      assert.equal(back, 10, `the busy containers with restart policy ${policy} came back`);

      // every terminal resumes, then shows the container's stop after the engine came back
      await Promise.all(
        terminals.map((t) =>
          t.until(
            (xs) => xs.slice(afterLast(xs, ['engine-back', 'started'])).filter((x) => x.kind === 'line').length >= 10,
            'lines after the engine came back',
          ),
        ),
      );
      const before = terminals.map((t) => t.items.length);
      await Promise.all(busy.map((id) => engine.stopContainer(id)));
      await Promise.all(
        terminals.map((t, i) =>
          t.until(
            (xs) => xs.length > (before[i] ?? 0) && xs.at(-1)?.kind === 'marker' && afterLast(xs, ['stopped']) === xs.length,
            'the stop',
          ),
        ),
      );
      await Promise.all(terminals.map((t) => t.close()));

      // each terminal shows the engine lost and back once, and exactly the lines the engine stored
      const report: string[] = [];
      for (const t of terminals) {
        const stored = await collect(containerLogs(engine, t.id));
        const { missing, repeated } = compareLines(stored, t.lines);
        const kinds = t.markers.map((m) => m.kind);
        report.push(
          `${t.id.slice(0, 12)}: ${stored.length} lines stored (runs ${runs(stored)}), ${t.lines.length} shown; markers ${kinds.join(',')}`,
        );
        const around = (k: string): string => {
          const time = k.split(' ')[1] ?? '';
          const at = t.items.findIndex((x) => x.kind === 'line' && x.line.time > time);
          return JSON.stringify(t.items.slice(Math.max(0, at - 3), at + 2));
        };
        assert.deepEqual(
          { missing: missing.slice(0, 5), repeated: repeated.slice(0, 5) },
          { missing: [], repeated: [] },
          `${t.id}: missing ${missing.length}, repeated ${repeated.length}; the terminal around the first: ${around(missing[0] ?? repeated[0] ?? '')}`,
        );
        assert.deepEqual(t.lines, stored, `${t.id}: the terminal shows the stored lines in order`);
        assert.deepEqual(
          kinds.filter((k) => k === 'engine-lost' || k === 'engine-back'),
          ['engine-lost', 'engine-back'],
          `${t.id}: one "lost the engine" and one "engine back" marker; markers: ${kinds.join(', ')}`,
        );
      }
      console.log(`${how}: ${report.join('\n  ')}`);

      // the tree still follows the engine: the stops show
      const settled = await treeMatches(engine, store, 30_000);
      assert.deepEqual(settled.tree, settled.list, 'the tree after the busy containers stopped');
    } finally {
      store.stop();
      await Promise.all(terminals.map((t) => t.close()));
      await cleanup(engine);
    }
  }

  test('dockerd killed (SIGKILL) and started again: the tree matches the engine, each log terminal says "lost … back" once and loses or repeats no line', async () => {
    // live restore is off: the crash takes the containers down; the engine restarts "always" ones
    // ("unless-stopped" ones stay down after a crash: the engine counts its own clean-up as a stop)
    await breakAndReturn('kill', 'always');
  });

  test('dockerd stopped (SIGTERM) and started again: containers with a restart policy come back, the tree and terminals follow', async () => {
    await breakAndReturn('term', 'unless-stopped');
  });

  test('a build on a full disk names the step and "no space left on device"; the engine keeps working', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-fault-build-'));
    const tags = [`berth-test/fill:${RUN_ID}`, `berth-test/small:${RUN_ID}`];
    try {
      fs.writeFileSync(
        path.join(dir, 'Dockerfile'),
        `FROM ${BUSYBOX}\nRUN echo preparing\nRUN dd if=/dev/zero of=/fill bs=1M count=1024\nRUN echo never\n`,
      );
      const started = Date.now();
      const failure = await buildImage(engine, {
        scan: scanContext(dir),
        dockerfile: 'Dockerfile',
        tag: tags[0]!,
        labels: { [TEST_LABEL]: RUN_ID },
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      console.log(`full disk: the build failed after ${Date.now() - started} ms: ${String(failure)}`);
      assert.ok(failure instanceof BuildFailedError, `a BuildFailedError, got ${String(failure)}`);
      assert.equal(failure.step?.index, 3);
      assert.match(failure.step?.instruction ?? '', /^RUN dd /);
      assert.match(failure.message, /^Build failed at step 3\/\d+ \(RUN dd .*\): no space left on device — /);

      // the engine still answers and lists; a small build and a run work
      await engine.ping();
      await engine.listContainers({ all: true });
      await engine.listImages();
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BUSYBOX}\nRUN echo small > /small\n`);
      await buildImage(engine, { scan: scanContext(dir), dockerfile: 'Dockerfile', tag: tags[1]!, labels: { [TEST_LABEL]: RUN_ID } });
      const id = await engine.createContainer({ Image: tags[1]!, Cmd: ['cat', '/small'], Labels: labels() });
      await engine.startContainer(id);
      assert.equal(await engine.waitContainer(id), 0);
      assert.deepEqual(
        (await collect(containerLogs(engine, id))).map((l) => l.text),
        ['small'],
      );
    } finally {
      for (const t of tags) await engine.removeImage(t, { force: true }).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
