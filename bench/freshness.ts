/**
 * How stale is the container tree? With N labelled containers on the engine, starts and stops
 * containers and measures, for each engine event, the time from the event's own timestamp
 * (`timeNano`, the engine's wall clock on this machine) to the model showing the new state:
 *
 *  - Berth: a ContainerStore (no filters); the first onChange record with the new state.
 *  - The incumbent's strategy: on every container event, debounce 500 ms, then a full list with
 *    @microsoft/vscode-container-client 0.5.3 (docker CLI); the first list that returns with the
 *    container in its new state. Its events come from Berth's engineEvents (one /events stream).
 *
 * Each event's timestamp is taken from a separate raw read of /events (parsed, never de-duplicated),
 * so that a probe is matched even when a contender's own stream drops its event.
 *
 * Both watch the same events in the same run. Spaced trials leave each action ≥ --gap ms apart and
 * wait for both to catch up, so the debounce windows never merge; burst trials start (then stop)
 * --burst-size containers at once.
 *
 *   npm run bench:freshness -- [--containers 500] [--trials 40] [--bursts 5] [--burst-size 10] [--gap 700]
 */
import { parseArgs } from 'node:util';
import { ContainerStore } from '../src/core/engine/containerStore';
import { engineEvents, parseEvent } from '../src/core/engine/events';
import { splitLines } from '../src/core/engine/streams';
import { connect, createLabelled, fmt, nanoToMs, percentile, sleep, waitUntil, wallMs, withCleanup } from './common';
import { installVscodeStub } from './vscodeStub';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '500' },
    trials: { type: 'string', default: '40' },
    bursts: { type: 'string', default: '5' },
    'burst-size': { type: 'string', default: '10' },
    gap: { type: 'string', default: '700' },
    debounce: { type: 'string', default: '500' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.containers);
const TRIALS = Number(values.trials);
const BURSTS = Number(values.bursts);
const BURST_SIZE = Number(values['burst-size']);
const GAP_MS = Number(values.gap);
const DEBOUNCE_MS = Number(values.debounce);
const OBSERVE_TIMEOUT_MS = 20_000;

type Verb = 'start' | 'die';
type Variant = 'spaced' | 'burst';

interface Probe {
  readonly id: string;
  readonly verb: Verb;
  readonly want: 'running' | 'exited';
  readonly variant: Variant;
  eventMs?: number;
  berthMs?: number;
  /** Whether Berth's model got the new state from the event itself or from an inspect. */
  berthVia?: 'event' | 'inspect';
  incumbentMs?: number;
}

