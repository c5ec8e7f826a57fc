import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Engine } from '../../core/engine/engine';
import { DEFAULT_SETTINGS, type CompareSettings } from '../../core/notebook/compareCells';
import {
  compareNotebook,
  readNotebook,
  type CompareEvents,
  type ComparisonReport,
  type PreparedNotebook,
} from '../../core/notebook/comparison';
import type { PythonEnvironment } from '../../core/notebook/containerRun';
import { describeDifferences } from '../../core/notebook/environment';
import { probeLocalPython } from '../../core/notebook/localProbe';
import { KEEP_RUNS, notebookScratch, pruneRuns, runName, scratchRoot } from '../../core/notebook/scratch';
import { snapshotContainer } from '../../core/notebook/snapshot';
import { DEFAULT_IDLE_SECONDS, sweepIdle, WarmRunners } from '../../core/notebook/warmRunners';
import type { RunPlan } from '../../core/project/createOptions';
import { projectDirFor } from '../../core/project/projectLayout';
import {
  bringBack,
  ensureFolder,
  placeFiles,
  remoteFilesMode,
  removeOutputs,
  writableVolume,
  type FilesContext,
} from '../../core/project/remoteFiles';
import type { Services } from '../services';
import { ComparePanel, type CompareActions } from './comparePanel';
import { localInterpreter } from './localPython';
import { stepDone } from '../walkthrough/walkthroughSteps';

export type ImageChoice =
  | { readonly kind: 'project' }
  | { readonly kind: 'image'; readonly ref: string }
  | { readonly kind: 'container'; readonly id: string; readonly name: string };

/** What a run compares in: the image, the project's run plan (env, limits, GPU) and what to clean up after. */
interface ResolvedImage {
  readonly image: string;
  readonly label: string;
  readonly base?: RunPlan;
  readonly cleanup?: () => Promise<void>;
}

/** A comparison on an engine that cannot see this machine's folders: its volumes, and what to clean up. */
interface RemoteComparison {
  readonly engine: Engine;
  readonly volumes: { readonly workspace: string; readonly output: string };
  readonly base: RunPlan | undefined;
  /** Writable volumes to remove after the results came back (the output one first). */
  readonly outputs: readonly { readonly volume: string; readonly source: string }[];
}

/** Where a comparison's notebook lives and where its files go. */
interface ComparisonPlace {
  readonly notebook: string;
  readonly workspaceDir: string;
  readonly projectDir: string;
}

const hasProject = (dir: string): boolean => fs.existsSync(path.join(dir, 'berth.yaml')) || fs.existsSync(path.join(dir, 'Dockerfile'));

type ComparisonServices = Pick<Services, 'context' | 'log' | 'config' | 'session' | 'runs'>;

/**
 * Notebook comparisons in the window: one panel per notebook, the image choice remembered per
 * notebook (for Re-run), the images resolved (the project's, a chosen one, or a snapshot of a
 * running container), the private scratch folders, progress, and the containers started ahead for
 * the next comparison — which live as long as the engine connection.
 */
export class NotebookComparisons implements vscode.Disposable {
  private readonly panels = new Map<string, ComparePanel>();
  private readonly lastChoice = new Map<string, ImageChoice>();
  private warm: { readonly engine: Engine; readonly runners: WarmRunners } | undefined;

  constructor(private readonly services: ComparisonServices) {}

  /**
   * Compare a saved notebook with the container: in the image last used for it, the configured
   * one, the project's, or one picked; the results in its panel.
   */
  async compare(uri: vscode.Uri): Promise<ComparePanel | undefined> {
    // a notebook Berth cannot read is reported before anything is built
    readNotebook(uri.fsPath);
    const place = placeOf(uri);
    const choice = this.initialChoice(uri, place.projectDir) ?? (await this.pickImage(place.projectDir));
    if (!choice) return undefined;
    const panel = this.panelFor(uri, place.projectDir, choice);
    await this.run(uri, panel, choice);
    return panel;
  }

  /** The image last used for this notebook, else the configured one, else the project's. */
  private initialChoice(uri: vscode.Uri, projectDir: string): ImageChoice | undefined {
    const configured = this.services.config.compare.image;
    return (
      this.lastChoice.get(uri.toString()) ??
      (configured ? { kind: 'image', ref: configured } : hasProject(projectDir) ? { kind: 'project' } : undefined)
    );
  }

