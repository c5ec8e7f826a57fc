import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeBatch, runBatchJob, type BatchResult } from '../../core/engine/batchJob';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { GpuUnavailableError, NotFoundError, PortInUseError } from '../../core/engine/errors';
import type { GpuDetection } from '../../core/engine/gpu';
import { BERTH_LABEL } from '../../core/engine/labels';
import { startRun, waitHealthy } from '../../core/engine/run';
import { batchProfile } from '../../core/project/batchProfile';
import { scanContext } from '../../core/project/buildContext';
import type { RunPlan } from '../../core/project/createOptions';
import { gitState, proposeTag } from '../../core/project/imageTag';
import { defaultProfileYaml } from '../../core/project/projectLayout';
import {
  batchUser,
  comparisonProfile,
  cpuDecision,
  gpuPreferenceKey,
  onAnyFreePort,
  planFor,
  runContainerName,
  withClickedModel,
} from '../../core/project/projectRun';
import {
  bringBack,
  placeFiles,
  remoteFilesMode,
  removeOutputs,
  removeStaleOutputs,
  type FilesProgress,
  type PlacedFiles,
} from '../../core/project/remoteFiles';
import type { RunProfile } from '../../core/project/runProfile';
import { buildWithProgress, confirmContext } from '../build/buildWithProgress';
import type { Services } from '../services';
import { stepDone } from '../walkthrough/walkthroughSteps';

const HEALTH_TIMEOUT_MS = 60_000;
const MIB = 2 ** 20;

/** What a run command is about: the clicked file, its project, and a profile named by the run form. */
export interface RunTarget {
  readonly clicked: string;
  readonly projectDir: string;
  readonly profileName?: string;
}

/** A profile ready to start: its image built (or named), GPU or CPU decided. */
export interface PreparedRun {
  readonly projectDir: string;
  readonly profile: RunProfile;
  readonly image: string;
  readonly forceCpu: boolean;
  readonly gpu: GpuDetection | undefined;
}

export interface FinishedBatch {
  readonly name: string;
  readonly result: BatchResult;
  readonly message: string;
  readonly outputDir: string;
}

type RunsServices = Pick<Services, 'context' | 'session' | 'log' | 'config' | 'profiles' | 'buildOutput' | 'buildKit' | 'containers'>;

/**
 * Running a project's profile, for every command that does: the profile (written the first time),
 * GPU or CPU (asked once, remembered per profile), the image (built with progress, weights kept
 * out), the create options, then the start — with a way out when the engine refuses the GPU or a
 * port is taken.
 */
export class ProjectRuns {
  constructor(private readonly services: RunsServices) {}

  /** The engine's GPU detection, while connected. */
  private get gpu(): GpuDetection | undefined {
    const state = this.services.session.state;
    return state.kind === 'connected' ? state.gpu : undefined;
  }

  /** The profile named (by the run form), the only one, or the one picked; with no berth.yaml, a default one is written. */
  async chooseProfile(projectDir: string, clicked: string, named?: string): Promise<RunProfile | undefined> {
    if (named !== undefined) {
      const profile = this.services.profiles.load(projectDir)?.find((p) => p.name === named);
      if (profile) return profile;
    }
    const found = this.services.profiles.load(projectDir);
    const profiles = found && found.length > 0 ? found : this.writeDefaultProfile(projectDir, clicked);
    if (profiles.length === 1) return profiles[0];
    const picked = await vscode.window.showQuickPick(
      profiles.map((p) => ({ label: p.name, description: p.image ?? vscode.l10n.t('build {0}', p.build?.dockerfile ?? ''), profile: p })),
      { title: vscode.l10n.t('Run model in container: which profile?') },
    );
    return picked?.profile;
  }

