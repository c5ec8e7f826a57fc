import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import { openLogs } from '../logs/showLogs';
import { StatsPanel } from '../stats/statsPanel';
import type { Services } from '../services';
import type { Trees } from '../registerTrees';
import { FleetAlerts } from './fleetAlerts';

/** Fleet monitoring: the alerts (and their Show Logs / Show Stats actions). */
export function registerFleet(services: Services, trees: Trees): FleetAlerts {
  const ctx: CommandContext = { ...services, trees };
  const alerts = new FleetAlerts(services, {
    showLogs: (record) => openLogs(ctx, [record], { tail: services.config.logTail, timestamps: services.config.logTimestamps }),
    showStats: (record) => services.context.subscriptions.push(new StatsPanel(ctx, ctx.stats, [record])),
  });
  // error rates come from the fleet model: it runs while those alerts are on
  const followErrorRates = (): void => {
    const a = services.config.alerts;
    if (a.enabled && a.errorRate > 0) services.fleet.use('fleet-alerts');
    else services.fleet.release('fleet-alerts');
  };
  followErrorRates();
  services.context.subscriptions.push(
    alerts,
    services.fleet.onDidSample((snapshot) => alerts.observeRows(snapshot.rows)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('berth.alerts')) followErrorRates();
    }),
  );
  return alerts;
}
