import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  buildArgs,
  downArgs,
  pullArgs,
  scaleArgs,
  serviceArgs,
  upArgs,
  type ComposeCommand,
  type ServiceVerb,
} from '../../core/compose/composeArgs';
import { ComposeCancelledError, ComposeCommandError, type ServiceError } from '../../core/compose/composeRun';
import { unknownProfiles, type ComposeProject } from '../../core/compose/composeModel';
import { FailureWatch, describeFailing, isComposeFile } from '../../core/compose/composeProjects';
import { COMPOSE_LABEL } from '../../core/engine/labels';
import type { ContainerRecord } from '../../core/engine/containerStore';
import type { CommandContext } from '../commands';
import { ContainerNode, GroupNode, ServiceNode } from '../containers/containersTree';
import { openLogs } from '../logs/showLogs';
import type { KnownProject } from './composeProjects';
import { gpuFreeUp } from './gpuChoice';
import { hasFsPath } from './newStack';

/** How long after an Up Berth watches for services that crash-loop or die at once. */
const WATCH_AFTER_UP_MS = 60_000;

function requireTrust(what: string): void {
  if (!vscode.workspace.isTrusted)
    throw new Error(vscode.l10n.t("{0} runs Compose on this workspace's files: trust it first (Manage Workspace Trust).", what));
}

/**
 * The project a command acts on: the clicked group, service or container, a compose file from
 * the Explorer or the editor, or — from the palette — the only project or one the user picks.
 */
async function projectOf(ctx: CommandContext, arg: unknown, title: string): Promise<KnownProject | undefined> {
  if (arg instanceof GroupNode && arg.key.kind === 'compose') return known(ctx, arg.key.project);
  if (arg instanceof ServiceNode) return known(ctx, arg.project);
  if (arg instanceof ContainerNode) {
    const name = arg.record.labels[COMPOSE_LABEL.project];
    if (name) return known(ctx, name);
  }
  const file = hasFsPath(arg) ? arg.fsPath : vscode.window.activeTextEditor?.document.uri.fsPath;
  if (file !== undefined && isComposeFile(file)) return ctx.compose.forFile(file);
  await ctx.compose.scan();
  const all = ctx.compose.all().filter((p) => p.target.files.length > 0);
  if (all.length === 0) {
    throw new Error(
      vscode.l10n.t('{0}: no Compose project here. Open a compose.yaml (or docker-compose.yml), or create one with New AI Stack.', title),
    );
  }
  if (all.length === 1) return all[0];
  const picked = await vscode.window.showQuickPick(
    all.map((p) => ({ label: p.name, description: p.file ? vscode.workspace.asRelativePath(p.file) : (p.dir ?? ''), project: p })),
    { title },
  );
  return picked?.project;
}

function known(ctx: CommandContext, name: string): KnownProject {
  const p = ctx.compose.get(name);
  if (p === undefined || p.target.files.length === 0)
    throw new Error(
      vscode.l10n.t(
        'Compose project {0}: its compose files are not at hand (not in this workspace, and the paths its containers name do not exist here). Open the folder that holds them.',
        name,
      ),
    );
  return p;
}

/** The project's model read now (the files may have changed); a config error says where to look. */
async function freshModel(ctx: CommandContext, project: KnownProject): Promise<KnownProject & { model: ComposeProject }> {
  const p = await ctx.compose.reload(project);
  if (p.model === undefined)
    throw new Error(
      p.errorIn === 'compose'
        ? vscode.l10n.t('Compose project {0}: {1}', p.name, p.error ?? vscode.l10n.t('Compose could not run'))
        : p.file
          ? vscode.l10n.t(
              'Compose project {0}: {1} (see the Problems view). Fix the file, then try again.',
              p.name,
              p.error ?? vscode.l10n.t('compose config failed'),
            )
          : vscode.l10n.t(
              'Compose project {0}: {1}. Fix the file, then try again.',
              p.name,
              p.error ?? vscode.l10n.t('compose config failed'),
            ),
    );
  return { ...p, model: p.model };
}

/** The service a command was run on: a service row, a container of a service, or one picked. */
async function serviceOf(arg: unknown, project: KnownProject & { model: ComposeProject }, title: string) {
  if (arg instanceof ServiceNode) return arg.service.name;
  if (arg instanceof ContainerNode) return arg.record.labels[COMPOSE_LABEL.service];
  const picked = await vscode.window.showQuickPick(
    project.model.services.map((s) => s.name),
    { title: vscode.l10n.t('{0}: which service of {1}?', title, project.name) },
  );
  return picked;
}

