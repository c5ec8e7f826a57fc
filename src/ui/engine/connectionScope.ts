/** Something that ends with a connection; its dispose may finish later (a container takes a moment to remove). */
export interface ScopedDisposable {
  dispose(): unknown;
}

/**
 * What lives as long as one engine connection (rust-analyzer's client cleanups, apart from the
 * extension's): disposed, newest first, when the connection ends. What is added after the end is
 * disposed at once.
 */
export class ConnectionScope {
  private readonly items: ScopedDisposable[] = [];
  private ending: Promise<void> | undefined;

  get ended(): boolean {
    return this.ending !== undefined;
  }

  /** Dispose `item` when this connection ends; returns it. */
  add<T extends ScopedDisposable>(item: T): T {
    if (this.ending) void settle(item);
    else this.items.push(item);
    return item;
  }

  /** Forget `item` (it ended by itself) without disposing it. */
  remove(item: ScopedDisposable): void {
    const at = this.items.indexOf(item);
    if (at >= 0) this.items.splice(at, 1);
  }

  /** End the connection: everything added is disposed; resolves when the last disposal has finished. Once only. */
  end(): Promise<void> {
    this.ending ??= Promise.all(this.items.splice(0).reverse().map(settle)).then(() => undefined);
    return this.ending;
  }
}

/** Dispose, waiting for a disposal that returns a promise; a failing disposal does not stop the others. */
async function settle(item: ScopedDisposable): Promise<void> {
  try {
    await item.dispose();
  } catch {
    // a disposal that fails leaves nothing more to do here
  }
}
