/**
 * Does the window stay responsive with many containers in the tree and many log streams followed?
 * Measured in a real VS Code: code-server with the packaged berth.vsix, driven by Chromium through
 * the e2e harness, in one session and three phases:
 *
 *  0. baseline: the Containers view open, none of this run's containers on the engine;
 *  1. --containers labelled containers created (not started), all in the tree;
 *  2. additionally --loggers running containers each printing ~2,000 lines/s, all followed in ONE
 *     log terminal ("Berth: Show Logs" from the palette, every logger ticked in its multi-pick),
 *     kept visible in the panel.
 *
 * Each phase measures, inside the page: frame gaps of a requestAnimationFrame loop for --seconds
 * (p50/p99/max, frames over 50 ms) and long tasks (PerformanceObserver 'longtask'); then --actions
 * times F1 → the command palette input visible (from the key event's timestamp to the first frame
 * that shows it), then Escape; then --probes times a new container created and started → its row in
 * the tree (wall time from the create request); then, in phases 1 and 2, --trials rounds of a
 * subject container's lifecycle (start, pause, unpause, restart, stop, start, kill), each timed from
 * the engine event that carries the change (its timeNano) to the row's text changing in the DOM
 * (a MutationObserver in the page, on the page's wall clock: performance.timeOrigin +
 * performance.now(); the browser and the engine share the machine's clock).
 *
 *   npm run bench:ui -- [--containers 500] [--loggers 10] [--seconds 15] [--actions 5] [--probes 3]
 *                       [--trials 20] [--screenshot artifacts/bench/ui-load.png] [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Locator, Page } from 'playwright-core';
import { REPO_ROOT } from '../scripts/vscode/codeServer';
import type { Engine } from '../src/core/engine/engine';
import { engineEvents } from '../src/core/engine/events';
import { berthStatusItem, eventually, normalize, openBerthView, startVSCode, UI_TIMEOUT, type VSCode } from '../test/e2e/harness';
import { connect, fmt, IMAGE, LABEL, median, percentile, RUN_ID, sleep, withCleanup, frameSampleScript } from './common';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '500' },
    loggers: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '15' },
    actions: { type: 'string', default: '5' },
    probes: { type: 'string', default: '3' },
    trials: { type: 'string', default: '20' },
    settle: { type: 'string', default: '5' },
    screenshot: { type: 'string', default: path.join(REPO_ROOT, 'artifacts', 'bench', 'ui-load.png') },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.containers);
const LOGGERS = Number(values.loggers);
const SECONDS = Number(values.seconds);
const ACTIONS = Number(values.actions);
const PROBES = Number(values.probes);
const TRIALS = Number(values.trials);
const SETTLE_SECONDS = Number(values.settle);
/** ~2,000 lines/s: 200 lines every 100 ms. */
const LOGGER_CMD = ['sh', '-c', 'while :; do seq 1 200; sleep 0.1; done'];
const PREFIX = `berth-bench-${RUN_ID}`;
const LOGGER_PREFIX = `${PREFIX}-log-`;
/** Names sort by localeCompare in the tree: digits first, so probe rows show at the top of their group. */
const PROBE_PREFIX = `0-${PREFIX}-probe-`;

interface FrameSample {
  readonly gaps: number[];
  readonly longTasks: number[];
}

interface PhaseResult {
  readonly name: string;
  readonly frames: FrameSample;
  readonly paletteMs: number[];
  readonly probeMs: number[];
  /** Event timeNano → row text, ms, per lifecycle step (phases 1 and 2). */
  readonly lifecycle?: Map<string, number[]>;
}

/** A step of the subject's lifecycle: what to do, the event that carries the change, what the row then reads. */
interface Step {
  readonly name: string;
  readonly act: (engine: Engine, id: string) => Promise<void>;
  readonly verb: string;
  readonly shows: RegExp;
  /** The row reads `shows` before the step too: time its return after it left that state. */
  readonly leavesFirst?: boolean;
}

const STEPS: readonly Step[] = [
  { name: 'start → running', act: (e, id) => e.startContainer(id), verb: 'start', shows: /^running/ },
  { name: 'pause → paused', act: (e, id) => e.pauseContainer(id), verb: 'pause', shows: /^paused/ },
  { name: 'unpause → running', act: (e, id) => e.unpauseContainer(id), verb: 'unpause', shows: /^running/ },
  {
    name: 'restart → running (from its start)',
    act: (e, id) => e.restartContainer(id, { graceSeconds: 0 }),
    verb: 'start',
    shows: /^running/,
    leavesFirst: true,
  },
  { name: 'stop → exited (from die)', act: (e, id) => e.stopContainer(id, { graceSeconds: 0 }), verb: 'die', shows: /^exited/ },
  { name: 'start → running', act: (e, id) => e.startContainer(id), verb: 'start', shows: /^running/ },
  { name: 'kill → exited (from die)', act: (e, id) => e.killContainer(id), verb: 'die', shows: /^exited 137/ },
];