/** One line per service Compose blamed, with what to do for the failures Berth recognises. */
export function serviceErrorLines(errors: readonly ServiceError[], file: string | undefined): string[] {
  return errors.map((e) => {
    if (e.portInUse !== undefined)
      return file
        ? vscode.l10n.t(
            "{0}: host port {1} is already in use. Stop what listens there, or change the service's published port in {2}.",
            e.service,
            e.portInUse,
            path.basename(file),
          )
        : vscode.l10n.t(
            "{0}: host port {1} is already in use. Stop what listens there, or change the service's published port.",
            e.service,
            e.portInUse,
          );
    if (/could not select device driver|nvidia-container-cli|unknown or invalid runtime name: nvidia/i.test(e.message))
      return vscode.l10n.t('{0}: this engine cannot give it a GPU ({1}). Up again and choose Start Without GPU.', e.service, e.message);
    if (/pull access denied|manifest unknown|not found|no such host|repository does not exist/i.test(e.message))
      return vscode.l10n.t(
        '{0}: its image cannot be pulled ({1}). Check the image name, log in to its registry, or start the other services with Up Services….',
        e.service,
        e.message,
      );
    return `${e.service}: ${e.message}`;
  });
}

/** Run a Compose command under a cancellable progress notification; failures become one message. */
async function withCompose(ctx: CommandContext, project: KnownProject, cmd: ComposeCommand, title: string): Promise<boolean> {
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          await ctx.compose.run(cmd, project, {
            signal: abort.signal,
            onLine: (line) => progress.report({ message: line.trim().slice(0, 120) }),
          });
        } finally {
          sub.dispose();
        }
      },
    );
    return true;
  } catch (err) {
    if (err instanceof ComposeCancelledError) {
      void vscode.window.showWarningMessage(
        cmd.verb === 'up'
          ? vscode.l10n.t('{0}: cancelled. What was created so far is left as it is: Down removes it.', title)
          : vscode.l10n.t('{0}: cancelled.', title),
      );
      return false;
    }
    if (err instanceof ComposeCommandError && err.serviceErrors.length > 0) {
      const lines = serviceErrorLines(err.serviceErrors, project.file);
      throw new Error(
        err.serviceErrors.length === 1
          ? vscode.l10n.t('{0} failed for one service: {1}', title, lines.join(' '))
          : vscode.l10n.t('{0} failed for {1} services: {2}', title, err.serviceErrors.length, lines.join(' ')),
      );
    }
    throw new Error(vscode.l10n.t('{0} failed: {1}', title, err instanceof Error ? err.message : String(err)));
  }
}

interface UpChoice {
  readonly services?: readonly string[];
  readonly profiles: readonly string[];
}

const PROFILES_KEY = (p: KnownProject): string => `berth.compose.profiles:${p.file ?? p.name}`;

/** Up services… : which services and profiles, the profiles offered as the user left them last time. */
async function chooseServices(ctx: CommandContext, project: KnownProject & { model: ComposeProject }): Promise<UpChoice | undefined> {
  type Item = vscode.QuickPickItem & { service?: string; profile?: string };
  const remembered = ctx.context.workspaceState.get<string[]>(PROFILES_KEY(project), []);
  const profiles = [...new Set(project.model.services.flatMap((s) => s.profiles))].sort();
  const items: Item[] = [
    { label: vscode.l10n.t('Services'), kind: vscode.QuickPickItemKind.Separator },
    ...project.model.services.map((s) => ({
      label: s.name,
      description: [
        s.profiles.length > 0 ? vscode.l10n.t('profile {0}', s.profiles.join(', ')) : '',
        s.image ?? (s.build ? vscode.l10n.t('built here') : ''),
      ]
        .filter((x) => x !== '')
        .join(' · '),
      service: s.name,
      picked: s.profiles.length === 0,
    })),
    ...(profiles.length > 0 ? [{ label: vscode.l10n.t('Profiles'), kind: vscode.QuickPickItemKind.Separator } as Item] : []),
    ...profiles.map((p) => ({ label: vscode.l10n.t('profile: {0}', p), profile: p, picked: remembered.includes(p) })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Up services of {0}', project.name),
    placeHolder: vscode.l10n.t('The services to start (their dependencies start too), and the profiles to enable'),
    canPickMany: true,
  });
  if (!picked) return undefined;
  const services = picked.flatMap((i) => (i.service ? [i.service] : []));
  const chosenProfiles = picked.flatMap((i) => (i.profile ? [i.profile] : []));
  if (services.length === 0 && chosenProfiles.length === 0) return undefined;
  await ctx.context.workspaceState.update(PROFILES_KEY(project), chosenProfiles);
  const all = project.model.services.filter((s) => s.profiles.length === 0 || s.profiles.some((p) => chosenProfiles.includes(p)));
  // every default service picked and nothing else: that is a plain Up with those profiles
  const plain = all.length === services.length && all.every((s) => services.includes(s.name));
  return { ...(plain ? {} : { services }), profiles: chosenProfiles };
}

