/**
 * What fleet monitoring costs the window: a real VS Code (code-server with the packaged
 * berth.vsix, driven by Chromium through the e2e harness), --models sample model servers (the
 * iris example's image, as Berth runs them: its labels, a profile, a memory limit) taking --rps
 * requests per second in all from this process, in one session and three phases:
 *
 *  0. baseline: none of this run's model containers;
 *  1. the model containers under load, the dashboard closed (the fleet model still samples them
 *     every 5 s for the error-rate alerts);
 *  2. the Fleet dashboard open, one row selected (its charts redrawn at every sample).
 *
 * Each phase measures, over --seconds after --settle: the extension host's CPU (user + system
 * time from /proc over wall time) and RSS at the end; the workbench's frame gaps
 * (requestAnimationFrame, p50 / p99 / max) and long tasks; in phase 2 also the dashboard's own
 * frames (inside its webview); and the requests per second the servers really got.
 *
 *   npm run bench:fleet-ui -- [--models 20] [--rps 200] [--seconds 20] [--settle 10] [--keep]
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import type { Frame, Page } from 'playwright-core';
import { buildImage } from '../src/core/engine/build';
import { scanContext } from '../src/core/project/buildContext';
import { runCommand, sampleWorkspace, startVSCode, UI_TIMEOUT, type VSCode } from '../test/e2e/harness';
import { connect, fmt, LABEL, percentile, RUN_ID, sleep, withCleanup, frameSampleScript } from './common';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '20' },
    rps: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    settle: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
  },
});
const MODELS = Number(values.models);
const RPS = Number(values.rps);
const SECONDS = Number(values.seconds);
const SETTLE = Number(values.settle);
const TAG = `berth-bench/iris-fleet:${RUN_ID}`;
const CLOCK_TICKS = 100; // USER_HZ on Linux

interface Phase {
  readonly name: string;
  readonly cpuPercent: number;
  readonly rssMiB: number;
  readonly gaps: number[];
  readonly longTasks: number[];
  readonly webviewGaps?: number[];
  readonly served: number;
}

/** The extension host: the process of code-server's group whose command line says so. */
function extensionHostPid(vscode: VSCode): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== vscode.server.pid) continue;
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('extensionHost')) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('no extension host process in code-server’s group');
}

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime, stime
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** The dashboard's own frame (the webview's inner document holding the table). */
async function dashboardFrame(page: Page): Promise<Frame | undefined> {
  for (const frame of page.frames()) {
    const has = await frame.evaluate('!!document.getElementById("fleet")').catch(() => false);
    if (has === true) return frame;
  }
  return undefined;
}

/** Requests to the servers at `rps` in all, spread evenly, on kept-alive connections; counts answers. */
function startLoad(ports: readonly number[], body: string): { served: () => number; stop: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let served = 0;
  let next = 0;
  const send = (): void => {
    const port = ports[next++ % ports.length] ?? 0;
    const req = http.request(
      { host: '127.0.0.1', port, path: '/predict', method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => served++);
      },
    );
    req.on('error', () => undefined);
    req.end(body);
  };
  // 10 ms ticks, each sending its share
  const perTick = RPS / 100;
  let owed = 0;
  const timer = setInterval(() => {
    owed += perTick;
    for (; owed >= 1; owed--) send();
  }, 10);
  return {
    served: () => served,
    stop: () => {
      clearInterval(timer);
      agent.destroy();
    },
  };
}

async function measure(vscode: VSCode, name: string, served: () => number, webview = false): Promise<Phase> {
  await sleep(SETTLE * 1000);
  const pid = extensionHostPid(vscode);
  const ticks0 = cpuTicks(pid);
  const served0 = served();
  const t0 = Date.now();
  const frame = webview ? await dashboardFrame(vscode.page) : undefined;
  const [page, inner] = await Promise.all([
    vscode.page.evaluate<{ gaps: number[]; longTasks: number[] }>(frameSampleScript(SECONDS * 1000)),
    frame?.evaluate<{ gaps: number[]; longTasks: number[] }>(frameSampleScript(SECONDS * 1000)),
  ]);
  const wall = (Date.now() - t0) / 1000;
  const cpu = ((cpuTicks(pid) - ticks0) / CLOCK_TICKS / wall) * 100;
  return {
    name,
    cpuPercent: cpu,
    rssMiB: rssMiB(pid),
    gaps: page.gaps,
    longTasks: page.longTasks,
    ...(inner ? { webviewGaps: inner.gaps } : {}),
    served: (served() - served0) / wall,
  };
}

