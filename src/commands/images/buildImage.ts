import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildOutput } from '../../build/buildOutput';
import { BuildFailedError, buildImage as build, dockerfileOutline } from '../../engine/build';
import { CancelledError } from '../../engine/errors';
import { BERTH_LABEL } from '../../engine/labels';
import { ignoreLinesFor, scanContext, type ContextScan } from '../../project/buildContext';
import { gitState, proposeTag } from '../../project/imageTag';
import { parseBerthConfig } from '../../project/runProfile';
import { formatBytes } from '../../project/units';
import type { CommandContext } from '../registerCommands';

const DOCKERFILES = '**/{Dockerfile,Dockerfile.*,*.Dockerfile,*.dockerfile}';
const CHOSEN_KEY = 'berth.build.dockerfile';

async function pickDockerfile(ctx: CommandContext, arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const found = await vscode.workspace.findFiles(DOCKERFILES, '**/{node_modules,.git,.vscode-test}/**', 50);
  if (found.length === 0) throw new Error('No Dockerfile in this workspace. Add one, or open the folder that holds it.');
  if (found.length === 1) return found[0];
  const remembered = ctx.context.workspaceState.get<string>(CHOSEN_KEY);
  const items = found
    .map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri }))
    .sort((a, b) => (a.uri.toString() === remembered ? -1 : b.uri.toString() === remembered ? 1 : a.label.localeCompare(b.label)));
  const picked = await vscode.window.showQuickPick(items, { title: 'Build Image: which Dockerfile?' });
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

async function confirmContext(scan: ContextScan, contextDir: string, dockerfile: string): Promise<ContextScan | undefined> {
  if (scan.weights.length === 0) return scan;
  const weightBytes = scan.weights.reduce((n, w) => n + w.bytes, 0);
  const lines = ignoreLinesFor(scan);
  const choice = await vscode.window.showWarningMessage(
    `The build context holds ${formatBytes(weightBytes)} of model weights or data (${scan.weights.length} file${scan.weights.length === 1 ? '' : 's'}, e.g. ${scan.weights[0]?.path ?? ''}). They would be copied into the image on every build.`,
    {
      modal: true,
      detail: `Add ${lines.join(', ')} to .dockerignore and mount them at run time instead (Berth's run profiles mount the model read-only).`,
    },
    'Add to .dockerignore',
    'Build Anyway',
  );
  if (choice === undefined) return undefined;
  if (choice === 'Build Anyway') return scan;
  const file = path.join(contextDir, '.dockerignore');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const prefix = existing === '' || existing.endsWith('\n') ? '' : '\n';
  fs.writeFileSync(file, `${existing}${prefix}# model weights and data: mounted at run time, not built in\n${lines.join('\n')}\n`);
  return scanContext(contextDir, dockerfile);
}

export async function buildImage(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error('Building runs the Dockerfile’s commands: trust this workspace first (Manage Workspace Trust).');
  const uri = await pickDockerfile(ctx, args[0]);
  if (!uri) return undefined;
  const engine = ctx.session.requireEngine();
  const contextDir = path.dirname(uri.fsPath);
  const dockerfile = path.basename(uri.fsPath);
  const outline = dockerfileOutline(fs.readFileSync(uri.fsPath, 'utf8'));

  let target: string | undefined;
  if (outline.stages.length > 1) {
    const picked = await vscode.window.showQuickPick(
      outline.stages.map((s, i) => ({ label: s, description: i === outline.stages.length - 1 ? 'last stage (default)' : '' })).reverse(),
      { title: 'Build Image: which stage?' },
    );
    if (!picked) return undefined;
    target = picked.label;
  }

  const defaults = Object.fromEntries(outline.args.flatMap((a) => (a.default === undefined ? [] : [[a.name, a.default]])));
  const buildArgs = { ...defaults, ...profileArgs(contextDir, dockerfile) };
  // only what differs from the Dockerfile's own defaults is sent
  const sent = Object.fromEntries(Object.entries(buildArgs).filter(([k, v]) => defaults[k] !== v));

  const argText = Object.entries(sent)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const tag = await vscode.window.showInputBox({
    title: 'Build Image: tag',
    value: proposeTag(contextDir, await gitState(contextDir)),
    prompt: Object.keys(sent).length > 0 ? `Build args: ${argText}` : 'No build args beyond the Dockerfile defaults',
    validateInput: (v) => (/^[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[\w][\w.-]{0,127})?$/.test(v.trim()) ? undefined : 'lower-case name[:tag]'),
  });
  if (!tag) return undefined;

  const scan = await confirmContext(scanContext(contextDir, dockerfile), contextDir, dockerfile);
  if (!scan) return undefined;

  const out = buildOutput(ctx.context);
  out.appendLine(
    `\n── ${new Date().toLocaleString()}: ${tag} from ${vscode.workspace.asRelativePath(uri)}${target ? ` (stage ${target})` : ''}`,
  );
  out.appendLine(
    `   context ${formatBytes(scan.totalBytes)} in ${scan.files.length} files${scan.ignoredCount > 0 ? `; ${scan.ignoredCount} files (${formatBytes(scan.ignoredBytes)}) left out by .dockerignore` : ''}`,
  );
  const started = Date.now();
  try {
    const id = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Building ${tag}`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let last = 0;
        return build(engine, {
          scan,
          dockerfile,
          tag,
          ...(target ? { target } : {}),
          buildArgs: sent,
          labels: { [BERTH_LABEL.managed]: 'true', [BERTH_LABEL.project]: contextDir },
          signal: controller.signal,
          onEvent: (e) => {
            if (e.kind === 'step') {
              out.appendLine(`Step ${e.step.index}/${e.step.total} : ${e.step.instruction}`);
              const done = Math.round(((e.step.index - 1) / e.step.total) * 100);
              progress.report({
                message: `step ${e.step.index} of ${e.step.total} — ${e.step.instruction.slice(0, 60)}`,
                increment: done - last,
              });
              last = done;
            } else if (e.kind === 'output') out.appendLine(e.text);
          },
        });
      },
    );
    out.appendLine(`── built ${tag} (${id.slice(7, 19)}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    void ctx.trees.images.reload();
    void vscode.window.showInformationMessage(`Built ${tag} in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return tag;
  } catch (err) {
    if (err instanceof CancelledError) {
      out.appendLine('── cancelled');
      void vscode.window.showInformationMessage(`Build of ${tag} cancelled.`);
      return undefined;
    }
    if (err instanceof BuildFailedError) {
      out.appendLine(`── ${err.message}`);
      const choice = await vscode.window.showErrorMessage(
        `${err.message}${err.output.length > 0 ? ` — ${err.output.slice(-2).join(' ')}` : ''}`,
        'Show Build Log',
      );
      if (choice) out.show(true);
      return undefined;
    }
    throw err;
  }
}