/** Up: every service (with the profiles last chosen), or those picked; then a watch for services that fail at once. */
async function up(ctx: CommandContext, choose: boolean, arg: unknown, options?: { services?: string[]; profiles?: string[] }) {
  const title = vscode.l10n.t('Compose Up');
  requireTrust(title);
  const found = await projectOf(ctx, arg, title);
  if (!found) return undefined;
  const project = await freshModel(ctx, found);
  let choice: UpChoice | undefined = {
    ...(options?.services ? { services: options.services } : {}),
    profiles: options?.profiles ?? ctx.context.workspaceState.get<string[]>(PROFILES_KEY(project), []),
  };
  if (choose) choice = await chooseServices(ctx, project);
  if (!choice) return undefined;
  const unknown = unknownProfiles(project.model, choice.profiles);
  if (unknown.length > 0) {
    const upWithout = vscode.l10n.t('Up Without It');
    const go = await vscode.window.showWarningMessage(
      unknown.length === 1
        ? vscode.l10n.t(
            '{0} has no service with the profile {1}: Compose would start only the services without a profile, and say nothing.',
            project.name,
            unknown.join(', '),
          )
        : vscode.l10n.t(
            '{0} has no service with the profiles {1}: Compose would start only the services without a profile, and say nothing.',
            project.name,
            unknown.join(', '),
          ),
      {
        modal: true,
        detail: vscode.l10n.t(
          'Profiles in {0}: {1}.',
          project.name,
          [...new Set(project.model.services.flatMap((s) => s.profiles))].join(', ') || vscode.l10n.t('none'),
        ),
      },
      upWithout,
    );
    if (go !== upWithout) return undefined;
    choice = { ...choice, profiles: choice.profiles.filter((p) => !unknown.includes(p)) };
    await ctx.context.workspaceState.update(PROFILES_KEY(project), choice.profiles);
  }
  const unknownServices = (choice.services ?? []).filter((s) => !project.model.services.some((x) => x.name === s));
  if (unknownServices.length > 0)
    throw new Error(vscode.l10n.t('{0}: {1} has no service {2}.', title, project.name, unknownServices.join(', ')));

  const cli = await ctx.compose.cli();
  const withProfiles = { ...project.target, profiles: choice.profiles };
  const gpuFree = await gpuFreeUp(ctx, cli, project, withProfiles);
  if (gpuFree === 'cancelled') return undefined;
  const target = gpuFree?.target ?? withProfiles;
  const baseline = new Map((ctx.containers.current?.all() ?? []).map((r) => [r.id, r.restartCount ?? 0]));
  const names = choice.services && choice.services.length > 0 ? choice.services.join(', ') : vscode.l10n.t('all services');
  const ok = await withCompose(
    ctx,
    project,
    upArgs(cli, target, choice.services ? { services: choice.services } : {}),
    gpuFree
      ? vscode.l10n.t('Compose Up: {0} ({1}, without GPU)', project.name, names)
      : vscode.l10n.t('Compose Up: {0} ({1})', project.name, names),
  );
  if (!ok) return undefined;
  watchAfterUp(ctx, project.name, baseline);
  const showLogs = vscode.l10n.t('Show Logs');
  void vscode.window
    .showInformationMessage(
      gpuFree
        ? vscode.l10n.t('{0} is up ({1}) without GPU reservations.', project.name, names)
        : vscode.l10n.t('{0} is up ({1}).', project.name, names),
      showLogs,
    )
    .then((a) => (a === showLogs ? projectLogs(ctx, project.name) : undefined));
  return project.name;
}

