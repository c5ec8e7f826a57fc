/**
 * What Berth's views say about the engine's errors, in one table by error code: the views' welcome
 * content (package.json `contributes.viewsWelcome`: every code has exactly one message in every
 * view) and the rows a view shows when a listing fails (errorItems.ts turns them into tree items).
 * No vscode import: `npm run manifest` writes the welcome content into package.json (as `%key%`
 * references, the English text in package.nls.json), and a unit test checks that package.json says
 * the same. The extension words the rows through `vscode.l10n` (the `l10n` parameters).
 */
import { ENGINE_ERROR_CODES, EngineError, type EngineErrorCode } from '../../core/engine/errors';

export interface WelcomeEntry {
  readonly view: string;
  readonly contents: string;
  readonly when: string;
}

/** The views that show the engine's state when they have nothing else to show. */
export const ENGINE_VIEWS = ['berth.containers', 'berth.images', 'berth.volumes', 'berth.engine'] as const;

/** A command a message offers: a link in welcome content, a row under an error in a tree. */
export interface ErrorAction {
  readonly title: string;
  readonly command: string;
  readonly args?: readonly unknown[];
}

/** What Berth says about an engine error: one message and what the user can do about it. */
export interface ErrorContent {
  readonly message: string;
  readonly actions: readonly ErrorAction[];
}

/**
 * What words a message: `vscode.l10n` in the extension; {@link ENGLISH} (the messages as written,
 * `{0}` filled) for the manifest and the unit tests. The messages are written `l10n.t('…')`, so
 * `npm run nls` lists them in l10n/bundle.l10n.json like any other.
 */
export interface L10n {
  t(message: string, ...args: (string | number | boolean)[]): string;
}

/** The messages as written, placeholders filled as VS Code does with no translation. */
export const ENGLISH: L10n = {
  t: (message, ...args) => message.replace(/\{(\d+)\}/g, (match, i: string) => String(args[Number(i)] ?? match)),
};

const retry = (l10n: L10n): ErrorAction => ({ title: l10n.t('Retry'), command: 'berth.engine.retry' });
const info = (l10n: L10n): ErrorAction => ({ title: l10n.t('Show Engine Info'), command: 'berth.engine.showInfo' });
const log = (l10n: L10n): ErrorAction => ({ title: l10n.t('Show Log'), command: 'berth.log.show' });
const settings = (l10n: L10n): ErrorAction => ({
  title: l10n.t('Open Settings'),
  command: 'workbench.action.openSettings',
  args: ['berth.engine'],
});

/** The message for an engine that cannot be reached, for codes without one of their own. */
const unreachable = (l10n: L10n): ErrorContent => ({
  message: l10n.t(
    'Berth cannot reach the container engine. Is Docker running? Berth keeps retrying by itself; Engine Info says which host it tried and why.',
  ),
  actions: [retry(l10n), info(l10n), log(l10n)],
});

/** Codes with a message of their own (what to do differs). */
function byCode(code: EngineErrorCode, l10n: L10n): ErrorContent | undefined {
  const [RETRY, INFO, LOG] = [retry(l10n), info(l10n), log(l10n)];
  switch (code) {
    case 'permission':
      return {
        message: l10n.t(
          "Permission denied on the Docker socket. Add your user to the 'docker' group (sudo usermod -aG docker $USER, then log in again), or point DOCKER_HOST at a rootless engine.",
        ),
        actions: [RETRY, INFO, LOG],
      };
    case 'host-key':
      return {
        message: l10n.t(
          'Berth did not connect to the ssh Docker host: its host key is not in your known_hosts, has changed, or is revoked. Retry asks whether to trust an unknown key, with its fingerprint; Engine Info shows it too.',
        ),
        actions: [INFO, RETRY, LOG],
      };
    case 'tls':
      return {
        message: l10n.t(
          'Berth did not connect to the Docker host over TCP: TLS failed (a certificate Berth does not trust, or TLS on one side only). Engine Info says why and what to change.',
        ),
        actions: [INFO, RETRY, LOG],
      };
    case 'timeout':
      return {
        message: l10n.t('The container engine does not answer in time — it may be starting, overloaded or hung.'),
        actions: [RETRY, INFO, LOG],
      };
    case 'api-too-old':
      return {
        message: l10n.t('This Docker engine is too old for Berth, which needs Engine API 1.40 (Docker 19.03) or newer.'),
        actions: [RETRY, INFO, LOG],
      };
    case 'bad-config':
      return {
        message: l10n.t(
          'The Docker host or context configured for Berth is invalid (berth.engine.host, berth.engine.context, DOCKER_HOST or DOCKER_CONTEXT).',
        ),
        actions: [settings(l10n), RETRY, INFO, LOG],
      };
    default:
      return undefined;
  }
}

