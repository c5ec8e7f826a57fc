import type { CommandContext } from '../registerCommands';
import { forEachContainer, isStopped, targetContainers } from './targets';

export async function startContainer(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, { title: 'Start container', filter: isStopped, many: true });
  const engine = ctx.session.requireEngine();
  await forEachContainer(ctx, 'Starting', targets, (r) => engine.startContainer(r.id));
}
