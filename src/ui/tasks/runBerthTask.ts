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

export const TRUST_MESSAGE = 'Berth tasks build and run code from this workspace: trust it first (Manage Workspace Trust).';

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
        `Berth: running ${plan.profile ? `profile ${plan.profile}` : 'the default profile'} of ${rel(plan.projectDir)} (image, then start, until healthy)…`,
      );
      const record = await services.runs.serve(
        { clicked: plan.clicked, projectDir: plan.projectDir, ...(plan.profile ? { profileName: plan.profile } : {}) },
        { onUnhealthy: (r) => write(`Berth: ${r.name} did not become healthy (${r.status}); its logs say why (Berth: Show Logs).`) },
      );
      if (!record) throw new TaskRefused('The run was cancelled: nothing was started.');
      const ports = record.ports.filter((p) => p.hostPort !== undefined).map((p) => `${p.hostIp ?? '127.0.0.1'}:${p.hostPort ?? ''}`);
      write(`Berth: ${record.name} is healthy${ports.length > 0 ? ` on ${ports.join(', ')}` : ''}.`);
      return 0;
    }
    case 'batch': {
      write(`Berth: running ${rel(plan.clicked)} as a batch job${plan.profile ? ` (profile ${plan.profile})` : ''}…`);
      const finished = await services.runs.runBatch(
        { clicked: plan.clicked, projectDir: plan.projectDir, ...(plan.profile ? { profileName: plan.profile } : {}) },
        { onStarted: (r) => write(`Berth: started ${r.name}.`) },
      );
      if (!finished) throw new TaskRefused('The batch job was cancelled.');
      write(`Berth: ${finished.message}`);
      if (finished.result.exitCode !== 0) return finished.result.exitCode > 0 ? finished.result.exitCode : 1;
      write(`Berth: output in ${rel(finished.outputDir)}.`);
      return 0;
    }
    case 'build': {
      const tag = plan.tag ?? proposeTag(plan.contextDir, await gitState(plan.contextDir));
      const source = path.join(plan.contextDir, plan.dockerfile);
      write(
        `Berth: building ${tag} from ${rel(source)}${plan.profile ? ` (profile ${plan.profile})` : ''}${plan.target ? `, stage ${plan.target}` : ''} — the full log is in the Berth Build output…`,
      );
      const scan = await confirmContext(scanContext(plan.contextDir, plan.dockerfile), plan.contextDir, plan.dockerfile);
      if (!scan) throw new TaskRefused('The build was cancelled.');
      const built = await buildWithProgress(services, {
        scan,
        dockerfile: plan.dockerfile,
        tag,
        ...(plan.target ? { target: plan.target } : {}),
        buildArgs: plan.buildArgs,
        source: vscode.Uri.file(source),
      });
      if (!built) throw new TaskRefused(`The build of ${tag} failed or was cancelled: see the Berth Build output.`);
      write(`Berth: built ${tag} (${built.id.slice(7, 19)}) in ${built.seconds.toFixed(1)} s.`);
      return 0;
    }
    case 'compare': {
      const hasProject = ['berth.yaml', 'Dockerfile'].some((f) => fs.existsSync(path.join(plan.projectDir, f)));
      if (!hasProject && services.config.compare.image === '')
        throw new TaskRefused(
          `${rel(plan.notebook)} has no project image (no berth.yaml or Dockerfile) to compare it in: add one, or set berth.compare.image.`,
        );
      write(`Berth: comparing ${rel(plan.notebook)} with the container…`);
      const panel = await services.comparisons.compare(vscode.Uri.file(plan.notebook));
      if (!panel) throw new TaskRefused('The comparison was cancelled: nothing ran.');
      write('Berth: the comparison is in its panel.');
      return 0;
    }
  }
}