function table(phases: readonly Phase[]): string {
  const rows = [
    [
      'phase',
      'ext host CPU',
      'ext host RSS',
      'frames p50 / p99 / max (ms)',
      'long tasks',
      'dashboard frames p50 / p99 / max',
      'req/s served',
    ],
    ...phases.map((p) => [
      p.name,
      `${fmt(p.cpuPercent)} %`,
      `${fmt(p.rssMiB, 0)} MiB`,
      `${fmt(percentile(p.gaps, 50))} / ${fmt(percentile(p.gaps, 99))} / ${fmt(Math.max(...p.gaps))}`,
      `${p.longTasks.length} (${fmt(
        p.longTasks.reduce((a, b) => a + b, 0),
        0,
      )} ms)`,
      p.webviewGaps
        ? `${fmt(percentile(p.webviewGaps, 50))} / ${fmt(percentile(p.webviewGaps, 99))} / ${fmt(Math.max(...p.webviewGaps))}`
        : '',
      fmt(p.served, 0),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map(
      (r, n) =>
        `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |${n === 0 ? `\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : ''}`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const { engine, endpoint } = await connect();
  const cpus = os.cpus();
  console.log(
    `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}; ` +
      `${cpus.length} × ${cpus[0]?.model ?? 'CPU'}, ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const workspace = sampleWorkspace('bench-fleet', 'iris-classifier');
  process.stdout.write('building the sample model server… ');
  await buildImage(engine, {
    scan: scanContext(workspace),
    dockerfile: 'Dockerfile',
    tag: TAG,
    buildArgs: { BASE: process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest' },
  });
  console.log('done');
  const phases: Phase[] = [];
  await withCleanup(
    engine,
    async () => {
      process.stdout.write('starting code-server and Chromium… ');
      const vscode = await startVSCode('bench-fleet', { workspace, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
      console.log('ready');
      let load: ReturnType<typeof startLoad> | undefined;
      try {
        await vscode.page
          .locator('.statusbar-item', { hasText: /Docker|Podman/ })
          .first()
          .waitFor({ timeout: UI_TIMEOUT });
        phases.push(await measure(vscode, '0: baseline', () => 0));
        process.stdout.write(`starting ${MODELS} model servers… `);
        const ports: number[] = [];
        for (let i = 0; i < MODELS; i++) {
          const id = await engine.createContainer({
            Image: TAG,
            name: `berth-bench-${RUN_ID}-model-${String(i).padStart(2, '0')}`,
            Labels: { [LABEL]: RUN_ID, 'berth.managed': 'true', 'berth.profile': 'serve', 'berth.project': workspace },
            ExposedPorts: { '8000/tcp': {} },
            HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] }, Memory: 128 * 2 ** 20 },
          });
          await engine.startContainer(id);
          ports.push((await engine.inspectContainer(id)).ports.find((p) => p.containerPort === 8000)?.hostPort ?? 0);
        }
        await sleep(3000);
        console.log('up');
        load = startLoad(ports, fs.readFileSync(`${workspace}/requests/predict.json`, 'utf8'));
        phases.push(await measure(vscode, `1: ${MODELS} models, ${RPS} req/s, dashboard closed`, load.served));
        await runCommand(vscode.page, 'Berth: Show Fleet Dashboard');
        const frame = vscode.page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
        const rows = frame.locator('tbody tr');
        const end = Date.now() + 60_000;
        while ((await rows.count()) < MODELS && Date.now() < end) await sleep(500);
        await rows.first().locator('td[data-key="name"]').click();
        phases.push(await measure(vscode, `2: … dashboard open, a row's charts`, load.served, true));
      } finally {
        load?.stop();
        await vscode.close();
      }
    },
    values.keep,
  );
  await engine.removeImage(TAG, { force: true }).catch(() => undefined);
  fs.rmSync(workspace, { recursive: true, force: true });
  console.log(`\nFleet monitoring in VS Code (code-server) with Berth, one session; each phase ${SECONDS} s after ${SETTLE} s settling\n`);
  console.log(table(phases));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
