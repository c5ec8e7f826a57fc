/**
 * Fleet alerts: an OOM kill, a crash loop (n restarts within m minutes), a container turning
 * unhealthy, an error rate over a threshold. Fed the live model's records as they change and the
 * fleet model's rows as they are sampled; each condition is told once, again only after it has
 * cleared (or, for events, after a quiet period), and a burst is capped: past the cap, one line
 * says how many more there were. Pure: the caller shows the alerts.
 */
import type { ContainerRecord } from '../engine/containerStore';
import type { FleetRow } from './types';

export type AlertKind = 'oom' | 'crash-loop' | 'unhealthy' | 'error-rate';

export interface Alert {
  readonly kind: AlertKind;
  readonly containerId: string;
  readonly containerName: string;
  /** One sentence, ready to show. */
  readonly message: string;
}

/** More alerts than the cap allows in one window: told as one line. */
export interface AlertOverflow {
  readonly kind: 'overflow';
  readonly count: number;
  readonly message: string;
}

export interface AlertSettings {
  /** Restarts within `crashLoopWindowMs` that make a crash loop (default 3). */
  readonly crashLoopRestarts: number;
  readonly crashLoopWindowMs: number;
  /** Error rate (0..1) at or over which a container is told (default 0.05); 0 or less: never. */
  readonly errorRate: number;
  /** Requests per second under which an error rate is not judged (a handful of requests is no rate). */
  readonly errorRateMinRps: number;
  /** The same alert for the same container is not told again within this time (default 10 min). */
  readonly quietMs: number;
  /** At most this many alerts per `burstWindowMs`; past it, one overflow line (default 3 per 30 s). */
  readonly burstLimit: number;
  readonly burstWindowMs: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = Object.freeze({
  crashLoopRestarts: 3,
  crashLoopWindowMs: 5 * 60_000,
  errorRate: 0.05,
  errorRateMinRps: 0.2,
  quietMs: 10 * 60_000,
  burstLimit: 3,
  burstWindowMs: 30_000,
});

interface Seen {
  restartCount: number;
  /** When each restart was seen (ms), newest last; pruned to the crash-loop window. */
  restarts: number[];
  /** The finishedAt of the last OOM kill told, so one kill is told once. */
  oomFinishedAt?: string;
  unhealthy: boolean;
  erroring: boolean;
  /** The last non-zero exit code seen: a looping container is mostly seen running again, without it. */
  lastExit?: number;
}

const percent = (rate: number): string => `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)} %`;

export class AlertWatch {
  private readonly seen = new Map<string, Seen>();
  /** When each (kind, container) was last told. */
  private readonly told = new Map<string, number>();
  /** When alerts were told in the current burst window. */
  private readonly recent: number[] = [];
  private overflow = 0;
  private overflowSince = 0;

  constructor(private settings: AlertSettings = DEFAULT_ALERT_SETTINGS) {}

  configure(settings: AlertSettings): void {
    this.settings = settings;
  }

