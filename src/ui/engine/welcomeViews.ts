/**
 * What Berth's views say about the engine's errors, in one table by error code: the views' welcome
 * content (package.json `contributes.viewsWelcome`: every code has exactly one message in every
 * view) and the rows a view shows when a listing fails (errorItems.ts turns them into tree items).
 * No vscode import: `npm run manifest` writes the welcome content into package.json, and a unit
 * test checks that package.json says the same.
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

const RETRY: ErrorAction = { title: 'Retry', command: 'berth.engine.retry' };
const INFO: ErrorAction = { title: 'Show Engine Info', command: 'berth.engine.showInfo' };
const LOG: ErrorAction = { title: 'Show Log', command: 'berth.log.show' };
const SETTINGS: ErrorAction = { title: 'Open Settings', command: 'workbench.action.openSettings', args: ['berth.engine'] };

/** The message for an engine that cannot be reached, for codes without one of their own. */
const UNREACHABLE: ErrorContent = {
  message:
    'Berth cannot reach the container engine. Is Docker running? Berth keeps retrying by itself; Engine Info says which host it tried and why.',
  actions: [RETRY, INFO, LOG],
};

/** Codes with a message of their own (what to do differs). */
const BY_CODE: Partial<Record<EngineErrorCode, ErrorContent>> = {
  permission: {
    message:
      "Permission denied on the Docker socket. Add your user to the 'docker' group (sudo usermod -aG docker $USER, then log in again), or point DOCKER_HOST at a rootless engine.",
    actions: [RETRY, INFO, LOG],
  },
  'host-key': {
    message:
      'Berth did not connect to the ssh Docker host: its host key is not in your known_hosts, has changed, or is revoked. Retry asks whether to trust an unknown key, with its fingerprint; Engine Info shows it too.',
    actions: [INFO, RETRY, LOG],
  },
  tls: {
    message:
      'Berth did not connect to the Docker host over TCP: TLS failed (a certificate Berth does not trust, or TLS on one side only). Engine Info says why and what to change.',
    actions: [INFO, RETRY, LOG],
  },
  timeout: {
    message: 'The container engine does not answer in time — it may be starting, overloaded or hung.',
    actions: [RETRY, INFO, LOG],
  },
  'api-too-old': {
    message: 'This Docker engine is too old for Berth, which needs Engine API 1.40 (Docker 19.03) or newer.',
    actions: [RETRY, INFO, LOG],
  },
  'bad-config': {
    message:
      'The Docker host or context configured for Berth is invalid (berth.engine.host, berth.engine.context, DOCKER_HOST or DOCKER_CONTEXT).',
    actions: [SETTINGS, RETRY, INFO, LOG],
  },
};

/** What Berth says when the engine cannot be used, by the error's code. */
export function errorContent(code: EngineErrorCode | undefined): ErrorContent {
  return (code === undefined ? undefined : BY_CODE[code]) ?? UNREACHABLE;
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
 * are typed; any other error is shown by its message. `retry` lists again.
 */
export function listingErrorRows(what: string, err: unknown, retry: ErrorAction): ErrorRow[] {
  const message = err instanceof Error ? err.message : String(err);
  const guidance = err instanceof EngineError ? BY_CODE[err.code] : undefined;
  const actions = [retry, ...(guidance?.actions ?? [LOG]).filter((a) => a.command !== RETRY.command)];
  if (!actions.includes(LOG)) actions.push(LOG);
  return [
    {
      kind: 'error',
      label: `Could not list ${what}`,
      description: message,
      tooltip: guidance ? `${message}\n\n${guidance.message}` : message,
    },
    ...actions.map((action): ErrorRow => ({ kind: 'action', label: action.title, action })),
  ];
}

/** What a view shows once connected, when it has no rows. */
const CONNECTED: Partial<Record<(typeof ENGINE_VIEWS)[number], readonly { contents: string; when: string }[]>> = {
  'berth.containers': [
    {
      contents: markdown({
        message: 'No containers match the filter.',
        actions: [{ title: 'Clear Filter', command: 'berth.containers.clearFilter' }],
      }),
      when: "berth.engineState == 'connected' && berth.containers.filtered",
    },
    {
      contents: 'No containers yet. Containers you start — from Berth or a terminal — appear here as soon as the engine reports them.',
      when: "berth.engineState == 'connected' && !berth.containers.filtered",
    },
  ],
};

const isCode = (code: EngineErrorCode): string => `berth.engineError == '${code}'`;

/** Every welcome entry, view by view: connecting, each unreachable reason, then the view's own. */
export function welcomeEntries(): WelcomeEntry[] {
  const generic = ENGINE_ERROR_CODES.filter((c) => BY_CODE[c] === undefined);
  const states = [
    { contents: 'Connecting to the container engine…', when: "berth.engineState == 'connecting' || !berth.engineState" },
    {
      contents: markdown(UNREACHABLE),
      when: `berth.engineState == 'unreachable' && (${[...generic.map(isCode), '!berth.engineError'].join(' || ')})`,
    },
    ...ENGINE_ERROR_CODES.flatMap((code) => {
      const content = BY_CODE[code];
      return content === undefined ? [] : [{ contents: markdown(content), when: `berth.engineState == 'unreachable' && ${isCode(code)}` }];
    }),
  ];
  return ENGINE_VIEWS.flatMap((view) => [...states, ...(CONNECTED[view] ?? [])].map((e) => ({ view, ...e })));
}
