/**
 * Messages between Berth's panels and their webviews: discriminated unions shared by both sides
 * (this file has no vscode import; the webview bundle imports its types only).
 */
import type { CellStatus, Summary } from '../../core/notebook/summary';
import type { ProfileFields } from '../../core/project/profileFields';
import type { StatsFeed, StatsPoint } from '../../core/engine/statsPoint';
import type { FleetSample, FleetSnapshot } from '../../core/fleet/types';
import type {
  BatchSummary,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbedResult,
  LlmServerInfo,
  StreamResult,
} from '../../core/llm/types';

export type {
  BatchSummary,
  ChatMessage,
  ChatRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbedResult,
  LlmServerInfo,
  Percentiles,
  StreamResult,
} from '../../core/llm/types';

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

/** How a set of requests went: how many, how many failed, latency percentiles in ms. */
export interface RequestStats {
  readonly count: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface PlaygroundBatch extends RequestStats {
  readonly throughputPerS: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** The first few failures of the batch. */
  readonly errorSamples: readonly { readonly status: number; readonly message: string }[];
}

/** The HTTP methods the playground offers (checked again in the extension host). */
export type PlaygroundMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/* A/B runs of the playground (src/ui/playground/abRun.ts): the records shown, and exported as JSON. */

export type AbSide = 'a' | 'b';

/** A target chosen for B: a container (this one or another) as this machine reaches it. */
export interface AbChoice {
  readonly label: string;
  readonly baseUrl: string;
  readonly via?: string;
}

export interface AbTarget {
  /** What the user knows it by: a container's name, and the path. */
  readonly label: string;
  /** The base URL this machine reaches it on. */
  readonly baseUrl: string;
  readonly path: string;
  /** How baseUrl reaches a remote engine's host, when it does. */
  readonly via?: string;
}

/** One side's answer to one request, as kept. */
export interface AbSideResult {
  readonly status: number;
  readonly latencyMs: number;
  /** The body's first AB_KEPT_CHARS characters. */
  readonly body: string;
  /** Set when no HTTP answer came. */
  readonly error?: string;
}

/** One path where the two outputs differ, values as short JSON text ("(missing)" when absent). */
export interface AbDifference {
  readonly path: string;
  readonly a: string;
  readonly b: string;
}

/**
 * identical: the same output; within-tolerance: numbers differ within rtol/atol only; differs:
 * see `differences`; error: a side got no answer or an error status, so outputs are not compared.
 */
export type AbVerdict = 'identical' | 'within-tolerance' | 'differs' | 'error';

export interface AbRequestResult {
  readonly index: number;
  /** Which of the bodies it sent. */
  readonly body: number;
  readonly a: AbSideResult;
  readonly b: AbSideResult;
  readonly verdict: AbVerdict;
  readonly differences: readonly AbDifference[];
  /** The comparison in a line ("2 paths differ", "numbers within tolerance", "B: no answer"). */
  readonly reason: string;
}

/** One side of an A/B run; its errors are the requests without an answer or with a status of 400 or more. */
export interface AbTargetSummary extends RequestStats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** status (or "no answer") → how many */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface AbHistogram {
  /** Bin edges in ms: bins + 1 of them; bin i holds latencies in [edges[i], edges[i+1]) (the last one closed). */
  readonly edgesMs: readonly number[];
  readonly a: readonly number[];
  readonly b: readonly number[];
}

export interface AbSummary {
  readonly a: AbTargetSummary;
  readonly b: AbTargetSummary;
  readonly histogram: AbHistogram;
  /** Requests whose verdict is each of the four. */
  readonly identical: number;
  readonly withinTolerance: number;
  readonly differs: number;
  readonly errors: number;
}

/** The export of an A/B run (AB_EXPORT_KIND, version 1): everything the panel shows. */
export interface AbExport {
  readonly kind: 'berth.playground.ab';
  readonly version: 1;
  readonly startedAt: string;
  readonly wallMs: number;
  /** Stopped before all requests were sent: `requests` holds those that were. */
  readonly stopped: boolean;
  readonly targets: { readonly a: AbTarget; readonly b: AbTarget };
  readonly settings: {
    readonly method: PlaygroundMethod;
    readonly count: number;
    readonly concurrency: number;
    readonly rtol: number;
    readonly atol: number;
    readonly timeoutMs: number;
    readonly bodies: readonly { readonly name: string; readonly body: string }[];
  };
  readonly summary: AbSummary;
  readonly requests: readonly AbRequestResult[];
}

/* The playground's Chat mode (src/ui/playground/chat.ts): OpenAI-compatible servers. */

/** The APIs of an OpenAI-compatible server the Chat mode speaks. */
export type ChatApi = 'chat' | 'completions' | 'embeddings';

/** The languages "Copy as" writes a request in (src/core/llm/snippets.ts). */
export type CodeFormat = 'curl' | 'pythonOpenAI' | 'pythonRequests' | 'typescript';

/** One streamed request for one side: A (this container) or B (the A/B target). */
export type ChatCall =
  | { readonly side: AbSide; readonly api: 'chat'; readonly body: ChatRequest }
  | { readonly side: AbSide; readonly api: 'completions'; readonly body: CompletionRequest };

export type ChatToWebview =
  /** What a side's server is: `info` when it speaks the OpenAI API (or its image says so), else why not in `note`. */
  | { readonly type: 'llm'; readonly side: AbSide; readonly target: AbChoice; readonly info?: LlmServerInfo; readonly note?: string }
  /** Content tokens of a streaming answer, as they arrive (`atMs`: since the request was sent). */
  | { readonly type: 'chatToken'; readonly run: number; readonly side: AbSide; readonly delta: string; readonly atMs: number }
  /** A streamed answer is over (complete, stopped, or failed: `result.error`). */
  | { readonly type: 'chatDone'; readonly run: number; readonly side: AbSide; readonly result: StreamResult }
  | { readonly type: 'chatBatchProgress'; readonly summary: BatchSummary }
  | { readonly type: 'chatBatch'; readonly summary: BatchSummary; readonly stopped: boolean }
  | { readonly type: 'embedResult'; readonly run: number; readonly result: EmbedResult }
  /** A line for the Chat mode's status: copied, exported, or why something was not done (`bad`). */
  | { readonly type: 'chatNote'; readonly message: string; readonly bad?: boolean };

export type ChatFromWebview =
  | { readonly type: 'chatSend'; readonly run: number; readonly calls: readonly ChatCall[] }
  | { readonly type: 'chatStop' }
  | { readonly type: 'chatBatch'; readonly call: ChatCall; readonly n: number; readonly concurrency: number }
  | { readonly type: 'chatBatchStop' }
  | { readonly type: 'embed'; readonly run: number; readonly side: AbSide; readonly body: EmbeddingRequest }
  | { readonly type: 'chatCopy'; readonly format: CodeFormat; readonly side: AbSide; readonly api: ChatApi; readonly body: object }
  | { readonly type: 'chatExport' };

export type PlaygroundToWebview =
  | ChatToWebview
  | {
      readonly type: 'init';
      readonly container: string;
      readonly baseUrl: string;
      /** How baseUrl reaches a remote engine's host ("ssh tunnel to 127.0.0.1:8000 on gpu-box"). */
      readonly via?: string;
      readonly path: string;
      readonly samples: readonly PlaygroundSample[];
      /** The A/B comparison's tolerances to start with (berth.compare.relativeTolerance, absoluteTolerance). */
      readonly tolerance: { readonly rtol: number; readonly atol: number };
    }
  | { readonly type: 'response'; readonly response: PlaygroundResponse }
  /** B of an A/B run, chosen (`open`: show the A/B section, as "Compare Two Containers" does). */
  | { readonly type: 'abTarget'; readonly target: AbChoice; readonly open?: boolean }
  | { readonly type: 'abProgress'; readonly done: number; readonly total: number }
  | { readonly type: 'abResult'; readonly run: AbExport }
  /** The A/B run was not started (no B, bad method or path) or could not be exported: why. */
  | { readonly type: 'abRefused'; readonly message: string }
  | { readonly type: 'progress'; readonly done: number; readonly total: number }
  | { readonly type: 'batch'; readonly batch: PlaygroundBatch }
  /** The batch was not started (bad method or path): why. */
  | { readonly type: 'batchRefused'; readonly message: string }
  | { readonly type: 'samples'; readonly samples: readonly PlaygroundSample[] };

export type PlaygroundFromWebview =
  | ChatFromWebview
  | { readonly type: 'ready' }
  | { readonly type: 'send'; readonly method: PlaygroundMethod; readonly path: string; readonly body: string }
  | { readonly type: 'batch'; readonly method: PlaygroundMethod; readonly path: string; readonly body: string; readonly count: number }
  | { readonly type: 'saveSample'; readonly name: string; readonly body: string }
  /** Ask the extension host for B (a quick pick of this container and the other running ones). */
  | { readonly type: 'abChooseB' }
  | {
      readonly type: 'abRun';
      readonly method: PlaygroundMethod;
      readonly pathA: string;
      readonly pathB: string;
      readonly body: string;
      /** Send every sample in turn instead of `body`. */
      readonly cycleSamples: boolean;
      readonly count: number;
      readonly concurrency: number;
      readonly rtol: number;
      readonly atol: number;
    }
  | { readonly type: 'abStop' }
  | { readonly type: 'abExport' };

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
