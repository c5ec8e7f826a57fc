/**
 * Registry credentials where the docker CLI keeps them: a credential helper
 * (`docker-credential-<name>`, per registry in `credHelpers` or for all in `credsStore`), else the
 * config's `auths`. Helpers speak the documented protocol — `get`, `store`, `erase`, `list` with the
 * server or the credential as JSON on stdin — so a secret is never on a command line; a helper's
 * failure is reported with its own message, never with the secret.
 */
import type { ExecaError } from 'execa';
import { lookupServer, normaliseServer, type DockerConfig } from './dockerConfig';

/** A username with a password — or, when the username is `<token>`, an identity token (the CLI's convention). */
export interface RegistryCredential {
  readonly username: string;
  readonly secret: string;
}

/** The username the CLI and the helpers use for an identity token. */
export const IDENTITY_TOKEN_USER = '<token>';

export type CredentialErrorCode = 'helper-missing' | 'helper-failed';

export class CredentialHelperError extends Error {
  constructor(
    readonly code: CredentialErrorCode,
    readonly helper: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CredentialHelperError';
  }
}

export interface HelperOptions {
  /** The environment the helper runs in (PATH finds it); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default 30 s: a helper may ask for a passphrase (pass, gpg-agent). */
  readonly timeoutMs?: number;
}

const DEFAULT_HELPER_TIMEOUT_MS = 30_000;
/** What helpers print when the store has nothing for a server (docker-credential-helpers' ErrCredentialsNotFound). */
const NOT_FOUND = /credentials not found/i;

function program(helper: string): string {
  return `docker-credential-${helper}`;
}

async function runHelper(
  helper: string,
  action: 'get' | 'store' | 'erase' | 'list',
  input: string,
  options: HelperOptions = {},
): Promise<string> {
  // execa is ESM-only: loaded on first use, as the other core modules do
  const { execa } = await import('execa');
  try {
    const result = await execa(program(helper), [action], {
      input,
      env: options.env ?? process.env,
      extendEnv: false,
      timeout: options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS,
      stripFinalNewline: true,
    });
    return result.stdout;
  } catch (err) {
    const e = err as ExecaError & { code?: string };
    if (e.code === 'ENOENT') {
      throw new CredentialHelperError(
        'helper-missing',
        helper,
        `${program(helper)} not found on PATH — install it, or remove "${helper}" from the docker config's credsStore/credHelpers.`,
        err,
      );
    }
    // helpers report on stdout (docker-credential-helpers) or stderr; neither holds the secret we sent on stdin
    const said = [typeof e.stdout === 'string' ? e.stdout : '', typeof e.stderr === 'string' ? e.stderr : '']
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .join(' — ');
    if (action === 'get' && NOT_FOUND.test(said)) throw new CredentialsNotFound(helper);
    const why =
      e.timedOut === true
        ? `did not answer within ${options.timeoutMs ?? DEFAULT_HELPER_TIMEOUT_MS} ms`
        : said !== ''
          ? said
          : `exited with code ${String(e.exitCode)}`;
    throw new CredentialHelperError('helper-failed', helper, `${program(helper)} ${action} failed: ${why}`, undefined);
  }
}

class CredentialsNotFound extends Error {
  constructor(readonly helper: string) {
    super('credentials not found');
  }
}

interface HelperCredential {
  ServerURL?: unknown;
  Username?: unknown;
  Secret?: unknown;
}

/** The helper's credential for a server; undefined when its store has none. */
export async function helperGet(helper: string, server: string, options?: HelperOptions): Promise<RegistryCredential | undefined> {
  let out: string;
  try {
    out = await runHelper(helper, 'get', server, options);
  } catch (err) {
    if (err instanceof CredentialsNotFound) return undefined;
    throw err;
  }
  let parsed: HelperCredential;
  try {
    parsed = JSON.parse(out) as HelperCredential;
  } catch {
    throw new CredentialHelperError('helper-failed', helper, `${program(helper)} get answered something that is not the protocol's JSON`);
  }
  if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined;
  return { username: typeof parsed.Username === 'string' ? parsed.Username : '', secret: parsed.Secret };
}

export async function helperStore(helper: string, server: string, cred: RegistryCredential, options?: HelperOptions): Promise<void> {
  await runHelper(helper, 'store', JSON.stringify({ ServerURL: server, Username: cred.username, Secret: cred.secret }), options);
}

export async function helperErase(helper: string, server: string, options?: HelperOptions): Promise<void> {
  await runHelper(helper, 'erase', server, options);
}

/** Server → username of everything the helper stores. */
export async function helperList(helper: string, options?: HelperOptions): Promise<Record<string, string>> {
  const out = await runHelper(helper, 'list', '', options);
  try {
    const parsed = JSON.parse(out === '' ? '{}' : out) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    throw new CredentialHelperError('helper-failed', helper, `${program(helper)} list answered something that is not the protocol's JSON`);
  }
}

/** The helper the CLI would use for a server: its credHelpers entry, else the credsStore. */
export function helperFor(config: DockerConfig, server: string): string | undefined {
  return lookupServer(config.credHelpers, server)?.value ?? config.credsStore;
}

/** The server string a helper stores a registry under: the auths key the CLI wrote, else the normalised key. */
function helperServer(config: DockerConfig, server: string): string {
  return lookupServer(config.auths, server)?.key ?? normaliseServer(server);
}

/**
 * The credential for a server, in the CLI's order: a credHelpers entry, else the credsStore, else
 * the config's `auths`; then `fallback` (Berth's SecretStorage) when none of them has one.
 */
export async function credentialsFor(
  config: DockerConfig,
  server: string,
  fallback?: (server: string) => Promise<RegistryCredential | undefined>,
  options?: HelperOptions,
): Promise<RegistryCredential | undefined> {
  const helper = helperFor(config, server);
  if (helper !== undefined) {
    const found = await helperGet(helper, helperServer(config, server), options);
    if (found) return found;
  } else {
    const entry = lookupServer(config.auths, server)?.value;
    if (entry?.identityToken !== undefined) return { username: IDENTITY_TOKEN_USER, secret: entry.identityToken };
    if (entry?.username !== undefined && entry.password !== undefined && entry.password !== '')
      return { username: entry.username, secret: entry.password };
  }
  return fallback ? fallback(normaliseServer(server)) : undefined;
}

/** Store in the credential helper the CLI would use; false when none is configured (keep it in SecretStorage then). */
export async function storeCredentials(
  config: DockerConfig,
  server: string,
  cred: RegistryCredential,
  options?: HelperOptions,
): Promise<boolean> {
  const helper = helperFor(config, server);
  if (helper === undefined) return false;
  await helperStore(helper, helperServer(config, server), cred, options);
  return true;
}

/** Erase from the credential helper; false when none is configured. */
export async function eraseCredentials(config: DockerConfig, server: string, options?: HelperOptions): Promise<boolean> {
  const helper = helperFor(config, server);
  if (helper === undefined) return false;
  await helperErase(helper, helperServer(config, server), options);
  return true;
}
