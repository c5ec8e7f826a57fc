import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CancelledError, GpuUnavailableError, NotFoundError, PortInUseError } from '../../core/engine/errors';
import { debugProfile, pathMappings } from '../../core/project/debugRun';
import { containerOutput, DebugpyUnavailableError, waitForDebugpy } from '../../core/project/debugpyServer';
import { batchUser, runContainerName } from '../../core/project/projectRun';
import { projectDirFor } from '../../core/project/projectLayout';
import type { PreparedRun } from '../run/projectRuns';
import type { Services } from '../services';

/** Berth's debug type: debugpy in the profile's container, its server as the debug adapter. */
export const DEBUG_TYPE = 'berth-python';

/** How long debugpy may take to listen once the container started. */
const DEBUGPY_TIMEOUT_MS = 60_000;

/** A `berth-python` launch configuration, as launch.json or Debug in Container writes it. */
export interface BerthDebugConfiguration extends vscode.DebugConfiguration {
  /** The Python file to run; default the active editor's. */
  program?: string;
  /** The berth.yaml profile whose image, env, limits and GPU the run uses; asked when there are several. */
  profile?: string;
  /** The host port for debugpy on 127.0.0.1; default any free one. */
  hostPort?: number;
  justMyCode?: boolean;
  pathMappings?: { localRoot: string; remoteRoot: string }[];
  /** Set by Berth once the container runs: which run this session attaches to. */
  berthRun?: string;
}

interface LiveRun {
  readonly container: string;
  readonly name: string;
  readonly route: { readonly host: string; readonly port: number };
}

type DebugServices = Pick<Services, 'session' | 'log' | 'runs'>;

/**
 * The containers of Debug in Container: started (profile → image → the file under debugpy, the
 * project at /workspace, debugpy's port on 127.0.0.1) before a session attaches, the address its
 * adapter connects to, and removed when the session ends (or Berth stops).
 */
export class DebugRuns implements vscode.Disposable {
  private readonly live = new Map<string, LiveRun>();

  constructor(private readonly services: DebugServices) {}

  /**
   * The container of a resolved configuration started and debugpy taking connections: the
   * configuration as debugpy's attach arguments (path mappings, justMyCode), with the run's key.
   * Undefined: the user backed out.
   */
  async start(folder: vscode.WorkspaceFolder | undefined, config: BerthDebugConfiguration): Promise<BerthDebugConfiguration | undefined> {
    if (!vscode.workspace.isTrusted)
      throw new Error(vscode.l10n.t('Debugging runs code from this workspace: trust it first (Manage Workspace Trust).'));
    const engine = this.services.session.requireEngine();
    const program = typeof config.program === 'string' && config.program !== '' ? config.program : undefined;
    if (program === undefined || !program.endsWith('.py'))
      throw new Error(
        vscode.l10n.t('Debug in Container runs a Python file: open one (or set "program" in the launch configuration) first.'),
      );
    const root = folder?.uri.fsPath ?? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(program))?.uri.fsPath;
    if (root === undefined) throw new Error(vscode.l10n.t('{0} is not in an open folder: open its project first.', program));
    const projectDir = projectDirFor(program, root);
    const hostPort = validPort(config.hostPort);

    const runs = this.services.runs;
    const base = await runs.chooseProfile(projectDir, program, config.profile);
    if (!base) return undefined;
    const state = this.services.session.state;
    const local = state.kind === 'connected' && state.endpoint.host.startsWith('unix://');
    const profile = batchUser(
      debugProfile(base, projectDir, { program, ...(hostPort ? { hostPort } : {}) }),
      local,
      process.getuid?.(),
      process.getgid?.(),
    );
    // the GPU answer is remembered under the base profile's name
    const run = await runs.prepare(projectDir, profile, base.name);
    if (!run) return undefined;
    const name = runContainerName(profile, projectDir);
    await runs.clearPrevious(name);

