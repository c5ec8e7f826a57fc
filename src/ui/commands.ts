import * as vscode from 'vscode';
import { EngineError } from '../core/engine/errors';
import type { Services } from './services';
import type { Trees } from './registerTrees';
import { attachShell, attachVsCode } from './containers/attachShell';
import {
  copyContainerId,
  copyContainerName,
  killContainer,
  removeContainer,
  restartContainer,
  startContainer,
  stopContainer,
} from './containers/actions';
import { clearContainerFilter, filterContainers, refreshContainers } from './containers/filterContainers';
import { inspectContainer } from './containers/inspect';
import { openPlayground } from './playground/openPlayground';
import { compareContainersAb } from './playground/compareContainersAb';
import { openPort } from './containers/openPort';
import { showLogs, showLogsWithOptions } from './logs/showLogs';
import { showStats } from './stats/showStats';
import { buildImageCommand } from './build/buildImage';
import { forgetBuildSecrets } from './build/buildSecrets';
import { removeImage } from './images/removeImage';
import { pruneBuildCache, pruneDanglingImages } from './images/pruneImages';
import { pruneUnusedVolumes, removeVolume } from './images/removeVolume';
import { scanImage } from './scan/scanImage';
import { compareNotebookCommand } from './compare/compareNotebook';
import { editRunProfiles } from './run/editRunProfiles';
import { runBatchJobCommand } from './run/runBatchJob';
import { runModel } from './run/runModel';
import { showEngineInfo } from './engine/engineInfo';
import { retryEngineConnection, showLog } from './engine/connectionCommands';
import { addSshHost, refreshEngines, removeEngineContext, useEngine } from './engine/engineContexts';
import { logIn, logOut } from './registries/loginCommands';
import {
  addRepositoryCommand,
  deleteTagCommand,
  pullImageCommand,
  pushImageCommand,
  refreshRegistries,
  tagImageCommand,
} from './registries/imageCommands';
import { pushReleaseCommand } from './registries/pushRelease';
import { loginTargetOf } from './registries/registryErrors';
import { newAiStack } from './compose/newStack';
import {
  composeBuild,
  composeDown,
  composeOpenFile,
  composePull,
  composeRestartService,
  composeScaleService,
  composeShowLogs,
  composeStartService,
  composeStopService,
  composeUp,
  composeUpServices,
} from './compose/composeCommands';
import { forgetGpuChoices } from './compose/gpuChoice';
import { openSearchResult, searchContainerLogs } from './logsearch/searchContainerLogs';
import { debugInContainer } from './debug/debugInContainer';

/** What a command handler receives: the services and the registered views. */
export type CommandContext = Services & { readonly trees: Trees };

type Handler = (ctx: CommandContext, ...args: unknown[]) => unknown;

