/** One stats sample of a container as the UI shows it, and the state of its feed (no imports: the webview shares it). */
export interface StatsPoint {
  /** ms since the epoch */
  readonly t: number;
  readonly cpuPercent: number;
  readonly memoryUsage: number;
  readonly memoryLimit: number;
  /** bytes per second since the previous sample */
  readonly netRxRate: number;
  readonly netTxRate: number;
  readonly blockReadRate: number;
  readonly blockWriteRate: number;
  readonly pids: number;
  readonly gpu?: { readonly utilization: number; readonly memoryUsedMiB: number; readonly memoryTotalMiB: number }[];
}

/** streaming: samples arrive; waiting: running, stream (re)opening; stopped: not running (or no model). */
export type StatsFeed = 'streaming' | 'waiting' | 'stopped';
