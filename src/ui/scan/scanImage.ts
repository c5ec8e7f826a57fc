import * as vscode from 'vscode';
import type { CommandContext } from '../commands';
import type { ImageNode } from '../images/resourceTrees';

/** Scan Image: from the Images view (the clicked image) or the palette (a picked one). */
export async function scanImage(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const node = args[0] as ImageNode | undefined;
  const engine = ctx.session.requireEngine();
  let ref: string | undefined;
  if (node?.kind === 'image') ref = node.tag.startsWith('<none>') ? node.image.id : node.tag;
  else if (typeof args[0] === 'string') ref = args[0];
  if (ref === undefined) {
    const images = (await engine.listImages()).flatMap((i) => i.tags.map((t) => ({ label: t, description: i.id.slice(7, 19) })));
    const picked = await vscode.window.showQuickPick(images, { title: vscode.l10n.t('Scan image for vulnerabilities') });
    ref = picked?.label;
  }
  if (ref === undefined) return;
  const image = await engine.inspectImage(ref);
  await ctx.scans.scan(ref, image.labels);
}
