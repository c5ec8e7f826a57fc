/**
 * The cost of one fleet sweep: N model containers (busybox httpd answering a static Prometheus
 * text — the sample server's own — through a CGI, with the container's published port), each
 * scraped and its CPU and memory read, as the fleet model does every interval. Side by side:
 *
 * - the fleet model's sweep (FleetModel.sweep over a live ContainerStore: scrapes with parsing and
 *   request figures, one-shot stats, rows and history);
 * - the floor: the same N GETs with the body read and nothing else, plus N one-shot stats reads
 *   through the Engine API (raw JSON, no figures); and each half alone;
 * - `docker stats --no-stream <N ids>` (the CLI's own one-shot, which waits for a CPU delta);
 * - the other way to read stats: one stats stream per container kept open, its cost over one
 *   interval (5 s) of samples.
 *
 * Wall time, CPU time of this process (user + system, as the extension host would spend it; the
 * CLI's own CPU counted apart), and RSS. Medians of several runs, interleaved.
 *
 *   npm run bench:fleet -- [--containers 50] [--runs 7] [--interval 5000]
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ContainerStore } from '../src/core/engine/containerStore';
import type { Engine } from '../src/core/engine/engine';
import { containerStats, statsOnce } from '../src/core/engine/stats';
import { FleetModel } from '../src/core/fleet/fleetModel';
import { connect, fmt, IMAGE, LABEL, median, RUN_FILTER, RUN_ID, sleep, waitUntil, wallMs, withCleanup } from './common';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '50' },
    runs: { type: 'string', default: '7' },
    interval: { type: 'string', default: '5000' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.containers);
const RUNS = Number(values.runs);
const INTERVAL_MS = Number(values.interval);
const METRICS_PATH = '/cgi-bin/metrics';
const SCRAPES_AT_ONCE = 8;
const STATS_AT_ONCE = 32;

/** The sample server's /metrics text after some traffic (test/unit/core/fleet/fixtures). */
const TEXT = fs.readFileSync(`${__dirname}/../test/unit/core/fleet/fixtures/iris-2.txt`, 'utf8');

interface Cost {
  wallMs: number;
  cpuMs: number;
  /** CPU of child processes (the docker CLI). */
  childCpuMs: number;
  rssMiB: number;
}

/** CPU of waited-for children of this process so far, ms (Linux: cutime + cstime of /proc/self/stat). */
function childrenCpuMs(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // fields after the command: state is [0], cutime is field 16 → [13], cstime 17 → [14]
  return (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) * 10;
}

async function measure(body: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage();
  const children = childrenCpuMs();
  const start = wallMs();
  await body();
  const wall = wallMs() - start;
  const used = process.cpuUsage(cpu);
  return {
    wallMs: wall,
    cpuMs: (used.user + used.system) / 1000,
    childCpuMs: childrenCpuMs() - children,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
  };
}

async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

async function startContainers(engine: Engine): Promise<{ ids: string[]; urls: string[] }> {
  const script = `#!/bin/sh\nprintf 'Content-Type: text/plain; version=0.0.4; charset=utf-8\\r\\n\\r\\n'\ncat /www/metrics.txt\n`;
  const setup = [
    'mkdir -p /www/cgi-bin',
    `printf '%s' "$METRICS" > /www/metrics.txt`,
    `printf '%s' "$SCRIPT" > /www/cgi-bin/metrics`,
    'chmod +x /www/cgi-bin/metrics',
    'exec httpd -f -p 8000 -h /www',
  ].join(' && ');
  const ids: string[] = [];
  for (let i = 0; i < COUNT; i += 10) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(10, COUNT - i) }, async () => {
          const id = await engine.createContainer({
            Image: IMAGE,
            Cmd: ['sh', '-c', setup],
            Env: [`METRICS=${TEXT}`, `SCRIPT=${script}`],
            StopSignal: 'SIGKILL',
            Labels: { [LABEL]: RUN_ID, 'berth.managed': 'true', 'berth.profile': 'bench' },
            ExposedPorts: { '8000/tcp': {} },
            HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Memory: 64 * 2 ** 20 },
          });
          await engine.startContainer(id);
          return id;
        }),
      )),
    );
  }
  const urls: string[] = [];
  for (const id of ids) {
    const port = (await engine.inspectContainer(id)).ports.find((p) => p.hostPort !== undefined)?.hostPort;
    urls.push(`http://127.0.0.1:${port}${METRICS_PATH}`);
  }
  // every server answers with metrics before anything is measured
  for (const url of urls) {
    for (let i = 0; ; i++) {
      const r = await fetch(url).catch(() => undefined);
      if (r?.ok === true && (await r.text()).includes('iris_requests_total')) break;
      if (i >= 100) throw new Error(`${url} does not answer with metrics`);
      await sleep(100);
    }
  }
  return { ids, urls };
}