/** Every command, in one table. IDs read berth.<noun>.<verb>. */
const COMMANDS: Readonly<Record<string, Handler>> = {
  'berth.engine.showInfo': showEngineInfo,
  'berth.engine.retry': retryEngineConnection,
  'berth.log.show': showLog,
  'berth.engines.addSshHost': addSshHost,
  'berth.engines.use': useEngine,
  'berth.engines.removeContext': removeEngineContext,
  'berth.engines.refresh': refreshEngines,
  'berth.containers.refresh': refreshContainers,
  'berth.containers.filter': filterContainers,
  'berth.containers.clearFilter': clearContainerFilter,
  'berth.container.start': startContainer,
  'berth.container.stop': stopContainer,
  'berth.container.restart': restartContainer,
  'berth.container.kill': killContainer,
  'berth.container.remove': removeContainer,
  'berth.container.showLogs': showLogs,
  'berth.container.showLogsWithOptions': showLogsWithOptions,
  'berth.container.showStats': showStats,
  'berth.container.attachShell': attachShell,
  'berth.container.attachVsCode': attachVsCode,
  'berth.container.inspect': inspectContainer,
  'berth.container.openPort': openPort,
  'berth.container.openPlayground': openPlayground,
  'berth.fleet.show': (ctx) => ctx.fleetDashboard.show(ctx),
  'berth.container.compareAb': compareContainersAb,
  'berth.container.copyId': copyContainerId,
  'berth.container.copyName': copyContainerName,
  'berth.images.refresh': (ctx) => ctx.trees.images.reload(),
  'berth.image.build': buildImageCommand,
  'berth.build.forgetSecrets': forgetBuildSecrets,
  'berth.model.run': runModel,
  'berth.profile.edit': editRunProfiles,
  'berth.model.runBatch': runBatchJobCommand,
  'berth.notebook.compare': compareNotebookCommand,
  'berth.image.remove': removeImage,
  'berth.images.pruneDangling': pruneDanglingImages,
  'berth.images.pruneBuildCache': pruneBuildCache,
  'berth.volumes.refresh': (ctx) => ctx.trees.volumes.reload(),
  'berth.image.push': pushImageCommand,
  'berth.image.tag': tagImageCommand,
  'berth.image.pull': pullImageCommand,
  'berth.registries.refresh': refreshRegistries,
  'berth.registry.login': logIn,
  'berth.registry.logout': logOut,
  'berth.registry.addRepository': addRepositoryCommand,
  'berth.registry.deleteTag': deleteTagCommand,
  'berth.release.push': pushReleaseCommand,
  'berth.volume.remove': removeVolume,
  'berth.volumes.pruneUnused': pruneUnusedVolumes,
  'berth.image.scan': scanImage,
  'berth.scanResults.clear': (ctx) => ctx.scans.clear(),
  'berth.stack.new': newAiStack,
  'berth.compose.up': composeUp,
  'berth.compose.upServices': composeUpServices,
  'berth.compose.down': composeDown,
  'berth.compose.build': composeBuild,
  'berth.compose.pull': composePull,
  'berth.compose.startService': composeStartService,
  'berth.compose.stopService': composeStopService,
  'berth.compose.restartService': composeRestartService,
  'berth.compose.scaleService': composeScaleService,
  'berth.compose.showLogs': composeShowLogs,
  'berth.compose.openFile': composeOpenFile,
  'berth.compose.forgetGpuChoice': forgetGpuChoices,
  'berth.logs.search': searchContainerLogs,
  'berth.logSearch.openResult': openSearchResult,
  'berth.logSearch.cancel': (ctx) => ctx.trees.logSearch.cancel(),
  'berth.logSearch.clear': (ctx) => ctx.trees.logSearch.clear(),
  'berth.debug.inContainer': debugInContainer,
};

/** One short, actionable message for the user; the full error goes to the log. */
export async function reportError(services: Services, command: string, err: unknown): Promise<void> {
  services.log.error(`${command} failed`, err);
  const message = err instanceof Error ? err.message : String(err);
  const showLog = vscode.l10n.t('Show Log');
  const retry = vscode.l10n.t('Retry');
  const logIn = vscode.l10n.t('Log In…');
  // a refused credential offers to log in to that registry
  const login = loginTargetOf(err);
  const actions =
    login !== undefined
      ? [logIn, showLog]
      : err instanceof EngineError && (err.code === 'unreachable' || err.code === 'timeout')
        ? [retry, showLog]
        : [showLog];
  const choice = await vscode.window.showErrorMessage(message, ...actions);
  if (choice === showLog) services.log.show(true);
  else if (choice === retry) await vscode.commands.executeCommand('berth.engine.retry');
  else if (choice === logIn) await vscode.commands.executeCommand('berth.registry.login', login);
}

export function registerCommands(services: Services, trees: Trees): void {
  const ctx: CommandContext = { ...services, trees };
  for (const [id, handler] of Object.entries(COMMANDS)) {
    services.context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          // a command run while Berth is still connecting waits for that first
          await services.session.whenSettled();
          return await handler(ctx, ...args);
        } catch (err) {
          await reportError(services, id, err);
          return undefined;
        }
      }),
    );
  }
}
