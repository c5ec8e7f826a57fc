import * as vscode from 'vscode';
import { FleetModel, type TrafficRecord } from '../../core/fleet/fleetModel';
import type { FleetSnapshot } from '../../core/fleet/types';
import type { Services } from '../services';

const HOLDER = 'fleet-monitor';

type MonitorDeps = Pick<Services, 'containers' | 'session' | 'log'>;

/**
 * The fleet model of the current engine connection, running while something uses it (the Fleet
 * dashboard, error-rate alerts): built on the live container model, rebuilt when that is
 * replaced (another engine, a reconnect), stopped when nothing uses it.
 */
export class FleetMonitor implements vscode.Disposable {
  private model: FleetModel | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly users = new Set<string>();
  private readonly modelChanged = new vscode.EventEmitter<FleetModel | undefined>();
  /** Fires with the new model (or none) when it is replaced. */
  readonly onDidChangeModel = this.modelChanged.event;
  private readonly sampled = new vscode.EventEmitter<FleetSnapshot>();
  /** Fires after every sweep with the rows as they are now. */
  readonly onDidSample = this.sampled.event;
  private readonly disposables: vscode.Disposable[] = [this.modelChanged, this.sampled];

  constructor(private readonly services: MonitorDeps) {
    this.disposables.push(
      services.containers.onDidChange((changes) => {
        // a new live model (another engine, a reconnect): a new fleet model on it
        if (changes === 'reset') this.rebuild();
      }),
    );
  }

  get current(): FleetModel | undefined {
    return this.model;
  }

  /** Keep the model running for `user` (idempotent). */
  use(user: string): void {
    const first = this.users.size === 0;
    this.users.add(user);
    if (!first) return;
    // holding may make the live model, whose reset has then built the fleet model already
    this.services.containers.hold(HOLDER);
    if (this.model === undefined) this.rebuild();
  }

  release(user: string): void {
    if (!this.users.delete(user) || this.users.size > 0) return;
    this.teardown();
    this.services.containers.release(HOLDER);
    this.modelChanged.fire(undefined);
  }

  /** A request Berth sent to a container (the playground): figures for containers without /metrics. */
  recordTraffic(containerId: string, record: TrafficRecord): void {
    this.model?.recordTraffic(containerId, record);
  }

  private rebuild(): void {
    this.teardown();
    if (this.users.size === 0) return;
    const store = this.services.containers.current;
    const state = this.services.session.state;
    if (store && state.kind === 'connected') {
      const model = FleetModel.forEngine(state.engine, store);
      this.model = model;
      this.unsubscribe = model.onChange((snapshot) => this.sampled.fire(snapshot));
      model.start();
      this.services.log.info(`Fleet: following the model containers of ${state.endpoint.host} every ${model.intervalMs / 1000} s`);
    }
    this.modelChanged.fire(this.model);
  }

  private teardown(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.model?.stop();
    this.model = undefined;
  }

  dispose(): void {
    this.teardown();
    if (this.users.size > 0) this.services.containers.release(HOLDER);
    this.users.clear();
    for (const d of this.disposables) d.dispose();
  }
}