function row(name: string, costs: readonly Cost[], floor: number): string[] {
  const wall = median(costs.map((c) => c.wallMs));
  const cpu = median(costs.map((c) => c.cpuMs));
  const child = median(costs.map((c) => c.childCpuMs));
  const rss = median(costs.map((c) => c.rssMiB));
  return [name, fmt(wall), fmt(cpu), child > 0 ? fmt(child, 0) : '–', fmt(rss, 0), fmt(cpu / floor, 2)];
}

function table(rows: string[][]): string {
  const head = ['variant', 'wall ms', 'CPU ms (this process)', 'CPU ms (docker CLI)', 'RSS MiB', 'CPU × floor'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  return [
    line(head),
    `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

async function main(): Promise<void> {
  const { engine } = await connect();
  const { execa } = await import('execa');
  await withCleanup(
    engine,
    async () => {
      process.stdout.write(`starting ${COUNT} containers serving /metrics… `);
      const { ids, urls } = await startContainers(engine);
      process.stdout.write('ready\n');
      const store = new ContainerStore(engine, { reconcileIntervalMs: 600_000, filters: { label: RUN_FILTER.label } });
      await store.start();
      await waitUntil(() => store.all().filter((r) => r.detailed).length >= COUNT, 30_000);
      const model = FleetModel.forEngine(engine, store, {
        intervalMs: INTERVAL_MS,
        metricsPath: METRICS_PATH,
        maxConcurrentScrapes: SCRAPES_AT_ONCE,
        maxConcurrentStats: STATS_AT_ONCE,
        scrapeTimeoutMs: 5000,
      });
      await model.sweep(); // finds the metrics URLs and takes the first CPU counters

      const scrapes = (): Promise<void> =>
        pool(urls, SCRAPES_AT_ONCE, async (url) => {
          const r = await fetch(url);
          await r.text();
        });
      const stats = (): Promise<void> =>
        pool(ids, STATS_AT_ONCE, async (id) => {
          await statsOnce(engine, id);
        });
      const variants: [string, () => Promise<void>][] = [
        ['fleet model sweep (scrape + parse + figures, one-shot stats)', () => model.sweep()],
        ['floor: raw GETs + raw one-shot stats', () => Promise.all([scrapes(), stats()]).then(() => undefined)],
        ['floor: raw GETs only', scrapes],
        ['floor: raw one-shot stats only', stats],
        [
          `docker stats --no-stream (${COUNT} ids)`,
          async () => void (await execa('docker', ['stats', '--no-stream', '--format', '{{.ID}} {{.CPUPerc}} {{.MemUsage}}', ...ids])),
        ],
      ];
      const costs = new Map<string, Cost[]>(variants.map(([n]) => [n, []]));
      for (let run = 0; run < RUNS; run++) {
        // interleaved, the order rotated each round
        for (let k = 0; k < variants.length; k++) {
          const [name, body] = variants[(k + run) % variants.length] ?? variants[0]!;
          costs.get(name)?.push(await measure(body));
        }
        process.stdout.write(`round ${run + 1}/${RUNS}\n`);
      }
      const rows = model.snapshot().rows;
      const withRates = rows.filter((r) => r.source === 'metrics' && r.latest?.rps !== undefined).length;
      const withCpu = rows.filter((r) => r.latest?.cpuPercent !== undefined).length;

      // streams: one per container, open for one interval; what it costs per interval
      const streamCosts: Cost[] = [];
      for (let run = 0; run < Math.min(RUNS, 3); run++) {
        const controller = new AbortController();
        let samples = 0;
        const following = ids.map(async (id) => {
          try {
            for await (const s of containerStats(engine, id, { signal: controller.signal })) if (s.read !== '') samples++;
          } catch {
            // aborted
          }
        });
        await waitUntil(() => samples >= COUNT, 10_000);
        streamCosts.push(await measure(() => sleep(INTERVAL_MS)));
        controller.abort();
        await Promise.all(following);
      }
      model.stop();
      store.stop();

      const floor = median(costs.get('floor: raw GETs + raw one-shot stats')?.map((c) => c.cpuMs) ?? [1]);
      const lines = [
        ...variants.map(([name]) => row(name, costs.get(name) ?? [], floor)),
        row(`${COUNT} stats streams open, per ${INTERVAL_MS / 1000} s interval`, streamCosts, floor),
      ];
      console.log(
        `\n${COUNT} containers, ${RUNS} runs (medians); the model's rows: ${withRates} with a request rate, ${withCpu} with CPU\n`,
      );
      console.log(table(lines));
    },
    values.keep,
  );
  engine.dispose();
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
