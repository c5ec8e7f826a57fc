import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isLocalEndpoint } from '../../core/engine/connection';
import type { RunPlan } from '../../core/project/createOptions';
import { ComparePanel } from './comparePanel';
import { localInterpreter } from './localPython';
import { DEFAULT_SETTINGS, type CompareSettings } from '../../core/notebook/compareCells';
import { compareNotebook as runComparison, readNotebook } from '../../core/notebook/comparison';
import { NotebookRunError, type PythonEnvironment } from '../../core/notebook/containerRun';
import { describeDifferences } from '../../core/notebook/environment';
import { probeLocalPython } from '../../core/notebook/localProbe';
import { KEEP_RUNS, notebookScratch, pruneRuns, runName, scratchRoot } from '../../core/notebook/scratch';
import { snapshotContainer } from '../../core/notebook/snapshot';
import { DEFAULT_IDLE_SECONDS, sweepIdle, WarmRunners } from '../../core/notebook/warmRunners';
import type { Engine } from '../../core/engine/engine';
import { projectDirFor } from '../../core/project/projectLayout';
import type { CommandContext } from '../commands';
import { chooseProfile, decideCpu, imageFor, planFor } from '../run/runModel';

type ImageChoice =
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

/** The image choice last used per notebook, for Re-run. */
const lastChoice = new Map<string, ImageChoice>();

/** Containers started ahead of time for the next comparison, for the engine in use. */
let warm: { readonly engine: Engine; readonly runners: WarmRunners } | undefined;

function warmRunners(ctx: CommandContext): WarmRunners | undefined {
  const engine = ctx.session.requireEngine();
  if (!ctx.config.compare.keepWarm || warm?.engine !== engine) {
    void warm?.runners.dispose();
    warm = undefined;
  }
  if (!ctx.config.compare.keepWarm) return undefined;
  if (!warm) {
    const runners = new WarmRunners(engine, DEFAULT_IDLE_SECONDS, (err) =>
      ctx.log.warn(`Could not start the next comparison's container ahead of time: ${err instanceof Error ? err.message : String(err)}`),
    );
    warm = { engine, runners };
    // waiting containers whose runner gave up in an earlier session
    void sweepIdle(engine).catch(() => undefined);
  }
  return warm.runners;
}

/** Remove the containers waiting for a next comparison (on deactivation: VS Code waits for it). */
export async function disposeWarmRunners(): Promise<void> {
  const runners = warm?.runners;
  warm = undefined;
  await runners?.dispose();
}

/** The notebook a command invocation is about: Explorer, notebook toolbar, active editor, or a pick. */
async function notebookUri(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'object' && arg !== null) {
    const fromToolbar = (arg as { notebookEditor?: { notebookUri?: unknown } }).notebookEditor?.notebookUri;
    if (fromToolbar instanceof vscode.Uri) return fromToolbar;
    const fromEditor = (arg as { notebook?: { uri?: unknown } }).notebook?.uri;
    if (fromEditor instanceof vscode.Uri) return fromEditor;
  }
  const active = vscode.window.activeNotebookEditor?.notebook.uri ?? vscode.window.activeTextEditor?.document.uri;
  if (active?.fsPath.endsWith('.ipynb')) return active;
  const found = await vscode.workspace.findFiles('**/*.ipynb', '**/{node_modules,.ipynb_checkpoints,.venv}/**', 200);
  if (found.length === 0) throw new Error('There is no notebook (.ipynb) in this workspace to compare.');
  if (found.length === 1) return found[0];
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Compare which notebook with the container?' },
  );
  return picked?.uri;
}

/** The comparison reads the file on disk: offer to save unsaved changes first. */
async function saveIfDirty(uri: vscode.Uri): Promise<boolean> {
  const doc = vscode.workspace.notebookDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!doc?.isDirty) return true;
  const choice = await vscode.window.showWarningMessage(
    `${path.basename(uri.fsPath)} has unsaved changes. The comparison uses the saved file and its saved outputs.`,
    'Save and Compare',
    'Compare Saved Version',
  );
  if (choice === 'Save and Compare') return doc.save();
  return choice === 'Compare Saved Version';
}

const hasProject = (dir: string): boolean => fs.existsSync(path.join(dir, 'berth.yaml')) || fs.existsSync(path.join(dir, 'Dockerfile'));

