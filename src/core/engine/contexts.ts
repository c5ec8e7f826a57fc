/**
 * The docker CLI's contexts, as `docker context ls` shows them: the contexts stored under
 * `<config>/contexts/meta/<sha256(name)>/meta.json` (TLS material under `contexts/tls/…`), plus the
 * implicit "default" (DOCKER_HOST when set, else the platform's socket); which one the CLI uses
 * and which one Berth uses (resolveEndpoint decides both). Writes a context the way
 * `docker context create NAME --docker host=…` does, and removes one. Pure: the caller passes the
 * file operations.
 */
import * as path from 'node:path';
import {
  configDir,
  contextDirName,
  DEFAULT_CONTEXT,
  defaultHost,
  normaliseHost,
  resolveEndpoint,
  type EngineEndpoint,
  type ResolveInput,
} from './connection';
import { EngineConfigError } from './errors';

/** File operations beyond ResolveInput's readFile. */
export interface ContextFs {
  /** Names in a directory; [] when it does not exist. */
  readonly readDir: (dir: string) => string[];
  /** Write a file, creating its directory. */
  readonly writeFile: (file: string, text: string) => void;
  /** Remove a directory and what it holds; nothing when it does not exist. */
  readonly removeDir: (dir: string) => void;
}

export type ContextsInput = ResolveInput & ContextFs;

export interface DockerContext {
  readonly name: string;
  readonly description: string;
  /** The docker endpoint's host as stored (normalised when valid). */
  readonly host: string;
  /** TLS material stored with the context (ca.pem, cert.pem or key.pem). */
  readonly tls: boolean;
  readonly skipTlsVerify: boolean;
  /** The implicit "default" context (not stored). */
  readonly implicit: boolean;
  /** Why the stored context cannot be used (unreadable meta.json, invalid host). */
  readonly error?: string;
}

export interface ContextList {
  /** "default" first, then the stored contexts by name, as `docker context ls` lists them. */
  readonly contexts: readonly DockerContext[];
  /** The context the docker CLI uses (DOCKER_HOST, DOCKER_CONTEXT, config.json currentContext), or why that fails. */
  readonly cli: { readonly context: string } | { readonly error: string };
  /** What Berth uses (its settings first, then as the CLI), or why that fails. */
  readonly berth: { readonly endpoint: EngineEndpoint } | { readonly error: string };
}

/** The docker CLI's rule for context names (cli/command/context/create.go). */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

/** Why `name` cannot name a new context, or undefined when it can. */
export function contextNameError(name: string): string | undefined {
  if (name === DEFAULT_CONTEXT) return '"default" is a reserved context name';
  if (!NAME.test(name)) return `"${name}" is not a valid context name: at least two characters, letters, digits and _ . + - (not first)`;
  return undefined;
}

const metaDir = (input: Pick<ResolveInput, 'env' | 'homeDir'>, name: string): string =>
  path.join(configDir(input), 'contexts', 'meta', contextDirName(name));
const tlsDir = (input: Pick<ResolveInput, 'env' | 'homeDir'>, name: string): string =>
  path.join(configDir(input), 'contexts', 'tls', contextDirName(name));

