import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { NotFoundError } from '../../core/engine/errors';
import { COMPOSE_LABEL } from '../../core/engine/labels';
import { parsePattern, patternProblem } from '../../core/logsearch/query';
import { searchLogs, type LogSearchQuery } from '../../core/logsearch/search';
import type { CommandContext } from '../commands';
import { stateText } from '../containers/format';
import { isRunning, targetContainers } from '../containers/targets';
import { openLogs } from '../logs/showLogs';
import type { LogSearchNode } from './logSearchView';
import { describeWindow, localTime, parseSince, sinceOf, TIME_RANGES } from './timeRange';

/** Results a search stops at: a tree of more is not read, the query is narrowed instead. */
export const MAX_RESULTS = 1000;
/** A result opens its container's log from this long before it, so the line is on screen with what led to it. */
const LEAD_MS = 2000;

/**
 * Berth: Search Container Logs…: a query (text or /regex/flags), a time range, which containers
 * (all, running, or chosen ones and Compose services) and which streams; results stream into the
 * Log Search view with progress and Cancel. Containers picked in the Containers view are searched
 * without asking which.
 */
export async function searchContainerLogs(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const preset =
    args.length > 0 && args[0] !== undefined
      ? await targetContainers(ctx, args, { title: vscode.l10n.t('Search Container Logs'), many: true })
      : [];
  const query = await askQuery(ctx, preset);
  if (query === undefined) return;
  await runSearch(ctx, query.query, query.title);
}

interface Asked {
  readonly query: LogSearchQuery;
  readonly title: string;
}

async function askQuery(ctx: CommandContext, preset: readonly ContainerRecord[]): Promise<Asked | undefined> {
  const steps = preset.length > 0 ? 3 : 4;
  const pattern = await vscode.window.showInputBox({
    title: vscode.l10n.t('Search Container Logs (1/{0})', steps),
    prompt: vscode.l10n.t('Text (any case) or a regular expression as /pattern/flags'),
    placeHolder: vscode.l10n.t('e.g. CUDA out of memory   or   /took (\\d{4,})ms/'),
    value: ctx.context.workspaceState.get<string>('berth.logSearch.lastPattern') ?? '',
    validateInput: (value) => (value.trim() === '' ? undefined : patternProblem(value)),
    ignoreFocusOut: true,
  });
  if (pattern === undefined || pattern.trim() === '') return undefined;
  parsePattern(pattern); // validated above; a command called with a bad pattern says so here
  await ctx.context.workspaceState.update('berth.logSearch.lastPattern', pattern);

  const range = await vscode.window.showQuickPick(
    TIME_RANGES.map((choice) => ({ label: choice.label, choice })),
    { title: vscode.l10n.t('Search Container Logs (2/{0}): time range', steps), placeHolder: vscode.l10n.t('Which part of the logs') },
  );
  if (range === undefined) return undefined;
  const now = new Date();
  let since = sinceOf(range.choice, now);
  if (range.choice.back === 'custom') {
    const typed = await vscode.window.showInputBox({
      title: vscode.l10n.t('Search Container Logs: since'),
      prompt: vscode.l10n.t('A duration back from now (30m, 2h, 3d), a time today (14:05) or a date and time (2026-12-02 14:05)'),
      validateInput: (value) => {
        const parsed = parseSince(value, new Date());
        return typeof parsed === 'string' ? parsed : undefined;
      },
      ignoreFocusOut: true,
    });
    if (typed === undefined) return undefined;
    const parsed = parseSince(typed, new Date());
    if (typeof parsed === 'string') throw new Error(parsed);
    since = parsed;
  }

  let containers: readonly string[] | undefined;
  let scope: string;
  if (preset.length > 0) {
    containers = preset.map((r) => r.id);
    scope = preset.length === 1 ? (preset[0]?.name ?? '') : vscode.l10n.t('{0} containers', preset.length);
  } else {
    const chosen = await chooseScope(ctx);
    if (chosen === undefined) return undefined;
    ({ containers, scope } = chosen);
  }

  const streams = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('stdout and stderr'), stderrOnly: false },
      {
        label: vscode.l10n.t('stderr only'),
        stderrOnly: true,
        description: vscode.l10n.t('a container with a terminal (TTY) has no separate stderr'),
      },
    ],
    { title: vscode.l10n.t('Search Container Logs ({0}/{0}): streams', steps) },
  );
  if (streams === undefined) return undefined;
  const query: LogSearchQuery = {
    pattern,
    maxResults: MAX_RESULTS,
    stderrOnly: streams.stderrOnly,
    ...(since === undefined ? {} : { since }),
    ...(containers === undefined ? {} : { containers }),
  };
  const title = streams.stderrOnly
    ? vscode.l10n.t('"{0}" in {1}, {2}, stderr only', pattern, scope, describeWindow(since, now))
    : vscode.l10n.t('"{0}" in {1}, {2}', pattern, scope, describeWindow(since, now));
  return { query, title };
}

type ScopeItem = vscode.QuickPickItem & { readonly ids?: readonly string[] };

