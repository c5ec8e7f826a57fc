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
  services.context.subscriptions.push(alerts);
  return alerts;
}