/** Record, in the page, every change of the description text of the row named `name`. */
const watchRow = (name: string): string => `(() => {
  const header = document.querySelector('.pane-header[aria-label="Containers Section"]');
  const pane = header && header.closest('.pane');
  if (!pane) return false;
  const read = () => {
    for (const row of pane.querySelectorAll('.monaco-list-row[role="treeitem"]')) {
      const label = row.querySelector('.label-name');
      if (label && label.textContent.trim() === ${JSON.stringify(name)}) return (row.querySelector('.label-description') || {}).textContent || '';
    }
    return undefined;
  };
  const log = [];
  let last;
  const check = () => {
    const text = read();
    if (text !== undefined && text !== last) { last = text; log.push({ t: performance.timeOrigin + performance.now(), text }); }
  };
  if (window.__berthRow) window.__berthRow.observer.disconnect();
  const observer = new MutationObserver(check);
  observer.observe(pane, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label'] });
  window.__berthRow = { log, observer };
  check();
  return true;
})()`;

interface RowChange {
  readonly t: number;
  readonly text: string;
}

/** The subject's lifecycle, TRIALS times; per step, ms from its event's timeNano to the row reading the new state. */
async function lifecycleLatencies(engine: Engine, page: Page, phase: number): Promise<Map<string, number[]>> {
  const name = `0-0-${PREFIX}-subject-${phase}`;
  const id = await engine.createContainer({ name, Image: IMAGE, Cmd: ['sleep', '3600'], Labels: { [LABEL]: RUN_ID } });
  await page.waitForFunction(rowShown(name), undefined, { polling: 'raf', timeout: UI_TIMEOUT });
  if (!(await page.evaluate<boolean>(watchRow(name)))) throw new Error('no Containers pane to watch');
  const events: { verb: string; ms: number }[] = [];
  const controller = new AbortController();
  let connected!: () => void;
  const open = new Promise<void>((resolve) => (connected = resolve));
  const follow = (async () => {
    for await (const e of engineEvents(engine, {
      signal: controller.signal,
      filters: { type: ['container'], container: [id] },
      onState: (s) => s.kind === 'connected' && connected(),
    }))
      events.push({ verb: e.verb, ms: Number(BigInt(e.timeNano) / 1000n) / 1000 });
  })().catch(() => undefined);
  await open;
  const results = new Map<string, number[]>(STEPS.map((s) => [s.name, []]));
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      for (const step of STEPS) {
        await sleep(700 + Math.random() * 300);
        const mark = events.length;
        const logMark = await page.evaluate<number>('window.__berthRow.log.length');
        await step.act(engine, id);
        let ms = NaN;
        const deadline = Date.now() + UI_TIMEOUT;
        while (Date.now() < deadline) {
          const event = events.slice(mark).find((e) => e.verb === step.verb);
          if (event) {
            const log = await page.evaluate<RowChange[]>(`window.__berthRow.log.slice(${logMark})`);
            // the first change to the new state since the action (an inspect may even show it
            // a little before the event is stamped: the engine logs the event after the change);
            // a restart shows exited first, then running again
            const from = step.leavesFirst ? log.findIndex((c) => !step.shows.test(c.text)) : 0;
            const shown = from < 0 ? undefined : log.slice(from).find((c) => step.shows.test(c.text));
            if (shown) {
              ms = shown.t - event.ms;
              break;
            }
          }
          await sleep(20);
        }
        results.get(step.name)!.push(ms);
      }
      process.stdout.write(`${trial + 1} `);
    }
  } finally {
    controller.abort();
    await follow;
    await page.evaluate('window.__berthRow && window.__berthRow.observer.disconnect()');
  }
  return results;
}

// The in-page code is plain JavaScript text: functions compiled by tsx may carry helpers the page lacks.

/** Remember the timestamp of the next F1 key event (the platform's, so queueing before dispatch counts). */
const ARM_KEY = `(() => {
  if (!window.__berthBench) {
    window.__berthBench = {};
    window.addEventListener('keydown', (e) => { if (e.key === 'F1') window.__berthBench.key = e.timeStamp; }, true);
  }
  window.__berthBench.key = undefined;
})()`;

