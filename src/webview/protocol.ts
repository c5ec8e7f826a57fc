/**
 * Messages between Berth's panels and their webviews: discriminated unions shared by both sides
 * (this file has no vscode import; the webview bundle imports its types only).
 */

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

export interface StatsSeries {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly points: readonly StatsPoint[];
  /** Why there are no GPU figures, when the container asked for a GPU. */
  readonly gpuNote?: string;
}

export type StatsToWebview =
  { readonly type: 'series'; readonly series: readonly StatsSeries[] } | { readonly type: 'error'; readonly message: string };

export type StatsFromWebview = { readonly type: 'ready' } | { readonly type: 'togglePause'; readonly paused: boolean };
