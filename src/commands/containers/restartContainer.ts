import type { CommandContext } from '../registerCommands';
import { forEachContainer, targetContainers } from './targets';

export async function restartContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Restart container', many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Restarting', targets, (r) => engine.restartContainer(r.id));
}