/** Milliseconds from that key event to the first frame showing the palette's input (-1: not within 20 s). */
const PALETTE_SHOWN = `new Promise((resolve) => {
  const deadline = performance.now() + ${UI_TIMEOUT};
  function check() {
    const key = window.__berthBench.key;
    const input = document.querySelector('.quick-input-widget .quick-input-box input');
    if (key !== undefined && input && input.checkVisibility()) resolve(performance.now() - key);
    else if (performance.now() > deadline) resolve(-1);
    else requestAnimationFrame(check);
  }
  requestAnimationFrame(check);
})`;

/** Is there a row with this exact name in the Containers view? */
const rowShown = (name: string): string => `(() => {
  const header = document.querySelector('.pane-header[aria-label="Containers Section"]');
  const pane = header && header.closest('.pane');
  if (!pane) return false;
  return [...pane.querySelectorAll('.monaco-list-row[role="treeitem"] .label-name')].some((e) => e.textContent.trim() === ${JSON.stringify(name)});
})()`;

/** The member count the tree shows on the "Other containers" group (0 without the group). */
const OTHER_COUNT = `(() => {
  const header = document.querySelector('.pane-header[aria-label="Containers Section"]');
  const pane = header && header.closest('.pane');
  if (!pane) return 0;
  for (const row of pane.querySelectorAll('.monaco-list-row[role="treeitem"]')) {
    const label = row.querySelector('.label-name');
    if (label && label.textContent.trim() === 'Other containers') return Number(row.querySelector('.label-description')?.textContent ?? 'NaN');
  }
  return 0;
})()`;

async function otherCount(page: Page): Promise<number> {
  return page.evaluate<number>(OTHER_COUNT);
}

async function focusWorkbench(page: Page): Promise<void> {
  // an inert spot of the status bar, as the harness's runCommand does
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
}

async function paletteLatencies(page: Page): Promise<number[]> {
  const widget = page.locator('.quick-input-widget');
  const times: number[] = [];
  for (let i = 0; i < ACTIONS; i++) {
    await focusWorkbench(page);
    await sleep(300);
    await page.evaluate(ARM_KEY);
    await page.keyboard.press('F1');
    const ms = await page.evaluate<number>(PALETTE_SHOWN);
    times.push(ms < 0 ? NaN : ms);
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    await sleep(700);
  }
  return times;
}

async function probeLatencies(engine: Engine, page: Page, phase: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const name = `${PROBE_PREFIX}${phase}-${i}`;
    const t0 = performance.now();
    const id = await engine.createContainer({ name, Image: IMAGE, Cmd: ['sleep', '3600'], Labels: { [LABEL]: RUN_ID } });
    await engine.startContainer(id);
    const shown = await page
      .waitForFunction(rowShown(name), undefined, { polling: 'raf', timeout: UI_TIMEOUT })
      .then(() => true)
      .catch(() => false);
    times.push(shown ? performance.now() - t0 : NaN);
    await sleep(1000);
  }
  return times;
}

async function measurePhase(engine: Engine, page: Page, name: string, phase: number): Promise<PhaseResult> {
  process.stdout.write(`phase ${phase} (${name}): settling ${SETTLE_SECONDS} s, sampling ${SECONDS} s… `);
  await sleep(SETTLE_SECONDS * 1000);
  const frames = await page.evaluate<FrameSample>(frameSampleScript(SECONDS * 1000));
  process.stdout.write(`palette ×${ACTIONS}… `);
  const paletteMs = await paletteLatencies(page);
  process.stdout.write(`new container ×${PROBES}… `);
  const probeMs = await probeLatencies(engine, page, phase);
  let lifecycle: Map<string, number[]> | undefined;
  if (phase > 0 && TRIALS > 0) {
    process.stdout.write(`lifecycle ×${TRIALS}: `);
    lifecycle = await lifecycleLatencies(engine, page, phase);
  }
  process.stdout.write('done\n');
  return { name, frames, paletteMs, probeMs, ...(lifecycle ? { lifecycle } : {}) };
}

