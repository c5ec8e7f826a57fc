import * as vscode from 'vscode';
import { chooseTarget, reachTarget } from '../playground/target';
import { formatPort, publishedPorts } from './format';
import type { CommandContext } from '../commands';
import { targetContainers } from './targets';

export async function openPort(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, {
    title: vscode.l10n.t('Open published port'),
    filter: (r) => publishedPorts(r).length > 0,
  });
  if (!target) return;
  const ports = publishedPorts(target);
  const port =
    ports.length === 1
      ? ports[0]
      : (
          await vscode.window.showQuickPick(
            ports.map((p) => ({ label: formatPort(p), port: p })),
            { title: vscode.l10n.t('Open a port of {0}', target.name) },
          )
        )?.port;
  if (!port?.hostPort) return;
  // only loopback is opened: a port on all interfaces is opened on 127.0.0.1, one on another address not at all
  const chosen = await reachTarget(
    ctx.session.requireEngine(),
    target.name,
    chooseTarget(
      target.name,
      target.ports.filter((b) => b.containerPort === port.containerPort && b.protocol === port.protocol),
      port.protocol,
    ),
  );
  if ('error' in chosen) {
    ctx.log.warn(`Open port: ${chosen.error}`);
    void vscode.window.showErrorMessage(chosen.error);
    return;
  }
  if (chosen.via !== undefined)
    ctx.log.info(`Open port: ${target.name} port ${chosen.containerPort} through the ${chosen.via}: ${chosen.url}/`);
  await vscode.env.openExternal(vscode.Uri.parse(`${chosen.url}/`));
}