/** For a minute after an Up, one warning per service that crash-loops or stops at once. */
function watchAfterUp(ctx: CommandContext, project: string, baseline: ReadonlyMap<string, number>): void {
  const holder = `compose-up:${project}:${Date.now()}`;
  ctx.containers.hold(holder);
  ctx.compose.watchingAfterUp(project, true);
  const watch = new FailureWatch(project, baseline);
  const check = (): void => {
    for (const f of watch.observe(ctx.containers.current?.all() ?? [])) {
      ctx.log.warn(`compose ${project}: ${describeFailing(f)} (container ${f.container})`);
      const showLogs = vscode.l10n.t('Show Logs');
      void vscode.window
        .showWarningMessage(vscode.l10n.t('Compose project {0}: {1}.', project, describeFailing(f)), showLogs)
        .then((a) => (a === showLogs ? serviceLogs(ctx, project, f.service) : undefined));
    }
  };
  const sub = ctx.containers.onDidChange(check);
  // a stop counts once it has lasted: asked on a clock as well
  const tick = setInterval(check, 1000);
  let ended = false;
  const end = (): void => {
    clearInterval(tick);
    clearTimeout(timer);
    sub.dispose();
    if (!ended) ctx.compose.watchingAfterUp(project, false);
    ended = true;
  };
  const timer = setTimeout(() => {
    end();
    ctx.containers.release(holder);
  }, WATCH_AFTER_UP_MS);
  ctx.context.subscriptions.push({ dispose: end });
}

function projectContainers(ctx: CommandContext, project: string, service?: string): ContainerRecord[] {
  return (ctx.containers.current?.all() ?? []).filter(
    (r) => r.labels[COMPOSE_LABEL.project] === project && (service === undefined || r.labels[COMPOSE_LABEL.service] === service),
  );
}

function projectLogs(ctx: CommandContext, project: string): void {
  openLogs(ctx, projectContainers(ctx, project), { tail: ctx.config.logTail, timestamps: ctx.config.logTimestamps });
}

function serviceLogs(ctx: CommandContext, project: string, service: string): void {
  openLogs(ctx, projectContainers(ctx, project, service), { tail: ctx.config.logTail, timestamps: ctx.config.logTimestamps });
}

