/**
 * The docker CLI's config file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), read
 * as the CLI reads it: `auths` (base64 `user:password` in `auth`, or an `identitytoken`),
 * `credsStore` and `credHelpers`, with server addresses normalised as the CLI does (Docker Hub is
 * `https://index.docker.io/v1/`; every other registry is its host[:port]).
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

/** The key the docker CLI stores Docker Hub's credentials under. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
/** The host Docker Hub's Registry API answers on. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

export interface AuthEntry {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
}

export interface DockerConfig {
  /** The config.json that was read (or would be: see `exists`). */
  readonly file: string;
  readonly exists: boolean;
  /** Keys as written in the file. */
  readonly auths: Readonly<Record<string, AuthEntry>>;
  readonly credsStore?: string;
  /** Server key → helper name (docker-credential-<name>). */
  readonly credHelpers: Readonly<Record<string, string>>;
}

export interface RegistryEntry {
  /** Normalised: DOCKER_HUB_SERVER for Docker Hub, else host[:port]. */
  readonly server: string;
  /** "Docker Hub" or host[:port]. */
  readonly display: string;
  readonly source: 'auths' | 'credHelpers' | 'credsStore';
  readonly helper?: string;
}

export class DockerConfigError extends Error {
  constructor(
    readonly file: string,
    detail: string,
    cause?: unknown,
  ) {
    super(
      `The docker config ${file} cannot be read: ${detail}. Fix or remove it (the docker CLI reads it too).`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'DockerConfigError';
  }
}

/** Where the CLI reads its config: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : path.join(env.HOME ?? os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

export function emptyDockerConfig(file: string): DockerConfig {
  return { file, exists: false, auths: {}, credHelpers: {} };
}

/** The host[:port] of a server address, as the CLI's ConvertToHostname: scheme and path dropped. */
function hostOf(server: string): string {
  let s = server.trim();
  if (s.startsWith('http://')) s = s.slice('http://'.length);
  else if (s.startsWith('https://')) s = s.slice('https://'.length);
  const slash = s.indexOf('/');
  return (slash === -1 ? s : s.slice(0, slash)).toLowerCase();
}

export function isDockerHub(server: string): boolean {
  return HUB_HOSTS.has(hostOf(server));
}

/** The key credentials are kept under: DOCKER_HUB_SERVER for Docker Hub, else host[:port]. */
export function normaliseServer(server: string): string {
  return isDockerHub(server) ? DOCKER_HUB_SERVER : hostOf(server);
}

export function displayServer(server: string): string {
  return isDockerHub(server) ? 'Docker Hub' : hostOf(server);
}

/**
 * The registry of an image reference, as the CLI decides it: the first path component is a
 * registry when it has a '.' or a ':' or is 'localhost'; otherwise the image is on Docker Hub.
 */
export function registryOfReference(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash === -1) return DOCKER_HUB_SERVER;
  const first = ref.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return normaliseServer(first);
  return DOCKER_HUB_SERVER;
}

