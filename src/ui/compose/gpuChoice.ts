import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { configArgs, type ComposeTarget } from '../../core/compose/composeArgs';
import type { ComposeCli } from '../../core/compose/composeCli';
import type { ComposeProject } from '../../core/compose/composeModel';
import { gpuFreePlan, gpuFreeTarget, gpuServices } from '../../core/compose/gpuFree';
import type { CommandContext } from '../commands';
import type { KnownProject } from './composeProjects';

type GpuAnswer = 'without' | 'with';

const KEY = (p: KnownProject): string => `berth.compose.gpu:${p.file ?? p.name}`;

/** Where the generated file of a project goes: Berth's storage for this workspace, never the project. */
function generatedPath(ctx: CommandContext, project: KnownProject): string {
  const base = (ctx.context.storageUri ?? ctx.context.globalStorageUri).fsPath;
  const safe = project.name.replace(/[^-_a-z0-9]/gi, '_');
  return path.join(base, 'compose', `${safe}.gpu-free.yaml`);
}

/**
 * "GPU if available" for an Up: when services reserve a GPU and the engine has none, ask once
 * per project (remembered) whether to start without the reservations. Without: the generated
 * file (written to Berth's storage, shown to the user; the user's file is never changed) and the
 * target that uses it. Undefined: start as written. 'cancelled': the user closed the question.
 */
export async function gpuFreeUp(
  ctx: CommandContext,
  cli: ComposeCli,
  project: KnownProject & { model: ComposeProject },
  target: ComposeTarget,
): Promise<{ target: ComposeTarget; file: string } | undefined | 'cancelled'> {
  const services = gpuServices(project.model);
  if (services.length === 0) return undefined;
  const state = ctx.session.state;
  const gpu = state.kind === 'connected' ? state.gpu : undefined;
  if (gpu === undefined || gpu.available) return undefined;
  let answer = ctx.context.workspaceState.get<GpuAnswer>(KEY(project));
  if (answer === undefined) {
    const without = vscode.l10n.t('Start Without GPU');
    const withGpu = vscode.l10n.t('Start With GPU Anyway');
    const picked = await vscode.window.showWarningMessage(
      services.length === 1
        ? vscode.l10n.t('{0} of {1} reserves a GPU, and this engine has none.', services.join(', '), project.name)
        : vscode.l10n.t('{0} of {1} reserve a GPU, and this engine has none.', services.join(', '), project.name),
      {
        modal: true,
        detail:
          `${gpu.summary}${gpu.reasons.length > 0 ? `: ${gpu.reasons[0] ?? ''}` : ''}.\n\n` +
          vscode.l10n.t(
            'Start Without GPU runs the project from a file Berth generates without the GPU reservations (it opens beside your compose file); your compose file is not changed. Berth remembers the choice for this project (Forget GPU Choice asks again).',
          ),
      },
      without,
      withGpu,
    );
    if (picked === undefined) return 'cancelled';
    answer = picked === without ? 'without' : 'with';
    await ctx.context.workspaceState.update(KEY(project), answer);
  }
  if (answer === 'with') return undefined;

  const { stdout } = await ctx.compose.run(configArgs(cli, target), project);
  const plan = gpuFreePlan(cli, stdout, project.model);
  const file = generatedPath(ctx, project);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, plan.text, { mode: 0o600 });
  ctx.log.info(`compose ${project.name}: without the GPU reservations of ${plan.services.join(', ')} (${plan.strategy}): ${file}`);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true, viewColumn: vscode.ViewColumn.Beside });
  const dir = project.dir ?? path.dirname(project.target.files[0] ?? file);
  return { target: gpuFreeTarget(target, plan, file, project.name, dir), file };
}

/** Forget the GPU answers of every project: the next Up asks again. */
export async function forgetGpuChoices(ctx: CommandContext): Promise<void> {
  const keys = ctx.context.workspaceState.keys().filter((k) => k.startsWith('berth.compose.gpu:'));
  for (const k of keys) await ctx.context.workspaceState.update(k, undefined);
  void vscode.window.showInformationMessage(
    keys.length === 0
      ? vscode.l10n.t('Compose: no GPU choice was remembered.')
      : keys.length === 1
        ? vscode.l10n.t('Compose: forgot the GPU choice of 1 project.')
        : vscode.l10n.t('Compose: forgot the GPU choice of {0} projects.', keys.length),
  );
}