async function pickImage(ctx: CommandContext, projectDir: string): Promise<ImageChoice | undefined> {
  const engine = ctx.session.requireEngine();
  const [images, containers] = await Promise.all([engine.listImages(), engine.listContainers({ filters: { status: ['running'] } })]);
  type Item = vscode.QuickPickItem & { choice?: ImageChoice };
  const items: Item[] = [];
  if (hasProject(projectDir))
    items.push({ label: '$(tools) Project image', description: 'built from the Dockerfile and run profile', choice: { kind: 'project' } });
  const tags = images.flatMap((i) => i.tags).sort();
  if (tags.length > 0) items.push({ label: 'Images', kind: vscode.QuickPickItemKind.Separator });
  for (const ref of tags) items.push({ label: ref, choice: { kind: 'image', ref } });
  if (containers.length > 0) items.push({ label: 'Running containers (compared in a snapshot)', kind: vscode.QuickPickItemKind.Separator });
  for (const c of containers) {
    items.push({ label: `$(vm-running) ${c.name}`, description: c.image, choice: { kind: 'container', id: c.id, name: c.name } });
  }
  if (items.length === 0) throw new Error('There are no images to run the notebook in: build the project image or pull one with Python.');
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Compare the notebook in which image?',
    placeHolder: 'The image needs python3 and the packages the notebook imports',
  });
  return picked?.choice;
}

async function resolveImage(
  ctx: CommandContext,
  choice: ImageChoice,
  projectDir: string,
  notebook: string,
): Promise<ResolvedImage | undefined> {
  const engine = ctx.session.requireEngine();
  if (choice.kind === 'image') return { image: choice.ref, label: choice.ref };
  if (choice.kind === 'container') {
    // a snapshot, so the comparison does not disturb the running container
    const snapshot = await snapshotContainer(engine, choice.id);
    return { image: snapshot.image, label: `snapshot of ${choice.name}`, cleanup: snapshot.remove };
  }
  const profile = await chooseProfile(ctx, projectDir, notebook);
  if (!profile) return undefined;
  const state = ctx.session.state;
  const gpu = state.kind === 'connected' ? state.gpu : undefined;
  const forceCpu = await decideCpu(ctx, projectDir, profile, gpu);
  if (forceCpu === undefined) return undefined;
  const image = await imageFor(ctx, profile, projectDir);
  if (!image) return undefined;
  const base = planFor(
    { ...profile, ports: [], healthcheck: { kind: 'none' }, restart: { name: 'no' } },
    { image, projectDir, gpu, forceCpu },
  );
  return { image, label: `${image} (profile ${profile.name})`, base };
}

function settingsFrom(ctx: CommandContext): CompareSettings {
  const c = ctx.config.compare;
  return {
    ...DEFAULT_SETTINGS,
    tolerance: { rtol: c.rtol, atol: c.atol },
    pixelRatio: c.pixelRatio,
    compareStderr: c.compareStderr,
    timeoutSeconds: c.timeoutSeconds,
  };
}

async function localEnvironment(ctx: CommandContext, uri: vscode.Uri, modules: readonly string[]): Promise<PythonEnvironment | undefined> {
  const interpreter = await localInterpreter(uri, ctx.config.compare.localPython);
  if (!interpreter) return undefined;
  try {
    return await probeLocalPython(interpreter.path, modules);
  } catch (err) {
    ctx.log.warn(`Could not read the local interpreter ${interpreter.path} (from ${interpreter.source}): ${(err as Error).message}`);
    return undefined;
  }
}

