import * as vscode from 'vscode';
import { LiveStats, type StatsFeed } from '../../core/engine/liveStats';
import type { LiveContainers } from '../containers/liveContainers';
import type { StatsPoint } from '../webview/protocol';

const HOLDER = 'stats';

/**
 * Live stats streams, opened on demand and shared (reference-counted) between the stats panel and
 * the tree. The streams follow each container's lifecycle (see LiveStats): they stop with it and
 * start again when it starts, and after every reconnect. While something is watched the live
 * container model is held, since the streams follow it.
 */
export class StatsHub implements vscode.Disposable {
  private readonly core: LiveStats;
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the container id after each new sample. */
  readonly onDidSample = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private watching = 0;

  constructor(
    log: vscode.LogOutputChannel,
    private readonly live: LiveContainers,
  ) {
    this.core = new LiveStats({ onSample: (id) => this.changed.fire(id), onWarning: (m) => log.warn(m) });
    this.core.attach(live.current);
    this.subscription = live.onDidChange((c) => {
      if (c === 'reset') this.core.attach(live.current);
    });
  }

  latest(id: string): StatsPoint | undefined {
    return this.core.latest(id);
  }

  history(id: string): { points: readonly StatsPoint[]; gpuNote?: string; feed: StatsFeed } {
    return this.core.series(id);
  }

  /** Start following a container's stats, across its restarts; returns the release function. */
  watch(id: string, options: { gpu: boolean }): () => void {
    if (this.watching++ === 0) this.live.hold(HOLDER);
    this.core.attach(this.live.current);
    const release = this.core.watch(id, options);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (--this.watching === 0) this.live.release(HOLDER);
    };
  }

  dispose(): void {
    this.subscription.dispose();
    this.core.dispose();
    this.changed.dispose();
  }
}
