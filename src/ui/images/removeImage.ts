import * as vscode from 'vscode';
import type { ImageNode } from './resourceTrees';
import type { CommandContext } from '../commands';

export async function removeImage(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const [clicked, selected] = args as [ImageNode | undefined, ImageNode[] | undefined];
  const nodes = (selected && selected.length > 0 ? selected : clicked ? [clicked] : []).filter(
    (n): n is Extract<ImageNode, { kind: 'image' }> => n.kind === 'image',
  );
  const engine = ctx.session.requireEngine();
  let targets = nodes.map((n) => ({ ref: n.tag.startsWith('<none>') ? n.image.id : n.tag, users: n.users }));
  if (targets.length === 0) {
    const images = (await engine.listImages()).flatMap((i) => i.tags.map((t) => ({ label: t, description: i.id.slice(7, 19) })));
    const picked = await vscode.window.showQuickPick(images, { title: vscode.l10n.t('Remove image'), canPickMany: true });
    targets = (picked ?? []).map((p) => ({ ref: p.label, users: [] }));
  }
  if (targets.length === 0) return;
  const inUse = targets.filter((t) => t.users.length > 0);
  const detail =
    inUse.length > 0
      ? vscode.l10n.t('In use by {0}: those containers must be removed first.', inUse.flatMap((t) => t.users).join(', '))
      : vscode.l10n.t('Untags the image and deletes its layers when no other tag uses them.');
  const remove = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    targets.length === 1 ? vscode.l10n.t('Remove {0}?', targets[0]?.ref ?? '') : vscode.l10n.t('Remove {0} images?', targets.length),
    { modal: true, detail },
    remove,
  );
  if (choice !== remove) return;
  for (const t of targets) {
    await engine.removeImage(t.ref);
  }
}
