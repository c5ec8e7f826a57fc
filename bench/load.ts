/**
 * Does the extension host stay responsive under load? Measures this Node process's event loop
 * delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) as the stand-in, in three phases:
 *
 *  1. baseline: nothing running, nothing watched;
 *  2. a ContainerStore knowing --containers labelled containers (created, not started);
 *  3. the same, plus --loggers containers each printing ~2,000 lines/s, each followed at once with
 *     followContainerLogs, rendered with formatLine into a sink batching like the log terminal.
 *
 *   npm run bench:load -- [--containers 500] [--loggers 10] [--seconds 20] [--baseline 10]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ContainerStore } from '../src/core/engine/containerStore';
import { followContainerLogs } from '../src/core/engine/logFollower';
import { formatLine, formatMarker, type LineFormat } from '../src/ui/logs/formatLog';
import { BatchingSink, connect, createLabelled, fmt, sleep, waitUntil, withCleanup } from './common';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '500' },
    loggers: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    baseline: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.containers);
const LOGGERS = Number(values.loggers);
const SECONDS = Number(values.seconds);
const BASELINE_SECONDS = Number(values.baseline);
const WARMUP_SECONDS = Number(values.warmup);
/** ~2,000 lines/s: 200 lines every 100 ms. */
const LOGGER_CMD = ['sh', '-c', 'while :; do seq 1 200; sleep 0.1; done'];
const FORMAT: LineFormat = { timestamps: false };

interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  readonly linesPerSecond?: number;
  readonly flushesPerSecond?: number;
  readonly rssMaxMb: number;
  readonly heapMaxMb: number;
  readonly cpuPercent: number;
}

/** Measure the event loop delay for `seconds`, sampling memory every 250 ms. */
async function measure(name: string, seconds: number, counts?: () => { lines: number; flushes: number }): Promise<Phase> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let rssMax = 0;
  let heapMax = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rssMax = Math.max(rssMax, m.rss);
    heapMax = Math.max(heapMax, m.heapUsed);
  };
  const sampler = setInterval(sample, 250);
  const before = counts?.();
  const cpu = process.cpuUsage();
  const start = performance.now();
  histogram.enable();
  await sleep(seconds * 1000);
  histogram.disable();
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const after = counts?.();
  clearInterval(sampler);
  sample();
  return {
    name,
    seconds: elapsed,
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
    mean: histogram.mean / 1e6,
    ...(before && after
      ? { linesPerSecond: (after.lines - before.lines) / elapsed, flushesPerSecond: (after.flushes - before.flushes) / elapsed }
      : {}),
    rssMaxMb: rssMax / 2 ** 20,
    heapMaxMb: heapMax / 2 ** 20,
    cpuPercent: ((used.user + used.system) / 1000 / (elapsed * 1000)) * 100,
  };
}

async function main(): Promise<void> {
  const { engine, endpoint } = await connect();
  const phases: Phase[] = [];
  const store = new ContainerStore(engine);
  const controller = new AbortController();
  const sinks: BatchingSink[] = [];
  const linesPer: number[] = [];
  const followers: Promise<void>[] = [];

  await withCleanup(
    engine,
    async () => {
      console.log(`Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}`);
      process.stdout.write(`baseline: ${BASELINE_SECONDS} s with nothing running… `);
      phases.push(await measure('baseline: idle, nothing watched', BASELINE_SECONDS));
      process.stdout.write('done\n');

      process.stdout.write(`creating ${COUNT} labelled containers and ${LOGGERS} loggers… `);
      const t0 = Date.now();
      await createLabelled(engine, COUNT, { Cmd: ['sleep', '3600'] });
      const loggers = await createLabelled(engine, LOGGERS, { Cmd: LOGGER_CMD });
      process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

      process.stdout.write('starting the ContainerStore… ');
      await store.start();
      const known = store.all().length;
      await waitUntil(() => store.counters.inspects >= known, 120_000, 50);
      process.stdout.write(`${store.all().length} records\n`);
      process.stdout.write(`store only: ${BASELINE_SECONDS} s… `);
      phases.push(await measure(`ContainerStore with ${known} containers, idle`, BASELINE_SECONDS));
      process.stdout.write('done\n');

      process.stdout.write(`starting ${LOGGERS} loggers and following their logs… `);
      await Promise.all(loggers.map((id) => engine.startContainer(id)));
      loggers.forEach((id, i) => {
        const sink = new BatchingSink();
        sinks.push(sink);
        linesPer.push(0);
        followers.push(
          (async () => {
            for await (const item of followContainerLogs(engine, id, { signal: controller.signal, tail: 1000 })) {
              if (item.kind === 'line') {
                linesPer[i]!++;
                sink.write(formatLine(item.line, FORMAT));
              } else sink.write(formatMarker(item.marker));
            }
            sink.close();
          })(),
        );
      });
      await sleep(WARMUP_SECONDS * 1000);
      process.stdout.write(`measuring ${SECONDS} s… `);
      const counts = (): { lines: number; flushes: number } => ({
        lines: linesPer.reduce((a, b) => a + b, 0),
        flushes: sinks.reduce((a, s) => a + s.flushes, 0),
      });
      phases.push(await measure(`ContainerStore + ${LOGGERS} loggers followed and rendered`, SECONDS, counts));
      process.stdout.write('done\n');
      controller.abort();
      store.stop();
      await Promise.all(followers);
    },
    values.keep,
  );

  console.log(`\nEvent loop delay of this Node process (monitorEventLoopDelay, resolution 10 ms; an idle loop reads ≈ 10 ms)\n`);
  console.log(
    '| phase | s | delay p50 ms | p99 ms | max ms | mean ms | lines/s rendered | flushes/s | CPU % of a core | RSS max MB | heap max MB |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const p of phases) {
    console.log(
      `| ${p.name} | ${fmt(p.seconds)} | ${fmt(p.p50, 2)} | ${fmt(p.p99, 2)} | ${fmt(p.max, 2)} | ${fmt(p.mean, 2)} | ` +
        `${p.linesPerSecond === undefined ? '–' : fmt(p.linesPerSecond, 0)} | ${p.flushesPerSecond === undefined ? '–' : fmt(p.flushesPerSecond, 0)} | ` +
        `${fmt(p.cpuPercent)} | ${fmt(p.rssMaxMb)} | ${fmt(p.heapMaxMb)} |`,
    );
  }
  console.log(
    `\nStore: ${store.counters.events} events, ${store.counters.inspects} inspects, ${store.counters.lists} lists. ` +
      `Lines per logger over the whole run: ${linesPer.join(', ')}.`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
