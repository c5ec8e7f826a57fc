/**
 * The records of fleet monitoring: what the fleet model (src/core/fleet) keeps for every running
 * model container and what the Fleet dashboard shows. Plain data, no engine types, so the
 * dashboard's webview can receive them as they are.
 */

/** Where a row's request figures come from. */
export type TrafficSource =
  /** The container's Prometheus `/metrics` (request counters and a latency histogram). */
  | 'metrics'
  /** The requests Berth itself sent (the playground, A/B runs). */
  | 'traffic'
  /** Neither: no request figures. */
  | 'none';

/** One point of a row's history: the figures over the interval that ended at `t`. */
export interface FleetSample {
  /** ms since the epoch */
  readonly t: number;
  /** Requests per second over the interval. */
  readonly rps?: number;
  /** Requests answered over the interval (the rate's count: its time is the interval between two scrapes). */
  readonly requests?: number;
  /** Latency percentiles over the interval, in ms. */
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  /** Share of requests answered with an error (HTTP 5xx, or 4xx and 5xx when that is all that is known), 0..1. */
  readonly errorRate?: number;
  readonly cpuPercent?: number;
  readonly memoryBytes?: number;
  /** GPU utilisation 0..100 and memory, summed over the container's GPUs, when a GPU is attached. */
  readonly gpuPercent?: number;
  readonly gpuMemoryBytes?: number;
}

export interface FleetRow {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  /** Compose project and service, when the container is a Compose service. */
  readonly project?: string;
  readonly service?: string;
  /** Berth's run profile, when Berth ran it. */
  readonly profile?: string;
  readonly state: string;
  readonly health?: 'starting' | 'healthy' | 'unhealthy';
  readonly restarts: number;
  readonly oomKills: number;
  /** The memory limit in bytes; undefined: none. */
  readonly memoryLimitBytes?: number;
  /** A GPU was requested for it. */
  readonly gpu: boolean;
  readonly source: TrafficSource;
  /** The URL scraped for metrics, when there is one (as this machine reaches it). */
  readonly metricsUrl?: string;
  /** Why a scrape or a stats read failed last, when it did. */
  readonly problem?: string;
  /** The newest point (what the table shows). */
  readonly latest?: FleetSample;
}

/** The dashboard's whole state at one moment. */
export interface FleetSnapshot {
  readonly at: number;
  readonly rows: readonly FleetRow[];
}