interface Meta {
  Name?: unknown;
  Metadata?: { Description?: unknown } | null;
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

function readStored(input: ContextsInput, id: string): DockerContext | undefined {
  const file = path.join(configDir(input), 'contexts', 'meta', id, 'meta.json');
  const text = input.readFile(file);
  if (text === undefined) return undefined;
  let meta: Meta;
  try {
    meta = JSON.parse(text) as Meta;
  } catch (err) {
    return {
      name: id,
      description: '',
      host: '',
      tls: false,
      skipTlsVerify: false,
      implicit: false,
      error: `${file}: ${(err as Error).message}`,
    };
  }
  const name = typeof meta.Name === 'string' ? meta.Name : id;
  const description = typeof meta.Metadata?.Description === 'string' ? meta.Metadata.Description : '';
  const docker = meta.Endpoints?.docker;
  const raw = typeof docker?.Host === 'string' ? docker.Host : '';
  const tls = input.readDir(path.join(configDir(input), 'contexts', 'tls', id, 'docker')).some((f) => /^(ca|cert|key)\.pem$/.test(f));
  const base = { name, description, tls, skipTlsVerify: docker?.SkipTLSVerify === true, implicit: false };
  try {
    return { ...base, host: normaliseHost(raw, input.platform) };
  } catch (err) {
    return { ...base, host: raw, error: (err as Error).message };
  }
}

/** The implicit "default" context: DOCKER_HOST when set (as the docker CLI's), else the platform's socket. */
function defaultContext(input: ContextsInput): DockerContext {
  const envHost = input.env.DOCKER_HOST?.trim();
  const base = { name: DEFAULT_CONTEXT, tls: false, skipTlsVerify: false, implicit: true };
  if (envHost === undefined || envHost === '') {
    return { ...base, description: "the platform's default socket", host: defaultHost(input.platform) };
  }
  try {
    return { ...base, description: 'DOCKER_HOST (environment)', host: normaliseHost(envHost, input.platform) };
  } catch (err) {
    return { ...base, description: 'DOCKER_HOST (environment)', host: envHost, error: (err as Error).message };
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Every context, and which one the docker CLI and Berth use. */
export function listContexts(input: ContextsInput): ContextList {
  const stored = input
    .readDir(path.join(configDir(input), 'contexts', 'meta'))
    .filter((id) => /^[0-9a-f]{64}$/.test(id))
    .flatMap((id) => readStored(input, id) ?? [])
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let cli: ContextList['cli'];
  try {
    // the CLI: the same rules without Berth's settings
    cli = {
      context: resolveEndpoint({ env: input.env, homeDir: input.homeDir, platform: input.platform, readFile: input.readFile }).context,
    };
  } catch (err) {
    cli = { error: message(err) };
  }
  let berth: ContextList['berth'];
  try {
    berth = { endpoint: resolveEndpoint(input) };
  } catch (err) {
    berth = { error: message(err) };
  }
  return { contexts: [defaultContext(input), ...stored], cli, berth };
}

/**
 * The context name of Berth's endpoint, or undefined when Berth uses a host of its own
 * (berth.engine.host), not a context.
 */
export function berthContextName(list: ContextList): string | undefined {
  if (!('endpoint' in list.berth)) return undefined;
  return list.berth.endpoint.source === 'setting' ? undefined : list.berth.endpoint.context;
}

export interface NewContext {
  readonly name: string;
  readonly host: string;
  readonly description?: string;
}

/**
 * Write a context as `docker context create NAME [--description D] --docker host=HOST` does; returns
 * its meta.json path. Refuses an invalid or taken name and an invalid host.
 */
export function createContext(input: ContextsInput, context: NewContext): string {
  const nameError = contextNameError(context.name);
  if (nameError !== undefined) throw new EngineConfigError(nameError);
  const host = normaliseHost(context.host, input.platform);
  const dir = metaDir(input, context.name);
  const file = path.join(dir, 'meta.json');
  if (input.readFile(file) !== undefined) throw new EngineConfigError(`Docker context "${context.name}" already exists`);
  const meta = {
    Name: context.name,
    Metadata: context.description ? { Description: context.description } : {},
    Endpoints: { docker: { Host: host, SkipTLSVerify: false } },
  };
  input.writeFile(file, JSON.stringify(meta));
  return file;
}

/** Remove a stored context (its metadata and TLS material), as `docker context rm` does. */
export function removeContext(input: ContextsInput, name: string): void {
  if (name === DEFAULT_CONTEXT) throw new EngineConfigError('The "default" context cannot be removed');
  const dir = metaDir(input, name);
  if (input.readFile(path.join(dir, 'meta.json')) === undefined) {
    throw new EngineConfigError(`Docker context "${name}" does not exist`);
  }
  input.removeDir(tlsDir(input, name));
  input.removeDir(dir);
}

/**
 * The docker host of an ssh target typed as `[user@]host[:port]` (or an ssh:// URL): ssh://…, as the
 * docker CLI's `host=ssh://…`. An alias of ~/.ssh/config is a host name here: ssh resolves it.
 */
export function sshTargetHost(target: string): string {
  const text = target.trim().replace(/^ssh:\/\//i, '');
  const m = /^(?:([^@\s/]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (!m?.[2] || (port !== undefined && (port < 1 || port > 65535))) {
    throw new EngineConfigError(`"${target}" is not an ssh host: expected [user@]host[:port]`);
  }
  return `ssh://${m[1] ? `${m[1]}@` : ''}${m[2]}${port === undefined ? '' : `:${port}`}`;
}

/** A context name for an ssh host: its host part, with characters a name may not hold replaced. */
export function suggestContextName(target: string): string {
  const host = target
    .trim()
    .replace(/^ssh:\/\//i, '')
    .replace(/^[^@]*@/, '')
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '');
  const name = host.replace(/[^a-zA-Z0-9_.+-]/g, '-').replace(/^[^a-zA-Z0-9]+/, '');
  return name.length >= 2 ? name : `ssh-${name}`;
}
