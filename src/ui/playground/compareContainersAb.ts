import * as vscode from 'vscode';
import { BERTH_LABEL } from '../../core/engine/labels';
import type { CommandContext } from '../commands';
import { publishedPorts } from '../containers/format';
import { targetContainers } from '../containers/targets';

/** Two selected containers (or two picked from the palette): A's playground in A/B mode against B. */
export async function compareContainersAb(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const targets = await targetContainers(ctx, args, {
    title: vscode.l10n.t('Compare two containers (A/B): pick A and B'),
    many: true,
    filter: (r) => r.state === 'running' && publishedPorts(r).some((p) => p.protocol === 'tcp'),
  });
  if (targets.length === 0) return;
  const [a, b] = targets;
  if (targets.length !== 2 || !a || !b) {
    void vscode.window.showInformationMessage(
      targets.length === 1
        ? vscode.l10n.t('Compare Two Containers (A/B) needs exactly two running containers with a published TCP port; 1 was chosen.')
        : vscode.l10n.t(
            'Compare Two Containers (A/B) needs exactly two running containers with a published TCP port; {0} were chosen.',
            targets.length,
          ),
    );
    return;
  }
  // any image can set this label: the panel reads samples from it only inside the workspace
  await ctx.playgrounds.compare(a, b, a.labels[BERTH_LABEL.project]);
}