  /** A container's record as it is now (added or updated): the OOM kills, crash loops and health turns it shows. */
  observeRecord(record: ContainerRecord, now = Date.now()): Alert[] {
    const s = this.seen.get(record.id);
    const restartCount = record.restartCount ?? 0;
    if (s === undefined) {
      // what a container was like before Berth watched it is not news
      this.seen.set(record.id, {
        restartCount,
        restarts: [],
        ...(record.oomKilled === true && record.finishedAt !== undefined ? { oomFinishedAt: record.finishedAt } : {}),
        unhealthy: record.health === 'unhealthy',
        erroring: false,
      });
      return [];
    }
    const found: Alert[] = [];
    if (record.exitCode !== undefined && record.exitCode !== 0 && record.state !== 'running') s.lastExit = record.exitCode;
    if (restartCount > s.restartCount) {
      for (let i = s.restartCount; i < restartCount; i++) s.restarts.push(now);
      s.restartCount = restartCount;
    }
    s.restarts = s.restarts.filter((t) => now - t <= this.settings.crashLoopWindowMs);
    if (record.oomKilled === true && record.finishedAt !== undefined && record.finishedAt !== s.oomFinishedAt) {
      s.oomFinishedAt = record.finishedAt;
      found.push(this.alert('oom', record, `${record.name} was killed for exceeding its memory limit (OOM)`));
    }
    if (s.restarts.length >= this.settings.crashLoopRestarts) {
      const minutes = Math.max(1, Math.round(this.settings.crashLoopWindowMs / 60_000));
      const exit = s.lastExit !== undefined ? `, last exit code ${s.lastExit}` : '';
      found.push(
        this.alert('crash-loop', record, `${record.name} is crash-looping: ${s.restarts.length} restarts in ${minutes} min${exit}`),
      );
    }
    const unhealthy = record.health === 'unhealthy' && record.state === 'running';
    if (unhealthy && !s.unhealthy) found.push(this.alert('unhealthy', record, `${record.name} is unhealthy: its health check fails`));
    s.unhealthy = unhealthy;
    return this.admit(found, now);
  }

  /** A fleet row as just sampled: an error rate over the threshold, told when it crosses it. */
  observeRow(row: FleetRow, now = Date.now()): Alert[] {
    const s = this.seen.get(row.id);
    const sample = row.latest;
    if (s === undefined || sample === undefined || this.settings.errorRate <= 0) return [];
    const rate = sample.errorRate;
    const judged = rate !== undefined && (sample.rps ?? 0) >= this.settings.errorRateMinRps;
    if (!judged) return [];
    const erroring = rate >= this.settings.errorRate;
    const crossed = erroring && !s.erroring;
    s.erroring = erroring;
    if (!crossed) return [];
    const alert: Alert = {
      kind: 'error-rate',
      containerId: row.id,
      containerName: row.name,
      message: `${row.name} answers ${percent(rate)} of requests with an error (threshold ${percent(this.settings.errorRate)})`,
    };
    return this.admit([alert], now);
  }

  /** The container is gone: forget it. */
  forget(id: string): void {
    this.seen.delete(id);
    for (const key of [...this.told.keys()]) if (key.endsWith(`:${id}`)) this.told.delete(key);
  }

  /**
   * The alerts held back by the burst cap since the last call, as one line once the window has
   * passed (call it on a timer); undefined when there were none.
   */
  takeOverflow(now = Date.now()): AlertOverflow | undefined {
    if (this.overflow === 0 || now - this.overflowSince < this.settings.burstWindowMs) return undefined;
    const count = this.overflow;
    this.overflow = 0;
    return {
      kind: 'overflow',
      count,
      message: `${count} more container alert${count === 1 ? '' : 's'} in the last ${Math.round(this.settings.burstWindowMs / 1000)} s (details in the Berth log)`,
    };
  }

  /** Sizes of the internal maps, for tests: none may grow with containers come and gone. */
  debugSizes(): { seen: number; told: number; recent: number } {
    return { seen: this.seen.size, told: this.told.size, recent: this.recent.length };
  }

  private alert(kind: AlertKind, record: ContainerRecord, message: string): Alert {
    return { kind, containerId: record.id, containerName: record.name, message };
  }

  /** Drop what was told within the quiet period; cap the burst. */
  private admit(alerts: readonly Alert[], now: number): Alert[] {
    const out: Alert[] = [];
    for (const a of alerts) {
      const key = `${a.kind}:${a.containerId}`;
      const last = this.told.get(key);
      if (last !== undefined && now - last < this.settings.quietMs) continue;
      this.told.set(key, now);
      while (this.recent.length > 0 && now - (this.recent[0] ?? 0) > this.settings.burstWindowMs) this.recent.shift();
      if (this.recent.length >= this.settings.burstLimit) {
        if (this.overflow === 0) this.overflowSince = now;
        this.overflow++;
        continue;
      }
      this.recent.push(now);
      out.push(a);
    }
    return out;
  }
}
