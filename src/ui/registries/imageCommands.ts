import * as vscode from 'vscode';
import { splitReference, tagImage } from '../../core/engine/transfer';
import { displayServer, normaliseServer } from '../../core/registry/dockerConfig';
import type { CommandContext } from '../commands';
import type { ImageNode } from '../images/resourceTrees';
import type { KnownRegistry } from './registries';
import { referenceHost, type RegistriesNode, type RepositoryNode, type TagNode } from './registriesTree';
import { transferWithProgress } from './transferProgress';

/** The repository path of a reference without its registry host ('127.0.0.1:5000/ml/iris:1' → 'ml/iris'). */
export function repositoryPath(ref: string): string {
  const { repo } = splitReference(ref);
  const [first, ...rest] = repo.split('/');
  const isHost = first !== undefined && rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? rest.join('/') : repo;
}

/** A repository[:tag] as a registry accepts it (lower-case path components; a valid tag). */
export function validRepositoryTag(value: string): string | undefined {
  return /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(
    value.trim(),
  )
    ? undefined
    : vscode.l10n.t('repository:tag — lower-case path (e.g. ml/iris) and a tag (e.g. 1.0.0)');
}

/** A full reference: an optional registry host, a lower-case repository path and an optional tag. */
export function validReference(value: string): boolean {
  const ref = value.trim();
  const { tag, digest } = splitReference(ref);
  if (digest !== undefined) return false;
  return validRepositoryTag(`${repositoryPath(ref)}:${tag ?? 'latest'}`) === undefined;
}

/** The image a command was given (an Images view row), or one picked from the engine's tags. */
export async function pickImage(ctx: CommandContext, arg: unknown, title: string): Promise<string | undefined> {
  const node = arg as ImageNode | undefined;
  if (node?.kind === 'image') return node.tag.startsWith('<none>') ? node.image.id : node.tag;
  const images = await ctx.session.requireEngine().listImages();
  const picked = await vscode.window.showQuickPick(
    images.flatMap((i) => i.tags.map((t) => ({ label: t, description: i.id.slice(7, 19) }))),
    { title },
  );
  return picked?.label;
}

/** A registry to push to: one of the known ones, or one typed in. */
export async function pickRegistry(ctx: CommandContext, title: string): Promise<KnownRegistry | undefined> {
  const known = await ctx.registries.list();
  const picked = await vscode.window.showQuickPick(
    [
      ...known.map((r) => ({
        label: r.display,
        description: r.server === r.display ? '' : r.server,
        registry: r,
      })),
      { label: vscode.l10n.t('$(add) Other registry…'), description: '', registry: undefined },
    ],
    { title },
  );
  if (!picked) return undefined;
  if (picked.registry) return picked.registry;
  const typed = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('host[:port] of the registry, e.g. 127.0.0.1:5000'),
    ignoreFocusOut: true,
  });
  if (!typed?.trim()) return undefined;
  const server = normaliseServer(typed.trim());
  return { server, display: displayServer(server), source: 'berth' };
}

/** The full reference of repository:tag in a registry. */
export function referenceIn(registry: Pick<KnownRegistry, 'server'>, repositoryTag: string): string {
  return `${referenceHost(registry)}/${repositoryTag}`;
}

/** Tag the image for the registry, push it with progress, and show the tag in the Registries view. */
export async function pushTo(
  ctx: CommandContext,
  source: string,
  registry: KnownRegistry,
  repositoryTag: string,
  options: { readonly title?: string; readonly signal?: AbortSignal } = {},
): Promise<{ ref: string; digest: string } | undefined> {
  const engine = ctx.session.requireEngine();
  const target = referenceIn(registry, repositoryTag);
  if (target !== source) await tagImage(engine, source, target, options.signal);
  const pushed = await transferWithProgress(ctx, 'push', target, options);
  if (!pushed) return undefined;
  const { repo, tag } = splitReference(repositoryTag);
  await ctx.registries.rememberRepository(registry.server, repo);
  void ctx.trees.images.reload();
  await ctx.trees.registries.reveal(registry, repo, tag ?? 'latest');
  return { ref: target, digest: pushed.digest ?? '' };
}

/** Push Image: registry, repository:tag (proposed from the image's name), tag, push with progress. */
export async function pushImageCommand(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  const source = await pickImage(ctx, args[0], vscode.l10n.t('Push Image: which image?'));
  if (!source) return undefined;
  const registry = await pickRegistry(ctx, vscode.l10n.t('Push {0} to which registry?', source));
  if (!registry) return undefined;
  const { tag } = splitReference(source);
  const proposed = source.startsWith('sha256:') ? '' : `${repositoryPath(source)}:${tag ?? 'latest'}`;
  const repositoryTag = await vscode.window.showInputBox({
    title: vscode.l10n.t('Push {0} to {1}: repository:tag', source, registry.display),
    value: proposed,
    ignoreFocusOut: true,
    validateInput: validRepositoryTag,
  });
  if (!repositoryTag) return undefined;
  const pushed = await pushTo(ctx, source, registry, repositoryTag.trim());
  if (pushed) void vscode.window.showInformationMessage(vscode.l10n.t('Pushed {0} ({1}).', pushed.ref, pushed.digest.slice(0, 19)));
  return pushed?.ref;
}