    const id = await this.startContainer(run, name);
    if (id === undefined) return undefined;
    const key = crypto.randomUUID();
    try {
      this.services.log.info(`Debug in Container: ${name} (${run.image}) runs ${path.relative(projectDir, program)} under debugpy`);
      const route = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: vscode.l10n.t('Debug in Container: waiting for debugpy in {0}', name),
          cancellable: true,
        },
        async (_progress, token) => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          try {
            return await waitForDebugpy(engine, id, { timeoutMs: DEBUGPY_TIMEOUT_MS, image: run.image, signal: controller.signal });
          } catch (err) {
            if (err instanceof CancelledError) return undefined;
            throw err;
          }
        },
      );
      if (!route) {
        await this.remove(id);
        return undefined;
      }
      this.services.log.info(
        `Debug in Container: debugpy in ${name} takes connections on ${route.published.host}:${route.published.port}${route.via ? ` (${route.via})` : ''}`,
      );
      this.live.set(key, { container: id, name, route: { host: route.host, port: route.port } });
    } catch (err) {
      if (err instanceof DebugpyUnavailableError && err.output !== '') this.services.log.error(`${name} printed:\n${err.output}`);
      await this.remove(id);
      throw err;
    }
    return {
      ...config,
      program,
      justMyCode: config.justMyCode ?? true,
      pathMappings: config.pathMappings ?? pathMappings(projectDir),
      berthRun: key,
    };
  }

  /** Create and start, offering the CPU when the engine refuses the GPU; a taken port says what to change. */
  private async startContainer(run: PreparedRun, name: string): Promise<string | undefined> {
    const start = (forceCpu: boolean): Promise<string | undefined> => this.services.runs.startPlanned(run, { name, forceCpu });
    try {
      return await start(run.forceCpu);
    } catch (err) {
      if (err instanceof GpuUnavailableError) {
        if (
          !(await this.services.runs.offerCpu(run.projectDir, run.profile.name, vscode.l10n.t('the engine refused it: {0}', err.message)))
        )
          return undefined;
        return start(true);
      }
      if (err instanceof PortInUseError)
        throw new Error(
          vscode.l10n.t(
            'Cannot start {0}: port {1} on {2} is in use. Set "hostPort" in the launch configuration to a free port, or leave it out for any free one.',
            name,
            err.port ?? '',
            err.hostIp ?? '127.0.0.1',
          ),
          { cause: err },
        );
      throw err;
    }
  }

  /** The adapter of a session: debugpy's server, at the address that reaches its published port. */
  adapterFor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const key = (session.configuration as BerthDebugConfiguration).berthRun;
    const run = key === undefined ? undefined : this.live.get(key);
    if (!run || key === undefined)
      throw new Error(vscode.l10n.t('This debug session has no container: start it with Berth: Debug in Container.'));
    this.services.log.info(`Debug in Container: attaching to debugpy in ${run.name} at ${run.route.host}:${run.route.port}`);
    void this.watch(key, run, session);
    return new vscode.DebugAdapterServer(run.route.port, run.route.host);
  }

  /**
   * The container ending while its session lives (the program crashed, debugpy gave up): said in
   * the log with its output, and the session stopped, whose end removes the container.
   */
  private async watch(key: string, run: LiveRun, session: vscode.DebugSession): Promise<void> {
    let exitCode: number;
    try {
      exitCode = await this.services.session.requireEngine().waitContainer(run.container);
    } catch {
      return; // removed, or the engine went away
    }
    if (!this.live.has(key)) return; // the session ended first
    const output = await containerOutput(this.services.session.requireEngine(), run.container).catch(() => '');
    this.services.log.info(`Debug in Container: ${run.name} exited with code ${exitCode}${output ? `; it printed:\n${output}` : ''}`);
    await vscode.debug.stopDebugging(session);
  }

  /** The session ended: its container stops and is removed (what it printed went to the Debug Console). */
  async ended(session: vscode.DebugSession): Promise<void> {
    if (session.type !== DEBUG_TYPE) return;
    const key = (session.configuration as BerthDebugConfiguration).berthRun;
    const run = key === undefined ? undefined : this.live.get(key);
    if (!run || key === undefined) return;
    this.live.delete(key);
    this.services.log.info(`Debug in Container: the session ended; removing ${run.name}`);
    await this.remove(run.container);
  }

  private async remove(id: string): Promise<void> {
    try {
      await this.services.session.requireEngine().removeContainer(id, { force: true, volumes: true });
    } catch (err) {
      if (!(err instanceof NotFoundError)) this.services.log.warn(`Debug in Container: could not remove container ${id}: ${String(err)}`);
    }
  }

  dispose(): void {
    const runs = [...this.live.values()];
    this.live.clear();
    for (const run of runs) void this.remove(run.container);
  }
}

function validPort(value: unknown): number | undefined {
  if (value === undefined || value === null || value === 0) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65_535)
    throw new Error(
      vscode.l10n.t('"hostPort" in the launch configuration must be a port number (1–65535); it is {0}.', JSON.stringify(value)),
    );
  return value;
}
