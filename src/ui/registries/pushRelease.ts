import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError } from '../../core/engine/errors';
import { BERTH_LABEL } from '../../core/engine/labels';
import { splitReference } from '../../core/engine/transfer';
import { isWeightFile } from '../../core/project/buildContext';
import { repositoryName } from '../../core/project/imageTag';
import {
  buildReleaseImage,
  gitRelease,
  isValidTag,
  largestWeightFile,
  modelLabelPath,
  releaseLabels,
  versionProposals,
  type GitRelease,
} from '../../core/project/release';
import type { RunProfile } from '../../core/project/runProfile';
import { RegistryError } from '../../core/registry/client';
import type { CommandContext } from '../commands';
import type { ImageNode } from '../images/resourceTrees';
import { pickImage, pickRegistry, pushTo, referenceIn, repositoryPath, validRepositoryTag } from './imageCommands';

/** What a release is made from: an image, with the project, model and profile it serves. */
interface ReleaseSource {
  readonly image: string;
  readonly projectDir: string;
  /** Absolute path of the model file, when there is one. */
  readonly modelFile?: string;
  readonly profile?: string;
}

const WEIGHTS = '**/*.{pt,pth,safetensors,onnx,bin,ckpt,h5,keras,gguf,pkl,joblib,npz}';

/** The model file of a profile: its model path, or the largest weight file when that is a folder. */
function profileModel(projectDir: string, profile: RunProfile): string | undefined {
  if (!profile.model) return undefined;
  const full = path.resolve(projectDir, profile.model.path);
  if (!fs.existsSync(full))
    throw new Error(vscode.l10n.t('The model {0} of profile "{1}" does not exist.', profile.model.path, profile.name));
  if (!fs.statSync(full).isDirectory()) return full;
  const file = largestWeightFile(full, isWeightFile);
  if (!file) throw new Error(vscode.l10n.t('The model folder {0} of profile "{1}" holds no model file.', profile.model.path, profile.name));
  return file;
}

/** Ask which model file an image serves (a weight file of the project, or none). */
async function askModel(projectDir: string): Promise<string | null | undefined> {
  const files = await vscode.workspace.findFiles(new vscode.RelativePattern(projectDir, WEIGHTS), '**/{node_modules,.git,.venv}/**', 200);
  if (files.length === 0) return null;
  const picked = await vscode.window.showQuickPick(
    [
      ...files.map((uri) => ({
        label: path.relative(projectDir, uri.fsPath).split(path.sep).join('/'),
        file: uri.fsPath,
      })),
      { label: vscode.l10n.t('$(circle-slash) No model file'), file: null },
    ],
    { title: vscode.l10n.t('Push Model Release: which model file does the image serve?'), ignoreFocusOut: true },
  );
  return picked ? picked.file : undefined;
}

/** The project of an image: the folder Berth built it from (its label), else the first workspace folder. */
function projectOfImage(labels: Readonly<Record<string, string>>): string {
  const labelled = labels[BERTH_LABEL.project];
  if (labelled && fs.existsSync(labelled)) return labelled;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error(vscode.l10n.t('Push Model Release needs the project open: open its folder first.'));
  return folder.uri.fsPath;
}

/** A profile from the berth.yaml files of the workspace (or of the clicked file's project). */
async function pickProfile(
  ctx: CommandContext,
  files: readonly vscode.Uri[],
): Promise<{ projectDir: string; profile: RunProfile } | 'image' | undefined> {
  const items: { label: string; description: string; choice: { projectDir: string; profile: RunProfile } | 'image' }[] = [];
  for (const file of files) {
    const projectDir = path.dirname(file.fsPath);
    for (const profile of ctx.profiles.load(projectDir) ?? [])
      items.push({
        label: `$(rocket) ${profile.name}`,
        description: [
          vscode.workspace.asRelativePath(file),
          profile.image ?? vscode.l10n.t('build {0}', profile.build?.dockerfile ?? ''),
          ...(profile.model ? [vscode.l10n.t('model {0}', profile.model.path)] : []),
        ].join(' · '),
        choice: { projectDir, profile },
      });
  }
  items.push({
    label: vscode.l10n.t('$(file-binary) An image…'),
    description: vscode.l10n.t('pick one of the engine’s images'),
    choice: 'image',
  });
  if (items.length === 1) return 'image';
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Push Model Release: from which run profile or image?') });
  return picked?.choice;
}

async function sourceOf(ctx: CommandContext, arg: unknown): Promise<ReleaseSource | undefined> {
  const node = arg as ImageNode | undefined;
  let choice: { projectDir: string; profile: RunProfile } | 'image' | undefined;
  if (node?.kind === 'image') choice = 'image';
  else if (arg instanceof vscode.Uri) choice = await pickProfile(ctx, [arg]);
  else if (typeof arg === 'object' && arg !== null && 'profile' in arg && 'projectDir' in arg)
    choice = arg as { projectDir: string; profile: RunProfile };
  else choice = await pickProfile(ctx, await vscode.workspace.findFiles('**/berth.yaml', '**/{node_modules,.git}/**', 20));
  if (!choice) return undefined;
  if (choice === 'image') {
    const image = await pickImage(ctx, arg, vscode.l10n.t('Push Model Release: which image?'));
    if (!image) return undefined;
    const record = node?.kind === 'image' ? node.image : await ctx.session.requireEngine().inspectImage(image);
    const projectDir = projectOfImage(record.labels);
    const model = await askModel(projectDir);
    if (model === undefined) return undefined;
    return { image, projectDir, ...(model ? { modelFile: model } : {}) };
  }
  const { projectDir, profile } = choice;
  const modelFile = profileModel(projectDir, profile);
  const image = await ctx.runs.imageFor(profile, projectDir);
  if (!image) return undefined;
  return { image, projectDir, profile: profile.name, ...(modelFile ? { modelFile } : {}) };
}

