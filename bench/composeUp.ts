/**
 * Up of the sample project's AI stack (New AI Stack on a copy of examples/iris-classifier): the
 * inference service built from its Dockerfile, Redis and Prometheus (the local images built by
 * scripts/base-images.sh; the vector database cannot be pulled here, so Up names the three
 * services) — through Berth against the compose CLI alone, in one run:
 *
 *  - Berth: `upArgs` + `runCompose` of src/core/compose, in the engine endpoint's environment
 *    (`composeEnv`), with the CLI `detectCompose` found (the extension detects it once and keeps
 *    it: measured once, on its own).
 *  - The CLI alone: `docker-compose … up -d inference redis prometheus` spawned with execa.
 *
 * For every Up, a ContainerStore (no filters, as the Containers view's) follows the engine's
 * events: the time from the start of Up until the tree model shows all three services' containers
 * running (grouped by their compose project, as the tree groups them), against the time Up's process
 * exits, and the engine's own `start` events read from a raw /events stream.
 *
 * The inference image is built once before timing. Berth and the CLI alternate which goes first;
 * every Up starts from nothing (`down -v` between, not timed). One warm-up Up first, not counted.
 * Everything belongs to one compose project (berth-bench-compose), labelled berth.bench=<pid>;
 * ports are published on 127.0.0.1 on ports the engine picks; `down -v --rmi local` of that project
 * at the end, also on failure or Ctrl-C.
 *
 *   npm run bench:compose -- [--rounds 5]     (or BERTH_BENCH_ROUNDS=5)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { upArgs, type ComposeTarget } from '../src/core/compose/composeArgs';
import { composeEnv, detectCompose, type ComposeCli } from '../src/core/compose/composeCli';
import { runCompose } from '../src/core/compose/composeRun';
import { newStackFiles, writeStackFiles } from '../src/core/compose/newStack';
import { stackProjectOf } from '../src/core/compose/stackProject';
import { ContainerStore } from '../src/core/engine/containerStore';
import { parseEvent } from '../src/core/engine/events';
import { COMPOSE_LABEL } from '../src/core/engine/labels';
import { splitLines } from '../src/core/engine/streams';
import { groupOf } from '../src/ui/containers/format';
import { connect, fmt, LABEL, median, RUN_ID, sleep, waitUntil, wallMs } from './common';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: process.env.BERTH_BENCH_ROUNDS ?? '5' },
    project: { type: 'string', default: 'berth-bench-compose' },
  },
});
const ROUNDS = Number(values.rounds);
const PROJECT = values.project;
const SERVICES = ['inference', 'redis', 'prometheus'] as const;
const REDIS = process.env.BERTH_REDIS_IMAGE ?? 'berth-redis:latest';
const PROMETHEUS = process.env.BERTH_PROMETHEUS_IMAGE ?? 'berth-prometheus:latest';
const SAMPLE = path.resolve(__dirname, '..', 'examples', 'iris-classifier');
const SEEN_TIMEOUT_MS = 60_000;

type Side = 'berth' | 'cli';

/** One Up: wall-clock ms (sub-ms) of its start, its process's exit, and what the model and the engine said when. */
interface Round {
  readonly side: Side;
  readonly start: number;
  exit?: number;
  /** Per service: when the tree model first showed its container running. */
  readonly model: Map<string, number>;
  /** Per service: the engine's `start` event time (its own clock, timeNano). */
  readonly started: Map<string, number>;
}

/** An override file that labels every service, volume and network of the stack with this run's id. */
function labelOverride(dir: string, compose: string): string {
  const section = (name: string): string[] => {
    const m = new RegExp(`^${name}:\\n((?:  .*\\n|\\s*\\n)+)`, 'm').exec(compose);
    return [...(m?.[1] ?? '').matchAll(/^ {2}([a-z0-9-]+):/gm)].map((x) => x[1] ?? '');
  };
  const labels = { [LABEL]: RUN_ID };
  const override = {
    services: Object.fromEntries(
      section('services').map((s) => [s, { labels, ...(s === 'inference' ? { build: { context: '.', labels } } : {}) }]),
    ),
    volumes: Object.fromEntries(section('volumes').map((v) => [v, { labels }])),
    networks: Object.fromEntries(section('networks').map((n) => [n, { labels }])),
  };
  const file = path.join(dir, 'labels.override.yaml');
  // JSON is YAML
  fs.writeFileSync(file, `${JSON.stringify(override, null, 2)}\n`);
  return file;
}

