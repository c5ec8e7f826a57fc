import * as vscode from 'vscode';
import type { EngineState } from '../engine/engineSession';
import { ContainerStore, type StoreChange } from '../../core/engine/containerStore';
import type { Services } from '../services';

const IDLE_STOP_MS = 10_000;

/**
 * The one live container model of the window: a ContainerStore for the connected engine, running
 * while some view needs it (held) and stopped a little after none does, rebuilt when the engine
 * session reconnects.
 */
export class LiveContainers implements vscode.Disposable {
  private store: ContainerStore | undefined;
  private holders = new Set<string>();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly changed = new vscode.EventEmitter<readonly StoreChange[] | 'reset'>();
  /** Batches of changes, or 'reset' when the whole model was replaced. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly services: Pick<Services, 'session' | 'config' | 'log'>) {
    this.disposables.push(services.session.onDidChange((s) => this.onSession(s)));
  }

  get current(): ContainerStore | undefined {
    return this.store;
  }

  /** A view became visible (or a feature needs the model): keep it live. */
  hold(holder: string): void {
    this.holders.add(holder);
    clearTimeout(this.idleTimer);
    this.ensure();
  }

  release(holder: string): void {
    this.holders.delete(holder);
    if (this.holders.size > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.teardown(), IDLE_STOP_MS);
  }

  async refresh(): Promise<void> {
    await this.store?.reconcile();
  }

  private onSession(state: EngineState): void {
    if (state.kind === 'connected' && this.store && this.store.engine === state.engine) return;
    this.teardown();
    if (state.kind === 'connected' && this.holders.size > 0) this.ensure();
  }

  private ensure(): void {
    if (this.store) return;
    const state = this.services.session.state;
    if (state.kind !== 'connected') return;
    const store = new ContainerStore(state.engine, { reconcileIntervalMs: this.services.config.reconcileIntervalMs });
    this.store = store;
    this.unsubscribe = store.onChange((changes) => this.changed.fire(changes));
    this.changed.fire('reset');
    store.start().catch((err: unknown) => {
      this.services.log.error('Could not list containers', err);
      if (this.store === store) void this.services.session.reconnect();
    });
  }

  private teardown(): void {
    if (!this.store) return;
    this.unsubscribe?.();
    this.store.stop();
    this.store = undefined;
    this.changed.fire('reset');
  }

  dispose(): void {
    clearTimeout(this.idleTimer);
    this.teardown();
    for (const d of this.disposables) d.dispose();
  }
}