  private writeDefaultProfile(projectDir: string, clicked: string): readonly RunProfile[] {
    const file = path.join(projectDir, 'berth.yaml');
    if (!fs.existsSync(path.join(projectDir, 'Dockerfile')))
      throw new Error(
        vscode.l10n.t(
          'No Dockerfile or berth.yaml in {0}: add a Dockerfile, or a berth.yaml profile naming an image.',
          vscode.workspace.asRelativePath(projectDir),
        ),
      );
    fs.writeFileSync(file, defaultProfileYaml(projectDir, clicked));
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Created {0} with a default run profile (edit it to change ports, limits or GPUs).',
        vscode.workspace.asRelativePath(file),
      ),
    );
    return this.services.profiles.load(projectDir) ?? [];
  }

  /** Ask when the profile wants a GPU the engine cannot give; the answer is remembered per profile. */
  async offerCpu(projectDir: string, profileName: string, reason: string): Promise<boolean> {
    const runOnCpu = vscode.l10n.t('Run on CPU');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Profile "{0}" asks for a GPU, but {1}', profileName, reason),
      {
        modal: true,
        detail: vscode.l10n.t(
          'Run on CPU instead? Berth remembers this profile as "GPU if available": a GPU when the engine has one, the CPU otherwise.',
        ),
      },
      runOnCpu,
    );
    if (choice !== runOnCpu) return false;
    await this.services.context.workspaceState.update(gpuPreferenceKey(projectDir, profileName), true);
    return true;
  }

  /** Whether to run on CPU: remembered from an earlier answer, or asked now. Undefined: the user backed out. */
  async decideCpu(projectDir: string, profile: RunProfile, rememberAs = profile.name): Promise<boolean | undefined> {
    const remembered = this.services.context.workspaceState.get<boolean>(gpuPreferenceKey(projectDir, rememberAs), false);
    const decision = cpuDecision(profile, this.gpu, remembered);
    if (decision.kind !== 'ask') return decision.kind === 'cpu';
    return (await this.offerCpu(projectDir, rememberAs, decision.reason)) ? true : undefined;
  }

  /** Build the profile's image (cached layers make a rebuild cheap), or use the image it names. */
  async imageFor(profile: RunProfile, projectDir: string): Promise<string | undefined> {
    if (!profile.build) return profile.image;
    const contextDir = path.resolve(projectDir, profile.build.context);
    const tag = proposeTag(projectDir, await gitState(projectDir));
    const scan = await confirmContext(scanContext(contextDir, profile.build.dockerfile), contextDir, profile.build.dockerfile);
    if (!scan) return undefined;
    const built = await buildWithProgress(this.services, {
      scan,
      dockerfile: profile.build.dockerfile,
      tag,
      ...(profile.build.target ? { target: profile.build.target } : {}),
      buildArgs: profile.build.args,
      source: vscode.Uri.file(path.join(contextDir, profile.build.dockerfile)),
    });
    return built ? tag : undefined;
  }

  /**
   * Profile → GPU or CPU → image: what a start needs. `rememberAs` names the profile the GPU answer
   * is remembered under (a batch job's is its base profile's). Undefined: the user backed out.
   */
  async prepare(projectDir: string, profile: RunProfile, rememberAs = profile.name): Promise<PreparedRun | undefined> {
    const gpu = this.gpu;
    const forceCpu = await this.decideCpu(projectDir, profile, rememberAs);
    if (forceCpu === undefined) return undefined;
    const image = await this.imageFor(profile, projectDir);
    if (!image) return undefined;
    return { projectDir, profile, image, forceCpu, gpu };
  }

  /** The create options of a prepared run (or of a variant of its profile). */
  plan(run: PreparedRun, options: { name?: string; forceCpu?: boolean; profile?: RunProfile } = {}): RunPlan {
    return planFor(options.profile ?? run.profile, {
      image: run.image,
      projectDir: run.projectDir,
      ...(options.name ? { name: options.name } : {}),
      gpu: run.gpu,
      forceCpu: options.forceCpu ?? run.forceCpu,
    });
  }

  /** The previous run of this profile makes way — only Berth's own container of that name. */
  async clearPrevious(name: string): Promise<void> {
    const engine = this.services.session.requireEngine();
    try {
      const previous = await engine.inspectContainer(name);
      if (previous.labels[BERTH_LABEL.managed] !== 'true')
        throw new Error(vscode.l10n.t("A container named {0} exists and is not Berth's: rename or remove it first.", name));
      await engine.removeContainer(previous.id, { force: true });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /**
   * Run the target's profile as a service until it is healthy: the model clicked is mounted when
   * the profile names none. `onUnhealthy` gets the container when it never became healthy (its
   * logs usually say why) before the error is thrown. Undefined: the user backed out.
   */
  async serve(target: RunTarget, hooks: { onUnhealthy: (record: ContainerRecord) => void }): Promise<ContainerRecord | undefined> {
    this.services.session.requireEngine(); // before any question or file written: no engine, no run
    const chosen = await this.chooseProfile(target.projectDir, target.clicked, target.profileName);
    if (!chosen) return undefined;
    const run = await this.prepare(target.projectDir, withClickedModel(chosen, target.projectDir, target.clicked));
    if (!run) return undefined;
    return this.servePrepared(run, runContainerName(run.profile, run.projectDir), hooks);
  }

  /**
   * A prepared run (or a variant of its profile, as Run Model on several models makes) served
   * under `name` until healthy: the previous container of that name makes way. Undefined: the user
   * backed out.
   */
  async servePrepared(
    run: PreparedRun,
    name: string,
    hooks: { onUnhealthy: (record: ContainerRecord) => void },
  ): Promise<ContainerRecord | undefined> {
    await this.clearPrevious(name);
    const id = await this.startServing(run, name);
    if (id === undefined) return undefined;
    await this.untilHealthy(id, name, hooks.onUnhealthy);
    stepDone('modelServed');
    return this.services.containers.current?.get(id) ?? (await this.services.session.requireEngine().inspectContainer(id));
  }

  /**
   * Plan `run` as `name`, place its files (volumes, on an engine that cannot see this machine) and
   * start it; what was placed is removed when the start fails. Undefined: the user backed out.
   */
  async startPlanned(run: PreparedRun, options: { name: string; forceCpu: boolean; profile?: RunProfile }): Promise<string | undefined> {
    const engine = this.services.session.requireEngine();
    const { name } = options;
    const planned = this.plan(run, options);
    for (const note of planned.notes) this.services.log.info(`${name}: ${note}`);
    const placed = await this.placeFiles(planned, run);
    if (placed === undefined) return undefined;
    for (const o of placed?.outputs ?? [])
      this.services.log.info(
        `${name}: ${o.source} is a volume on the engine (${o.volume}); what the container writes there stays on the engine`,
      );
    try {
      return await startRun(engine, placed ? placed.plan : planned, run.gpu ? { gpu: run.gpu } : {});
    } catch (err) {
      if (placed) await removeOutputs(engine, placed);
      throw err;
    }
  }

  /** Start, offering the CPU when the engine refuses the GPU and any free port when one is taken. */
  private async startServing(run: PreparedRun, name: string): Promise<string | undefined> {
    const start = (forceCpu: boolean, anyPort: boolean): Promise<string | undefined> =>
      this.startPlanned(run, { name, forceCpu, ...(anyPort ? { profile: onAnyFreePort(run.profile) } : {}) });
    try {
      return await start(run.forceCpu, false);
    } catch (err) {
      if (err instanceof GpuUnavailableError) {
        if (!(await this.offerCpu(run.projectDir, run.profile.name, vscode.l10n.t('the engine refused it: {0}', err.message))))
          return undefined;
        return start(true, false);
      }
      if (err instanceof PortInUseError) {
        if ((await vscode.window.showErrorMessage(err.message, vscode.l10n.t('Use Any Free Port'))) === undefined) return undefined;
        return start(run.forceCpu, true);
      }
      throw err;
    }
  }

  private async untilHealthy(id: string, name: string, onUnhealthy: (record: ContainerRecord) => void): Promise<void> {
    const engine = this.services.session.requireEngine();
    try {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Starting {0}: waiting until it is healthy', name),
          cancellable: true,
        },
        (_progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return waitHealthy(engine, id, { timeoutMs: HEALTH_TIMEOUT_MS, signal: controller.signal });
        },
      );
    } catch (err) {
      onUnhealthy(await engine.inspectContainer(id));
      throw err;
    }
  }

  /**
   * Run the target as a batch job to completion: the project read-only at /workspace, data/ at
   * /input, output/ at /output; as the user on a local engine. `onStarted` gets the container as
   * it starts. Undefined: the user backed out.
   */
  async runBatch(target: RunTarget, hooks: { onStarted: (record: ContainerRecord) => void }): Promise<FinishedBatch | undefined> {
    this.services.session.requireEngine();
    const base = await this.chooseProfile(target.projectDir, target.clicked, target.profileName);
    if (!base) return undefined;
    const state = this.services.session.state;
    const local = state.kind === 'connected' && state.endpoint.host.startsWith('unix://');
    const profile = batchUser(batchProfile(base, target.projectDir, target.clicked), local, process.getuid?.(), process.getgid?.());
    // the GPU answer is remembered under the base profile's name
    const run = await this.prepare(target.projectDir, profile, base.name);
    if (!run) return undefined;
    const outputDir = path.join(run.projectDir, 'output');
    fs.mkdirSync(outputDir, { recursive: true });
    const name = runContainerName(profile, run.projectDir);
    await this.clearPrevious(name);
    let result: BatchResult | undefined;
    try {
      result = await this.runToEnd(run, name, run.forceCpu, hooks.onStarted);
    } catch (err) {
      if (!(err instanceof GpuUnavailableError)) throw err;
      if (!(await this.offerCpu(run.projectDir, base.name, vscode.l10n.t('the engine refused it: {0}', err.message)))) return undefined;
      result = await this.runToEnd(run, name, true, hooks.onStarted);
    }
    if (!result) return undefined;
    return { name, result, message: describeBatch(name, result), outputDir };
  }

  private async runToEnd(
    run: PreparedRun,
    name: string,
    forceCpu: boolean,
    onStarted: (record: ContainerRecord) => void,
  ): Promise<BatchResult | undefined> {
    const engine = this.services.session.requireEngine();
    const planned = this.plan(run, { name, forceCpu });
    const placed = await this.placeFiles(planned, run);
    if (placed === undefined) return undefined;
    let result: BatchResult;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Running batch job {0}', name), cancellable: true },
        (_p, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          return runBatchJob(engine, placed ? placed.plan : planned, {
            signal: controller.signal,
            ...(run.gpu ? { gpu: run.gpu } : {}),
            onStarted: (id) => void engine.inspectContainer(id).then(onStarted),
          });
        },
      );
    } catch (err) {
      if (placed) await removeOutputs(engine, placed);
      throw err;
    }
    if (placed)
      await this.bringBackOutputs(placed, run).catch((err: unknown) => {
        // the job's result stands; what did not come back is said once, the detail in the log
        this.services.log.error(`Copying the results of ${name} back failed`, err);
        void vscode.window.showWarningMessage(
          vscode.l10n.t(
            'Batch job {0} ended, but its results did not all come back: {1}',
            name,
            err instanceof Error ? err.message : String(err),
          ),
        );
      });
    return result;
  }

  /**
   * The project's files for an engine that cannot bind-mount them (a remote one, or
   * berth.engine.remoteFiles "upload"): uploaded into volumes, with progress — only what changed.
   * null: nothing to upload (bind mounts as planned); undefined: the user cancelled.
   */
  async placeFiles(plan: RunPlan, run: Pick<PreparedRun, 'projectDir' | 'image'>): Promise<PlacedFiles | null | undefined> {
    const state = this.services.session.state;
    if (state.kind !== 'connected' || remoteFilesMode(this.services.config.remoteFiles, state.endpoint) === 'bind') return null;
    if ((plan.options.HostConfig?.Binds ?? []).length === 0) return null;
    const engine = this.services.session.requireEngine();
    const log = this.services.log;
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Berth: files for {0}', state.endpoint.host),
        cancellable: true,
      },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        try {
          const placed = await placeFiles(engine, plan, {
            projectDir: run.projectDir,
            image: run.image,
            signal: controller.signal,
            onUpload: (what, volume) => log.info(`Uploading ${what} into volume ${volume}`),
            onProgress: throttled((p) => progress.report({ message: progressMessage(p) })),
          });
          for (const volume of placed.reused) log.info(`Unchanged since the last upload: volume ${volume}`);
          return placed;
        } catch (err) {
          if (controller.signal.aborted) return undefined;
          throw err;
        }
      },
    );
  }

  /**
   * What the run wrote into its volumes, unpacked into the local folders. The job's container
   * keeps its volume until it is removed (the next run of the profile removes it); earlier runs'
   * volumes go now.
   */
  private async bringBackOutputs(placed: PlacedFiles, run: Pick<PreparedRun, 'projectDir' | 'image'>): Promise<void> {
    const engine = this.services.session.requireEngine();
    if (placed.outputs.length === 0) return;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Berth: copying the results back'), cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        for (const output of placed.outputs) {
          const back = await bringBack(engine, output, run, {
            signal: controller.signal,
            onProgress: throttled((p) => progress.report({ message: progressMessage(p) })),
          });
          this.services.log.info(
            `Copied ${back.files} files (${(back.bytes / MIB).toFixed(1)} MiB) from volume ${output.volume} to ${output.source}`,
          );
          // the run's container keeps this one until it is removed; earlier runs' volumes go now
          await removeStaleOutputs(engine, output, run.projectDir);
        }
      },
    );
  }

  /**
   * The project image for a notebook comparison and its run plan (env, limits, GPU; no ports, no
   * healthcheck). Undefined: the user backed out.
   */
  async forComparison(projectDir: string, notebook: string): Promise<{ image: string; label: string; base: RunPlan } | undefined> {
    this.services.session.requireEngine();
    const profile = await this.chooseProfile(projectDir, notebook);
    if (!profile) return undefined;
    const run = await this.prepare(projectDir, profile);
    if (!run) return undefined;
    return {
      image: run.image,
      label: vscode.l10n.t('{0} (profile {1})', run.image, profile.name),
      base: this.plan(run, { profile: comparisonProfile(profile) }),
    };
  }
}

/** "model.npz: 12.0 of 40.0 MiB" for a progress notification. */
function progressMessage(p: FilesProgress): string {
  const done = (p.bytes / MIB).toFixed(1);
  const file = path.basename(p.what);
  if (p.totalBytes === undefined)
    return p.phase === 'upload'
      ? vscode.l10n.t('uploading {0}: {1} MiB', file, done)
      : vscode.l10n.t('copying back {0}: {1} MiB', file, done);
  const total = (p.totalBytes / MIB).toFixed(1);
  return p.phase === 'upload'
    ? vscode.l10n.t('uploading {0}: {1} of {2} MiB', file, done, total)
    : vscode.l10n.t('copying back {0}: {1} of {2} MiB', file, done, total);
}

/** At most one report every 250 ms. */
function throttled(report: (p: FilesProgress) => void): (p: FilesProgress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    report(p);
  };
}
