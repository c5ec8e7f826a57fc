/**
 * What does the notebook comparison cost beyond running the cells? A notebook of --cells trivial
 * code cells (`x17 = 17 * 2`, `print(x17)`, `x17`, with the outputs Jupyter would have saved) is
 * compared in the Python image --runs times (after a warm-up), and each round also times a bare
 * container lifecycle in the same image — create + start + wait + remove of `python3 -c pass`
 * through Berth's Engine — alternating which goes first. Medians of:
 *
 *   total        wall time of compareNotebook, from the call to its report;
 *   cells        the cells' own time, as the runner measured it (report.cellsMs);
 *   overhead     total − cells: everything that is not the cells executing;
 *   prepare      host: read, parse and plan the notebook (timings.prepareMs);
 *   compare      host: the cell-by-cell comparisons (timings.compareMs);
 *   to hello     from the call to the runner's environment report (create, copy the runner in,
 *                start, Python start-up, the package probe);
 *   run          from that report to the last cell's result (the cells, and their messages
 *                through the log stream);
 *   teardown     from the last cell's result to the report (wait, inspect, remove);
 *   bare         the bare container lifecycle above, and its steps: the floor the engine sets;
 *   beyond bare  overhead − bare, per round: what the comparison adds to the engine's own start.
 *
 * The target is an overhead under 200 ms; it is checked for both definitions (overhead, and
 * overhead beyond bare). Containers are labelled berth.bench=<pid> and removed, as is the temp folder.
 *
 *   npm run bench:compare -- [--cells 200] [--runs 7] [--image berth-python-numpy:latest] [--keep]
 *
 * --ipython: what IPython in the image costs. One table, side by side, of three contenders, each
 * cold (a new container) and warm (a container started ahead through WarmRunners, as the extension
 * does for the next comparison), every round in a rotated order:
 *
 *   (a) the standard-library runner in --image (berth-python-numpy:latest, no IPython);
 *   (b) IPython's shell in --ipython-image (berth-python-ipython:latest);
 *   (c) the standard-library runner forced (CompareInput.ipython: false) in --ipython-image: the
 *       same image as (b), so the difference (b) − (c) is IPython's own cost;
 *
 * with the bare container floor in both images, and ratios against (a) from the same run. Each
 * comparison is checked to have run the way it claims (the runner's hello names IPython or not).
 * Every step waits --pause-ms first (a waiting runner imports IPython once its container has
 * started: a user reading the results gives it that time; without the pause, (c) warm right after
 * (b) warm would wait for that import).
 *
 *   npm run bench:compare -- --ipython [--cells 200] [--runs 7] [--pause-ms 1500]
 *     [--ipython-image berth-python-ipython:latest]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/core/engine/engine';
import { DEFAULT_SETTINGS } from '../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonTimings } from '../src/core/notebook/comparison';
import { WarmRunners } from '../src/core/notebook/warmRunners';
import { connect, fmt, LABEL, median, RUN_ID, sleep, withCleanup } from './common';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '200' },
    runs: { type: 'string', default: '7' },
    image: { type: 'string', default: process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest' },
    keep: { type: 'boolean', default: false },
    ipython: { type: 'boolean', default: false },
    'pause-ms': { type: 'string', default: '1500' },
    'ipython-image': { type: 'string', default: process.env.BERTH_IPYTHON_IMAGE ?? 'berth-python-ipython:latest' },
  },
});
const CELLS = Number(values.cells);
const RUNS = Number(values.runs);
const IMAGE = values.image;
const IPYTHON_IMAGE = values['ipython-image'];
const PAUSE_MS = Number(values['pause-ms']);
const TARGET_MS = 200;
const LABELS = { [LABEL]: RUN_ID };

/** An nbformat 4.5 notebook of `n` cells like `x17 = 17 * 2 / print(x17) / x17`, saved as Jupyter would. */
function benchNotebook(n: number): unknown {
  const cells = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return {
      cell_type: 'code',
      execution_count: i,
      id: `cell-${i}`,
      metadata: {},
      outputs: [
        { name: 'stdout', output_type: 'stream', text: [`${i * 2}\n`] },
        { data: { 'text/plain': [String(i * 2)] }, execution_count: i, metadata: {}, output_type: 'execute_result' },
      ],
      source: [`x${i} = ${i} * 2\n`, `print(x${i})\n`, `x${i}`],
    };
  });
  return {
    cells,
    metadata: {
      kernelspec: { display_name: 'Python 3 (ipykernel)', language: 'python', name: 'python3' },
      language_info: { name: 'python', version: '3.11.2' },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

interface CompareRound {
  readonly totalMs: number;
  readonly cellsMs: number;
  readonly prepareMs: number;
  readonly compareMs: number;
  readonly helloMs: number;
  readonly runMs: number;
  readonly teardownMs: number;
}

/** Which image, and whether IPython's shell may run the cells (false: the standard-library runner is forced). */
interface Contender {
  readonly image: string;
  readonly ipython?: false;
  /** Whether the runner must report IPython's shell: checked, so a contender is what it says. */
  readonly expectIpython: boolean;
}

async function compareOnce(
  engine: Engine,
  workspaceDir: string,
  notebookPath: string,
  outputDir: string,
  warm?: WarmRunners,
  contender: Contender = { image: IMAGE, expectIpython: false },
): Promise<CompareRound> {
  const timings: { value?: ComparisonTimings } = {};
  let hello: number | undefined;
  let lastCell: number | undefined;
  const start = performance.now();
  const report = await compareNotebook(
    engine,
    {
      notebookPath,
      workspaceDir,
      outputDir,
      image: contender.image,
      labels: LABELS,
      settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 60 },
      ...(warm ? { warm } : {}),
      ...(contender.ipython === false ? { ipython: false } : {}),
    },
    {
      onEnvironment: () => (hello ??= performance.now()),
      onCell: () => (lastCell = performance.now()),
    },
    timings,
  );
  const end = performance.now();
  if (!report.passed || report.summary.identical !== CELLS)
    throw new Error(`the comparison did not pass with ${CELLS} identical cells: ${JSON.stringify(report.summary)}; ${report.message}`);
  if (!timings.value || hello === undefined || lastCell === undefined) throw new Error('no timings, environment or cells reported');
  if (values.ipython && (report.containerEnvironment?.ipython !== undefined) !== contender.expectIpython)
    throw new Error(
      `in ${contender.image}${contender.ipython === false ? ' (IPython off)' : ''} the cells ran ${report.containerEnvironment?.ipython ? `in IPython ${report.containerEnvironment.ipython}` : 'in the standard-library runner'}`,
    );
  return {
    totalMs: end - start,
    cellsMs: report.cellsMs,
    prepareMs: timings.value.prepareMs,
    compareMs: timings.value.compareMs,
    helloMs: hello - start,
    runMs: lastCell - hello,
    teardownMs: end - lastCell,
  };
}

interface BareRound {
  readonly totalMs: number;
  readonly createMs: number;
  readonly startMs: number;
  readonly waitMs: number;
  readonly removeMs: number;
}

/** create + start + wait + remove of `python3 -c pass` in the same image, each step timed. */
async function bareLifecycle(engine: Engine, image = IMAGE): Promise<BareRound> {
  const t0 = performance.now();
  const id = await engine.createContainer({
    Image: image,
    Cmd: ['python3', '-c', 'pass'],
    Labels: LABELS,
    HostConfig: { RestartPolicy: { Name: '' } },
  });
  const t1 = performance.now();
  await engine.startContainer(id);
  const t2 = performance.now();
  const code = await engine.waitContainer(id);
  const t3 = performance.now();
  await engine.removeContainer(id, { force: true });
  const t4 = performance.now();
  if (code !== 0) throw new Error(`python3 -c pass exited with ${code}`);
  return { totalMs: t4 - t0, createMs: t1 - t0, startMs: t2 - t1, waitMs: t3 - t2, removeMs: t4 - t3 };
}

/** A temp folder with the bench notebook and an output folder the container may write. */
function benchFolder(): { dir: string; notebookPath: string; outputDir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-compare-'));
  const notebookPath = path.join(dir, 'bench.ipynb');
  const outputDir = path.join(dir, 'output');
  fs.mkdirSync(outputDir);
  fs.chmodSync(outputDir, 0o777);
  fs.writeFileSync(notebookPath, JSON.stringify(benchNotebook(CELLS), null, 1));
  return { dir, notebookPath, outputDir };
}

async function main(): Promise<void> {
  const { engine, endpoint } = await connect();
  const { dir, notebookPath, outputDir } = benchFolder();
  const cold: CompareRound[] = [];
  const warmRounds: CompareRound[] = [];
  const bare: BareRound[] = [];
  const warm = new WarmRunners(engine);

  try {
    await withCleanup(
      engine,
      async () => {
        process.stdout.write(
          `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\n` +
            `${CELLS}-cell notebook compared in ${IMAGE}, ${RUNS} runs after a warm-up\nwarm-up… `,
        );
        await compareOnce(engine, dir, notebookPath, outputDir);
        await compareOnce(engine, dir, notebookPath, outputDir, warm);
        await bareLifecycle(engine);
        process.stdout.write('done\n');
        const steps: Record<string, () => Promise<void>> = {
          cold: async () => void cold.push(await compareOnce(engine, dir, notebookPath, outputDir)),
          warm: async () => {
            // the container prepared after the previous warm run is up (as it is for a user who reads the results)
            await warm.settled();
            warmRounds.push(await compareOnce(engine, dir, notebookPath, outputDir, warm));
          },
          bare: async () => void bare.push(await bareLifecycle(engine)),
        };
        const order = ['cold', 'warm', 'bare'];
        for (let run = 0; run < RUNS; run++) {
          const rotated = [...order.slice(run % 3), ...order.slice(0, run % 3)];
          process.stdout.write(`round ${run + 1}/${RUNS}: ${rotated.join(', ')}\n`);
          for (const step of rotated) {
            await warm.settled();
            await steps[step]?.();
          }
        }
        await warm.dispose();
      },
      values.keep,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const cell = (xs: readonly number[]): string =>
    xs.length === 0 ? '—' : `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
  const both = (f: (c: CompareRound) => number): [string, string] => [cell(cold.map(f)), cell(warmRounds.map(f))];
  const overhead = (c: CompareRound): number => c.totalMs - c.cellsMs;
  const rows: [string, string, string][] = [
    ['total wall time (compareNotebook)', ...both((c) => c.totalMs)],
    ["cells' own time (report.cellsMs)", ...both((c) => c.cellsMs)],
    ['**overhead = total − cells**', ...both(overhead)],
    ['  host: prepare (read, parse, plan)', ...both((c) => c.prepareMs)],
    ['  host: compare (all cells)', ...both((c) => c.compareMs)],
    ['  call → runner hello (container ready, plan copied, probe)', ...both((c) => c.helloMs)],
    ['  runner hello → last cell result (cells, log stream)', ...both((c) => c.runMs)],
    ['  last cell → report (exit, inspect, remove)', ...both((c) => c.teardownMs)],
  ];
  console.log(`\nNotebook comparison of ${CELLS} trivial cells in ${IMAGE}, ${RUNS} runs: median (min–max) ms\n`);
  console.log('| measure | cold: a new container | warm: a container started ahead |');
  console.log('|---|---:|---:|');
  for (const [name, a, b] of rows) console.log(`| ${name} | ${a} | ${b} |`);
  console.log(`\n| the engine's floor: a bare \`python3 -c pass\` container | ms |\n|---|---:|`);
  for (const [name, f] of [
    ['create + start + wait + remove', (b: BareRound) => b.totalMs],
    ['  create', (b: BareRound) => b.createMs],
    ['  start', (b: BareRound) => b.startMs],
    ['  wait (python3 -c pass runs)', (b: BareRound) => b.waitMs],
    ['  remove', (b: BareRound) => b.removeMs],
  ] as const)
    console.log(`| ${name} | ${cell(bare.map(f))} |`);
  const verdict = (ms: number): string => `${fmt(ms)} ms → ${ms < TARGET_MS ? 'met' : 'NOT met'}`;
  console.log(`\nTarget: overhead < ${TARGET_MS} ms`);
  console.log(`  cold (the first comparison: includes the engine's container start): ${verdict(median(cold.map(overhead)))}`);
  console.log(
    `  cold, beyond the bare container run:                                ${verdict(median(cold.map(overhead)) - median(bare.map((b) => b.totalMs)))}`,
  );
  console.log(`  warm (every comparison after the first):                            ${verdict(median(warmRounds.map(overhead)))}`);
}

/** The --ipython mode: (a) the standard-library runner, (b) IPython's shell, (c) the standard-library runner in (b)'s image. */
async function mainIpython(): Promise<void> {
  const { engine, endpoint } = await connect();
  const { dir, notebookPath, outputDir } = benchFolder();
  const contenders = {
    a: { image: IMAGE, expectIpython: false },
    b: { image: IPYTHON_IMAGE, expectIpython: true },
    c: { image: IPYTHON_IMAGE, ipython: false, expectIpython: false },
  } as const satisfies Record<string, Contender>;
  type Name = keyof typeof contenders;
  const names = Object.keys(contenders) as Name[];
  const rounds = new Map<string, CompareRound[]>();
  const bare = new Map<string, BareRound[]>();
  const push = <T>(m: Map<string, T[]>, key: string, value: T): void => void m.set(key, [...(m.get(key) ?? []), value]);
  const images = [...new Set([IMAGE, IPYTHON_IMAGE])];
  const warm = new WarmRunners(engine);

  try {
    await withCleanup(
      engine,
      async () => {
        process.stdout.write(
          `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\n` +
            `${CELLS}-cell notebook: (a) standard-library runner in ${IMAGE}, (b) IPython in ${IPYTHON_IMAGE}, ` +
            `(c) standard-library runner forced in ${IPYTHON_IMAGE}; ${RUNS} runs after a warm-up\nwarm-up… `,
        );
        for (const name of names) {
          await compareOnce(engine, dir, notebookPath, outputDir, undefined, contenders[name]);
          await warm.settled();
          await compareOnce(engine, dir, notebookPath, outputDir, warm, contenders[name]);
        }
        for (const image of images) await bareLifecycle(engine, image);
        process.stdout.write('done\n');
        const steps: [string, () => Promise<void>][] = [
          ...names.map((n): [string, () => Promise<void>] => [
            `${n} cold`,
            async () => push(rounds, `${n} cold`, await compareOnce(engine, dir, notebookPath, outputDir, undefined, contenders[n])),
          ]),
          ...names.map((n): [string, () => Promise<void>] => [
            `${n} warm`,
            // the container prepared after the previous warm run in this image is up (as it is for a user who reads the results)
            async () => push(rounds, `${n} warm`, await compareOnce(engine, dir, notebookPath, outputDir, warm, contenders[n])),
          ]),
          ...images.map((image): [string, () => Promise<void>] => [
            `bare ${image}`,
            async () => push(bare, image, await bareLifecycle(engine, image)),
          ]),
        ];
        for (let run = 0; run < RUNS; run++) {
          const k = run % steps.length;
          const rotated = [...steps.slice(k), ...steps.slice(0, k)];
          process.stdout.write(`round ${run + 1}/${RUNS}: ${rotated.map(([name]) => name).join(', ')}\n`);
          for (const [, step] of rotated) {
            await warm.settled();
            // a waiting runner imports IPython after its container has started, and the engine finishes
            // removing the last container: a user reading the results gives it that time
            await sleep(PAUSE_MS);
            await step();
          }
        }
        await warm.dispose();
      },
      values.keep,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }

  const columns = [...names.map((n) => `${n} cold`), ...names.map((n) => `${n} warm`)];
  const med = (key: string, f: (c: CompareRound) => number): number => median((rounds.get(key) ?? []).map(f));
  const overhead = (c: CompareRound): number => c.totalMs - c.cellsMs;
  const measures: [string, (c: CompareRound) => number][] = [
    ['total wall time (compareNotebook)', (c) => c.totalMs],
    ["cells' own time (report.cellsMs)", (c) => c.cellsMs],
    ['**overhead = total − cells**', overhead],
    ['  call → runner hello (container, plan, Python and IPython start)', (c) => c.helloMs],
    ['  runner hello → last cell result (cells, log stream)', (c) => c.runMs],
    ['  last cell → report (exit, inspect, remove)', (c) => c.teardownMs],
  ];
  const ratio = (key: string, f: (c: CompareRound) => number): string => {
    const base = med(key.replace(/^[bc]/, 'a'), f);
    return `×${(med(key, f) / base).toFixed(2)}`;
  };
  console.log(`\nNotebook comparison of ${CELLS} trivial cells, ${RUNS} runs: median ms; ratios against (a) in the same temperature\n`);
  console.log(
    `(a) standard-library runner in ${IMAGE}; (b) IPython's shell in ${IPYTHON_IMAGE}; (c) standard-library runner forced in ${IPYTHON_IMAGE}\n`,
  );
  console.log(`| measure | ${columns.join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---:').join('|')}|`);
  for (const [name, f] of measures) console.log(`| ${name} | ${columns.map((k) => fmt(med(k, f))).join(' | ')} |`);
  console.log(`| total ÷ (a) | ${columns.map((k) => ratio(k, (c) => c.totalMs)).join(' | ')} |`);
  console.log(`| overhead ÷ (a) | ${columns.map((k) => ratio(k, overhead)).join(' | ')} |`);
  console.log(
    `| overhead, min–max | ${columns
      .map((k) => {
        const xs = (rounds.get(k) ?? []).map(overhead);
        return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
      })
      .join(' | ')} |`,
  );
  console.log(`\n| the engine's floor: a bare \`python3 -c pass\` container, median (min–max) ms | ${images.join(' | ')} |`);
  console.log(`|---|${images.map(() => '---:').join('|')}|`);
  for (const [name, f] of [
    ['create + start + wait + remove', (b: BareRound) => b.totalMs],
    ['  wait (python3 -c pass runs)', (b: BareRound) => b.waitMs],
  ] as const) {
    const cells = images.map((image) => {
      const xs = (bare.get(image) ?? []).map(f);
      return `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  const cost = (temp: string): string =>
    `${fmt(med(`b ${temp}`, overhead) - med(`c ${temp}`, overhead))} ms overhead, ${fmt(med(`b ${temp}`, (c) => c.cellsMs) - med(`c ${temp}`, (c) => c.cellsMs))} ms in the cells`;
  console.log(`\nIPython's own cost, (b) − (c): cold ${cost('cold')}; warm ${cost('warm')}`);
}

(values.ipython ? mainIpython() : main()).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