/** All containers, the running ones, or chosen containers and Compose services (grouped by project). */
async function chooseScope(ctx: CommandContext): Promise<{ containers: readonly string[] | undefined; scope: string } | undefined> {
  const records = ctx.containers.current?.all() ?? (await ctx.session.requireEngine().listContainers({ all: true }));
  const running = records.filter(isRunning);
  const where = await vscode.window.showQuickPick(
    [
      {
        label: vscode.l10n.t('All containers'),
        description: vscode.l10n.t('{0} running and stopped', records.length),
        pick: 'all' as const,
      },
      { label: vscode.l10n.t('Running containers'), description: `${running.length}`, pick: 'running' as const },
      { label: vscode.l10n.t('Choose containers or services…'), pick: 'choose' as const },
    ],
    { title: vscode.l10n.t('Search Container Logs (3/4): containers') },
  );
  if (where === undefined) return undefined;
  if (where.pick === 'all') return { containers: undefined, scope: vscode.l10n.t('all containers') };
  if (where.pick === 'running') return { containers: running.map((r) => r.id), scope: vscode.l10n.t('running containers') };
  const picked = await vscode.window.showQuickPick(scopeItems(records), {
    title: vscode.l10n.t('Search Container Logs: choose containers or services'),
    canPickMany: true,
    matchOnDescription: true,
  });
  if (picked === undefined || picked.length === 0) return undefined;
  const ids = [...new Set(picked.flatMap((p) => p.ids ?? []))];
  return {
    containers: ids,
    scope: picked.length === 1 ? (picked[0]?.label ?? '') : vscode.l10n.t('{0} containers and services', picked.length),
  };
}

/** Compose services under their project (a service stands for all its containers), then the other containers. */
export function scopeItems(records: readonly ContainerRecord[]): ScopeItem[] {
  const projects = new Map<string, Map<string, ContainerRecord[]>>();
  const loose: ContainerRecord[] = [];
  for (const r of records) {
    const project = r.labels[COMPOSE_LABEL.project];
    const service = r.labels[COMPOSE_LABEL.service];
    if (project === undefined || service === undefined) {
      loose.push(r);
      continue;
    }
    const services = projects.get(project) ?? new Map<string, ContainerRecord[]>();
    services.set(service, [...(services.get(service) ?? []), r]);
    projects.set(project, services);
  }
  const items: ScopeItem[] = [];
  for (const [project, services] of [...projects].sort(([a], [b]) => a.localeCompare(b))) {
    items.push({ label: vscode.l10n.t('Compose: {0}', project), kind: vscode.QuickPickItemKind.Separator });
    for (const [service, members] of [...services].sort(([a], [b]) => a.localeCompare(b))) {
      items.push({
        label: service,
        description: `${members.length === 1 ? vscode.l10n.t('1 container') : vscode.l10n.t('{0} containers', members.length)} · ${members.map(stateText).join(', ')}`,
        ids: members.map((m) => m.id),
      });
    }
  }
  if (loose.length > 0) items.push({ label: vscode.l10n.t('Containers'), kind: vscode.QuickPickItemKind.Separator });
  for (const r of [...loose].sort((a, b) => a.name.localeCompare(b.name))) {
    items.push({ label: r.name, description: `${stateText(r)} · ${r.image}`, ids: [r.id] });
  }
  return items;
}

/** Run a search into the Log Search view, with progress and Cancel; failures of single containers said once at the end. */
export async function runSearch(ctx: CommandContext, query: LogSearchQuery, title: string): Promise<void> {
  const engine = ctx.session.requireEngine();
  const view = ctx.trees.logSearch;
  const controller = view.begin(title);
  void vscode.commands.executeCommand('berth.logSearch.focus');
  let outcome: 'done' | 'cancelled' | 'failed' = 'failed';
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Searching container logs'), cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        let reported = 0;
        for await (const event of searchLogs(engine, query, controller.signal)) {
          view.add(controller, event);
          const results = view.current;
          if (event.kind === 'done' || event.kind === 'failed') {
            const increment = results.planned === 0 ? 0 : (100 * (results.finished - reported)) / results.planned;
            reported = results.finished;
            progress.report({ message: view.progressText(), increment });
          } else if (event.kind === 'match' && results.total % 50 === 1) progress.report({ message: view.progressText() });
          if (event.kind === 'failed') ctx.log.warn(`Log search: ${event.message}`, event.error);
        }
      },
    );
    outcome = controller.signal.aborted ? 'cancelled' : 'done';
  } finally {
    view.end(controller, outcome);
  }
  const results = view.current;
  ctx.log.info(`Log search ${title}: ${view.summary()}${results.limit === undefined ? '' : `, stopped at ${results.limit} results`}`);
  if (outcome === 'cancelled') return;
  const failures = results.failures();
  if (failures.length > 0) {
    const first = failures[0]?.failure ?? '';
    const message =
      failures.length === 1
        ? vscode.l10n.t('Log search: {0}', first)
        : vscode.l10n.t('Log search: {0} containers could not be searched — {1} …', failures.length, first);
    const showLog = vscode.l10n.t('Show Log');
    const choice = await vscode.window.showWarningMessage(message, showLog);
    if (choice === showLog) ctx.log.show(true);
  } else if (results.limit !== undefined) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Log search stopped at {0} results: narrow the query or the time range to see the rest.', results.limit),
    );
  }
}

/** A result clicked: its container's log opens a little before the line, with timestamps, and the line's time is said. */
export async function openSearchResult(ctx: CommandContext, ...args: unknown[]): Promise<void> {
  const node = args[0] as LogSearchNode | undefined;
  if (node?.kind !== 'match') return;
  const { match } = node;
  const engine = ctx.session.requireEngine();
  let record: ContainerRecord;
  try {
    record = ctx.containers.current?.get(match.containerId) ?? (await engine.inspectContainer(match.containerId));
  } catch (err) {
    if (err instanceof NotFoundError)
      throw new Error(vscode.l10n.t('{0} was removed: its log is gone.', match.containerName), { cause: err });
    throw err;
  }
  const since = new Date(match.time.getTime() - LEAD_MS).toISOString();
  openLogs(ctx, [record], { tail: 'all', since, timestamps: true });
  vscode.window.setStatusBarMessage(
    vscode.l10n.t('$(search) Log search match at {0} ({1} local) in {2}', match.timestamp, localTime(match.time), record.name),
    15_000,
  );
}
