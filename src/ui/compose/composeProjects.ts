import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { composeEnv, detectCompose, type ComposeCli } from '../../core/compose/composeCli';
import { configArgs, type ComposeCommand, type ComposeTarget } from '../../core/compose/composeArgs';
import { ComposeCommandError, runCompose, type RunResult } from '../../core/compose/composeRun';
import { projectFromConfig, type ComposeProject } from '../../core/compose/composeModel';
import { configDiagnostics } from '../../core/compose/composeDiagnostics';
import {
  COMPOSE_FILE_GLOB,
  fileProject,
  isComposeFile,
  labelledProjects,
  labelledTarget,
  type FileProject,
} from '../../core/compose/composeProjects';
import type { Services } from '../services';

const IGNORED = '**/{node_modules,.git,.vscode-test}/**';
const readOrUndefined = (f: string): string | undefined => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

/** A project Berth can act on: how to reach it, and its model once `config` has answered. */
export interface KnownProject {
  readonly name: string;
  readonly target: ComposeTarget;
  /** The compose file the user edits, when it is in the workspace (or named by the labels). */
  readonly file?: string;
  readonly dir?: string;
  readonly model?: ComposeProject;
  /** Why `config` failed, in one line. */
  readonly error?: string;
  /** Whether the error is the file's (shown in the Problems view) or Compose's own (no CLI, it could not run). */
  readonly errorIn?: 'file' | 'compose';
}

type ProjectsServices = Pick<Services, 'session' | 'log' | 'config' | 'containers'>;

/**
 * The Compose projects of the window: the workspace's compose files (each read with `config`,
 * its errors in the Problems view at their line) and the projects of the engine's containers
 * (reached through the files their labels name). The Compose CLI is found once per engine
 * endpoint; every command runs through `run`, which logs its argv and output.
 */