export const composeUp = (ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> =>
  up(ctx, false, args[0], typeof args[1] === 'object' && args[1] !== null ? args[1] : undefined);

export const composeUpServices = (ctx: CommandContext, ...args: unknown[]): Promise<string | undefined> => up(ctx, true, args[0]);

/** Down: confirmed, with or without the project's volumes. */
export async function composeDown(ctx: CommandContext, ...args: unknown[]): Promise<boolean> {
  const title = vscode.l10n.t('Compose Down');
  requireTrust(title);
  const project = await projectOf(ctx, args[0], title);
  if (!project) return false;
  const containers = projectContainers(ctx, project.name);
  const volumes = project.model?.volumes ?? [];
  const removeVolumes = vscode.l10n.t('Down and Remove Volumes');
  const answer = await vscode.window.showWarningMessage(
    containers.length === 1
      ? vscode.l10n.t('Down {0}: stop and remove its container and its networks?', project.name)
      : vscode.l10n.t('Down {0}: stop and remove its {1} containers and its networks?', project.name, containers.length),
    {
      modal: true,
      detail:
        volumes.length > 0
          ? vscode.l10n.t(
              'Its named volumes ({0}) are kept unless you choose Down and Remove Volumes: their data is then gone.',
              volumes.join(', '),
            )
          : vscode.l10n.t('Images are kept.'),
    },
    vscode.l10n.t('Down'),
    ...(volumes.length > 0 ? [removeVolumes] : []),
  );
  if (answer === undefined) return false;
  const cli = await ctx.compose.cli();
  return withCompose(
    ctx,
    project,
    downArgs(cli, project.target, { volumes: answer === removeVolumes }),
    vscode.l10n.t('Compose Down: {0}', project.name),
  );
}

async function projectVerb(ctx: CommandContext, arg: unknown, verb: 'build' | 'pull'): Promise<boolean> {
  const title = verb === 'build' ? vscode.l10n.t('Compose Build') : vscode.l10n.t('Compose Pull');
  requireTrust(title);
  const found = await projectOf(ctx, arg, title);
  if (!found) return false;
  const project = await freshModel(ctx, found);
  const cli = await ctx.compose.cli();
  const services =
    arg instanceof ServiceNode ? [arg.service.name] : arg instanceof ContainerNode ? [arg.record.labels[COMPOSE_LABEL.service] ?? ''] : [];
  const cmd = verb === 'build' ? buildArgs(cli, project.target, services) : pullArgs(cli, project.target, services);
  return withCompose(ctx, project, cmd, `${title}: ${project.name}${services.length > 0 ? ` (${services.join(', ')})` : ''}`);
}

export const composeBuild = (ctx: CommandContext, ...args: unknown[]): Promise<boolean> => projectVerb(ctx, args[0], 'build');
export const composePull = (ctx: CommandContext, ...args: unknown[]): Promise<boolean> => projectVerb(ctx, args[0], 'pull');

async function serviceVerb(ctx: CommandContext, arg: unknown, verb: ServiceVerb | 'up'): Promise<boolean> {
  const title = {
    up: vscode.l10n.t('Compose Start Service'),
    start: vscode.l10n.t('Compose Start Service'),
    stop: vscode.l10n.t('Compose Stop Service'),
    restart: vscode.l10n.t('Compose Restart Service'),
  }[verb];
  requireTrust(title);
  const found = await projectOf(ctx, arg, title);
  if (!found) return false;
  const project = await freshModel(ctx, found);
  const service = await serviceOf(arg, project, title);
  if (!service) return false;
  const cli = await ctx.compose.cli();
  // a service with no container yet is created by `up <service>`; `start` only starts existing ones
  const cmd =
    verb === 'start' && projectContainers(ctx, project.name, service).length === 0
      ? upArgs(cli, project.target, { services: [service] })
      : verb === 'up'
        ? upArgs(cli, project.target, { services: [service] })
        : serviceArgs(cli, project.target, verb, service);
  return withCompose(ctx, project, cmd, `${title}: ${project.name} / ${service}`);
}

export const composeStartService = (ctx: CommandContext, ...args: unknown[]): Promise<boolean> => serviceVerb(ctx, args[0], 'start');
export const composeStopService = (ctx: CommandContext, ...args: unknown[]): Promise<boolean> => serviceVerb(ctx, args[0], 'stop');
export const composeRestartService = (ctx: CommandContext, ...args: unknown[]): Promise<boolean> => serviceVerb(ctx, args[0], 'restart');

/** Scale a service: how many containers it should have (0 stops them all). */
export async function composeScaleService(ctx: CommandContext, ...args: unknown[]): Promise<boolean> {
  const title = vscode.l10n.t('Compose Scale Service');
  requireTrust(title);
  const found = await projectOf(ctx, args[0], title);
  if (!found) return false;
  const project = await freshModel(ctx, found);
  const service = await serviceOf(args[0], project, title);
  if (!service) return false;
  const current = projectContainers(ctx, project.name, service).length;
  const given = typeof args[1] === 'number' ? String(args[1]) : undefined;
  const text =
    given ??
    (await vscode.window.showInputBox({
      title: `${title}: ${project.name} / ${service}`,
      prompt: vscode.l10n.t('How many containers of {0}? (now {1})', service, current),
      value: String(Math.max(1, current)),
      validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) <= 100 ? undefined : vscode.l10n.t('A whole number from 0 to 100')),
    }));
  if (text === undefined) return false;
  const replicas = Number(text.trim());
  const published = project.model.services
    .find((s) => s.name === service)
    ?.ports.filter((p) => p.published !== undefined && !p.published.includes('-'));
  if (replicas > 1 && published && published.length > 0)
    throw new Error(
      vscode.l10n.t(
        '{0}: {1} publishes host port {2}; a second container cannot take the same port. Publish a range or no host port to scale it.',
        title,
        service,
        published.map((p) => p.published).join(', '),
      ),
    );
  const cli = await ctx.compose.cli();
  return withCompose(
    ctx,
    project,
    scaleArgs(cli, project.target, service, replicas),
    `${title}: ${project.name} / ${service} → ${replicas}`,
  );
}

/** Logs of a project (all its services interleaved) or of one service. */
export async function composeShowLogs(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const arg = args[0];
  if (arg instanceof ServiceNode) throw new Error(vscode.l10n.t('{0} has no container yet: Up starts it.', arg.service.name));
  const found = await projectOf(ctx, arg, vscode.l10n.t('Compose Logs'));
  if (!found) return;
  const containers = projectContainers(ctx, found.name);
  if (containers.length === 0) throw new Error(vscode.l10n.t('Compose project {0} has no container: Up starts it.', found.name));
  projectLogs(ctx, found.name);
}

/** Open the project's compose file. */
export async function composeOpenFile(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const found = await projectOf(ctx, args[0], vscode.l10n.t('Open Compose File'));
  if (!found?.file) throw new Error(vscode.l10n.t('Compose project {0}: its compose file is not at hand.', found?.name ?? ''));
  await vscode.window.showTextDocument(vscode.Uri.file(found.file));
}
