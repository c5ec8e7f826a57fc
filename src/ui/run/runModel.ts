import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { buildWithProgress, confirmContext } from '../build/buildWithProgress';
import { GpuUnavailableError, NotFoundError, PortInUseError } from '../../core/engine/errors';
import { BERTH_LABEL } from '../../core/engine/labels';
import { startRun, waitHealthy } from '../../core/engine/run';
import { gpuUnavailable, toCreateOptions, type RunPlan } from '../../core/project/createOptions';
import { PlaygroundPanel } from '../playground/playgroundPanel';
import { scanContext } from '../../core/project/buildContext';
import { readEnvFiles } from '../../core/project/envFile';
import { gitState, proposeTag, repositoryName } from '../../core/project/imageTag';
import { defaultProfileYaml, modelFor } from '../../core/project/projectLayout';
import type { GpuDetection } from '../../core/engine/gpu';
import type { RunProfile } from '../../core/project/runProfile';
import { loadProfiles } from './profiles';
import { openLogs } from '../logs/showLogs';
import type { CommandContext } from '../commands';
import { projectTarget } from './projectTarget';

const HEALTH_TIMEOUT_MS = 60_000;
export const gpuKey = (projectDir: string, profile: string): string => `berth.gpuIfAvailable:${projectDir}:${profile}`;

export async function chooseProfile(ctx: CommandContext, projectDir: string, clicked: string): Promise<RunProfile | undefined> {
  let profiles = loadProfiles(ctx.context, projectDir);
  if (!profiles || profiles.length === 0) {
    const file = path.join(projectDir, 'berth.yaml');
    if (!fs.existsSync(path.join(projectDir, 'Dockerfile'))) {
      throw new Error(
        `No Dockerfile or berth.yaml in ${vscode.workspace.asRelativePath(projectDir)}: add a Dockerfile, or a berth.yaml profile naming an image.`,
      );
    }
    fs.writeFileSync(file, defaultProfileYaml(projectDir, clicked));
    void vscode.window.showInformationMessage(
      `Created ${vscode.workspace.asRelativePath(file)} with a default run profile (edit it to change ports, limits or GPUs).`,
    );
    profiles = loadProfiles(ctx.context, projectDir) ?? [];
  }
  if (profiles.length === 1) return profiles[0];
  const picked = await vscode.window.showQuickPick(
    profiles.map((p) => ({ label: p.name, description: p.image ?? `build ${p.build?.dockerfile ?? ''}`, profile: p })),
    { title: 'Run model in container: which profile?' },
  );
  return picked?.profile;
}

/** Ask when the profile wants a GPU the engine cannot give; the answer is remembered per profile. */
export async function offerCpu(ctx: CommandContext, projectDir: string, profile: RunProfile, reason: string): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    `Profile "${profile.name}" asks for a GPU, but ${reason}`,
    {
      modal: true,
      detail: 'Run on CPU instead? Berth remembers this profile as "GPU if available": a GPU when the engine has one, the CPU otherwise.',
    },
    'Run on CPU',
  );
  if (choice !== 'Run on CPU') return false;
  await ctx.context.workspaceState.update(gpuKey(projectDir, profile.name), true);
  return true;
}

/**
 * Whether to run on CPU: the profile wants a GPU the engine cannot give — remembered from an
 * earlier answer, or asked now. Undefined: the user backed out.
 */
export async function decideCpu(
  ctx: CommandContext,
  projectDir: string,
  profile: RunProfile,
  gpu: GpuDetection | undefined,
): Promise<boolean | undefined> {
  if (
    profile.gpus.kind !== 'none' &&
    gpu?.available !== true &&
    ctx.context.workspaceState.get<boolean>(gpuKey(projectDir, profile.name), false)
  )
    return true;
  if (!gpuUnavailable(profile, gpu)) return false;
  return (await offerCpu(ctx, projectDir, profile, `this engine has none (${gpu?.reasons[0] ?? 'no GPU detected'}).`)) ? true : undefined;
}

/** The create options of a profile's run in a project: its env files read, the GPU as the engine allows. */
export function planFor(
  profile: RunProfile,
  run: { image: string; projectDir: string; name?: string; gpu: GpuDetection | undefined; forceCpu: boolean },
): RunPlan {
  return toCreateOptions(profile, {
    image: run.image,
    projectDir: run.projectDir,
    ...(run.name ? { name: run.name } : {}),
    ...(run.gpu ? { gpu: run.gpu } : {}),
    forceCpu: run.forceCpu,
    envFromFiles: readEnvFiles(run.projectDir, profile.envFiles),
  });
}

