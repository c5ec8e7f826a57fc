import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { scanContext } from '../../core/project/buildContext';
import { planTask, type TaskPlan } from '../../core/project/berthTask';
import { gitState, proposeTag } from '../../core/project/imageTag';
import { buildWithProgress, confirmContext } from '../build/buildWithProgress';
import type { Services } from '../services';

export type TaskServices = Pick<
  Services,
  'context' | 'session' | 'log' | 'config' | 'profiles' | 'runs' | 'comparisons' | 'buildOutput' | 'buildKit' | 'containers'
>;

/** Where a task's lines go: one line at a time. */
export type TaskWrite = (line: string) => void;

export const TRUST_MESSAGE = vscode.l10n.t('Berth tasks build and run code from this workspace: trust it first (Manage Workspace Trust).');

/** A task that cannot go on: its message is the task's last line, its exit code 1. */
class TaskRefused extends Error {}

/**
 * Run a `berth` task's definition in a workspace folder through the services its command uses,
 * saying what happens on `write`. Resolves to the exit code: 0 when it did what it says (a run:
 * the container is healthy; a batch job: the job exited 0), non-zero after a line saying why not.
 */
export async function runBerthTask(
  services: TaskServices,
  definition: Readonly<Record<string, unknown>>,
  folderDir: string,
  write: TaskWrite,
  trusted: boolean = vscode.workspace.isTrusted,
): Promise<number> {
  try {
    if (!trusted) throw new TaskRefused(TRUST_MESSAGE);
    const planned = planTask(definition, folderDir, (dir) => services.profiles.load(dir));
    if (!planned.ok) throw new TaskRefused(planned.message);
    // a task run as Berth starts (a preLaunchTask on opening) waits for the first connection
    await services.session.whenSettled();
    services.session.requireEngine();
    return await carryOut(services, planned.plan, write);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof TaskRefused)) services.log.error(`Berth task ${String(definition['action'])} failed`, err);
    write(`Berth: ${message}`);
    return 1;
  }
}

/** A path as the workspace names it; a workspace folder itself by its name. */
function rel(file: string): string {
  const relative = vscode.workspace.asRelativePath(file);
  return relative === file && vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath === file
    ? path.basename(file)
    : relative;
}

async function carryOut(services: TaskServices, plan: TaskPlan, write: TaskWrite): Promise<number> {
  switch (plan.kind) {
    case 'run': {
      write(
        plan.profile
          ? vscode.l10n.t('Berth: running profile {0} of {1} (image, then start, until healthy)…', plan.profile, rel(plan.projectDir))
          : vscode.l10n.t('Berth: running the default profile of {0} (image, then start, until healthy)…', rel(plan.projectDir)),
      );
      const record = await services.runs.serve(
        { clicked: plan.clicked, projectDir: plan.projectDir, ...(plan.profile ? { profileName: plan.profile } : {}) },
        {
          onUnhealthy: (r) =>
            write(vscode.l10n.t('Berth: {0} did not become healthy ({1}); its logs say why (Berth: Show Logs).', r.name, r.status)),
        },
      );
      if (!record) throw new TaskRefused(vscode.l10n.t('The run was cancelled: nothing was started.'));
      const ports = record.ports.filter((p) => p.hostPort !== undefined).map((p) => `${p.hostIp ?? '127.0.0.1'}:${p.hostPort ?? ''}`);
      write(
        ports.length > 0
          ? vscode.l10n.t('Berth: {0} is healthy on {1}.', record.name, ports.join(', '))
          : vscode.l10n.t('Berth: {0} is healthy.', record.name),
      );
      return 0;
    }
    case 'batch': {
      write(
        plan.profile
          ? vscode.l10n.t('Berth: running {0} as a batch job (profile {1})…', rel(plan.clicked), plan.profile)
          : vscode.l10n.t('Berth: running {0} as a batch job…', rel(plan.clicked)),
      );
      const finished = await services.runs.runBatch(
        { clicked: plan.clicked, projectDir: plan.projectDir, ...(plan.profile ? { profileName: plan.profile } : {}) },
        { onStarted: (r) => write(vscode.l10n.t('Berth: started {0}.', r.name)) },
      );
      if (!finished) throw new TaskRefused(vscode.l10n.t('The batch job was cancelled.'));
      write(`Berth: ${finished.message}`);
      if (finished.result.exitCode !== 0) return finished.result.exitCode > 0 ? finished.result.exitCode : 1;
      write(vscode.l10n.t('Berth: output in {0}.', rel(finished.outputDir)));
      return 0;
    }
    case 'build': {
      const tag = plan.tag ?? proposeTag(plan.contextDir, await gitState(plan.contextDir));
      const source = path.join(plan.contextDir, plan.dockerfile);
      write(
        vscode.l10n.t(
          'Berth: building {0} from {1}{2}{3} — the full log is in the Berth Build output…',
          tag,
          rel(source),
          plan.profile ? vscode.l10n.t(' (profile {0})', plan.profile) : '',
          plan.target ? vscode.l10n.t(', stage {0}', plan.target) : '',
        ),
      );
      const scan = await confirmContext(scanContext(plan.contextDir, plan.dockerfile), plan.contextDir, plan.dockerfile);
      if (!scan) throw new TaskRefused(vscode.l10n.t('The build was cancelled.'));
      const built = await buildWithProgress(services, {
        scan,
        dockerfile: plan.dockerfile,
        tag,
        ...(plan.target ? { target: plan.target } : {}),
        buildArgs: plan.buildArgs,
        source: vscode.Uri.file(source),
      });
      if (!built) throw new TaskRefused(vscode.l10n.t('The build of {0} failed or was cancelled: see the Berth Build output.', tag));
      write(vscode.l10n.t('Berth: built {0} ({1}) in {2} s.', tag, built.id.slice(7, 19), built.seconds.toFixed(1)));
      return 0;
    }
    case 'compare': {
      const hasProject = ['berth.yaml', 'Dockerfile'].some((f) => fs.existsSync(path.join(plan.projectDir, f)));
      if (!hasProject && services.config.compare.image === '')
        throw new TaskRefused(
          vscode.l10n.t(
            '{0} has no project image (no berth.yaml or Dockerfile) to compare it in: add one, or set berth.compare.image.',
            rel(plan.notebook),
          ),
        );
      write(vscode.l10n.t('Berth: comparing {0} with the container…', rel(plan.notebook)));
      const panel = await services.comparisons.compare(vscode.Uri.file(plan.notebook));
      if (!panel) throw new TaskRefused(vscode.l10n.t('The comparison was cancelled: nothing ran.'));
      write(vscode.l10n.t('Berth: the comparison is in its panel.'));
      return 0;
    }
  }
}
