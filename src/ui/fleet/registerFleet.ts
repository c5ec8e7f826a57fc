import type { CommandContext } from '../commands';
import type { Services } from '../services';
import type { Trees } from '../registerTrees';
import { FleetAlerts } from './fleetAlerts';
import { openContainerLogs, openContainerStats } from './openContainer';

/** Fleet monitoring: the alerts (and their Show Logs / Show Stats actions). */
export function registerFleet(services: Services, trees: Trees): FleetAlerts {
  const ctx: CommandContext = { ...services, trees };
  const alerts = new FleetAlerts(services, {
    showLogs: (record) => openContainerLogs(ctx, record),
    showStats: (record) => openContainerStats(ctx, record),
  });
  services.context.subscriptions.push(alerts);
  return alerts;
}
