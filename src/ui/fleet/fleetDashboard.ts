import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import type { FleetMonitor } from './fleetMonitor';
import { FleetPanel } from './fleetPanel';

const USER = 'fleet-dashboard';

/** The window's one Fleet dashboard (a service): opened or revealed, fed by the fleet monitor while open. */
export class FleetDashboard implements vscode.Disposable {
  private panel: FleetPanel | undefined;
  private subscription: vscode.Disposable | undefined;

  constructor(private readonly monitor: FleetMonitor) {}

  show(ctx: CommandContext): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = new FleetPanel(ctx, () => {
      this.subscription?.dispose();
      this.subscription = undefined;
      this.panel = undefined;
      this.monitor.release(USER);
    });
    this.panel = panel;
    this.monitor.use(USER);
    panel.attach(this.monitor.current, this.why(ctx));
    this.subscription = this.monitor.onDidChangeModel((model) => panel.attach(model, this.why(ctx)));
  }

  private why(ctx: CommandContext): string {
    const state = ctx.session.state;
    return state.kind === 'unreachable'
      ? vscode.l10n.t('Berth cannot reach the container engine: {0}', state.error.message)
      : vscode.l10n.t('Connecting to the container engine…');
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
