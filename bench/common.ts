/**
 * Shared pieces of the benchmarks: the engine connection, labelled containers (created in parallel
 * batches, removed by label in the end), percentiles, and a sink that batches rendered log text the
 * way Berth's log terminal does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { resolveEndpoint, type EngineEndpoint } from '../src/core/engine/connection';
import { Engine, type ContainerCreateOptions } from '../src/core/engine/engine';

export const IMAGE = process.env.BERTH_BUSYBOX_IMAGE ?? 'berth-busybox:latest';
export const LABEL = 'berth.bench';
export const RUN_ID = `${process.pid}`;
export const RUN_FILTER = { label: [`${LABEL}=${RUN_ID}`] };

export async function connect(timeoutMs = 60_000): Promise<{ engine: Engine; endpoint: EngineEndpoint }> {
  const endpoint = resolveEndpoint({
    env: process.env,
    homeDir: os.homedir(),
    platform: process.platform,
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
  });
  const engine = await Engine.connect(endpoint, { timeoutMs });
  return { engine, endpoint };
}

/** Wall clock in ms with sub-ms resolution. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** An engine event's nanosecond timestamp (decimal string) as ms since the epoch, sub-ms exact. */
export function nanoToMs(timeNano: string): number {
  const ns = BigInt(timeNano);
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** Create `count` containers labelled with this run's id, `batch` at a time; returns their ids. */
export async function createLabelled(
  engine: Engine,
  count: number,
  options: Omit<ContainerCreateOptions, 'Labels'>,
  batch = 10,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += batch) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, () =>
          engine.createContainer({ Image: IMAGE, ...options, Labels: { [LABEL]: RUN_ID } }),
        ),
      )),
    );
  }
  return ids;
}

/** Force-remove exactly the containers labelled with this run's id. */
export async function removeLabelled(engine: Engine): Promise<number> {
  const mine = await engine.listContainers({ filters: RUN_FILTER });
  for (let i = 0; i < mine.length; i += 20) {
    await Promise.all(mine.slice(i, i + 20).map((c) => engine.removeContainer(c.id, { force: true }).catch(() => undefined)));
  }
  return mine.length;
}

/** Remove this run's labelled containers, then its labelled images (built by the benchmark), saying so. */
export async function removeLabelledWithImages(engine: Engine): Promise<void> {
  process.stdout.write(`removing the benchmark container and image (${LABEL}=${RUN_ID})… `);
  const containers = await removeLabelled(engine);
  const images = await engine.listImages({ filters: RUN_FILTER });
  for (const image of images) await engine.removeImage(image.id, { force: true }).catch(() => undefined);
  process.stdout.write(`${containers} container(s), ${images.length} image(s) removed\n`);
}

/** Wait until the container's health check passes; throws if it stops or the time runs out. */
export async function waitHealthy(engine: Engine, id: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const state = (await engine.inspectContainerJson(id)).State;
    if (state.Health?.Status === 'healthy') return;
    if (!state.Running) throw new Error(`the container stopped (exit ${state.ExitCode})`);
    if (Date.now() > end) throw new Error(`not healthy after ${timeoutMs} ms (${state.Health?.Status ?? 'no health check'})`);
    await sleep(100);
  }
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1]!;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `done()` or the timeout; true if done. */
export async function waitUntil(done: () => boolean, timeoutMs: number, stepMs = 5): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) return false;
    await sleep(stepMs);
  }
  return true;
}

export const FLUSH_MS = 16;
export const FLUSH_BYTES = 256 * 1024;

/**
 * The log terminal's output batching (src/logs/logTerminal.ts), with the write to the terminal
 * replaced by a counter: text accumulates and is flushed once per 16 ms, or at once past 256 KiB.
 */
export class BatchingSink {
  private buffer = '';
  private timer: NodeJS.Timeout | undefined;
  flushes = 0;
  chars = 0;

  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_BYTES) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer === '') return;
    this.chars += this.buffer.length;
    this.flushes++;
    this.buffer = '';
  }

  close(): void {
    this.flush();
  }
}

/** Run `body`, removing this run's containers afterwards, also on failure or Ctrl-C. */
export async function withCleanup(engine: Engine, body: () => Promise<void>, keep = false): Promise<void> {
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      if (keep) return;
      process.stdout.write(`removing the benchmark containers (${LABEL}=${RUN_ID})… `);
      const n = await removeLabelled(engine);
      process.stdout.write(`${n} removed\n`);
    })());
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  // `on`, not `once`: execa's exit hook re-raises a signal that no listener is left for, which
  // would end the process before the cleanup above has finished
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await body();
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * In-page JavaScript (text: functions compiled by tsx may carry helpers the page lacks) that runs
 * a requestAnimationFrame loop and a long-task observer for `ms`; resolves { gaps, longTasks }.
 */
export const frameSampleScript = (ms: number): string => `new Promise((resolve) => {
  const gaps = [];
  const longTasks = [];
  let observer;
  try {
    observer = new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); });
    observer.observe({ type: 'longtask' });
  } catch {}
  let last = performance.now();
  const end = last + ${ms};
  function tick(t) {
    gaps.push(t - last);
    last = t;
    if (t < end) { requestAnimationFrame(tick); return; }
    if (observer) { for (const e of observer.takeRecords()) longTasks.push(e.duration); observer.disconnect(); }
    resolve({ gaps, longTasks });
  }
  requestAnimationFrame(tick);
})`;
