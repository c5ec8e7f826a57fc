import type { CommandContext } from '../registerCommands';
import { forEachContainer, isRunning, targetContainers } from './targets';

export async function killContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Kill container', filter: isRunning, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Killing', targets, (r) => engine.killContainer(r.id));
}