function decodeAuth(auth: string, file: string, key: string): { username: string; password: string } {
  const text = Buffer.from(auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon === -1) throw new DockerConfigError(file, `the "auth" of ${key} is not base64 of user:password`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function parseDockerConfig(text: string, file: string): DockerConfig {
  let raw: unknown;
  try {
    raw = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new DockerConfigError(file, `it is not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (!isRecord(raw)) throw new DockerConfigError(file, 'it is not a JSON object');
  const auths: Record<string, AuthEntry> = {};
  if (raw.auths !== undefined) {
    if (!isRecord(raw.auths)) throw new DockerConfigError(file, '"auths" is not an object');
    for (const [key, value] of Object.entries(raw.auths)) {
      if (!isRecord(value)) throw new DockerConfigError(file, `the entry of ${key} in "auths" is not an object`);
      const entry: { username?: string; password?: string; identityToken?: string } = {};
      if (typeof value.auth === 'string' && value.auth !== '') Object.assign(entry, decodeAuth(value.auth, file, key));
      else {
        if (typeof value.username === 'string') entry.username = value.username;
        if (typeof value.password === 'string') entry.password = value.password;
      }
      if (typeof value.identitytoken === 'string' && value.identitytoken !== '') entry.identityToken = value.identitytoken;
      auths[key] = entry;
    }
  }
  const credHelpers: Record<string, string> = {};
  if (raw.credHelpers !== undefined) {
    if (!isRecord(raw.credHelpers)) throw new DockerConfigError(file, '"credHelpers" is not an object');
    for (const [key, value] of Object.entries(raw.credHelpers)) {
      if (typeof value !== 'string') throw new DockerConfigError(file, `the helper of ${key} in "credHelpers" is not a string`);
      credHelpers[key] = value;
    }
  }
  if (raw.credsStore !== undefined && typeof raw.credsStore !== 'string') throw new DockerConfigError(file, '"credsStore" is not a string');
  const credsStore = typeof raw.credsStore === 'string' && raw.credsStore !== '' ? raw.credsStore : undefined;
  return { file, exists: true, auths, credHelpers, ...(credsStore === undefined ? {} : { credsStore }) };
}

/** Read the docker config as the CLI does; a missing file is an empty config. */
export async function readDockerConfig(env: NodeJS.ProcessEnv = process.env): Promise<DockerConfig> {
  const file = dockerConfigPath(env);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyDockerConfig(file);
    throw new DockerConfigError(file, (err as Error).message, err);
  }
  return parseDockerConfig(text, file);
}

/** The value of a server-keyed map for a server: the exact key first, then any key naming the same registry. */
export function lookupServer<T>(map: Readonly<Record<string, T>>, server: string): { key: string; value: T } | undefined {
  const exact = map[server];
  if (exact !== undefined) return { key: server, value: exact };
  const wanted = normaliseServer(server);
  for (const [key, value] of Object.entries(map)) if (normaliseServer(key) === wanted) return { key, value };
  return undefined;
}

/** The registries the config knows: every `auths` key and every `credHelpers` key, once each. */
export function listRegistries(config: DockerConfig): RegistryEntry[] {
  const entries = new Map<string, RegistryEntry>();
  const add = (key: string): void => {
    const server = normaliseServer(key);
    if (server === '' || entries.has(server)) return;
    const helper = lookupServer(config.credHelpers, key)?.value;
    const entry: RegistryEntry =
      helper !== undefined
        ? { server, display: displayServer(server), source: 'credHelpers', helper }
        : config.credsStore !== undefined
          ? { server, display: displayServer(server), source: 'credsStore', helper: config.credsStore }
          : { server, display: displayServer(server), source: 'auths' };
    entries.set(server, entry);
  };
  for (const key of Object.keys(config.auths)) add(key);
  for (const key of Object.keys(config.credHelpers)) add(key);
  return [...entries.values()].sort((a, b) =>
    a.server === DOCKER_HUB_SERVER ? -1 : b.server === DOCKER_HUB_SERVER ? 1 : a.display.localeCompare(b.display),
  );
}

/**
 * Record a login the way `docker login` does when a credential store holds the secret: an empty
 * `auths` entry for the server, so the CLI and Berth list the registry. The rest of the file is kept;
 * the file is replaced atomically. Never writes a secret.
 */
export async function recordLogin(config: DockerConfig, server: string): Promise<void> {
  await editAuths(config, (auths) => {
    if (lookupServer(auths, server) !== undefined) return false;
    auths[normaliseServer(server)] = {};
    return true;
  });
}

/** Forget a registry as `docker logout` does: its `auths` entry (any spelling of the server) removed. */
export async function forgetLogin(config: DockerConfig, server: string): Promise<void> {
  await editAuths(config, (auths) => {
    let changed = false;
    for (const key of Object.keys(auths)) {
      if (normaliseServer(key) === normaliseServer(server)) {
        delete auths[key];
        changed = true;
      }
    }
    return changed;
  });
}

async function editAuths(config: DockerConfig, edit: (auths: Record<string, unknown>) => boolean): Promise<void> {
  let raw: Record<string, unknown> = {};
  try {
    const text = await fs.readFile(config.file, 'utf8');
    const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
    if (!isRecord(parsed)) throw new DockerConfigError(config.file, 'it is not a JSON object');
    raw = parsed;
  } catch (err) {
    if (err instanceof DockerConfigError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DockerConfigError(config.file, (err as Error).message, err);
  }
  const auths = isRecord(raw.auths) ? raw.auths : {};
  if (!edit(auths)) return;
  raw.auths = auths;
  await fs.mkdir(path.dirname(config.file), { recursive: true, mode: 0o700 });
  const temp = `${config.file}.berth-${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(raw, null, '\t')}\n`, { mode: 0o600 });
  await fs.rename(temp, config.file);
}