/** The release's version: the latest release of the repository bumped, git's, or typed. */
async function pickVersion(tags: readonly string[], git: GitRelease | undefined, target: string): Promise<string | undefined> {
  const proposals = versionProposals(tags, git);
  const CUSTOM = vscode.l10n.t('$(edit) Another version…');
  const picked = await vscode.window.showQuickPick(
    [...proposals.map((p) => ({ label: p.label, description: p.detail })), { label: CUSTOM, description: '' }],
    { title: vscode.l10n.t('Push Model Release: version of {0}', target), ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  if (picked.label !== CUSTOM) return picked.label;
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Push Model Release: version of {0}', target),
    ignoreFocusOut: true,
    validateInput: (v) =>
      !isValidTag(v.trim())
        ? vscode.l10n.t('a tag: letters, digits, _ . - (128 at most)')
        : tags.includes(v.trim())
          ? vscode.l10n.t('{0} already has {1}', target, v.trim())
          : undefined,
  });
}

/**
 * Push Model Release: an image (picked, from the Images view, or built from a run profile) labelled
 * with its version, the git commit and source, the model file and its sha256 and the profile,
 * tagged `<registry>/<repository>:<version>` and pushed with progress; the release is selected in
 * the Registries view.
 */
export async function pushReleaseCommand(ctx: CommandContext, ...args: unknown[]): Promise<{ ref: string; digest: string } | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error(
      vscode.l10n.t(
        'A release reads the project (git, the model file) and builds an image: trust this workspace first (Manage Workspace Trust).',
      ),
    );
  ctx.session.requireEngine();
  const source = await sourceOf(ctx, args[0]);
  if (!source) return undefined;
  const registry = await pickRegistry(ctx, vscode.l10n.t('Push Model Release of {0} to which registry?', source.image));
  if (!registry) return undefined;
  const proposed = source.image.startsWith('sha256:') ? repositoryName(source.projectDir) : repositoryPath(source.image);
  const repository = await vscode.window.showInputBox({
    title: vscode.l10n.t('Push Model Release to {0}: repository', registry.display),
    value: proposed,
    ignoreFocusOut: true,
    validateInput: (v) =>
      validRepositoryTag(`${v.trim()}:x`) === undefined ? undefined : vscode.l10n.t('a lower-case repository path, e.g. ml/iris'),
  });
  if (!repository?.trim()) return undefined;
  const repo = repository.trim();
  const client = await ctx.registries.client(registry.server);
  let tags: string[];
  try {
    tags = await client.tags(repo);
  } catch (err) {
    if (!(err instanceof RegistryError && err.code === 'not-found')) throw err;
    tags = []; // a first release makes the repository
  }
  const git = await gitRelease(source.projectDir);
  const version = await pickVersion(tags, git, `${registry.display}/${repo}`);
  if (!version?.trim()) return undefined;
  const repositoryTag = `${repo}:${version.trim()}`;
  const target = referenceIn(registry, repositoryTag);

  const built = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Release {0}', target), cancellable: true },
    async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        let modelSha256: string | undefined;
        if (source.modelFile) {
          progress.report({ message: vscode.l10n.t('sha256 of {0}…', path.basename(source.modelFile)) });
          modelSha256 = await ctx.registries.digests.sha256(source.modelFile, controller.signal);
        }
        const labels = releaseLabels({
          version: version.trim(),
          created: new Date(),
          ...(git ? { git } : {}),
          ...(source.modelFile ? { modelFile: modelLabelPath(source.projectDir, source.modelFile) } : {}),
          ...(modelSha256 ? { modelSha256 } : {}),
          ...(source.profile ? { profile: source.profile } : {}),
        });
        ctx.log.info(`Release ${target} from ${source.image}: ${JSON.stringify(labels)}`);
        progress.report({ message: vscode.l10n.t('labelling the image…') });
        await buildReleaseImage(ctx.session.requireEngine(), { base: source.image, tag: target, labels, signal: controller.signal });
        return { labels, modelSha256 };
      } catch (err) {
        if (err instanceof CancelledError || controller.signal.aborted) return undefined;
        throw err;
      }
    },
  );
  if (!built) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Release {0} cancelled: nothing was pushed.', target));
    return undefined;
  }
  const pushed = await pushTo(ctx, target, registry, repositoryTag, { title: vscode.l10n.t('Pushing release {0}', target) });
  if (!pushed) return undefined;
  const { tag } = splitReference(pushed.ref);
  void vscode.window.showInformationMessage(
    built.modelSha256
      ? vscode.l10n.t(
          'Released {0} — model sha256 {1}… ({2} is selected in the Registries view; its labels are in the tooltip).',
          pushed.ref,
          built.modelSha256.slice(0, 12),
          tag ?? '',
        )
      : vscode.l10n.t('Released {0} ({1} is selected in the Registries view; its labels are in the tooltip).', pushed.ref, tag ?? ''),
  );
  return pushed;
}
