/**
 * What the Engines view shows, as data (no vscode import): one row per docker context (and one
 * for the berth.engine.host setting when Berth uses it), the one Berth uses marked current and
 * holding the engine's summary, its error, or "connecting". With nothing to choose from (the
 * implicit default context only) the view shows the engine's summary rows directly, as the Engine
 * view always did, and nothing while the engine cannot be reached (the welcome content explains).
 * The words go through the `l10n` parameters (`vscode.l10n` in the extension, English in tests).
 */
import type { EngineEndpoint } from '../../core/engine/connection';
import { berthContextName, type ContextList, type DockerContext } from '../../core/engine/contexts';
import type { EngineError } from '../../core/engine/errors';
import { ENGLISH, errorContent, type ErrorAction, type L10n } from './welcomeViews';
import type { PodmanSocket } from '../../core/engine/podman';

/** How Berth would switch to an engine: a context, or a host of its own (berth.engine.host). */
export type EngineTarget = { readonly kind: 'context'; readonly name: string } | { readonly kind: 'host'; readonly host: string };

/** The engine session's state, as far as the rows need it. */
export type SessionView =
  | { readonly kind: 'connecting'; readonly endpoint?: EngineEndpoint }
  | { readonly kind: 'connected'; readonly endpoint: EngineEndpoint }
  | { readonly kind: 'unreachable'; readonly endpoint?: EngineEndpoint; readonly error: EngineError };

export type EngineRowStatus = 'connected' | 'connecting' | 'unreachable' | 'other';

export interface EndpointRow {
  readonly kind: 'endpoint';
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
  readonly icon: string;
  readonly color?: string;
  readonly status: EngineRowStatus;
  readonly target: EngineTarget;
  /** A stored context (one that can be removed). */
  readonly stored: boolean;
  readonly context?: DockerContext;
}

/** A row under the current engine when it cannot be used: the error, then what to do. */
export interface NoticeRow {
  readonly kind: 'notice';
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  readonly tooltip?: string;
  readonly icon: string;
  readonly color?: string;
  readonly action?: ErrorAction;
}

export type TopRow = EndpointRow | NoticeRow;

const ERROR_COLOR = 'errorForeground';
const OK_COLOR = 'testing.iconPassed';

export const targetKey = (t: EngineTarget): string => (t.kind === 'context' ? `context:${t.name}` : `host:${t.host}`);

/** In words: the context's name, or the host. */
export const targetName = (t: EngineTarget): string => (t.kind === 'context' ? `"${t.name}"` : t.host);

/** The target an endpoint Berth connected to came from. */
export function targetOf(endpoint: EngineEndpoint): EngineTarget {
  return endpoint.source === 'setting' ? { kind: 'host', host: endpoint.host } : { kind: 'context', name: endpoint.context };
}

function hostIcon(host: string): string {
  if (host.startsWith('ssh://')) return 'remote';
  if (host.startsWith('tcp://')) return 'globe';
  return 'vm';
}

/** The session's state as it concerns the endpoint Berth uses now (a state of the last endpoint is "connecting"). */
function statusOf(session: SessionView, uses: EngineEndpoint): EngineRowStatus {
  const same = (e: EngineEndpoint | undefined): boolean => e !== undefined && e.host === uses.host && e.context === uses.context;
  if (session.kind === 'connected') return same(session.endpoint) ? 'connected' : 'connecting';
  if (session.kind === 'unreachable') return session.endpoint === undefined || same(session.endpoint) ? 'unreachable' : 'connecting';
  return 'connecting';
}

const statusWords = (l10n: L10n): Record<EngineRowStatus, string> => ({
  connected: l10n.t('current'),
  connecting: l10n.t('connecting…'),
  unreachable: l10n.t('unreachable'),
  other: '',
});

/**
 * The top rows of the Engines view, or 'flat' when there is only the one engine Berth uses and the
 * view shows its summary rows (or welcome content) as the single-engine view did.
 */