/** Build the profile's image (cached layers make a rebuild cheap), or use the image it names. */
export async function imageFor(ctx: CommandContext, profile: RunProfile, projectDir: string): Promise<string | undefined> {
  if (!profile.build) return profile.image;
  const contextDir = path.resolve(projectDir, profile.build.context);
  const tag = proposeTag(projectDir, await gitState(projectDir));
  const scan = await confirmContext(scanContext(contextDir, profile.build.dockerfile), contextDir, profile.build.dockerfile);
  if (!scan) return undefined;
  const built = await buildWithProgress(ctx, {
    scan,
    dockerfile: profile.build.dockerfile,
    tag,
    ...(profile.build.target ? { target: profile.build.target } : {}),
    buildArgs: profile.build.args,
    source: vscode.Uri.file(path.join(contextDir, profile.build.dockerfile)),
  });
  return built ? tag : undefined;
}

/** The previous run of this profile makes way — only Berth's own container of that name. */
export async function clearPrevious(ctx: CommandContext, name: string): Promise<void> {
  const engine = ctx.session.requireEngine();
  try {
    const previous = await engine.inspectContainer(name);
    if (previous.labels[BERTH_LABEL.managed] !== 'true')
      throw new Error(`A container named ${name} exists and is not Berth's: rename or remove it first.`);
    await engine.removeContainer(previous.id, { force: true });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

/**
 * "Run model in container": from a model file, a Dockerfile, a Python file or a notebook to a
 * healthy container with the model mounted, then the playground. GPU when there is one; a clear
 * offer to run on CPU when there is not.
 */
export async function runModel(ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted)
    throw new Error('Running builds and starts code from this workspace: trust it first (Manage Workspace Trust).');
  const { clicked, projectDir } = projectTarget(args[0], 'Open a folder with a model, a Dockerfile or a notebook first.');
  const engine = ctx.session.requireEngine();
  const state = ctx.session.state;
  const gpu = state.kind === 'connected' ? state.gpu : undefined;

  // a profile name as second argument (from the run form) skips the choice
  const named = typeof args[1] === 'string' ? loadProfiles(ctx.context, projectDir)?.find((p) => p.name === args[1]) : undefined;
  const chosen = named ?? (await chooseProfile(ctx, projectDir, clicked));
  if (!chosen) return undefined;
  const model = chosen.model ? undefined : modelFor(projectDir, clicked);
  const profile: RunProfile = model ? { ...chosen, model: { ...model, env: 'MODEL_PATH' } } : chosen;
  const forceCpu = await decideCpu(ctx, projectDir, profile, gpu);
  if (forceCpu === undefined) return undefined;

  const image = await imageFor(ctx, profile, projectDir);
  if (!image) return undefined;
  const name = `berth-${profile.name}-${repositoryName(projectDir)}`;
  await clearPrevious(ctx, name);

  const start = (cpu: boolean, anyPort: boolean): Promise<string> => {
    const p = anyPort ? { ...profile, ports: profile.ports.map((port) => ({ ...port, hostPort: 0 })) } : profile;
    const plan = planFor(p, { image, projectDir, name, gpu, forceCpu: cpu });
    for (const note of plan.notes) ctx.log.info(`${name}: ${note}`);
    return startRun(engine, plan, gpu ? { gpu } : {});
  };
  let id: string;
  try {
    id = await start(forceCpu, false);
  } catch (err) {
    if (err instanceof GpuUnavailableError) {
      if (!(await offerCpu(ctx, projectDir, profile, `the engine refused it: ${err.message}`))) return undefined;
      id = await start(true, false);
    } else if (err instanceof PortInUseError) {
      if ((await vscode.window.showErrorMessage(err.message, 'Use Any Free Port')) === undefined) return undefined;
      id = await start(forceCpu, true);
    } else throw err;
  }

  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Starting ${name}: waiting until it is healthy`, cancellable: true },
      (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return waitHealthy(engine, id, { timeoutMs: HEALTH_TIMEOUT_MS, signal: controller.signal });
      },
    );
  } catch (err) {
    // the logs usually say why: show them next to the message
    openLogs(ctx, [await engine.inspectContainer(id)], { tail: 200, timestamps: false });
    throw err;
  }
  const record = ctx.containers.current?.get(id) ?? (await engine.inspectContainer(id));
  if (record.ports.some((p) => p.hostPort !== undefined)) PlaygroundPanel.show(ctx, record, projectDir);
  else void vscode.window.showInformationMessage(`${name} is running (it publishes no port, so there is no playground).`);
  return id;
}
