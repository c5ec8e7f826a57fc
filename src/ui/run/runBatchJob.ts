import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeBatch, runBatchJob as runJob } from '../../core/engine/batchJob';
import { GpuUnavailableError } from '../../core/engine/errors';
import { batchProfile } from '../../core/project/batchProfile';
import { repositoryName } from '../../core/project/imageTag';
import { openLogs } from '../logs/showLogs';
import type { CommandContext } from '../commands';
import { projectTarget } from './projectTarget';
import { chooseProfile, clearPrevious, decideCpu, imageFor, offerCpu, planFor } from './runModel';

/**
 * "Run as Batch Job" on a Python file (or a Dockerfile: the image's own command): runs to
 * completion with the project read-only at /workspace, data/ at /input and output/ at /output,
 * its logs in a terminal, then says how it ended — exit code, duration, OOM.
 */
export async function runBatchJob(ctx: CommandContext, ...args: unknown[]): Promise<number | undefined> {
  if (!vscode.workspace.isTrusted) throw new Error('Running starts code from this workspace: trust it first (Manage Workspace Trust).');
  const { clicked, projectDir } = projectTarget(args[0], 'Open a folder with a Python file or a Dockerfile first.');
  const engine = ctx.session.requireEngine();
  const state = ctx.session.state;
  const gpu = state.kind === 'connected' ? state.gpu : undefined;

  const base = await chooseProfile(ctx, projectDir, clicked);
  if (!base) return undefined;
  // on a local engine the job runs as you, so what it writes to output/ is yours
  const local = state.kind === 'connected' && state.endpoint.host.startsWith('unix://');
  const asYou = local && process.getuid && process.getgid ? { user: `${process.getuid()}:${process.getgid()}` } : {};
  const profile = { ...batchProfile(base, projectDir, clicked), ...(base.user ? {} : asYou) };
  // the GPU answer is remembered under the base profile's name
  const forceCpu = await decideCpu(ctx, projectDir, { ...profile, name: base.name }, gpu);
  if (forceCpu === undefined) return undefined;
  const image = await imageFor(ctx, profile, projectDir);
  if (!image) return undefined;
  fs.mkdirSync(path.join(projectDir, 'output'), { recursive: true });
  const name = `berth-${profile.name}-${repositoryName(projectDir)}`;
  await clearPrevious(ctx, name);

  const run = (cpu: boolean): Thenable<number> =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Running batch job ${name}`, cancellable: true },
      async (_p, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        const plan = planFor(profile, { image, projectDir, name, gpu, forceCpu: cpu });
        const result = await runJob(engine, plan, {
          signal: controller.signal,
          ...(gpu ? { gpu } : {}),
          onStarted: (id) => void engine.inspectContainer(id).then((record) => openLogs(ctx, [record], { tail: 'all', timestamps: false })),
        });
        const message = describeBatch(name, result);
        if (result.exitCode === 0)
          void vscode.window.showInformationMessage(
            `${message} Output: ${vscode.workspace.asRelativePath(path.join(projectDir, 'output'))}`,
          );
        else void vscode.window.showErrorMessage(message);
        return result.exitCode;
      },
    );
  try {
    return await run(forceCpu);
  } catch (err) {
    if (!(err instanceof GpuUnavailableError)) throw err;
    if (!(await offerCpu(ctx, projectDir, base, `the engine refused it: ${err.message}`))) return undefined;
    return run(true);
  }
}
