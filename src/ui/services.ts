import * as vscode from 'vscode';
import { Config } from './config';
import { EngineSession } from './engine/engineSession';
import { StatsHub } from './stats/statsHub';
import { LiveContainers } from './containers/liveContainers';
import { BuildKitFinder } from '../core/build/dockerCli';
import { BuildOutput } from './build/buildOutput';
import { RunProfiles } from './run/profiles';
import { ProjectRuns } from './run/projectRuns';
import { NotebookComparisons } from './compare/notebookComparisons';
import { Playgrounds } from './playground/playgroundPanel';
import { Registries } from './registries/registries';
import { ScanResults } from './scan/scanResults';
import { ComposeProjects } from './compose/composeProjects';
import { EngineContexts } from './engine/engineContexts';
import { FleetMonitor } from './fleet/fleetMonitor';
import { FleetDashboard } from './fleet/fleetDashboard';

/** What every feature of the VS Code layer may use; built once in activate. */
export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly config: Config;
  /** The engine connection; what lives as long as one connection goes in `session.connection`. */
  readonly session: EngineSession;
  /** The live container model, shared by the tree, logs and inspect documents. */
  readonly containers: LiveContainers;
  /** Live stats streams, shared by the stats panel and the tree. */
  readonly stats: StatsHub;
  /** The Berth Build output. */
  readonly buildOutput: BuildOutput;
  /** The docker CLI that builds with BuildKit, found once per engine endpoint. */
  readonly buildKit: BuildKitFinder;
  /** berth.yaml profiles, their problems in the Problems view. */
  readonly profiles: RunProfiles;
  /** Running a project's profile: profile → image → plan → GPU or CPU → start. */
  readonly runs: ProjectRuns;
  /** Notebook comparisons: panels, image choices, scratch folders, containers started ahead. */
  readonly comparisons: NotebookComparisons;
  /** The inference playgrounds, one per container. */
  readonly playgrounds: Playgrounds;
  /** Registries and their credentials (docker credential store or SecretStorage), remembered repositories, model digests. */
  readonly registries: Registries;
  /** Image scans: the Scan Results view and the summaries on Dockerfiles' FROM lines. */
  readonly scans: ScanResults;
  /** Compose projects: the workspace's compose files and the engine's projects, the Compose CLI, `config` problems. */
  readonly compose: ComposeProjects;
  /** The docker contexts (the Engines view): listed with Berth's engine settings, added and removed. */
  readonly engineContexts: EngineContexts;
  /** The fleet model of the connection (every model container's figures), running while the dashboard or the alerts use it. */
  readonly fleet: FleetMonitor;
  /** The Fleet dashboard panel. */
  readonly fleetDashboard: FleetDashboard;
}

export function createServices(context: vscode.ExtensionContext): Services {
  const log = vscode.window.createOutputChannel('Berth', { log: true });
  const config = new Config();
  const session = new EngineSession(config, log);
  const containers = new LiveContainers({ session, config, log });
  const stats = new StatsHub(log, containers);
  const buildOutput = new BuildOutput();
  const buildKit = new BuildKitFinder();
  const profiles = new RunProfiles();
  const runs = new ProjectRuns({ context, session, log, config, profiles, buildOutput, buildKit, containers });
  const comparisons = new NotebookComparisons({ context, log, config, session, runs });
  const registries = new Registries(context);
  const scans = new ScanResults({ config, log });
  const compose = new ComposeProjects({ session, log, config, containers });
  const engineContexts = new EngineContexts(config);
  const fleet = new FleetMonitor({ containers, session, log });
  const fleetDashboard = new FleetDashboard(fleet);
  const playgrounds = new Playgrounds({ context, log, session, fleet });
  context.subscriptions.push(
    log,
    session,
    containers,
    stats,
    buildOutput,
    profiles,
    comparisons,
    playgrounds,
    registries,
    scans,
    compose,
    engineContexts,
    fleet,
    fleetDashboard,
  );
  return {
    context,
    log,
    config,
    session,
    containers,
    stats,
    buildOutput,
    buildKit,
    profiles,
    runs,
    comparisons,
    playgrounds,
    registries,
    scans,
    compose,
    engineContexts,
    fleet,
    fleetDashboard,
  };
}

/**
 * What deactivation waits for: VS Code awaits deactivate's promise, not the subscriptions'
 * disposals. Comparisons end and the connection's cleanups finish (containers started ahead are
 * removed).
 */
export async function shutdownServices(services: Services): Promise<void> {
  await Promise.all([services.comparisons.dispose(), services.session.dispose()]);
}

/**
 * The services of the running extension, for deactivate: VS Code calls it with nothing, so the
 * extension's entry module keeps this one holder (rust-analyzer keeps its Ctx the same way).
 */
export class ActiveServices {
  private services: Services | undefined;

  start(services: Services): Services {
    this.services = services;
    return services;
  }

  stop(): Promise<void> {
    const services = this.services;
    this.services = undefined;
    return services ? shutdownServices(services) : Promise.resolve();
  }
}
