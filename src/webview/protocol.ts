/**
 * Messages between Berth's panels and their webviews: discriminated unions shared by both sides
 * (this file has no vscode import; the webview bundle imports its types only).
 */
import type { ProfileFields } from '../project/profileFields';

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

export interface PlaygroundSample {
  readonly name: string;
  readonly body: string;
}

export interface PlaygroundResponse {
  readonly status: number;
  readonly latencyMs: number;
  readonly body: string;
  readonly error?: string;
}

export interface PlaygroundBatch {
  readonly count: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly throughputPerS: number;
  readonly statuses: Readonly<Record<string, number>>;
}

export type PlaygroundToWebview =
  | {
      readonly type: 'init';
      readonly container: string;
      readonly baseUrl: string;
      readonly path: string;
      readonly samples: readonly PlaygroundSample[];
    }
  | { readonly type: 'response'; readonly response: PlaygroundResponse }
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'batch'; readonly batch: PlaygroundBatch }
  | { readonly type: 'samples'; readonly samples: readonly PlaygroundSample[] };

export type PlaygroundFromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'send'; readonly method: 'GET' | 'POST'; readonly path: string; readonly body: string }
  | { readonly type: 'batch'; readonly method: 'GET' | 'POST'; readonly path: string; readonly body: string; readonly count: number }
  | { readonly type: 'saveSample'; readonly name: string; readonly body: string };

/** The run form's fields: src/project/profileFields.ts. */
export type RunFormFields = ProfileFields;

export type RunFormToWebview =
  | {
      readonly type: 'init';
      readonly project: string;
      readonly profiles: readonly RunFormFields[];
      readonly blank: RunFormFields;
      readonly gpu: string;
    }
  | { readonly type: 'problems'; readonly problems: readonly { readonly field: string; readonly message: string }[] }
  | { readonly type: 'saved'; readonly name: string };

export type RunFormFromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'save'; readonly fields: RunFormFields; readonly previousName?: string; readonly run: boolean };