/** What Berth says when the engine cannot be used, by the error's code. */
export function errorContent(code: EngineErrorCode | undefined, l10n: L10n = ENGLISH): ErrorContent {
  return (code === undefined ? undefined : byCode(code, l10n)) ?? unreachable(l10n);
}

const link = (a: ErrorAction): string =>
  `[${a.title}](command:${a.command}${a.args ? `?${encodeURIComponent(JSON.stringify(a.args))}` : ''})`;
const markdown = (c: ErrorContent): string => [c.message, ...c.actions.map(link)].join('\n');

/** One row of a view whose listing failed: the error first, then what to do. */
export interface ErrorRow {
  readonly kind: 'error' | 'action';
  readonly label: string;
  readonly description?: string;
  readonly tooltip?: string;
  readonly action?: ErrorAction;
}

/**
 * The rows a view shows when listing `what` failed while the engine is connected (an engine that
 * cannot be reached at all is the welcome content's: the views are empty then). Engine errors
 * are typed; any other error is shown by its message. `retryListing` lists again.
 */
export function listingErrorRows(what: string, err: unknown, retryListing: ErrorAction, l10n: L10n = ENGLISH): ErrorRow[] {
  const message = err instanceof Error ? err.message : String(err);
  const guidance = err instanceof EngineError ? byCode(err.code, l10n) : undefined;
  const LOG = log(l10n);
  const actions = [retryListing, ...(guidance?.actions ?? [LOG]).filter((a) => a.command !== 'berth.engine.retry')];
  if (!actions.some((a) => a.command === LOG.command)) actions.push(LOG);
  return [
    {
      kind: 'error',
      label: l10n.t('Could not list {0}', what),
      description: message,
      tooltip: guidance ? `${message}\n\n${guidance.message}` : message,
    },
    ...actions.map((action): ErrorRow => ({ kind: 'action', label: action.title, action })),
  ];
}

/** A welcome entry before it goes into the manifest: `key` names its text in package.nls.json. */
interface KeyedEntry extends WelcomeEntry {
  readonly key: string;
}

/** What a view shows once connected, when it has no rows. */
const connected = (view: (typeof ENGINE_VIEWS)[number], l10n: L10n): { key: string; contents: string; when: string }[] =>
  view !== 'berth.containers'
    ? []
    : [
        {
          key: 'containers.filtered',
          contents: markdown({
            message: l10n.t('No containers match the filter.'),
            actions: [{ title: l10n.t('Clear Filter'), command: 'berth.containers.clearFilter' }],
          }),
          when: "berth.engineState == 'connected' && berth.containers.filtered",
        },
        {
          key: 'containers.empty',
          contents: l10n.t(
            'No containers yet. Containers you start — from Berth or a terminal — appear here as soon as the engine reports them.',
          ),
          when: "berth.engineState == 'connected' && !berth.containers.filtered",
        },
      ];

const isCode = (code: EngineErrorCode): string => `berth.engineError == '${code}'`;

function keyedEntries(l10n: L10n): KeyedEntry[] {
  const generic = ENGINE_ERROR_CODES.filter((c) => byCode(c, l10n) === undefined);
  const states = [
    {
      key: 'connecting',
      contents: l10n.t('Connecting to the container engine…'),
      when: "berth.engineState == 'connecting' || !berth.engineState",
    },
    {
      key: 'unreachable',
      contents: markdown(unreachable(l10n)),
      when: `berth.engineState == 'unreachable' && (${[...generic.map(isCode), '!berth.engineError'].join(' || ')})`,
    },
    ...ENGINE_ERROR_CODES.flatMap((code) => {
      const content = byCode(code, l10n);
      return content === undefined
        ? []
        : [{ key: `error.${code}`, contents: markdown(content), when: `berth.engineState == 'unreachable' && ${isCode(code)}` }];
    }),
  ];
  return ENGINE_VIEWS.flatMap((view) => [...states, ...connected(view, l10n)].map((e) => ({ view, ...e })));
}

/** Every welcome entry, view by view, in English: connecting, each unreachable reason, then the view's own. */
export function welcomeEntries(): WelcomeEntry[] {
  return keyedEntries(ENGLISH).map(({ view, contents, when }) => ({ view, contents, when }));
}

/**
 * The welcome content as package.json carries it: each text a `%viewsWelcome.…%` reference (VS Code
 * localizes those like any other string of the manifest), and the English texts for package.nls.json.
 */
export function welcomeManifest(): { entries: WelcomeEntry[]; nls: Record<string, string> } {
  const nls: Record<string, string> = {};
  const entries = keyedEntries(ENGLISH).map(({ view, key, contents, when }) => {
    nls[`viewsWelcome.${key}`] = contents;
    return { view, contents: `%viewsWelcome.${key}%`, when };
  });
  return { entries, nls };
}