  /** The notebook's panel (revealed if open), its buttons acting on this comparison. */
  private panelFor(uri: vscode.Uri, projectDir: string, choice: ImageChoice): ComparePanel {
    const key = uri.toString();
    const again = (picked: ImageChoice | undefined): void => {
      const panel = this.panels.get(key);
      if (panel && picked) void this.run(uri, panel, picked).catch((err: unknown) => this.reportFailure(err));
    };
    const actions: CompareActions = {
      rerun: () => again(this.lastChoice.get(key) ?? choice),
      changeImage: () =>
        void this.pickImage(projectDir).then(again, (err: unknown) => {
          this.reportFailure(err);
        }),
    };
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal(actions);
      return existing;
    }
    const panel = new ComparePanel(this.services, uri, actions, () => this.panels.delete(key));
    this.panels.set(key, panel);
    return panel;
  }

  /** A failure of a run started from the panel: there is no command to report it. */
  private reportFailure(err: unknown): void {
    this.services.log.error('Compare notebook failed', err);
    void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err), vscode.l10n.t('Show Log')).then((c) => {
      if (c) this.services.log.show(true);
    });
  }

  /** The project image, a tagged image, or a running container (compared in a snapshot). */
  async pickImage(projectDir: string): Promise<ImageChoice | undefined> {
    const engine = this.services.session.requireEngine();
    const [images, containers] = await Promise.all([engine.listImages(), engine.listContainers({ filters: { status: ['running'] } })]);
    type Item = vscode.QuickPickItem & { choice?: ImageChoice };
    const items: Item[] = [];
    if (hasProject(projectDir))
      items.push({
        label: vscode.l10n.t('$(tools) Project image'),
        description: vscode.l10n.t('built from the Dockerfile and run profile'),
        choice: { kind: 'project' },
      });
    const tags = images.flatMap((i) => i.tags).sort();
    if (tags.length > 0) items.push({ label: vscode.l10n.t('Images'), kind: vscode.QuickPickItemKind.Separator });
    for (const ref of tags) items.push({ label: ref, choice: { kind: 'image', ref } });
    if (containers.length > 0)
      items.push({ label: vscode.l10n.t('Running containers (compared in a snapshot)'), kind: vscode.QuickPickItemKind.Separator });
    for (const c of containers) {
      items.push({ label: `$(vm-running) ${c.name}`, description: c.image, choice: { kind: 'container', id: c.id, name: c.name } });
    }
    if (items.length === 0)
      throw new Error(vscode.l10n.t('There are no images to run the notebook in: build the project image or pull one with Python.'));
    const picked = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Compare the notebook in which image?'),
      placeHolder: vscode.l10n.t('The image needs python3 and the packages the notebook imports'),
    });
    return picked?.choice;
  }

  private async resolveImage(choice: ImageChoice, projectDir: string, notebook: string): Promise<ResolvedImage | undefined> {
    const engine = this.services.session.requireEngine();
    if (choice.kind === 'image') return { image: choice.ref, label: choice.ref };
    if (choice.kind === 'container') {
      // a snapshot, so the comparison does not disturb the running container
      const snapshot = await snapshotContainer(engine, choice.id);
      return { image: snapshot.image, label: vscode.l10n.t('snapshot of {0}', choice.name), cleanup: snapshot.remove };
    }
    return this.services.runs.forComparison(projectDir, notebook);
  }

  /** One comparison run into a panel; errors are shown in the panel and rethrown for the notification. */
  private async run(uri: vscode.Uri, panel: ComparePanel, choice: ImageChoice): Promise<void> {
    const signal = panel.begin();
    const place = placeOf(uri);
    let resolved: ResolvedImage | undefined;
    let remote: RemoteComparison | undefined;
    try {
      const prepared = readNotebook(place.notebook);
      panel.phase(choice.kind === 'project' ? vscode.l10n.t('Building the project image…') : vscode.l10n.t('Preparing the image…'));
      resolved = await this.resolveImage(choice, place.projectDir, place.notebook);
      if (!resolved) {
        panel.failed(vscode.l10n.t('No image was chosen: nothing ran.'));
        return;
      }
      this.lastChoice.set(uri.toString(), choice);
      const local = await this.localEnvironment(uri, prepared.modules);
      const scratch = scratchFor(place.notebook);
      if (this.uploadsFiles()) {
        panel.phase(vscode.l10n.t('Uploading the workspace…'));
        remote = await this.placeFiles(place, resolved, path.join(scratch.outputDir, scratch.outputRun), signal);
        if (!remote) {
          panel.failed(vscode.l10n.t('The upload was cancelled: nothing ran.'));
          return;
        }
      }
      // a snapshot is removed after the comparison: nothing is started ahead on it; nor on volumes made for one run
      const runners = choice.kind === 'container' || remote ? undefined : this.warmRunners();
      const report = await this.withProgress(place, resolved, panel, signal, { prepared, local, runners, scratch, remote });
      if (remote) await this.bringBackOutput(remote, place, resolved);
      panel.done(report);
      stepDone('notebookCompared');
      this.logReport(place.notebook, report);
    } catch (err) {
      panel.failed(err instanceof Error ? err.message : String(err));
      throw err;
    } finally {
      if (remote) await removeOutputs(remote.engine, remote);
      await resolved?.cleanup?.();
    }
  }

  /** The engine cannot see this machine's folders (a remote one, or berth.engine.remoteFiles "upload"). */
  private uploadsFiles(): boolean {
    const state = this.services.session.state;
    return state.kind === 'connected' && remoteFilesMode(this.services.config.remoteFiles, state.endpoint) === 'upload';
  }

  /**
   * The workspace (as .dockerignore leaves it; unchanged: not sent again) and the profile's
   * mounts in volumes, and a fresh volume for what the notebook writes. Undefined: cancelled.
   */
  private async placeFiles(
    place: ComparisonPlace,
    image: ResolvedImage,
    outputFolder: string,
    signal: AbortSignal,
  ): Promise<RemoteComparison | undefined> {
    const engine = this.services.session.requireEngine();
    const log = this.services.log;
    const outputs: { volume: string; source: string }[] = [];
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Berth: uploading the workspace'), cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        signal.addEventListener('abort', () => controller.abort(), { once: true });
        const ctx: FilesContext = {
          projectDir: place.projectDir,
          image: image.image,
          signal: controller.signal,
          onUpload: (what, volume) => log.info(`Uploading ${what} into volume ${volume}`),
          onProgress: (p) => progress.report({ message: `${path.basename(p.what)}: ${(p.bytes / 2 ** 20).toFixed(1)} MiB` }),
        };
        try {
          const workspace = await ensureFolder(engine, place.workspaceDir, ctx);
          if (!workspace.uploaded) log.info(`The workspace is unchanged since the last upload: volume ${workspace.volume}`);
          const base = image.base ? await placeFiles(engine, image.base, ctx) : undefined;
          outputs.push(...(base?.outputs ?? []));
          const output = await writableVolume(engine, outputFolder, ctx);
          outputs.unshift({ volume: output, source: outputFolder });
          return { engine, volumes: { workspace: workspace.volume, output }, base: base?.plan, outputs };
        } catch (err) {
          await removeOutputs(engine, { outputs });
          if (controller.signal.aborted) return undefined;
          throw err;
        }
      },
    );
  }

  /** What the notebook wrote, copied into this run's local scratch folder. */
  private async bringBackOutput(remote: RemoteComparison, place: ComparisonPlace, image: ResolvedImage): Promise<void> {
    const output = remote.outputs[0];
    if (!output) return;
    const back = await bringBack(remote.engine, output, { projectDir: place.projectDir, image: image.image });
    this.services.log.info(`Copied ${back.files} files the notebook wrote back to ${output.source}`);
  }

  private async localEnvironment(uri: vscode.Uri, modules: readonly string[]): Promise<PythonEnvironment | undefined> {
    const interpreter = await localInterpreter(uri, this.services.config.compare.localPython);
    if (!interpreter) return undefined;
    try {
      return await probeLocalPython(interpreter.path, modules);
    } catch (err) {
      this.services.log.warn(
        `Could not read the local interpreter ${interpreter.path} (from ${interpreter.source}): ${(err as Error).message}`,
      );
      return undefined;
    }
  }

  /** The comparison under a cancellable notification, cell by cell into the panel. */
  private withProgress(
    place: ComparisonPlace,
    image: ResolvedImage,
    panel: ComparePanel,
    signal: AbortSignal,
    run: {
      prepared: PreparedNotebook;
      local: PythonEnvironment | undefined;
      runners: WarmRunners | undefined;
      scratch: { outputDir: string; outputRun: string };
      remote: RemoteComparison | undefined;
    },
  ): Thenable<ComparisonReport> {
    const { notebook } = place;
    const { prepared, local, runners, scratch, remote } = run;
    const total = prepared.plans.length;
    const base = remote ? remote.base : image.base;
    this.services.log.info(
      `Comparing ${notebook} in ${image.label}; the notebook's files go to ${path.join(scratch.outputDir, scratch.outputRun)}`,
    );
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Comparing {0} in {1}', path.basename(notebook), image.image),
        cancellable: true,
      },
      (progress, token) => {
        token.onCancellationRequested(() => panel.cancel());
        return compareNotebook(
          this.services.session.requireEngine(),
          {
            notebookPath: notebook,
            workspaceDir: place.workspaceDir,
            image: image.image,
            settings: this.settings(),
            ...scratch,
            ...(base ? { base } : {}),
            ...(remote ? { volumes: remote.volumes } : {}),
            ...(local ? { local } : {}),
            prepared,
            ...(runners ? { warm: runners } : {}),
          },
          { signal, ...panelUpdates(panel, progress, total, image.label, local) },
        );
      },
    );
  }

  private settings(): CompareSettings {
    const c = this.services.config.compare;
    return {
      ...DEFAULT_SETTINGS,
      tolerance: { rtol: c.rtol, atol: c.atol },
      pixelRatio: c.pixelRatio,
      compareStderr: c.compareStderr,
      timeoutSeconds: c.timeoutSeconds,
      allowNondeterministic: c.allowNondeterministic,
    };
  }

  private logReport(notebook: string, report: ComparisonReport): void {
    const log = this.services.log;
    const s = report.summary;
    log.info(
      `Comparison of ${notebook}: ${s.identical} identical, ${s.withinTolerance} within tolerance, ${s.differs} differ, ${s.nondeterministic} nondeterministic, ${s.errors} errors, ${s.notRun} not run — ${report.message}`,
    );
    for (const difference of describeDifferences(report.environment)) log.info(`environment: ${difference}`);
    for (const line of report.stray) log.warn(`runner: ${line}`);
    vscode.window.setStatusBarMessage(
      report.passed
        ? vscode.l10n.t('Berth: {0} matches the container', path.basename(notebook))
        : vscode.l10n.t('Berth: {0} differs in the container', path.basename(notebook)),
      8000,
    );
  }

  /**
   * The containers started ahead for the next comparison, on the connected engine (none when
   * berth.compare.keepWarm is off). They end with the engine connection.
   */
  private warmRunners(): WarmRunners | undefined {
    const engine = this.services.session.requireEngine();
    const keepWarm = this.services.config.compare.keepWarm;
    if (!keepWarm || this.warm?.engine !== engine) void this.disposeWarmRunners();
    if (!keepWarm) return undefined;
    if (!this.warm) {
      const runners = new WarmRunners(engine, DEFAULT_IDLE_SECONDS, (err) =>
        this.services.log.warn(
          `Could not start the next comparison's container ahead of time: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
      this.warm = { engine, runners };
      this.services.session.connection.add({ dispose: () => this.disposeWarmRunners(runners) });
      // waiting containers whose runner gave up in an earlier session
      void sweepIdle(engine).catch(() => undefined);
    }
    return this.warm.runners;
  }

  /** Remove the containers waiting for a next comparison (all, or only those of `runners`). */
  private async disposeWarmRunners(runners?: WarmRunners): Promise<void> {
    const current = this.warm?.runners;
    if (!current || (runners && runners !== current)) return;
    this.warm = undefined;
    await current.dispose();
  }

  /** Cancel running comparisons and remove the containers waiting for the next (VS Code waits for it on deactivation). */
  async dispose(): Promise<void> {
    for (const panel of this.panels.values()) panel.cancel();
    this.lastChoice.clear();
    await this.disposeWarmRunners();
  }
}

/** The comparison's progress as the notification and the panel show it, cell by cell. */
function panelUpdates(
  panel: ComparePanel,
  progress: vscode.Progress<{ message?: string; increment?: number }>,
  total: number,
  label: string,
  local: PythonEnvironment | undefined,
): Omit<CompareEvents, 'signal'> {
  return {
    onPlan: (plans) => panel.start(label, plans, local ? `${local.python} (${local.executable ?? 'local'})` : undefined),
    onCellStart: (plan, done) => {
      progress.report({ message: vscode.l10n.t('cell {0} of {1}', plan.ordinal, total) });
      panel.cellRunning(plan.index, done, total);
    },
    onCell: (c, done) => {
      progress.report({ increment: 100 / Math.max(1, total) });
      panel.row(c, done, total);
    },
    onEnvironment: (rows) => panel.environment(rows),
  };
}

/** The notebook's workspace folder and project; a notebook outside the workspace cannot be compared. */
function placeOf(uri: vscode.Uri): ComparisonPlace {
  const notebook = uri.fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) throw new Error(vscode.l10n.t('{0} is not in an open workspace folder: open its folder to compare it.', notebook));
  return { notebook, workspaceDir: folder.uri.fsPath, projectDir: projectDirFor(notebook, folder.uri.fsPath) };
}

/** One private folder per notebook folder (so a container started ahead fits the next run), a subfolder per run. */
function scratchFor(notebook: string): { outputDir: string; outputRun: string } {
  const outputDir = notebookScratch(scratchRoot(), path.dirname(notebook));
  const outputRun = runName(notebook, new Date());
  pruneRuns(outputDir, KEEP_RUNS - 1);
  return { outputDir, outputRun };
}