/** Berth: Show Logs from the palette, tick every logger in its multi-pick, accept. */
async function followLoggers(page: Page): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ timeout: UI_TIMEOUT });
  await input.fill('>Berth: Show Logs');
  const command = page.locator('.quick-input-list .monaco-list-row', {
    has: page.locator('.label-name', { hasText: /^Berth: Show Logs$/ }),
  });
  await command.first().click({ timeout: UI_TIMEOUT });
  // the multi-pick of containers: filter to the loggers, tick all shown, OK
  const title = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Show logs' });
  await title.waitFor({ timeout: UI_TIMEOUT });
  await input.fill(LOGGER_PREFIX);
  const rows = page.locator('.quick-input-list .monaco-list-row', { hasText: LOGGER_PREFIX });
  const deadline = Date.now() + UI_TIMEOUT;
  while ((await rows.count()) < Math.min(LOGGERS, 8) && Date.now() < deadline) await sleep(200);
  await page.locator('.quick-input-widget .quick-input-header [role="checkbox"]').click();
  const count = page.locator('.quick-input-widget .quick-input-count');
  const picked = await eventually(
    async () => normalize(await count.innerText()),
    (t) => t.startsWith(`${LOGGERS} `),
    'every logger ticked',
  ).catch(() => count.innerText());
  if (!picked.startsWith(`${LOGGERS} `)) throw new Error(`the multi-pick ticked "${picked}", expected ${LOGGERS} loggers`);
  await input.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

async function terminalText(page: Page): Promise<string> {
  return (
    await page
      .locator('.terminal-wrapper.active .xterm-rows')
      .first()
      .innerText()
      .catch(() => '')
  ).replace(/\u00a0/g, ' ');
}

/** Errors and warnings in Berth's output channel (its log file under code-server's logs folder). */
function berthLogProblems(vscode: VSCode): string[] {
  const files = fs
    .readdirSync(vscode.server.logsDir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /Berth\.log$/.test(f))
    .map((f) => path.join(vscode.server.logsDir, f));
  if (files.length === 0) return ['[warning] no Berth.log found under the code-server logs'];
  return files.flatMap((f) =>
    fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => /\[(error|warning)\]/.test(l)),
  );
}

function table(results: PhaseResult[]): string {
  const cols = results.map((r) => {
    const gaps = r.frames.gaps;
    const long = r.frames.longTasks;
    const seconds = gaps.reduce((a, b) => a + b, 0) / 1000;
    return [
      `${gaps.length} (${fmt(gaps.length / seconds, 0)}/s)`,
      fmt(percentile(gaps, 50)),
      fmt(percentile(gaps, 99)),
      fmt(Math.max(...gaps)),
      `${gaps.filter((g) => g > 50).length}`,
      `${long.length}`,
      fmt(
        long.reduce((a, b) => a + b, 0),
        0,
      ),
      long.length > 0 ? fmt(Math.max(...long), 0) : '–',
      `${fmt(median(r.paletteMs))} / ${fmt(Math.max(...r.paletteMs))}`,
      `${fmt(median(r.probeMs), 0)} / ${fmt(Math.max(...r.probeMs), 0)}`,
    ];
  });
  const rows = [
    'frames in the window',
    'frame gap p50 ms',
    'frame gap p99 ms',
    'frame gap max ms',
    'frames > 50 ms',
    'long tasks',
    'long tasks total ms',
    'long task max ms',
    `F1 → palette ms, median / max of ${ACTIONS}`,
    `new container → tree row ms, median / max of ${PROBES}`,
  ];
  return [
    `| | ${results.map((r) => r.name).join(' | ')} |`,
    `|---|${results.map(() => '---:').join('|')}|`,
    ...rows.map((label, i) => `| ${label} | ${cols.map((c) => c[i]).join(' | ')} |`),
  ].join('\n');
}