export function engineTopRows(
  list: ContextList,
  session: SessionView,
  podman: readonly PodmanSocket[] = [],
  l10n: L10n = ENGLISH,
): TopRow[] | 'flat' {
  const STATUS_WORDS = statusWords(l10n);
  const uses = 'endpoint' in list.berth ? list.berth.endpoint : undefined;
  const usesContext = berthContextName(list);
  const cliContext = 'context' in list.cli ? list.cli.context : undefined;
  const rows: TopRow[] = [];
  if (!('endpoint' in list.berth)) {
    rows.push({
      kind: 'notice',
      id: 'berth-setting-error',
      label: l10n.t('Berth cannot use the configured engine'),
      description: list.berth.error,
      tooltip: l10n.t('{0}\n\nChoose another engine below, or change berth.engine.context / berth.engine.host.', list.berth.error),
      icon: 'error',
      color: ERROR_COLOR,
    });
  }
  for (const context of list.contexts) {
    const current = uses !== undefined && usesContext === context.name;
    const status: EngineRowStatus = current ? statusOf(session, uses) : 'other';
    const marks = [
      status === 'other' ? '' : STATUS_WORDS[status],
      cliContext === context.name && !current ? l10n.t('docker CLI') : '',
    ].filter((m) => m !== '');
    const why = current ? l10n.t('Berth uses it: {0}', uses.reason) : '';
    const cli = cliContext === context.name ? l10n.t('The docker CLI uses it.') : '';
    rows.push({
      kind: 'endpoint',
      id: `context:${context.name}`,
      label: context.name,
      description: [context.error === undefined ? context.host : l10n.t('invalid: {0}', context.error), ...marks].join(' · '),
      tooltip: [
        context.description
          ? l10n.t('Docker context "{0}" — {1}', context.name, context.description)
          : l10n.t('Docker context "{0}"', context.name),
        l10n.t('Host: {0}', context.host || l10n.t('(none)')),
        context.host.startsWith('tcp://')
          ? context.tls && !context.skipTlsVerify
            ? 'TLS'
            : context.skipTlsVerify
              ? l10n.t('TLS without verifying the server')
              : l10n.t('no TLS material')
          : '',
        context.error ? l10n.t('Error: {0}', context.error) : '',
        why,
        cli,
      ]
        .filter((l) => l !== '')
        .join('\n'),
      icon: context.error !== undefined ? 'warning' : hostIcon(context.host),
      ...(status === 'connected' ? { color: OK_COLOR } : status === 'unreachable' ? { color: ERROR_COLOR } : {}),
      status,
      target: { kind: 'context', name: context.name },
      stored: !context.implicit,
      context,
    });
  }
  if (uses !== undefined && uses.source === 'setting') {
    const status = statusOf(session, uses);
    rows.push({
      kind: 'endpoint',
      id: `host:${uses.host}`,
      label: 'berth.engine.host',
      description: `${uses.host} · ${STATUS_WORDS[status]}`,
      tooltip: l10n.t("The host of Berth's berth.engine.host setting (no docker context): {0}", uses.host),
      icon: hostIcon(uses.host),
      ...(status === 'connected' ? { color: OK_COLOR } : status === 'unreachable' ? { color: ERROR_COLOR } : {}),
      status,
      target: { kind: 'host', host: uses.host },
      stored: false,
    });
  }
  // Podman's Docker-compatible sockets found on this machine, as engines to switch to
  for (const socket of podman) {
    if (
      rows.some(
        (r) => r.kind === 'endpoint' && (r.context?.host === socket.host || (r.target.kind === 'host' && r.target.host === socket.host)),
      )
    )
      continue;
    rows.push({
      kind: 'endpoint',
      id: `host:${socket.host}`,
      label: `Podman (${socket.mode})`,
      description: socket.host,
      tooltip: l10n.t(
        "Podman's Docker-compatible API socket ({0}): {1}\nUse This Engine sets berth.engine.host to it.",
        socket.mode,
        socket.path,
      ),
      icon: 'vm',
      status: 'other',
      target: { kind: 'host', host: socket.host },
      stored: false,
    });
  }
  const only = rows.length === 1 ? rows[0] : undefined;
  if (only?.kind === 'endpoint' && only.status !== 'other') return 'flat';
  return rows;
}

/**
 * The rows under the current engine when it is not connected: connecting, or the error with what
 * to do — the welcome content's actions, and going back to the engine Berth was connected to
 * before (one click).
 */
export function currentEngineNotices(
  session: SessionView,
  status: EngineRowStatus,
  back?: EngineTarget,
  l10n: L10n = ENGLISH,
): NoticeRow[] {
  if (status === 'connecting') return [{ kind: 'notice', id: 'connecting', label: l10n.t('Connecting…'), icon: 'loading~spin' }];
  if (status !== 'unreachable' || session.kind !== 'unreachable') return [];
  const { error } = session;
  const content = errorContent(error.code, l10n);
  return [
    {
      kind: 'notice',
      id: 'error',
      label: l10n.t('Cannot connect'),
      description: error.message,
      tooltip: `${error.message}\n\n${content.message}`,
      icon: 'error',
      color: ERROR_COLOR,
    },
    ...(back === undefined
      ? []
      : [
          {
            kind: 'notice' as const,
            id: `back:${targetKey(back)}`,
            label: l10n.t('Back to {0}', back.kind === 'context' ? back.name : back.host),
            tooltip: l10n.t('Use {0} again, the engine Berth was connected to before', targetName(back)),
            icon: 'arrow-left',
            action: { title: l10n.t('Back'), command: 'berth.engines.use', args: [back] },
          },
        ]),
    ...content.actions.map((action): NoticeRow => ({
      kind: 'notice',
      id: `action:${action.command}`,
      label: action.title,
      icon: 'arrow-small-right',
      action,
    })),
  ];
}
