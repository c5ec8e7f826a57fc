/**
 * The welcome content of Berth's views (package.json `contributes.viewsWelcome`), made here from
 * the engine's error codes so that every code has exactly one message in every view. No vscode
 * import: `npm run manifest` writes the result into package.json, and a unit test checks that
 * package.json says the same.
 */
import { ENGINE_ERROR_CODES, type EngineErrorCode } from '../../core/engine/errors';

export interface WelcomeEntry {
  readonly view: string;
  readonly contents: string;
  readonly when: string;
}

/** The views that show the engine's state when they have nothing else to show. */
export const ENGINE_VIEWS = ['berth.containers', 'berth.images', 'berth.volumes', 'berth.engine'] as const;

const RETRY = '[Retry](command:berth.engine.retry)';
const INFO = '[Show Engine Info](command:berth.engine.showInfo)';
const LOG = '[Show Log](command:berth.log.show)';
const SETTINGS = '[Open Settings](command:workbench.action.openSettings?%5B%22berth.engine%22%5D)';

const lines = (...parts: string[]): string => parts.join('\n');

/** The message for an engine that cannot be reached, for codes without one of their own. */
const UNREACHABLE = lines(
  'Berth cannot reach the container engine. Is Docker running? Berth keeps retrying by itself; Engine Info says which host it tried and why.',
  RETRY,
  INFO,
  LOG,
);

/** Codes with a message of their own (what to do differs). */
const BY_CODE: Partial<Record<EngineErrorCode, string>> = {
  permission: lines(
    "Permission denied on the Docker socket. Add your user to the 'docker' group (sudo usermod -aG docker $USER, then log in again), or point DOCKER_HOST at a rootless engine.",
    RETRY,
    INFO,
    LOG,
  ),
  'host-key': lines(
    "Berth did not connect to the ssh Docker host: its host key is not in your known_hosts, has changed, or is revoked. Engine Info shows the key's fingerprint and how to accept it.",
    INFO,
    RETRY,
    LOG,
  ),
  tls: lines(
    'Berth did not connect to the Docker host over TCP: TLS failed (a certificate Berth does not trust, or TLS on one side only). Engine Info says why and what to change.',
    INFO,
    RETRY,
    LOG,
  ),
  timeout: lines('The container engine does not answer in time — it may be starting, overloaded or hung.', RETRY, INFO, LOG),
  'api-too-old': lines('This Docker engine is too old for Berth, which needs Engine API 1.40 (Docker 19.03) or newer.', RETRY, INFO, LOG),
  'bad-config': lines(
    'The Docker host or context configured for Berth is invalid (berth.engine.host, berth.engine.context, DOCKER_HOST or DOCKER_CONTEXT).',
    SETTINGS,
    RETRY,
    INFO,
    LOG,
  ),
};

/** What a view shows once connected, when it has no rows. */
const CONNECTED: Partial<Record<(typeof ENGINE_VIEWS)[number], readonly { contents: string; when: string }[]>> = {
  'berth.containers': [
    {
      contents: lines('No containers match the filter.', '[Clear Filter](command:berth.containers.clearFilter)'),
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
      contents: UNREACHABLE,
      when: `berth.engineState == 'unreachable' && (${[...generic.map(isCode), '!berth.engineError'].join(' || ')})`,
    },
    ...ENGINE_ERROR_CODES.flatMap((code) => {
      const contents = BY_CODE[code];
      return contents === undefined ? [] : [{ contents, when: `berth.engineState == 'unreachable' && ${isCode(code)}` }];
    }),
  ];
  return ENGINE_VIEWS.flatMap((view) => [...states, ...(CONNECTED[view] ?? [])].map((e) => ({ view, ...e })));
}
