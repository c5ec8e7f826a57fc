import type { ContainerRecord } from '../../core/engine/containerStore';
import type { CommandContext } from '../commands';
import { openLogs } from '../logs/showLogs';
import { StatsPanel } from '../stats/statsPanel';

/** A container's logs (with the berth.logs.* settings), as the dashboard's rows and the alerts open them. */
export function openContainerLogs(ctx: CommandContext, record: ContainerRecord): void {
  openLogs(ctx, [record], { tail: ctx.config.logTail, timestamps: ctx.config.logTimestamps });
}

/** A container's stats panel. */
export function openContainerStats(ctx: CommandContext, record: ContainerRecord): void {
  ctx.context.subscriptions.push(new StatsPanel(ctx, ctx.stats, [record]));
}
