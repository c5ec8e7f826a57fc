import * as vscode from 'vscode';
import { VolumeInUseError } from '../../core/engine/errors';
import type { CommandContext } from '../commands';
import type { VolumeNode } from './resourceTrees';

/** Remove Volume: confirmed; refused, naming the containers, while any container uses it. */
export async function removeVolume(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const engine = ctx.session.requireEngine();
  let node = args[0] as VolumeNode | undefined;
  let name = node?.kind === 'volume' ? node.volume.name : undefined;
  if (name === undefined) {
    const volumes = await engine.listVolumes();
    const picked = await vscode.window.showQuickPick(
      volumes.map((v) => ({ label: v.name, description: v.driver })),
      { title: 'Remove volume' },
    );
    name = picked?.label;
    node = undefined;
  }
  if (name === undefined) return;
  const users = node?.users ?? [];
  if (users.length > 0) {
    // the view already knows: say so before asking (the engine would refuse the same way)
    void vscode.window.showErrorMessage(new VolumeInUseError(name, users).message);
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    `Remove volume ${name}?`,
    { modal: true, detail: 'Its data is deleted from the engine’s host. This cannot be undone.' },
    'Remove',
  );
  if (choice !== 'Remove') return;
  try {
    await engine.removeVolume(name);
  } finally {
    void ctx.trees.volumes.reload();
    // the disk usage row counts volumes
    void ctx.trees.images.reload();
  }
  void vscode.window.showInformationMessage(`Removed volume ${name}.`);
}
