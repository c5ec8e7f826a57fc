import type { CommandContext } from '../registerCommands';
import { forEachContainer, isRunning, targetContainers } from './targets';

export async function stopContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Stop container', filter: isRunning, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Stopping', targets, (r) => engine.stopContainer(r.id));
}