async function main(): Promise<void> {
  if (COUNT < TRIALS + BURSTS * BURST_SIZE) throw new Error('--containers must be at least --trials + --bursts × --burst-size');
  const { engine, endpoint } = await connect();
  installVscodeStub();
  const { DockerClient, ShellStreamCommandRunnerFactory } = await import('@microsoft/vscode-container-client');
  const incumbent = new DockerClient();
  const runCommand = new ShellStreamCommandRunnerFactory({ strict: true }).getCommandRunner();

  const probes: Probe[] = [];
  /** The probe still waiting for something, per container. */
  const active = new Map<string, Probe>();
  const controller = new AbortController();
  const store = new ContainerStore(engine);
  let incumbentLists = 0;
  let incumbentEvents = 0;
  let clockEvents = 0;
  let clockInversions = 0;
  let storeEventsBefore = 0;

  await withCleanup(
    engine,
    async () => {
      process.stdout.write(
        `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\ncreating ${COUNT} labelled containers… `,
      );
      const t0 = Date.now();
      const ids = await createLabelled(engine, COUNT, { Cmd: ['sleep', '3600'] });
      const total = (await engine.listContainers()).length;
      process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s (${total} containers on the engine in all)\n`);

      // (a) Berth
      process.stdout.write('starting the ContainerStore… ');
      const s0 = Date.now();
      store.onChange((changes) => {
        const now = wallMs();
        for (const change of changes) {
          if (change.kind === 'removed') continue;
          const probe = active.get(change.record.id);
          if (probe && probe.berthMs === undefined && change.record.state === probe.want) {
            probe.berthMs = now;
            // a record built from the event carries its whole-second time; an inspect's has nanoseconds
            const at = probe.want === 'running' ? change.record.startedAt : change.record.finishedAt;
            probe.berthVia = at?.endsWith('.000Z') === true ? 'event' : 'inspect';
          }
        }
      });
      await store.start();
      const known = store.all().length;
      // let the initial detail fill (one inspect per container) finish before measuring
      await waitUntil(() => store.counters.inspects >= known, 120_000, 50);
      process.stdout.write(
        `${store.all().length} records, ${store.counters.inspects} inspects, ${((Date.now() - s0) / 1000).toFixed(1)} s\n`,
      );

      // (b) the incumbent's strategy: debounce container events, then list everything
      let debounce: NodeJS.Timeout | undefined;
      let listing = false;
      let listAgain = false;
      const list = async (): Promise<void> => {
        if (listing) {
          listAgain = true;
          return;
        }
        listing = true;
        try {
          const items = await runCommand(incumbent.listContainers({ all: true }));
          const now = wallMs();
          incumbentLists++;
          const state = new Map(items.map((c) => [c.id, c.state]));
          for (const probe of active.values()) {
            if (probe.incumbentMs === undefined && state.get(probe.id) === probe.want) probe.incumbentMs = now;
          }
        } finally {
          listing = false;
          if (listAgain) {
            listAgain = false;
            void list();
          }
        }
      };
      await list(); // warm-up
      const follow = async (): Promise<void> => {
        for await (const _event of engineEvents(engine, { signal: controller.signal, filters: { type: ['container'] } })) {
          incumbentEvents++;
          clearTimeout(debounce);
          debounce = setTimeout(() => void list(), DEBOUNCE_MS);
        }
      };
      // the events' own timestamps, read raw: every event the engine sends, in the order it sends them
      const clock = async (): Promise<void> => {
        const stream = await engine.openStream({
          path: '/events',
          operation: 'follow events',
          signal: controller.signal,
          query: { filters: JSON.stringify({ type: ['container'] }) },
        });
        let last = 0n;
        for await (const line of splitLines(stream)) {
          if (line.trim() === '') continue;
          const event = parseEvent(line);
          clockEvents++;
          const nano = BigInt(event.timeNano);
          if (nano < last) clockInversions++;
          else last = nano;
          const probe = active.get(event.id);
          if (probe && probe.eventMs === undefined && event.verb === probe.verb) probe.eventMs = nanoToMs(event.timeNano);
        }
      };
      const following = Promise.all([follow().catch(() => undefined), clock().catch(() => undefined)]);
      await sleep(300);
      storeEventsBefore = store.counters.events;

      const done = (p: Probe): boolean => p.eventMs !== undefined && p.berthMs !== undefined && p.incumbentMs !== undefined;
      const act = async (variant: Variant, verb: Verb, targets: readonly string[]): Promise<void> => {
        const mine = targets.map((id): Probe => ({ id, verb, want: verb === 'start' ? 'running' : 'exited', variant }));
        for (const p of mine) {
          active.set(p.id, p);
          probes.push(p);
        }
        const began = Date.now();
        await Promise.all(
          targets.map((id) => (verb === 'start' ? engine.startContainer(id) : engine.stopContainer(id, { graceSeconds: 0 }))),
        );
        await waitUntil(() => mine.every(done), OBSERVE_TIMEOUT_MS);
        await sleep(Math.max(0, GAP_MS - (Date.now() - began)));
        for (const p of mine) active.delete(p.id);
      };

      process.stdout.write(`${TRIALS} spaced trials (start, then stop -t 0)… `);
      const r0 = Date.now();
      for (let i = 0; i < TRIALS; i++) {
        const id = ids[i]!;
        await act('spaced', 'start', [id]);
        await act('spaced', 'die', [id]);
      }
      process.stdout.write(`${((Date.now() - r0) / 1000).toFixed(1)} s\n`);
      if (BURSTS > 0) {
        process.stdout.write(`${BURSTS} bursts of ${BURST_SIZE} containers started (then stopped) at once… `);
        const b0 = Date.now();
        for (let b = 0; b < BURSTS; b++) {
          const group = Array.from({ length: BURST_SIZE }, (_, k) => ids[(TRIALS + b * BURST_SIZE + k) % ids.length]!);
          await act('burst', 'start', group);
          await act('burst', 'die', group);
        }
        process.stdout.write(`${((Date.now() - b0) / 1000).toFixed(1)} s\n`);
      }
      await sleep(500); // the last stop's trailing events
      controller.abort();
      clearTimeout(debounce);
      store.stop();
      await following;
      await waitUntil(() => !listing, 10_000);
    },
    values.keep,
  );

  report(probes, COUNT, {
    lists: incumbentLists,
    incumbentEvents,
    clockEvents,
    clockInversions,
    storeEvents: store.counters.events - storeEventsBefore,
    storeInspects: store.counters.inspects,
    storeLists: store.counters.lists,
  });
}

interface Counters {
  readonly lists: number;
  readonly incumbentEvents: number;
  readonly clockEvents: number;
  readonly clockInversions: number;
  readonly storeEvents: number;
  readonly storeInspects: number;
  readonly storeLists: number;
}

function report(probes: readonly Probe[], count: number, counters: Counters): void {
  const rows: { label: string; variant: Variant; verb?: Verb }[] = [
    { label: 'spaced, start → running', variant: 'spaced', verb: 'start' },
    { label: 'spaced, die → exited', variant: 'spaced', verb: 'die' },
    { label: 'spaced, all', variant: 'spaced' },
    { label: `burst of ${BURST_SIZE}, start → running`, variant: 'burst', verb: 'start' },
    { label: `burst of ${BURST_SIZE}, die → exited`, variant: 'burst', verb: 'die' },
    { label: `burst of ${BURST_SIZE}, all`, variant: 'burst' },
  ];
  console.log(`\nEvent timestamp → model shows the new state, ${count} benchmark containers on the engine (ms)\n`);
  console.log(
    `Berth: ContainerStore.onChange. Incumbent: container events (via Berth's engineEvents) → ${DEBOUNCE_MS} ms debounce → ` +
      `vscode-container-client 0.5.3 listContainers({ all: true }) (docker CLI).\n`,
  );
  console.log('| trials | contender | n | p50 | p95 | p99 | max | missed | seen via inspect |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const ratios: string[] = [];
  for (const row of rows) {
    const set = probes.filter((p) => p.variant === row.variant && (row.verb === undefined || p.verb === row.verb));
    if (set.length === 0) continue;
    const stats = (key: 'berthMs' | 'incumbentMs'): { xs: number[]; missed: number } => {
      const xs = set.filter((p) => p.eventMs !== undefined && p[key] !== undefined).map((p) => p[key]! - p.eventMs!);
      return { xs, missed: set.length - xs.length };
    };
    const berth = stats('berthMs');
    const inc = stats('incumbentMs');
    const viaInspect = String(set.filter((p) => p.berthVia === 'inspect').length);
    for (const [name, s, via] of [
      ['Berth ContainerStore', berth, viaInspect],
      ['incumbent (debounce + list)', inc, '–'],
    ] as const) {
      console.log(
        `| ${row.label} | ${name} | ${s.xs.length} | ${fmt(percentile(s.xs, 50))} | ${fmt(percentile(s.xs, 95))} | ` +
          `${fmt(percentile(s.xs, 99))} | ${fmt(Math.max(...s.xs))} | ${s.missed} | ${via} |`,
      );
    }
    if (row.verb === undefined) {
      ratios.push(
        `| ${row.label} | ${fmt(percentile(inc.xs, 50) / percentile(berth.xs, 50))}× | ${fmt(percentile(inc.xs, 99) / percentile(berth.xs, 99))}× |`,
      );
    }
  }
  console.log('\n| trials | incumbent / Berth at p50 | incumbent / Berth at p99 |');
  console.log('|---|---:|---:|');
  for (const r of ratios) console.log(r);
  console.log(
    `\nThe engine sent ${counters.clockEvents} container events during the trials, ${counters.clockInversions} of them with a ` +
      `timeNano earlier than one sent before. engineEvents yielded ${counters.storeEvents} of them to the store and ` +
      `${counters.incumbentEvents} to the incumbent's subscription. "Seen via inspect": probes where the store showed the new ` +
      `state from an inspect before (or without) the event itself.`,
  );
  console.log(
    `Berth store: ${counters.storeLists} lists, ${counters.storeInspects} inspects in all (the initial fill included). ` +
      `Incumbent: ${counters.lists} full lists (warm-up included).`,
  );
  const missed = probes.filter((p) => p.eventMs === undefined).length;
  if (missed > 0) console.log(`${missed} probes never saw their event on the raw stream.`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