/** One comparison run into a panel; errors are shown in the panel and rethrown for the notification. */
async function run(ctx: CommandContext, uri: vscode.Uri, panel: ComparePanel, choice: ImageChoice): Promise<void> {
  const signal = panel.begin();
  const notebook = uri.fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) throw new Error(`${notebook} is not in an open workspace folder: open its folder to compare it.`);
  const workspaceDir = folder.uri.fsPath;
  const projectDir = projectDirFor(notebook, workspaceDir);
  let resolved: ResolvedImage | undefined;
  try {
    const state = ctx.session.state;
    if (state.kind === 'connected' && !isLocalEndpoint(state.endpoint))
      throw new NotebookRunError(
        `The engine at ${state.endpoint.host} is not on this machine: the comparison mounts the workspace into the container, which needs a local engine.`,
      );
    const prepared = readNotebook(notebook);
    panel.phase(choice.kind === 'project' ? 'Building the project image…' : 'Preparing the image…');
    resolved = await resolveImage(ctx, choice, projectDir, notebook);
    if (!resolved) {
      panel.failed('No image was chosen: nothing ran.');
      return;
    }
    lastChoice.set(uri.toString(), choice);
    const local = await localEnvironment(ctx, uri, prepared.modules);
    // one private folder per notebook folder (so a container started ahead fits the next run), a subfolder per run
    const outputDir = notebookScratch(scratchRoot(), path.dirname(notebook));
    const outputRun = runName(notebook, new Date());
    pruneRuns(outputDir, KEEP_RUNS - 1);
    const total = prepared.plans.length;
    ctx.log.info(`Comparing ${notebook} in ${resolved.label}; the notebook's files go to ${path.join(outputDir, outputRun)}`);
    const image = resolved;
    // a snapshot is removed after the comparison: nothing is started ahead on it
    const runners = choice.kind === 'container' ? undefined : warmRunners(ctx);
    const report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Comparing ${path.basename(notebook)} in ${image.image}`,
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => panel.cancel());
        return runComparison(
          ctx.session.requireEngine(),
          {
            notebookPath: notebook,
            workspaceDir,
            image: image.image,
            settings: settingsFrom(ctx),
            outputDir,
            outputRun,
            ...(image.base ? { base: image.base } : {}),
            ...(local ? { local } : {}),
            prepared,
            ...(runners ? { warm: runners } : {}),
          },
          {
            signal,
            onPlan: (plans) => panel.start(image.label, plans, local ? `${local.python} (${local.executable ?? 'local'})` : undefined),
            onCellStart: (plan, done) => {
              progress.report({ message: `cell ${plan.ordinal} of ${total}` });
              panel.cellRunning(plan.index, done, total);
            },
            onCell: (c, done) => {
              progress.report({ increment: 100 / Math.max(1, total) });
              panel.row(c, done, total);
            },
            onEnvironment: (rows) => panel.environment(rows),
          },
        );
      },
    );
    panel.done(report);
    const s = report.summary;
    ctx.log.info(
      `Comparison of ${notebook}: ${s.identical} identical, ${s.withinTolerance} within tolerance, ${s.differs} differ, ${s.errors} errors, ${s.notRun} not run — ${report.message}`,
    );
    for (const difference of describeDifferences(report.environment)) ctx.log.info(`environment: ${difference}`);
    for (const line of report.stray) ctx.log.warn(`runner: ${line}`);
    vscode.window.setStatusBarMessage(
      `Berth: ${path.basename(notebook)} ${report.passed ? 'matches the container' : 'differs in the container'}`,
      8000,
    );
  } catch (err) {
    panel.failed(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    await resolved?.cleanup?.();
  }
}

/**
 * "Compare Notebook with Container": run the notebook's code cells in the project's image (or a
 * chosen image, or a snapshot of a running container) and show, cell by cell, where the results
 * differ from the saved ones and how the environments differ.
 */
export async function compareNotebook(ctx: CommandContext, ...args: unknown[]): Promise<ComparePanel | undefined> {
  if (!vscode.workspace.isTrusted) throw new Error('Comparing runs code from this workspace: trust it first (Manage Workspace Trust).');
  const uri = await notebookUri(args[0]);
  if (!uri) return undefined;
  if (!(await saveIfDirty(uri))) return undefined;
  // a notebook Berth cannot read is reported before anything is built
  readNotebook(uri.fsPath);
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) throw new Error(`${uri.fsPath} is not in an open workspace folder: open its folder to compare it.`);
  const projectDir = projectDirFor(uri.fsPath, folder.uri.fsPath);

  const configured = ctx.config.compare.image;
  let choice: ImageChoice | undefined =
    lastChoice.get(uri.toString()) ??
    (configured ? { kind: 'image', ref: configured } : hasProject(projectDir) ? { kind: 'project' } : undefined);
  choice ??= await pickImage(ctx, projectDir);
  if (!choice) return undefined;

  const report = (err: unknown): void => {
    ctx.log.error('Compare notebook failed', err);
    void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err), 'Show Log').then((c) => {
      if (c) ctx.log.show(true);
    });
  };
  const panel: ComparePanel = ComparePanel.show(ctx, uri, {
    rerun: () => {
      const again = lastChoice.get(uri.toString()) ?? choice;
      if (again) void run(ctx, uri, panel, again).catch(report);
    },
    changeImage: () =>
      void pickImage(ctx, projectDir)
        .then((picked) => (picked ? run(ctx, uri, panel, picked) : undefined), report)
        .catch(report),
  });
  await run(ctx, uri, panel, choice);
  return panel;
}
