/**
 * Which container rows to refresh, and when (no vscode import: unit-tested directly).
 *
 * VS Code's extension host debounces a tree's refreshes: the first goes out at once, and any
 * other within 200 ms of the previous one waits until 200 ms have passed without one. A refresh
 * that changes nothing a user sees is therefore not free: it holds back the next real change by
 * up to 200 ms (a `kill`, whose inspect changed nothing on screen, delayed the `die` that follows
 * it). So a row is refreshed only when what it shows changes — its name, description, icon and
 * menus — and the changes of one burst of events (one read from the engine) go out together.
 * Rows whose change is invisible (the tooltip, which is resolved lazily on hover) ride along with
 * the next refresh that goes out anyway. Rows that only aged (a relative time, a stats figure) are
 * not urgent: they wait up to `agedDelayMs` to ride along with the next refresh for an event, so
 * that they do not open a 200 ms window just before a state change.
 */
import type { ContainerRecord } from '../../core/engine/containerStore';
import { containerContext, describeContainer, statsText, toneOf } from './format';

/** Everything a row shows, as one string: equal strings, equal rows. */
export function rowKey(r: ContainerRecord, now: number, sample?: Parameters<typeof statsText>[0]): string {
  const description = describeContainer(r, now) + (sample && r.state === 'running' ? ` · ${statsText(sample)}` : '');
  return `${r.name}\n${description}\n${toneOf(r)}\n${containerContext(r)}`;
}

export interface RowRefreshOptions {
  /** Refresh these rows (ids). */
  readonly fire: (ids: string[]) => void;
  /** What the row of this record shows now. */
  readonly key: (r: ContainerRecord) => string;
  /** Run the flush after the current burst (default setImmediate: after every event of this read). */
  readonly schedule?: (flush: () => void) => void;
  /** How long rows that only aged wait for a refresh to ride along with (default 1 s). */
  readonly agedDelayMs?: number;
}

export class RowRefresh {
  /** What each row was last rendered with (or will be, once a refresh sent is rendered). */
  private readonly shown = new Map<string, { key: string; record: ContainerRecord }>();
  /** Rows to refresh, with the record each will show. */
  private readonly visible = new Map<string, ContainerRecord>();
  /** Rows whose tooltip changed but not what they show. */
  private readonly stale = new Set<string>();
  /** Rows that only aged, waiting to ride along with the next refresh. */
  private readonly agedRows = new Map<string, ContainerRecord>();
  private agedTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private readonly schedule: (flush: () => void) => void;

  constructor(private readonly options: RowRefreshOptions) {
    this.schedule = options.schedule ?? ((flush) => void setImmediate(flush));
  }

  /** The row of this record was just rendered showing `key`. */
  rendered(record: ContainerRecord, key: string): void {
    this.shown.set(record.id, { key, record });
    this.stale.delete(record.id);
  }

  forget(id: string): void {
    this.shown.delete(id);
    this.stale.delete(id);
    this.visible.delete(id);
    this.agedRows.delete(id);
  }

  /** The record of an existing row changed: refresh it if (and only if) it now shows something else. */
  update(record: ContainerRecord): void {
    // both read as of now: a row whose "up 3s" has aged to "up 4s" since it was rendered has not
    // changed for that (the clock refreshes those), only if the new record reads differently
    const shown = this.shown.get(record.id);
    if (this.agedRows.has(record.id)) this.agedRows.set(record.id, record);
    if (shown !== undefined && this.options.key(shown.record) === this.options.key(record)) {
      // the same row either way: compare later changes with this record (an inspect's exact times
      // rather than an event's)
      this.shown.set(record.id, { key: shown.key, record });
      if (!this.visible.has(record.id)) this.stale.add(record.id);
      return;
    }
    this.visible.set(record.id, record);
    this.stale.delete(record.id);
    this.agedRows.delete(record.id);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => this.flush());
  }

  /** Rows whose description would read differently now (relative times age, stats change). */
  aged(records: Iterable<ContainerRecord>): void {
    for (const r of records) {
      const shown = this.shown.get(r.id);
      if (shown !== undefined && !this.visible.has(r.id) && shown.key !== this.options.key(r)) this.agedRows.set(r.id, r);
    }
    if (this.agedRows.size === 0 || this.agedTimer !== undefined) return;
    this.agedTimer = setTimeout(() => {
      this.agedTimer = undefined;
      this.flushNow();
    }, this.options.agedDelayMs ?? 1000);
  }

  /** Going to refresh everything anyway: nothing pending is needed. */
  clear(): void {
    this.visible.clear();
    this.stale.clear();
    this.agedRows.clear();
  }

  dispose(): void {
    clearTimeout(this.agedTimer);
    this.agedTimer = undefined;
  }

  private flush(): void {
    this.scheduled = false;
    this.flushNow();
  }

  private flushNow(): void {
    for (const [id, record] of this.agedRows) if (!this.visible.has(id)) this.visible.set(id, record);
    this.agedRows.clear();
    clearTimeout(this.agedTimer);
    this.agedTimer = undefined;
    if (this.visible.size === 0) return;
    const ids = [...new Set([...this.visible.keys(), ...this.stale])];
    // what these rows will show once rendered: a change back to it before then is no change
    for (const [id, record] of this.visible) this.shown.set(id, { key: this.options.key(record), record });
    this.visible.clear();
    this.stale.clear();
    this.options.fire(ids);
  }
}
