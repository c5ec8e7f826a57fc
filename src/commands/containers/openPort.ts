import * as vscode from 'vscode';
import { formatPort, publishedPorts } from '../../tree/format';
import type { CommandContext } from '../registerCommands';
import { targetContainers } from './targets';

export async function openPort(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [target] = await targetContainers(ctx, args, { title: 'Open published port', filter: (r) => publishedPorts(r).length > 0 });
  if (!target) return;
  const ports = publishedPorts(target);
  const port =
    ports.length === 1
      ? ports[0]
      : (
          await vscode.window.showQuickPick(
            ports.map((p) => ({ label: formatPort(p), port: p })),
            { title: `Open a port of ${target.name}` },
          )
        )?.port;
  if (!port?.hostPort) return;
  // a port bound to all interfaces is opened on loopback
  const host = port.hostIp && port.hostIp !== '0.0.0.0' && port.hostIp !== '::' ? port.hostIp : '127.0.0.1';
  await vscode.env.openExternal(vscode.Uri.parse(`http://${host.includes(':') ? `[${host}]` : host}:${port.hostPort}/`));
}