async function main(): Promise<void> {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--rounds must be a whole number ≥ 1');
  const { execa } = await import('execa');
  const { engine, endpoint } = await connect();
  const env = composeEnv(endpoint, process.env);

  // the stack, written by New AI Stack into a copy of the sample
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-compose-'));
  const dir = path.join(scratch, 'iris-classifier');
  fs.cpSync(SAMPLE, dir, { recursive: true });
  const files = newStackFiles(stackProjectOf(dir), {
    gpu: 'never',
    anyHostPort: true,
    images: { redis: REDIS, prometheus: PROMETHEUS },
  });
  writeStackFiles(dir, files, true);
  const target: ComposeTarget = {
    files: [path.join(dir, 'compose.yaml'), labelOverride(dir, files['compose.yaml'])],
    projectName: PROJECT,
  };
  const global = target.files.flatMap((f) => ['-f', f]).concat(['-p', PROJECT]);
  const projectFilter = `${COMPOSE_LABEL.project}=${PROJECT}`;

  const already = await engine.listContainers({ filters: { label: [projectFilter] } });
  if (already.length > 0) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw new Error(
      `${already.length} containers of compose project ${PROJECT} exist already (another run?): remove them ` +
        `(\`docker ps -a --filter label=${projectFilter}\`) or pass --project <another name>`,
    );
  }

  const controller = new AbortController();
  /** The compose process running now (build, up or down): cancelled and waited for before the final down. */
  let busy: Promise<unknown> | undefined;
  const track = <T>(p: Promise<T>): Promise<T> => {
    busy = p;
    return p;
  };
  const store = new ContainerStore(engine);
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      controller.abort();
      store.stop();
      await busy?.catch(() => undefined);
      process.stdout.write(`down -v --rmi local of compose project ${PROJECT}… `);
      const r = await execa('docker-compose', [...global, 'down', '-v', '--rmi', 'local', '-t', '1'], {
        cwd: dir,
        reject: false,
        all: true,
      });
      const left = await engine.listContainers({ filters: { label: [`${LABEL}=${RUN_ID}`] } }).catch(() => []);
      process.stdout.write(r.exitCode === 0 ? `done (${left.length} labelled containers left)\n` : `failed:\n${String(r.all)}\n`);
      fs.rmSync(scratch, { recursive: true, force: true });
    })());
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  // `on`, not `once`: execa's exit hook re-raises a signal when it finds no other listener left
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const rounds: Round[] = [];
  let current: Round | undefined;
  let detectMs = NaN;
  let cli!: ComposeCli;
  let compose = '';
  let lines = 0;
  try {
    const cliVersion = (await execa('docker-compose', ['version', '--short'])).stdout.trim();
    compose = `docker-compose ${cliVersion}`;
    console.log(
      `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}; ${compose}; project ${PROJECT}; ` +
        `services ${SERVICES.join(', ')}; ${ROUNDS} rounds`,
    );

    // Berth's Compose detection: what the extension does once and keeps
    const d0 = performance.now();
    cli = await detectCompose({ env });
    detectMs = performance.now() - d0;
    console.log(`detectCompose: ${cli.description} in ${fmt(detectMs, 0)} ms`);

    process.stdout.write('building the inference image (not timed)… ');
    const b0 = Date.now();
    await track(execa('docker-compose', [...global, 'build', 'inference'], { cwd: dir, cancelSignal: controller.signal }));
    process.stdout.write(`${((Date.now() - b0) / 1000).toFixed(1)} s\n`);

    // the tree model: a store of every container, as the Containers view's
    store.onChange((changes) => {
      const now = wallMs();
      const round = current;
      if (!round) return;
      for (const change of changes) {
        if (change.kind === 'removed') continue;
        const r = change.record;
        const group = groupOf(r);
        const service = r.labels[COMPOSE_LABEL.service];
        if (group.kind !== 'compose' || group.project !== PROJECT || service === undefined) continue;
        if (r.state === 'running' && !round.model.has(service)) round.model.set(service, now);
      }
    });
    await store.start();
    const known = store.all().length;
    await waitUntil(() => store.counters.inspects >= known, 120_000, 50);

    // the engine's own account: start events of the project's containers, raw
    const events = await engine.openStream({
      path: '/events',
      operation: 'follow events',
      signal: controller.signal,
      query: { filters: JSON.stringify({ type: ['container'], event: ['start'], label: [projectFilter] }) },
    });
    const following = (async () => {
      for await (const line of splitLines(events)) {
        if (line.trim() === '') continue;
        const event = parseEvent(line);
        const service = event.attributes[COMPOSE_LABEL.service];
        if (current && service !== undefined && !current.started.has(service)) {
          const ns = BigInt(event.timeNano);
          current.started.set(service, Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6);
        }
      }
    })().catch(() => undefined);

    const services = [...SERVICES];
    const up: Record<Side, () => Promise<unknown>> = {
      berth: () =>
        track(
          runCompose(upArgs(cli, target, { services }), {
            env,
            cwd: dir,
            services,
            projectName: PROJECT,
            signal: controller.signal,
            onLine: () => lines++,
          }),
        ),
      cli: () => track(execa('docker-compose', [...global, 'up', '-d', ...services], { cwd: dir, cancelSignal: controller.signal })),
    };
    const projectInModel = (): number =>
      store.all().filter((r) => {
        const g = groupOf(r);
        return g.kind === 'compose' && g.project === PROJECT;
      }).length;
    const down = async (): Promise<void> => {
      await track(execa('docker-compose', [...global, 'down', '-v', '-t', '1'], { cwd: dir, cancelSignal: controller.signal }));
      if (!(await waitUntil(() => projectInModel() === 0, 30_000, 20))) throw new Error('the model still shows the project after down');
      await sleep(500); // the down's trailing events
    };
    const once = async (side: Side, beforeDown?: () => Promise<void>): Promise<Round> => {
      const round: Round = { side, start: wallMs(), model: new Map(), started: new Map() };
      current = round;
      await up[side]();
      round.exit = wallMs();
      const all = await waitUntil(() => round.model.size === SERVICES.length && round.started.size === SERVICES.length, SEEN_TIMEOUT_MS);
      current = undefined;
      if (!all) throw new Error(`${side}: the model saw ${[...round.model.keys()].join(', ') || 'nothing'} running`);
      await beforeDown?.();
      await down();
      return round;
    };

    // everything the project creates carries this run's label (checked once, after the warm-up's Up)
    const labelled = async (): Promise<void> => {
      const both = { label: [projectFilter, `${LABEL}=${RUN_ID}`] };
      const counts = await Promise.all([
        engine.listContainers({ filters: { label: [projectFilter] } }),
        engine.listContainers({ filters: both }),
        engine.listVolumes({ filters: { label: [projectFilter] } }),
        engine.listVolumes({ filters: both }),
        engine.listNetworks({ filters: { label: [projectFilter] } }),
        engine.listNetworks({ filters: both }),
      ]);
      const [c, cl, v, vl, n, nl] = counts.map((xs) => xs.length);
      const image = (await engine.inspectImageJson(`${PROJECT}_inference`)).Config?.Labels?.[LABEL];
      if (c !== SERVICES.length || c !== cl || v !== vl || n !== nl || image !== RUN_ID) {
        throw new Error(`unlabelled resources: containers ${cl}/${c}, volumes ${vl}/${v}, networks ${nl}/${n}, image label ${image}`);
      }
      process.stdout.write(`(${c} containers, ${v} volumes, ${n} network, the image: all labelled ${LABEL}=${RUN_ID}) `);
    };

    process.stdout.write('warm-up Up (not counted)… ');
    const w = await once('cli', labelled);
    process.stdout.write(`${fmt(w.exit! - w.start, 0)} ms\n`);
    for (let i = 0; i < ROUNDS; i++) {
      const order: Side[] = i % 2 === 0 ? ['berth', 'cli'] : ['cli', 'berth'];
      const parts: string[] = [];
      for (const side of order) {
        const r = await once(side);
        rounds.push(r);
        parts.push(
          `${side === 'berth' ? 'Berth' : 'CLI'} exit ${fmt(r.exit! - r.start, 0)} ms, model ${fmt(lastOf(r.model) - r.start, 0)} ms`,
        );
      }
      console.log(`round ${i + 1}: ${parts.join('; ')}`);
    }
    controller.abort();
    await following;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  report(rounds, detectMs, compose, lines);
}

