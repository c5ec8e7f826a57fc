/**
 * Bounded history: a ring buffer per key (a container) holding the newest `capacity` points.
 * Memory is capacity × live keys: a key forgotten (its container gone) lets go of its buffer.
 */

/** A fixed-capacity ring of the newest items. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  /** The index the next push writes. */
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`a ring holds at least one item (asked: ${capacity})`);
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The newest item. */
  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.head - 1 + this.capacity) % this.capacity];
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const start = (this.head - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity] as T);
    return out;
  }
}

/** The number of points that cover `historyMs` at one point per `intervalMs` (one hour at 5 s: 720). */
export function pointsFor(historyMs: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(historyMs / intervalMs));
}

/** One ring per key. */
export class SeriesStore<T> {
  private readonly rings = new Map<string, Ring<T>>();

  constructor(readonly capacity: number) {}

  push(key: string, item: T): void {
    let ring = this.rings.get(key);
    if (!ring) {
      ring = new Ring<T>(this.capacity);
      this.rings.set(key, ring);
    }
    ring.push(item);
  }

  get(key: string): readonly T[] {
    return this.rings.get(key)?.toArray() ?? [];
  }

  last(key: string): T | undefined {
    return this.rings.get(key)?.last();
  }

  forget(key: string): void {
    this.rings.delete(key);
  }

  /** Forget every key but these. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.rings.keys()) if (!keys.has(key)) this.rings.delete(key);
  }

  /** Keys held and points held in all (for tests: bounded whatever the churn). */
  sizes(): { keys: number; points: number } {
    let points = 0;
    for (const r of this.rings.values()) points += r.size;
    return { keys: this.rings.size, points };
  }
}