export class ComposeProjects implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('berth-compose');
  private readonly files = new Map<string, KnownProject>();
  private readonly labelled = new Map<string, KnownProject>();
  private readonly disposables: vscode.Disposable[] = [this.changed, this.diagnostics];
  private cliFor: { key: string; cli: Promise<ComposeCli> } | undefined;
  private scanned: Promise<void> | undefined;
  private readonly reading = new Map<string, NodeJS.Timeout>();
  /** Projects watched for failures after an Up (their crash loops are told by that watch). */
  private readonly watched = new Map<string, number>();

  constructor(private readonly services: ProjectsServices) {
    const watcher = vscode.workspace.createFileSystemWatcher(COMPOSE_FILE_GLOB);
    const changedFile = (uri: vscode.Uri): void => this.scheduleRead(uri.fsPath);
    this.disposables.push(
      watcher,
      watcher.onDidCreate(changedFile),
      watcher.onDidChange(changedFile),
      watcher.onDidDelete((uri) => this.forget(uri.fsPath)),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (isComposeFile(d.uri.fsPath)) this.scheduleRead(d.uri.fsPath, 0);
      }),
      services.containers.onDidChange(() => this.updateLabelled()),
      services.session.onDidChange(() => {
        this.cliFor = undefined;
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.rescan()),
    );
  }

  /** A watch after an Up begins (true) or ends (false) for `project`. */
  watchingAfterUp(project: string, on: boolean): void {
    const n = (this.watched.get(project) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.watched.set(project, n);
    else this.watched.delete(project);
  }

  /** Whether a watch after an Up tells `project`'s failures now. */
  isWatchedAfterUp(project: string): boolean {
    return this.watched.has(project);
  }

  /** The workspace's compose files, read once (later changes come from the watcher). */
  scan(): Promise<void> {
    this.scanned ??= this.rescan();
    return this.scanned;
  }

  private async rescan(): Promise<void> {
    const found = await vscode.workspace.findFiles(COMPOSE_FILE_GLOB, IGNORED, 200);
    await Promise.all(found.filter((u) => isComposeFile(u.fsPath)).map((u) => this.read(u.fsPath)));
  }

  /** Every project known, by name: workspace files first, then projects known from labels alone. */
  all(): KnownProject[] {
    const byName = new Map<string, KnownProject>();
    for (const p of this.files.values()) if (!byName.has(p.name)) byName.set(p.name, p);
    for (const p of this.labelled.values()) if (!byName.has(p.name)) byName.set(p.name, p);
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The workspace projects (those shown even with no container). */
  workspaceProjects(): KnownProject[] {
    return [...this.files.values()];
  }

  get(name: string): KnownProject | undefined {
    return [...this.files.values()].find((p) => p.name === name) ?? this.labelled.get(name);
  }

  /** The project of a compose file (read now if it was not yet). */
  async forFile(file: string): Promise<KnownProject> {
    return this.files.get(file) ?? (await this.read(file));
  }

  /** The Compose CLI for the connected engine, found once per endpoint. */
  cli(): Promise<ComposeCli> {
    const state = this.services.session.state;
    const key = state.kind === 'connected' ? `${state.endpoint.host}\n${this.services.config.build.dockerPath}` : '';
    if (this.cliFor?.key !== key) {
      const docker = this.services.config.build.dockerPath;
      const cli = detectCompose({ env: this.env(), ...(docker ? { docker } : {}) });
      cli.then(
        (c) => this.services.log.info(`Compose: ${c.description}`),
        (err: unknown) => {
          this.services.log.warn(`Compose: ${err instanceof Error ? err.message : String(err)}`, err);
          if (this.cliFor?.cli === cli) this.cliFor = undefined;
        },
      );
      this.cliFor = { key, cli };
    }
    return this.cliFor.cli;
  }

  /** The environment Compose runs in: the connected engine's endpoint. */
  env(): Record<string, string> {
    const state = this.services.session.state;
    const base = process.env;
    if (state.kind !== 'connected') {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
      return env;
    }
    return composeEnv(state.endpoint, base);
  }

  /** Run a Compose command for a project, its argv and every output line in the Berth log. */
  async run(
    cmd: ComposeCommand,
    project: KnownProject,
    options: { signal?: AbortSignal; onLine?: (line: string) => void } = {},
  ): Promise<RunResult> {
    const log = this.services.log;
    log.info(`compose ${cmd.verb} (${project.name}): ${[cmd.file, ...cmd.args].join(' ')}`);
    try {
      return await runCompose(cmd, {
        env: this.env(),
        ...(project.dir ? { cwd: project.dir } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        services: project.model?.services.map((s) => s.name) ?? [],
        projectName: project.name,
        onLine: (line) => {
          if (line.trim() === '') return;
          log.info(`[compose ${cmd.verb}] ${line}`);
          options.onLine?.(line);
        },
      });
    } catch (err) {
      if (err instanceof ComposeCommandError) log.error(`compose ${cmd.verb} (${project.name}) failed: ${err.stderrTail}`);
      throw err;
    }
  }

  /** `config` again for a project (before an Up: the files may have changed); its model, or the error. */
  async reload(project: KnownProject): Promise<KnownProject> {
    if (project.file !== undefined && this.files.has(project.file)) return this.read(project.file);
    const cli = await this.cli();
    const { stdout } = await this.run(configArgs(cli, everyProfile(cli, project.target)), project);
    const model = projectFromConfig(stdout, cli.flavour, project.name);
    const next = { ...project, model };
    this.labelled.set(project.name, next);
    this.changed.fire();
    return next;
  }

  private scheduleRead(file: string, delayMs = 300): void {
    if (!isComposeFile(file)) return;
    clearTimeout(this.reading.get(file));
    this.reading.set(
      file,
      setTimeout(() => {
        this.reading.delete(file);
        void this.read(file);
      }, delayMs),
    );
  }

  private forget(file: string): void {
    this.diagnostics.delete(vscode.Uri.file(file));
    if (this.files.delete(file)) this.changed.fire();
  }

  /** Read one compose file with `config`: the project's model, or its errors in the Problems view. */
  private async read(file: string): Promise<KnownProject> {
    const base: FileProject = fileProject(file, readOrUndefined, fs.existsSync);
    let known: KnownProject = { name: base.name, target: base.target, file, dir: base.dir };
    const uri = vscode.Uri.file(file);
    if (!fs.existsSync(file)) {
      this.forget(file);
      return known;
    }
    // `config` reads env files and runs nothing; still, an untrusted folder's files are only listed
    if (!vscode.workspace.isTrusted) {
      this.files.set(file, known);
      this.changed.fire();
      return known;
    }
    try {
      const cli = await this.cli();
      try {
        const { stdout } = await runCompose(configArgs(cli, everyProfile(cli, base.target)), {
          env: this.env(),
          cwd: base.dir,
          timeoutMs: 60_000,
        });
        const model = projectFromConfig(stdout, cli.flavour, base.name);
        // v2 prints the name Compose chose (a top-level `name:` wins over the folder's)
        known = { ...known, name: model.name ?? base.name, target: { ...base.target, projectName: model.name ?? base.name }, model };
        this.diagnostics.delete(uri);
      } catch (err) {
        if (!(err instanceof ComposeCommandError)) throw err;
        const text = readOrUndefined(file) ?? '';
        const found = configDiagnostics(err.stderrTail, file, text, cli.flavour);
        // an override file's problem goes on that file
        for (const f of new Set(found.map((d) => d.file)))
          this.diagnostics.set(
            vscode.Uri.file(f),
            found.filter((d) => d.file === f).map((d) => diagnosticOf(d)),
          );
        known = { ...known, error: found[0]?.message ?? err.message, errorIn: 'file' };
        this.services.log.warn(`compose config ${vscode.workspace.asRelativePath(file)}: ${err.stderrTail}`);
      }
    } catch (err) {
      // no Compose CLI (or it could not run): the file is listed, the message says how to install one
      known = { ...known, error: err instanceof Error ? err.message : String(err), errorIn: 'compose' };
    }
    this.files.set(file, known);
    this.changed.fire();
    return known;
  }

  private updateLabelled(): void {
    const store = this.services.containers.current;
    const found = labelledProjects(store?.all() ?? []);
    let changed = false;
    for (const name of [...this.labelled.keys()])
      if (!found.has(name)) {
        this.labelled.delete(name);
        changed = true;
      }
    for (const [name, p] of found) {
      if (this.labelled.has(name)) continue;
      const target = labelledTarget(p, fs.existsSync) ?? { files: [], projectName: name };
      const file = p.configFiles[0];
      const known: KnownProject = {
        name,
        target,
        ...(file && fs.existsSync(file) ? { file } : {}),
        ...(p.workingDir && fs.existsSync(p.workingDir) ? { dir: p.workingDir } : {}),
      };
      this.labelled.set(name, known);
      changed = true;
      // its files are at hand and no workspace file names it: read its model, for the rows of
      // services without a container (in a trusted window only: `config` reads env files)
      if (target.files.length > 0 && vscode.workspace.isTrusted && ![...this.files.values()].some((f) => f.name === name))
        this.reload(known).catch((err: unknown) =>
          this.services.log.warn(`compose config (${name}): ${err instanceof Error ? err.message : String(err)}`),
        );
    }
    if (changed) this.changed.fire();
  }

  dispose(): void {
    for (const t of this.reading.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The target for reading the whole model: v2's `config` leaves out the services of profiles not
 * enabled, so every profile is enabled for it; v1's prints them all (with their `profiles:`).
 */
function everyProfile(cli: ComposeCli, target: ComposeTarget): ComposeTarget {
  return cli.flavour === 'v2' ? { ...target, profiles: ['*'] } : target;
}

function diagnosticOf(d: { line?: number; column?: number; message: string }): vscode.Diagnostic {
  const line = Math.max(0, (d.line ?? 1) - 1);
  const col = Math.max(0, (d.column ?? 1) - 1);
  const diag = new vscode.Diagnostic(
    new vscode.Range(line, col, line, Number.MAX_SAFE_INTEGER),
    d.message,
    vscode.DiagnosticSeverity.Error,
  );
  diag.source = vscode.l10n.t('Berth (compose config)');
  return diag;
}

/** The project folder's relative name for messages. */
export function projectWhere(p: KnownProject): string {
  return p.file ? vscode.workspace.asRelativePath(p.file) : p.dir ? path.basename(p.dir) : p.name;
}