function lastOf(m: ReadonlyMap<string, number>): number {
  return Math.max(...m.values());
}

function report(rounds: readonly Round[], detectMs: number, compose: string, lines: number): void {
  const of = (side: Side, f: (r: Round) => number): number[] => rounds.filter((r) => r.side === side).map(f);
  const measures: { label: string; f: (r: Round) => number; ratio: boolean }[] = [
    { label: 'Up: start → process exit', f: (r) => r.exit! - r.start, ratio: true },
    { label: "Up → last service's `start` event (engine clock)", f: (r) => lastOf(r.started) - r.start, ratio: true },
    { label: 'Up → tree model shows all 3 running', f: (r) => lastOf(r.model) - r.start, ratio: true },
    { label: 'model sees the last one − process exit', f: (r) => lastOf(r.model) - r.exit!, ratio: false },
    { label: 'last `start` event → model shows it', f: (r) => lastOf(r.model) - lastOf(r.started), ratio: false },
  ];
  console.log(`\nUp of inference + redis + prometheus (${compose}), ms: median of ${rounds.length / 2} rounds each, [min, max]\n`);
  console.log('| measure | Berth (runCompose) | compose CLI alone | Berth ÷ CLI, medians | Berth ÷ CLI, same round (median) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const m of measures) {
    const b = of('berth', m.f);
    const c = of('cli', m.f);
    const cell = (xs: number[]): string => `${fmt(median(xs), 0)} [${fmt(Math.min(...xs), 0)}, ${fmt(Math.max(...xs), 0)}]`;
    // each round has one Up of each side, a few seconds apart: their ratio cancels the machine's drift
    const paired = b.map((x, i) => x / c[i]!);
    const ratios = m.ratio ? `×${fmt(median(b) / median(c), 2)} | ×${fmt(median(paired), 2)}` : '– | –';
    console.log(`| ${m.label} | ${cell(b)} | ${cell(c)} | ${ratios} |`);
  }
  const upMedian = median(of('berth', (r) => r.exit! - r.start));
  console.log(
    `\ndetectCompose (once per session in the extension): ${fmt(detectMs, 0)} ms, ${fmt((100 * detectMs) / upMedian, 1)}% of Berth's ` +
      `median Up. Berth's runs streamed ${lines} output lines to onLine.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
