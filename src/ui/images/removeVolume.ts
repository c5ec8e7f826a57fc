import * as vscode from 'vscode';
import { VolumeInUseError } from '../../core/engine/errors';
import { formatBytes } from '../../core/project/units';
import { measure } from './pruneImages';
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

/** Remove Unused Volumes: the unused ones named and their size (df) first, confirmed; then what the engine freed. */
export async function pruneUnusedVolumes(ctx: CommandContext): Promise<void> {
  const engine = ctx.session.requireEngine();
  const [volumes, containers] = await Promise.all([engine.listVolumes(), engine.listContainers({ all: true })]);
  const mounted = new Set(containers.flatMap((c) => (c.mounts ?? []).flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : []))));
  const unused = volumes.filter((v) => v.driver === 'local' && !mounted.has(v.name)).map((v) => v.name);
  if (unused.length === 0) {
    void vscode.window.showInformationMessage('No unused volumes: every volume is mounted by a container.');
    return;
  }
  const usage = await measure(ctx, engine);
  const shown = unused.slice(0, 10).join(', ') + (unused.length > 10 ? `, and ${unused.length - 10} more` : '');
  const choice = await vscode.window.showWarningMessage(
    `Remove ${unused.length === 1 ? '1 unused volume' : `${unused.length} unused volumes`}?${usage ? ` This frees about ${formatBytes(usage.volumes.reclaimable)}.` : ''}`,
    { modal: true, detail: `Their data is deleted: ${shown}. No container, running or stopped, mounts them.` },
    'Remove',
  );
  if (choice !== 'Remove') return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Removing unused volumes…' },
    () => engine.pruneVolumes(),
  );
  ctx.log.info(`Removing unused volumes removed ${result.removed}, freed ${result.spaceReclaimed} bytes`);
  void ctx.trees.volumes.reload();
  void ctx.trees.images.reload();
  void vscode.window.showInformationMessage(
    `Removed ${result.removed === 1 ? '1 unused volume' : `${result.removed} unused volumes`}; freed ${formatBytes(result.spaceReclaimed)}.`,
  );
}
