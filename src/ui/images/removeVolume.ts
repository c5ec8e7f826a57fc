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
      { title: vscode.l10n.t('Remove volume') },
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
  const remove = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Remove volume {0}?', name),
    { modal: true, detail: vscode.l10n.t('Its data is deleted from the engine’s host. This cannot be undone.') },
    remove,
  );
  if (choice !== remove) return;
  try {
    await engine.removeVolume(name);
  } finally {
    void ctx.trees.volumes.reload();
    // the disk usage row counts volumes
    void ctx.trees.images.reload();
  }
  void vscode.window.showInformationMessage(vscode.l10n.t('Removed volume {0}.', name));
}

/** Remove Unused Volumes: the unused ones named and their size (df) first, confirmed; then what the engine freed. */
export async function pruneUnusedVolumes(ctx: CommandContext): Promise<void> {
  const engine = ctx.session.requireEngine();
  const [volumes, containers] = await Promise.all([engine.listVolumes(), engine.listContainers({ all: true })]);
  const mounted = new Set(containers.flatMap((c) => (c.mounts ?? []).flatMap((m) => (m.type === 'volume' && m.name ? [m.name] : []))));
  const unused = volumes.filter((v) => v.driver === 'local' && !mounted.has(v.name)).map((v) => v.name);
  if (unused.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No unused volumes: every volume is mounted by a container.'));
    return;
  }
  const usage = await measure(ctx, engine);
  const shown =
    unused.length > 10 ? vscode.l10n.t('{0}, and {1} more', unused.slice(0, 10).join(', '), unused.length - 10) : unused.join(', ');
  const question =
    unused.length === 1 ? vscode.l10n.t('Remove 1 unused volume?') : vscode.l10n.t('Remove {0} unused volumes?', unused.length);
  const remove = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    usage ? `${question} ${vscode.l10n.t('This frees about {0}.', formatBytes(usage.volumes.reclaimable))}` : question,
    { modal: true, detail: vscode.l10n.t('Their data is deleted: {0}. No container, running or stopped, mounts them.', shown) },
    remove,
  );
  if (choice !== remove) return;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Removing unused volumes…') },
    () => engine.pruneVolumes(),
  );
  ctx.log.info(`Removing unused volumes removed ${result.removed}, freed ${result.spaceReclaimed} bytes`);
  void ctx.trees.volumes.reload();
  void ctx.trees.images.reload();
  void vscode.window.showInformationMessage(
    result.removed === 1
      ? vscode.l10n.t('Removed 1 unused volume; freed {0}.', formatBytes(result.spaceReclaimed))
      : vscode.l10n.t('Removed {0} unused volumes; freed {1}.', result.removed, formatBytes(result.spaceReclaimed)),
  );
}
