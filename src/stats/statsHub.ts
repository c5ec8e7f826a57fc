import * as vscode from 'vscode';
import type { Engine } from '../engine/engine';
import { runExec } from '../engine/exec';
import { containerStats, type ContainerStats } from '../engine/stats';
import type { StatsPoint } from '../webview/protocol';

const HISTORY = 120;
const GPU_POLL_MS = 2000;

interface Watch {
  readonly controller: AbortController;
  readonly points: StatsPoint[];
  refs: number;
  previous?: ContainerStats;
  gpu?: NonNullable<StatsPoint['gpu']>;
  gpuNote?: string;
}

/** rate per second between two cumulative counters */
function rate(now: number, before: number | undefined, seconds: number): number {
  return before === undefined || seconds <= 0 ? 0 : Math.max(0, (now - before) / seconds);
}

/**
 * Live stats streams, opened on demand and shared (reference-counted) between the stats panel and
 * the tree; each keeps two minutes of history. GPU figures come from nvidia-smi inside the
 * container, polled only for containers that asked for a GPU.
 */
export class StatsHub implements vscode.Disposable {
  private readonly watches = new Map<string, Watch>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the container id after each new sample. */
  readonly onDidSample = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  latest(id: string): StatsPoint | undefined {
    return this.watches.get(id)?.points.at(-1);
  }

  history(id: string): { points: readonly StatsPoint[]; gpuNote?: string } {
    const w = this.watches.get(id);
    return { points: w?.points ?? [], ...(w?.gpuNote ? { gpuNote: w.gpuNote } : {}) };
  }

  /** Start following a container's stats; returns the release function. */
  watch(engine: Engine, id: string, options: { gpu: boolean }): () => void {
    let w = this.watches.get(id);
    if (!w) {
      w = { controller: new AbortController(), points: [], refs: 0 };
      this.watches.set(id, w);
      void this.follow(engine, id, w);
      if (options.gpu) void this.pollGpu(engine, id, w);
    }
    w.refs++;
    let released = false;
    return () => {
      if (released || !w) return;
      released = true;
      if (--w.refs === 0) {
        w.controller.abort();
        this.watches.delete(id);
      }
    };
  }

  private async follow(engine: Engine, id: string, w: Watch): Promise<void> {
    try {
      for await (const s of containerStats(engine, id, { signal: w.controller.signal })) {
        const t = Date.parse(s.read) || Date.now();
        const prev = w.previous;
        const seconds = prev ? (t - (Date.parse(prev.read) || t)) / 1000 : 0;
        w.previous = s;
        w.points.push({
          t,
          cpuPercent: s.cpuPercent,
          memoryUsage: s.memoryUsage,
          memoryLimit: s.memoryLimit,
          netRxRate: rate(s.networkRx, prev?.networkRx, seconds),
          netTxRate: rate(s.networkTx, prev?.networkTx, seconds),
          blockReadRate: rate(s.blockRead, prev?.blockRead, seconds),
          blockWriteRate: rate(s.blockWrite, prev?.blockWrite, seconds),
          pids: s.pids,
          ...(w.gpu ? { gpu: w.gpu } : {}),
        });
        if (w.points.length > HISTORY) w.points.shift();
        this.changed.fire(id);
      }
    } catch (err) {
      if (!w.controller.signal.aborted)
        this.log.warn(`Stats of ${id.slice(0, 12)} stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async pollGpu(engine: Engine, id: string, w: Watch): Promise<void> {
    while (!w.controller.signal.aborted) {
      try {
        const r = await runExec(engine, id, {
          cmd: ['nvidia-smi', '--query-gpu=utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'],
          signal: w.controller.signal,
        });
        if (r.exitCode !== 0) {
          w.gpuNote = /not found|no such file/i.test(r.stdout + r.stderr)
            ? 'nvidia-smi is not in this image: no GPU figures'
            : `nvidia-smi failed (exit ${r.exitCode})`;
          return;
        }
        w.gpu = r.stdout
          .trim()
          .split('\n')
          .map((line) => {
            const [u = '0', used = '0', total = '0'] = line.split(',').map((f) => f.trim());
            return { utilization: Number(u), memoryUsedMiB: Number(used), memoryTotalMiB: Number(total) };
          });
      } catch (err) {
        if (w.controller.signal.aborted) return;
        w.gpuNote = `GPU figures unavailable: ${err instanceof Error ? err.message : String(err)}`;
        return;
      }
      await new Promise((r) => setTimeout(r, GPU_POLL_MS));
    }
  }

  dispose(): void {
    for (const w of this.watches.values()) w.controller.abort();
    this.watches.clear();
    this.changed.dispose();
  }
}
