import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildWithProgress, confirmContext } from './buildWithProgress';
import { dockerfileOutline } from '../../core/engine/build';
import { scanContext } from '../../core/project/buildContext';
import { gitState, proposeTag } from '../../core/project/imageTag';
import { parseBerthConfig } from '../../core/project/runProfile';
import type { CommandContext } from '../commands';

const DOCKERFILES = '**/{Dockerfile,Dockerfile.*,*.Dockerfile,*.dockerfile}';
const CHOSEN_KEY = 'berth.build.dockerfile';

async function pickDockerfile(ctx: CommandContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const found = await vscode.workspace.findFiles(DOCKERFILES, '**/{node_modules,.git,.vscode-test}/**', 50);
  if (found.length === 0) throw new Error(vscode.l10n.t('No Dockerfile in this workspace. Add one, or open the folder that holds it.'));
  if (found.length === 1) return found[0];
  const remembered = ctx.context.workspaceState.get<string>(CHOSEN_KEY);
  const items = found
    .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri }))
    .sort((a, b) => (a.uri.toString() === remembered ? -1 : b.uri.toString() === remembered ? 1 : a.label.localeCompare(b.label)));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Build Image: which Dockerfile?') });
  if (picked) await ctx.context.workspaceState.update(CHOSEN_KEY, picked.uri.toString());
  return picked?.uri;
}

/** Build args: the berth.yaml profile that builds this Dockerfile, over the Dockerfile's defaults. */
function profileArgs(contextDir: string, dockerfileRel: string): Record<string, string> {
  const root = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(contextDir))?.uri.fsPath ?? contextDir;
  for (const dir of [contextDir, root]) {
    const file = path.join(dir, 'berth.yaml');
    if (!fs.existsSync(file)) continue;
    const { profiles } = parseBerthConfig(fs.readFileSync(file, 'utf8'));
    const match = profiles.find(
      (p) => p.build && path.resolve(dir, p.build.context, p.build.dockerfile) === path.resolve(contextDir, dockerfileRel),
    );
    if (match?.build) return { ...match.build.args };
  }
  return {};
}

/** Show the Dockerfile's ARGs with their defaults and the values to be used; any can be changed. */
async function reviewArgs(
  args: readonly { name: string; default?: string }[],
  initial: Record<string, string>,
): Promise<Record<string, string> | undefined> {
  const values = { ...initial };
  if (args.length === 0) return values;
  const BUILD = vscode.l10n.t('$(tools) Build with these arguments');
  for (;;) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: BUILD, name: '' },
        ...args.map((a) => ({
          label: `${a.name} = ${values[a.name] ?? ''}`,
          description:
            a.default === undefined
              ? vscode.l10n.t('no default')
              : values[a.name] === a.default
                ? vscode.l10n.t('default')
                : vscode.l10n.t('default: {0}', a.default),
          name: a.name,
        })),
      ],
      { title: vscode.l10n.t('Build Image: build arguments (pick one to change it)') },
    );
    if (!picked) return undefined;
    if (picked.name === '') return values;
    const value = await vscode.window.showInputBox({
      title: vscode.l10n.t('Build argument {0}', picked.name),
      value: values[picked.name] ?? '',
    });
    if (value !== undefined) values[picked.name] = value;
  }
}

/** The stage to build when the Dockerfile has several; undefined target: the last. Undefined: backed out. */
async function pickStage(stages: readonly string[]): Promise<{ target?: string } | undefined> {
  if (stages.length <= 1) return {};
  const picked = await vscode.window.showQuickPick(
    stages.map((s, i) => ({ label: s, description: i === stages.length - 1 ? vscode.l10n.t('last stage (default)') : '' })).reverse(),
    { title: vscode.l10n.t('Build Image: which stage?') },
  );
  return picked ? { target: picked.label } : undefined;
}

/** The build args to send: reviewed by the user, only those that differ from the Dockerfile's defaults. */
async function chooseBuildArgs(
  args: readonly { name: string; default?: string }[],
  contextDir: string,
  dockerfile: string,
): Promise<Record<string, string> | undefined> {
  const defaults = Object.fromEntries(args.flatMap((a) => (a.default === undefined ? [] : [[a.name, a.default]])));
  const reviewed = await reviewArgs(args, { ...defaults, ...profileArgs(contextDir, dockerfile) });
  if (!reviewed) return undefined;
  return Object.fromEntries(Object.entries(reviewed).filter(([k, v]) => defaults[k] !== v));
}

/** The image tag, proposed from the folder and git state, checked as Docker would. */
async function askTag(contextDir: string, sent: Readonly<Record<string, string>>): Promise<string | undefined> {
  const argText = Object.entries(sent)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return vscode.window.showInputBox({
    title: vscode.l10n.t('Build Image: tag'),
    value: proposeTag(contextDir, await gitState(contextDir)),
    prompt:
      Object.keys(sent).length > 0
        ? vscode.l10n.t('Build args: {0}', argText)
        : vscode.l10n.t('No build args beyond the Dockerfile defaults'),
    validateInput: (v) =>
      /^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[\w][\w.-]{0,127})?$/.test(v.trim()) ? undefined : vscode.l10n.t('lower-case name[:tag]'),
  });
}

export async function buildImageCommand(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error(vscode.l10n.t('Building runs the Dockerfile’s commands: trust this workspace first (Manage Workspace Trust).'));
  const uri = await pickDockerfile(ctx, args[0]);
  if (!uri) return undefined;
  ctx.session.requireEngine(); // fail early, before any question, when there is no engine
  const contextDir = path.dirname(uri.fsPath);
  const dockerfile = path.basename(uri.fsPath);
  const outline = dockerfileOutline(fs.readFileSync(uri.fsPath, 'utf8'));
  const stage = await pickStage(outline.stages);
  if (!stage) return undefined;
  const sent = await chooseBuildArgs(outline.args, contextDir, dockerfile);
  if (!sent) return undefined;
  const tag = await askTag(contextDir, sent);
  if (!tag) return undefined;
  const scan = await confirmContext(scanContext(contextDir, dockerfile), contextDir, dockerfile);
  if (!scan) return undefined;
  const built = await buildWithProgress(ctx, { scan, dockerfile, tag, ...stage, buildArgs: sent, source: uri });
  if (built) void vscode.window.showInformationMessage(vscode.l10n.t('Built {0} in {1} s.', tag, built.seconds.toFixed(1)));
  return built ? tag : undefined;
}