/** The reference of a tag row. */
export function tagReference(node: TagNode): string {
  return `${referenceHost(node.registry)}/${node.repository}:${node.tag}`;
}

/** Pull: a tag of the Registries view, or a reference typed in the palette; with progress. */
export async function pullImageCommand(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  const node = args[0] as RegistriesNode | undefined;
  let ref = node?.kind === 'tag' ? tagReference(node) : typeof args[0] === 'string' ? args[0] : undefined;
  ref ??= await vscode.window.showInputBox({
    title: vscode.l10n.t('Pull Image'),
    prompt: vscode.l10n.t('the image reference, e.g. 127.0.0.1:5000/ml/iris:1.0.0'),
    ignoreFocusOut: true,
    validateInput: (v) => (/^\S+$/.test(v.trim()) ? undefined : vscode.l10n.t('an image reference')),
  });
  if (!ref?.trim()) return undefined;
  ctx.session.requireEngine();
  const pulled = await transferWithProgress(ctx, 'pull', ref.trim());
  if (!pulled) return undefined;
  void ctx.trees.images.reload();
  void vscode.window.showInformationMessage(vscode.l10n.t('Pulled {0}.', pulled.ref));
  return pulled.ref;
}

/** Tag an image of the Images view with another name. */
export async function tagImageCommand(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  const source = await pickImage(ctx, args[0], vscode.l10n.t('Tag Image: which image?'));
  if (!source) return undefined;
  const target = await vscode.window.showInputBox({
    title: vscode.l10n.t('Tag {0} as', source),
    value: source.startsWith('sha256:') ? '' : source,
    ignoreFocusOut: true,
    validateInput: (v) => (validReference(v) ? undefined : vscode.l10n.t('[registry/]repository[:tag], lower-case')),
  });
  if (!target?.trim()) return undefined;
  await tagImage(ctx.session.requireEngine(), source, target.trim());
  void ctx.trees.images.reload();
  return target.trim();
}

/** Delete Tag (confirmed): the registry deletes the manifest the tag names. */
export async function deleteTagCommand(ctx: CommandContext, ...args: unknown[]): Promise<boolean> {
  const node = args[0] as RegistriesNode | undefined;
  if (node?.kind !== 'tag') throw new Error(vscode.l10n.t('Delete Tag works on a tag in the Registries view.'));
  const ref = tagReference(node);
  const del = vscode.l10n.t('Delete');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Delete {0} from the registry?', ref),
    {
      modal: true,
      detail: vscode.l10n.t(
        'The registry deletes the manifest this tag names: other tags of the same digest go with it. Layers are freed by the registry’s garbage collection.',
      ),
    },
    del,
  );
  if (choice !== del) return false;
  // a registry that does not delete says so through its typed error (unsupported), with what would enable it
  await (await ctx.registries.client(node.registry.server)).deleteTag(node.repository, node.tag);
  ctx.trees.registries.provider.refresh({ kind: 'repository', registry: node.registry, repository: node.repository });
  void vscode.window.showInformationMessage(vscode.l10n.t('Deleted {0}.', ref));
  return true;
}

/** Add Repository…: browse a named repository of a registry that does not list its catalog (remembered). */
export async function addRepositoryCommand(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  const node = args[0] as RegistriesNode | undefined;
  const registry =
    node?.kind === 'registry'
      ? node.registry
      : node?.kind === 'row' && node.parent
        ? node.parent.registry
        : await pickRegistry(ctx, vscode.l10n.t('Add Repository to which registry?'));
  if (!registry) return undefined;
  const repository = await vscode.window.showInputBox({
    title: vscode.l10n.t('Add a repository of {0}', registry.display),
    prompt: vscode.l10n.t('its path, e.g. library/python or acme/iris'),
    ignoreFocusOut: true,
    validateInput: (v) => (validRepositoryTag(`${v.trim()}:x`) === undefined ? undefined : vscode.l10n.t('a lower-case repository path')),
  });
  if (!repository?.trim()) return undefined;
  await ctx.registries.rememberRepository(registry.server, repository.trim());
  const repoNode: RepositoryNode = { kind: 'repository', registry, repository: repository.trim() };
  await ctx.trees.registries.view.reveal(repoNode, { expand: true, select: true }).then(undefined, () => undefined);
  return repository.trim();
}

/** Refresh: a node's children, or the whole view. */
export function refreshRegistries(ctx: CommandContext, ...args: unknown[]): void {
  ctx.trees.registries.provider.refresh(args[0] as RegistriesNode | undefined);
}