function lifecycleTable(results: PhaseResult[]): string {
  const names = [...new Set(STEPS.map((s) => s.name))];
  const cell = (xs: number[]): string => {
    const ok = xs.filter((x) => !Number.isNaN(x));
    const missed = xs.length - ok.length;
    if (ok.length === 0) return 'none';
    return `${fmt(percentile(ok, 50), 0)} / ${fmt(percentile(ok, 95), 0)} / ${fmt(percentile(ok, 99), 0)}${missed > 0 ? ` (${missed} never)` : ''}`;
  };
  return [
    `| event → row text, ms | ${results.map((r) => `${r.name}: p50 / p95 / p99`).join(' | ')} |`,
    `|---|${results.map(() => '---:').join('|')}|`,
    ...names.map((n) => `| ${n} | ${results.map((r) => cell(r.lifecycle?.get(n) ?? [])).join(' | ')} |`),
    `| all steps | ${results.map((r) => cell([...(r.lifecycle?.values() ?? [])].flat())).join(' | ')} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { engine, endpoint } = await connect();
  const cpus = os.cpus();
  console.log(
    `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}; ` +
      `${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const results: PhaseResult[] = [];
  let problems: string[] = [];
  await withCleanup(
    engine,
    async () => {
      process.stdout.write('starting code-server and Chromium… ');
      const vscode = await startVSCode('bench-ui-load', { userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
      process.stdout.write('ready\n');
      try {
        const page = vscode.page;
        const pane: Locator = await openBerthView(page, 'Containers');
        // connected: the status bar names the engine (the tree may be empty)
        await berthStatusItem(page).waitFor({ timeout: UI_TIMEOUT });
        await pane.locator('.pane-body').waitFor({ timeout: UI_TIMEOUT });
        results.push(await measurePhase(engine, page, '0: baseline', 0));

        const before = await otherCount(page);
        process.stdout.write(`creating ${COUNT} containers… `);
        const t0 = Date.now();
        // named, so that the tree (sorted by name) shows them in order
        for (let i = 0; i < COUNT; i += 10) {
          await Promise.all(
            Array.from({ length: Math.min(10, COUNT - i) }, (_, j) =>
              engine.createContainer({
                name: `${PREFIX}-${String(i + j).padStart(3, '0')}`,
                Image: IMAGE,
                Cmd: ['true'],
                Labels: { [LABEL]: RUN_ID },
              }),
            ),
          );
        }
        const created = Date.now();
        while ((await otherCount(page)) < before + COUNT && Date.now() - created < 60_000) await sleep(100);
        console.log(
          `${fmt((created - t0) / 1000)} s; the tree shows "Other containers ${await otherCount(page)}" ` +
            `${fmt((Date.now() - created) / 1000)} s after the last`,
        );
        results.push(await measurePhase(engine, page, `1: +${COUNT} created`, 1));

        process.stdout.write(`starting ${LOGGERS} loggers and following them in one log terminal… `);
        for (let i = 0; i < LOGGERS; i++) {
          const id = await engine.createContainer({
            name: `${LOGGER_PREFIX}${String(i).padStart(2, '0')}`,
            Image: IMAGE,
            Cmd: LOGGER_CMD,
            Labels: { [LABEL]: RUN_ID },
          });
          await engine.startContainer(id);
        }
        await sleep(2000);
        await followLoggers(page);
        const first = await terminalText(page);
        await sleep(1000);
        const second = await terminalText(page);
        if (!/\d/.test(second) || first === second)
          throw new Error(`the log terminal does not stream: ${JSON.stringify(second.slice(-200))}`);
        console.log('streaming');
        results.push(await measurePhase(engine, page, `2: +${LOGGERS} followed loggers`, 2));

        const shot = path.resolve(values.screenshot);
        fs.mkdirSync(path.dirname(shot), { recursive: true });
        // away from the status bar, whose hover the palette runs left open
        await page.mouse.move(640, 300);
        await sleep(1500);
        await page.screenshot({ path: shot });
        console.log(`screenshot of phase 2: ${path.relative(process.cwd(), shot)}`);
        problems = berthLogProblems(vscode);
        console.log(
          `Berth.log: ${fs
            .readdirSync(vscode.server.logsDir, { recursive: true, encoding: 'utf8' })
            .filter((f) => f.endsWith('Berth.log'))
            .join(', ')}`,
        );
      } finally {
        await vscode.close();
      }
    },
    values.keep,
  );

  console.log(
    `\nWindow responsiveness in VS Code (code-server) with Berth, one session; each phase: rAF frame gaps and long tasks over ` +
      `${SECONDS} s, then ${ACTIONS} palette openings, then ${PROBES} new containers\n`,
  );
  console.log(table(results));
  const timed = results.filter((r) => r.lifecycle);
  if (timed.length > 0) {
    console.log(
      `\nEvent → row: from the engine event's timeNano to the row's text changing in the DOM, ms; p50 / p95 / p99 ` +
        `(of ${TRIALS} trials; "start" runs twice a trial)\n`,
    );
    console.log(lifecycleTable(timed));
    for (const r of timed)
      for (const [step, xs] of r.lifecycle ?? []) console.log(`  ${r.name}, ${step}: ${xs.map((x) => fmt(x, 0)).join(' ')}`);
  }
  console.log(`\nBerth log: ${problems.length === 0 ? 'no errors or warnings' : `${problems.length} errors/warnings`}`);
  for (const p of problems.slice(0, 20)) console.log(`  ${p}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
