import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { COMPOSE_LABEL } from '../../core/engine/labels';
import { AlertWatch, DEFAULT_ALERT_SETTINGS, type Alert, type AlertSettings } from '../../core/fleet/alerts';
import type { FleetRow } from '../../core/fleet/types';
import type { Services } from '../services';

const HOLDER = 'fleet-alerts';
const OVERFLOW_CHECK_MS = 5_000;

/** What an alert's buttons do: open the container's logs or its stats. */
export interface AlertActions {
  showLogs(record: ContainerRecord): void;
  showStats(record: ContainerRecord): void;
}

type AlertDeps = Pick<Services, 'config' | 'log' | 'containers' | 'compose' | 'fleet'>;

/**
 * Fleet alerts as notifications (berth.alerts.*): the live container model's changes (OOM kills,
 * crash loops, failing health checks) and the fleet model's rows (error rates) go through one
 * AlertWatch, so each is told once and a burst is summed up. While alerts are on, the live model
 * is kept running even when no view shows it, and the fleet model too while error rates are told.
 */
export class FleetAlerts implements vscode.Disposable {
  private watch: AlertWatch;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly timer: NodeJS.Timeout;
  private holding = false;

  constructor(
    private readonly services: AlertDeps,
    private readonly actions: AlertActions,
  ) {
    this.watch = new AlertWatch(this.settings());
    this.disposables.push(
      services.containers.onDidChange((changes) => {
        if (changes === 'reset') {
          // another engine or a new model: what its containers were like before is not news
          this.watch = new AlertWatch(this.settings());
          return;
        }
        if (!this.holding) return;
        const store = services.containers.current;
        for (const change of changes) {
          if (change.kind === 'removed') this.watch.forget(change.id);
          else
            for (const alert of this.watch.observeRecord(change.record)) {
              // a Compose project's failures right after an Up are told by that Up's own watch
              const project = change.record.labels[COMPOSE_LABEL.project];
              if ((alert.kind === 'crash-loop' || alert.kind === 'oom') && project && this.services.compose.isWatchedAfterUp(project)) {
                this.services.log.info(`Alert (${alert.kind}) left to Compose Up's watch: ${alert.message}`);
                continue;
              }
              this.tell(alert, () => store?.get(alert.containerId));
            }
        }
      }),
      services.fleet.onDidSample((snapshot) => this.observeRows(snapshot.rows)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('berth.alerts')) return;
        this.watch.configure(this.settings());
        this.hold();
      }),
    );
    this.timer = setInterval(() => {
      const overflow = this.watch.takeOverflow();
      if (overflow)
        void vscode.window.showWarningMessage(overflow.message, vscode.l10n.t('Show Log')).then((c) => c && this.services.log.show());
    }, OVERFLOW_CHECK_MS);
    this.timer.unref?.();
    this.hold();
  }

  /** Rows the fleet model has just sampled: error rates over the threshold. */
  private observeRows(rows: readonly FleetRow[]): void {
    if (!this.holding) return;
    const store = this.services.containers.current;
    for (const row of rows) for (const alert of this.watch.observeRow(row)) this.tell(alert, () => store?.get(alert.containerId));
  }

  private settings(): AlertSettings {
    const a = this.services.config.alerts;
    return {
      ...DEFAULT_ALERT_SETTINGS,
      crashLoopRestarts: a.crashLoopRestarts,
      crashLoopWindowMs: a.crashLoopWindowMs,
      errorRate: a.errorRate,
    };
  }

  private hold(): void {
    const { enabled, errorRate } = this.services.config.alerts;
    if (enabled && !this.holding) this.services.containers.hold(HOLDER);
    if (!enabled && this.holding) this.services.containers.release(HOLDER);
    this.holding = enabled;
    // error rates come from the fleet model: it runs while they are told
    if (enabled && errorRate > 0) this.services.fleet.use(HOLDER);
    else this.services.fleet.release(HOLDER);
  }

  private tell(alert: Alert, recordOf: () => ContainerRecord | undefined): void {
    this.services.log.warn(`Alert (${alert.kind}): ${alert.message} [${alert.containerId.slice(0, 12)}]`);
    const showLogs = vscode.l10n.t('Show Logs');
    void vscode.window.showWarningMessage(alert.message, showLogs, vscode.l10n.t('Show Stats')).then((choice) => {
      if (choice === undefined) return;
      const record = recordOf();
      if (!record) {
        void vscode.window.showInformationMessage(vscode.l10n.t('{0} is gone: it was removed.', alert.containerName));
        return;
      }
      if (choice === showLogs) this.actions.showLogs(record);
      else this.actions.showStats(record);
    });
  }

  dispose(): void {
    clearInterval(this.timer);
    this.services.fleet.release(HOLDER);
    if (this.holding) this.services.containers.release(HOLDER);
    this.holding = false;
    for (const d of this.disposables) d.dispose();
  }
}
