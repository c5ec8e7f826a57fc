import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { openLogs } from '../logs/showLogs';
import type { CommandContext } from '../commands';
import { projectTarget } from './projectTarget';
import { multiModelRun, perModelRuns, selectedModels, type SeveralMode } from './severalModels';

const noFolder = (): string => vscode.l10n.t('Open a folder with a model, a Dockerfile or a notebook first.');

/**
 * "Run model in container": from a model file, a Dockerfile, a Python file or a notebook to a
 * healthy container with the model mounted, then the playground. GPU when there is one; a clear
 * offer to run on CPU when there is not. A profile name as second argument (from the run form)
 * skips the choice. Several model files selected in the Explorer (the second argument VS Code
 * passes): one container per model, or one container serving all of them.
 */
export async function runModel(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error(vscode.l10n.t('Running builds and starts code from this workspace: trust it first (Manage Workspace Trust).'));
  const selected = Array.isArray(args[1]) ? args[1].filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
  if (selected.length > 1) return runSeveral(ctx, selected);
  const { clicked, projectDir } = projectTarget(args[0], noFolder());
  const profileName = typeof args[1] === 'string' ? args[1] : undefined;
  const record = await ctx.runs.serve(
    { clicked, projectDir, ...(profileName !== undefined ? { profileName } : {}) },
    // the logs usually say why it never became healthy: show them next to the message
    { onUnhealthy: (unhealthy) => openLogs(ctx, [unhealthy], { tail: 200, timestamps: false }) },
  );
  if (!record) return undefined;
  await showPlayground(ctx, record, projectDir);
  return record.id;
}

async function showPlayground(ctx: CommandContext, record: ContainerRecord, projectDir: string, path?: string): Promise<void> {
  if (record.ports.some((p) => p.hostPort !== undefined))
    await ctx.playgrounds.show(record, projectDir, path === undefined ? {} : { path });
  else
    void vscode.window.showInformationMessage(
      vscode.l10n.t('{0} is running (it publishes no port, so there is no playground).', record.name),
    );
}

/**
 * Several model files: one container per model (each named after its model, on a free port of
 * 127.0.0.1) or one container serving all (each model at /models/<name>/predict). The image is
 * built, and GPU or CPU decided, once for all. The id of the first container started.
 */
async function runSeveral(ctx: CommandContext, selected: readonly vscode.Uri[]): Promise<string | undefined> {
  const first = selected[0];
  const { clicked, projectDir } = projectTarget(first, noFolder());
  const models = selectedModels(
    projectDir,
    selected.map((u) => u.fsPath),
  );
  ctx.session.requireEngine(); // no engine, no question
  const names = models.map((m) => m.name).join(', ');
  const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { mode: SeveralMode }>(
    [
      {
        label: vscode.l10n.t('One container per model'),
        description: vscode.l10n.t('{0} containers', models.length),
        detail: vscode.l10n.t('{0}: each in a container of its own, on a free port of 127.0.0.1', names),
        mode: 'per-model',
      },
      {
        label: vscode.l10n.t('One container serving all {0} models', models.length),
        description: '/models/<name>/predict',
        detail: vscode.l10n.t('{0} in one server, each at /models/<name>/predict; /predict answers with {1}', names, models[0]?.name ?? ''),
        mode: 'one-container',
      },
    ],
    {
      title: vscode.l10n.t('Run {0} models in containers', models.length),
      placeHolder: vscode.l10n.t('One container per model, or one serving all?'),
    },
  );
  if (!picked) return undefined;
  const profile = await ctx.runs.chooseProfile(projectDir, clicked);
  if (!profile) return undefined;
  const runs = picked.mode === 'per-model' ? perModelRuns(profile, projectDir, models) : [multiModelRun(profile, projectDir, models)];
  const firstRun = runs[0];
  if (!firstRun) return undefined;
  // one image and one GPU answer for all (remembered under the profile's own name)
  const prepared = await ctx.runs.prepare(projectDir, firstRun.profile, profile.name);
  if (!prepared) return undefined;
  const ids: string[] = [];
  for (const run of runs) {
    const record = await ctx.runs.servePrepared({ ...prepared, profile: run.profile }, run.name, {
      onUnhealthy: (unhealthy) => openLogs(ctx, [unhealthy], { tail: 200, timestamps: false }),
    });
    if (!record) break;
    ctx.log.info(
      `${record.name}: serving ${run.profile.models ? names : (run.profile.model?.path ?? '')} (first request ${run.predictPath})`,
    );
    ids.push(record.id);
    await showPlayground(ctx, record, projectDir, run.predictPath);
  }
  return ids[0];
}
