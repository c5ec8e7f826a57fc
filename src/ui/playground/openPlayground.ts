import * as vscode from 'vscode';
import { BERTH_LABEL } from '../../core/engine/labels';
import { publishedPorts } from '../containers/format';
import type { CommandContext } from '../commands';
import { targetContainers } from '../containers/targets';

export async function openPlayground(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, {
    title: vscode.l10n.t('Open playground'),
    filter: (r) => r.state === 'running' && publishedPorts(r).some((p) => p.protocol === 'tcp'),
  });
  if (!target) return;
  // any image can set this label: the panel reads samples from it only inside the workspace
  await ctx.playgrounds.show(target, target.labels[BERTH_LABEL.project]);
}
