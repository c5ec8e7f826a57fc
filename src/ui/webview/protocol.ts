/**
 * Messages between Berth's panels and their webviews: discriminated unions shared by both sides
 * (this file has no vscode import; the webview bundle imports its types only).
 */
import type { CellStatus, Summary } from '../../core/notebook/summary';
import type { ProfileFields } from '../../core/project/profileFields';
import type { StatsFeed, StatsPoint } from '../../core/engine/statsPoint';
import type { FleetSample, FleetSnapshot } from '../../core/fleet/types';

export type { StatsFeed, StatsPoint } from '../../core/engine/statsPoint';

export interface StatsSeries {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  /** streaming: samples arrive; waiting: running, its stream (re)opening; stopped: not running. */
  readonly feed: StatsFeed;
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
  /** The first few failures of the batch. */
  readonly errorSamples: readonly { readonly status: number; readonly message: string }[];
}

/** The HTTP methods the playground offers (checked again in the extension host). */
export type PlaygroundMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export type PlaygroundToWebview =
  | {
      readonly type: 'init';
      readonly container: string;
      readonly baseUrl: string;
      /** How baseUrl reaches a remote engine's host ("ssh tunnel to 127.0.0.1:8000 on gpu-box"). */
      readonly via?: string;
      readonly path: string;
      readonly samples: readonly PlaygroundSample[];
    }
  | { readonly type: 'response'; readonly response: PlaygroundResponse }
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'batch'; readonly batch: PlaygroundBatch }
  /** The batch was not started (bad method or path): why. */
  | { readonly type: 'batchRefused'; readonly message: string }
  | { readonly type: 'samples'; readonly samples: readonly PlaygroundSample[] };

export type PlaygroundFromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'send'; readonly method: PlaygroundMethod; readonly path: string; readonly body: string }
  | { readonly type: 'batch'; readonly method: PlaygroundMethod; readonly path: string; readonly body: string; readonly count: number }
  | { readonly type: 'saveSample'; readonly name: string; readonly body: string };

/** The run form's fields: src/core/project/profileFields.ts. */
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
  | { readonly type: 'saved'; readonly name: string }
  /** A problem to show in the form's status line (nothing was written; the form keeps its values). */
  | { readonly type: 'failed'; readonly message: string };

export type RunFormFromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'save'; readonly fields: RunFormFields; readonly previousName?: string; readonly run: boolean };

/** A cell of the notebook comparison: its status (or where the run is), why, and both sides as text. */
export type CompareStatus = CellStatus | 'pending' | 'running';

export interface CompareRow {
  readonly index: number;
  readonly ordinal: number;
  readonly title: string;
  readonly status: CompareStatus;
  readonly reason: string;
  readonly notes: readonly string[];
  readonly durationMs?: number;
  readonly skipped: readonly string[];
  readonly saved: string;
  readonly container: string;
  readonly diff?: readonly { readonly kind: 'same' | 'changed' | 'removed' | 'added'; readonly left?: string; readonly right?: string }[];
  /** base64 PNGs of each side, for cells whose images differ. */
  readonly images?: { readonly saved: readonly string[]; readonly container: readonly string[] };
}

export interface CompareEnvironmentRow {
  readonly name: string;
  readonly container?: string;
  readonly notebook?: string;
  readonly local?: string;
  readonly differs: boolean;
}

export type CompareSummary = Summary;

export type CompareToWebview =
  | {
      readonly type: 'start';
      readonly notebook: string;
      readonly image: string;
      readonly localPython?: string;
      readonly rows: readonly CompareRow[];
    }
  /** Before the cells run: building the image, starting the container. */
  | { readonly type: 'phase'; readonly message: string }
  | { readonly type: 'running'; readonly index: number; readonly done: number; readonly total: number }
  | { readonly type: 'row'; readonly row: CompareRow; readonly done: number; readonly total: number }
  | { readonly type: 'environment'; readonly rows: readonly CompareEnvironmentRow[] }
  | {
      readonly type: 'done';
      readonly summary: CompareSummary;
      readonly message: string;
      readonly passed: boolean;
      /** How the run ended: completed, cancelled, oom, timeout or exited. */
      readonly outcome: string;
      readonly durationMs: number;
      readonly cellsMs: number;
    }
  /** The run could not happen at all (bad notebook, no image, engine gone). */
  | { readonly type: 'failed'; readonly message: string };

export type CompareFromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'reveal'; readonly index: number }
  | { readonly type: 'export' }
  | { readonly type: 'cancel' }
  | { readonly type: 'rerun' }
  | { readonly type: 'changeImage' };

// ---- the Fleet dashboard ----

/** What a row's buttons open. */
export type FleetOpen = 'logs' | 'stats' | 'playground';

export type FleetToWebview =
  /** The table's rows as sampled last (sent at every sample). */
  | { readonly type: 'snapshot'; readonly snapshot: FleetSnapshot; readonly intervalMs: number }
  /** The selected row's history (an hour at most), sent when it is selected and at every sample. */
  | { readonly type: 'history'; readonly id: string; readonly samples: readonly FleetSample[] }
  /** No engine, or the model could not start: why. */
  | { readonly type: 'error'; readonly message: string };

export type FleetFromWebview =
  | { readonly type: 'ready' }
  | { readonly type: 'select'; readonly id: string | undefined }
  | { readonly type: 'open'; readonly id: string; readonly what: FleetOpen };
