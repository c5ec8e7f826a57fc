/**
 * Resolve which Docker engine to talk to, the way the docker CLI does:
 * an explicit host beats an explicit context; then DOCKER_HOST, DOCKER_CONTEXT, the
 * `currentContext` of config.json (with its meta.json and TLS material), then the platform's
 * default socket. The result says where it came from, so the UI can tell the user why.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { EngineConfigError, TlsError } from './errors';
import type { PortRoute } from './contract';
import { isLoopbackHost } from './loopback';

export type HostSource = 'setting' | 'DOCKER_HOST' | 'context' | 'default';

export interface TlsFiles {
  /** Directory or context storage the files were read from. */
  readonly from: string;
  /** The CA certificate the engine's certificate is checked against (absent: the system's CAs). */
  readonly ca?: string;
  /** Where `ca` was read from. */
  readonly caFile?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly verify: boolean;
}

export interface EngineEndpoint {
  /** Normalised host URL: unix:///path, npipe:////./pipe/x, tcp://h:p, ssh://user@h:p */
  readonly host: string;
  readonly source: HostSource;
  /** Context name when the host came from a context (including "default"). */
  readonly context: string;
  /** Human sentence: why this host was chosen. */
  readonly reason: string;
  /** TLS for a tcp:// host; absent: plain HTTP. */
  readonly tls?: TlsFiles;
  /** Why a tcp:// host has no TLS although TLS material is configured (for Engine Info). */
  readonly tlsNote?: string;
}

export interface ResolveInput {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly platform: NodeJS.Platform;
  /** Read a file as UTF-8, or undefined when it does not exist. */
  readonly readFile: (file: string) => string | undefined;
  /** Explicit host from Berth's settings (the CLI's -H). */
  readonly host?: string;
  /** Explicit context from Berth's settings (the CLI's --context). */
  readonly context?: string;
}

export const DEFAULT_CONTEXT = 'default';

export function defaultHost(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock';
}

export function configDir(input: Pick<ResolveInput, 'env' | 'homeDir'>): string {
  const fromEnv = input.env.DOCKER_CONFIG;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : path.join(input.homeDir, '.docker');
}

/** The docker CLI stores a context under the hex SHA-256 of its name. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v.trim() !== '';
}

/**
 * Validate and normalise a host string as the docker CLI accepts it. Bare `host:port` and
 * `:port` mean tcp; `unix://` alone means the default socket.
 */
export function normaliseHost(raw: string, platform: NodeJS.Platform): string {
  const host = raw.trim();
  if (host === '') return defaultHost(platform);
  const scheme = /^([a-z+]+):\/\//i.exec(host)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    // CLI: "host:port" defaults to tcp
    if (/^[^/]*:\d+$/.test(host) || /^[\w.-]+$/.test(host)) return normaliseHost(`tcp://${host}`, platform);
    throw new EngineConfigError(`Invalid Docker host "${raw}": expected unix://, tcp://, ssh:// or npipe://`);
  }
  const rest = host.slice(scheme.length + 3);
  switch (scheme) {
    case 'unix':
      return rest === '' ? 'unix:///var/run/docker.sock' : `unix://${rest}`;
    case 'npipe':
      return rest === '' ? 'npipe:////./pipe/docker_engine' : `npipe://${rest}`;
    case 'tcp':
    case 'http':
    case 'https': {
      const url = parseUrl(`tcp://${rest.startsWith(':') ? `127.0.0.1${rest}` : rest}`, raw);
      const hostname = url.hostname === '' ? '127.0.0.1' : url.hostname;
      const port = url.port === '' ? (scheme === 'http' ? '2375' : '2376') : url.port;
      const tail = url.pathname === '/' ? '' : url.pathname;
      return `tcp://${hostname}:${port}${tail}`;
    }
    case 'ssh': {
      const url = parseUrl(host, raw);
      if (url.hostname === '') throw new EngineConfigError(`Invalid Docker host "${raw}": no host name after ssh://`);
      return host;
    }
    default:
      throw new EngineConfigError(`Invalid Docker host "${raw}": unsupported scheme ${scheme}://`);
  }
}

function parseUrl(text: string, raw: string): URL {
  try {
    return new URL(text);
  } catch (cause) {
    throw new EngineConfigError(`Invalid Docker host "${raw}"`, cause);
  }
}

/** Set as the docker CLI tests it: any non-empty value, "0" and "false" included. */
function isSet(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

/**
 * TLS for a host given by DOCKER_HOST or the host setting, by the docker CLI's rules
 * (cli/flags/options.go): DOCKER_TLS_VERIFY (any non-empty value) means TLS verifying the
 * engine's certificate; DOCKER_TLS alone, TLS without verifying it; neither, no TLS, whatever
 * DOCKER_CERT_PATH says. The files come from DOCKER_CERT_PATH, else the config folder (~/.docker);
 * ca.pem must exist, cert.pem and key.pem are used when present.
 */
export function tlsFromEnv(input: Pick<ResolveInput, 'env' | 'homeDir' | 'readFile'>): { tls?: TlsFiles; note?: string } {
  const verify = isSet(input.env.DOCKER_TLS_VERIFY);
  const certPath = input.env.DOCKER_CERT_PATH;
  if (!verify && !isSet(input.env.DOCKER_TLS)) {
    return isSet(certPath)
      ? { note: 'DOCKER_CERT_PATH is set, but neither DOCKER_TLS_VERIFY nor DOCKER_TLS: no TLS, as with the docker CLI' }
      : {};
  }
  const dir = isSet(certPath) ? certPath : configDir(input);
  const tls = readTlsDir(input, dir, verify);
  if (tls.ca === undefined) {
    const why = verify ? 'DOCKER_TLS_VERIFY' : 'DOCKER_TLS';
    throw new EngineConfigError(
      `${why} is set, so Berth uses TLS as the docker CLI does, but ${path.join(dir, 'ca.pem')} does not exist. ` +
        `Put the CA certificate that signed the engine's certificate there (with cert.pem and key.pem when the engine checks clients)` +
        `${isSet(certPath) ? '' : ', or set DOCKER_CERT_PATH to the folder that holds them'}.`,
    );
  }
  return { tls };
}

/** How Berth talks to the engine, in words; undefined for hosts that are not tcp://. */
export function tlsMode(endpoint: Pick<EngineEndpoint, 'host' | 'tls' | 'tlsNote'>): string | undefined {
  if (!endpoint.host.startsWith('tcp://')) return undefined;
  const tls = endpoint.tls;
  if (tls === undefined) return endpoint.tlsNote === undefined ? 'no TLS' : `no TLS (${endpoint.tlsNote})`;
  const client = tls.cert === undefined ? '' : `; client certificate from ${tls.from}`;
  if (!tls.verify) return `TLS without verifying the server${client}`;
  return `TLS, server verified against ${tls.caFile ?? "the system's certificate authorities"}${client}`;
}

function readTlsDir(input: Pick<ResolveInput, 'readFile'>, dir: string, verify: boolean): TlsFiles {
  const caFile = path.join(dir, 'ca.pem');
  const ca = input.readFile(caFile);
  const cert = input.readFile(path.join(dir, 'cert.pem'));
  const key = input.readFile(path.join(dir, 'key.pem'));
  if ((cert === undefined) !== (key === undefined)) {
    throw new EngineConfigError(`TLS material in ${dir} is incomplete: cert.pem and key.pem must both be present`);
  }
  return {
    from: dir,
    verify,
    ...(ca === undefined ? {} : { ca, caFile }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
  };
}

interface ContextMeta {
  Name?: unknown;
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

function readJson<T>(input: ResolveInput, file: string): T | undefined {
  const text = input.readFile(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new EngineConfigError(`${file} is not valid JSON: ${(cause as Error).message}`, cause);
  }
}

function fromContext(input: ResolveInput, name: string, why: string): EngineEndpoint {
  if (name === DEFAULT_CONTEXT) {
    return {
      host: defaultHost(input.platform),
      source: 'default',
      context: DEFAULT_CONTEXT,
      reason: `${why}: the "default" context, the platform's default socket`,
    };
  }
  const dir = configDir(input);
  const id = contextDirName(name);
  const metaFile = path.join(dir, 'contexts', 'meta', id, 'meta.json');
  const meta = readJson<ContextMeta>(input, metaFile);
  if (meta === undefined) {
    throw new EngineConfigError(
      `Docker context "${name}" (${why}) does not exist: no ${metaFile}. Run "docker context ls" to see the contexts.`,
    );
  }
  const endpoint = meta.Endpoints?.docker;
  const hostRaw = typeof endpoint?.Host === 'string' ? endpoint.Host : '';
  const host = normaliseHost(hostRaw, input.platform);
  const tlsDir = path.join(dir, 'contexts', 'tls', id, 'docker');
  const tls = readTlsDir(input, tlsDir, endpoint?.SkipTLSVerify !== true);
  const hasTls = tls.ca !== undefined || tls.cert !== undefined;
  return {
    host,
    source: 'context',
    context: name,
    reason: `${why}: context "${name}" → ${host}`,
    ...(hasTls || (host.startsWith('tcp://') && endpoint?.SkipTLSVerify === true) ? { tls } : {}),
  };
}

export function resolveEndpoint(input: ResolveInput): EngineEndpoint {
  if (nonEmpty(input.host)) {
    const host = normaliseHost(input.host, input.platform);
    const { tls, note } = host.startsWith('tcp://') ? tlsFromEnv(input) : {};
    return {
      host,
      source: 'setting',
      context: DEFAULT_CONTEXT,
      reason: 'the berth.engine.host setting',
      ...(tls ? { tls } : {}),
      ...(note ? { tlsNote: note } : {}),
    };
  }
  if (nonEmpty(input.context)) {
    return fromContext(input, input.context.trim(), 'the berth.engine.context setting');
  }
  const envHost = input.env.DOCKER_HOST;
  if (nonEmpty(envHost)) {
    const host = normaliseHost(envHost, input.platform);
    const { tls, note } = host.startsWith('tcp://') ? tlsFromEnv(input) : {};
    return {
      host,
      source: 'DOCKER_HOST',
      context: DEFAULT_CONTEXT,
      reason: 'the DOCKER_HOST environment variable',
      ...(tls ? { tls } : {}),
      ...(note ? { tlsNote: note } : {}),
    };
  }
  const envContext = input.env.DOCKER_CONTEXT;
  if (nonEmpty(envContext)) {
    return fromContext(input, envContext.trim(), 'the DOCKER_CONTEXT environment variable');
  }
  const configFile = path.join(configDir(input), 'config.json');
  const config = readJson<{ currentContext?: unknown }>(input, configFile);
  if (config !== undefined && typeof config.currentContext === 'string' && config.currentContext !== '') {
    return fromContext(input, config.currentContext, `currentContext in ${configFile}`);
  }
  return {
    host: defaultHost(input.platform),
    source: 'default',
    context: DEFAULT_CONTEXT,
    reason: "nothing configured (no DOCKER_HOST, DOCKER_CONTEXT or current context): the platform's default socket",
  };
}

export interface ModemOptions {
  socketPath?: string;
  protocol?: 'http' | 'https' | 'ssh';
  host?: string;
  port?: number;
  ca?: string;
  cert?: string;
  key?: string;
  username?: string;
  sshOptions?: Record<string, unknown>;
  /** TLS without verifying the engine's certificate (DOCKER_TLS without DOCKER_TLS_VERIFY, or a context's SkipTLSVerify). */
  rejectUnauthorized?: false;
}

/** docker-modem options for an endpoint. */
export function toModemOptions(endpoint: EngineEndpoint, env: Readonly<Record<string, string | undefined>> = {}): ModemOptions {
  const { host } = endpoint;
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length).replace(/\//g, '\\') };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  if (host.startsWith('ssh://')) {
    const agent = env.SSH_AUTH_SOCK;
    return {
      protocol: 'ssh',
      host: url.hostname,
      port: url.port === '' ? 22 : Number(url.port),
      ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
      sshOptions: nonEmpty(agent) ? { agent } : {},
    };
  }
  const tls = endpoint.tls;
  const port = Number(url.port);
  if (tls === undefined) return { protocol: 'http', host: url.hostname, port };
  return {
    protocol: 'https',
    host: url.hostname,
    port,
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.verify ? {} : { rejectUnauthorized: false as const }),
  };
}

/** The host name of a tcp:// engine URL. */
function tcpHostname(host: string): string {
  return new URL(host.replace(/^tcp:/, 'http:')).hostname;
}

/** True when the engine runs on this machine (so host tools such as nvidia-smi describe it). */
export function isLocalEndpoint(endpoint: EngineEndpoint): boolean {
  if (endpoint.host.startsWith('unix://') || endpoint.host.startsWith('npipe://')) return true;
  return endpoint.host.startsWith('tcp://') && isLoopbackHost(tcpHostname(endpoint.host));
}

/**
 * The route to a port published on the host of an engine reached without ssh: the same address
 * when the engine is on this machine; else why Berth does not go there (it sends traffic to this
 * machine only, and reaches other hosts' ports through an ssh:// engine's connection).
 */
export function directRoute(endpoint: EngineEndpoint, host: string, port: number): PortRoute {
  if (isLocalEndpoint(endpoint)) return { host, port };
  const remote = endpoint.host.startsWith('tcp://') ? tcpHostname(endpoint.host) : endpoint.host;
  return {
    error:
      `port ${port} is published on the engine's host ${remote}, which Berth reaches only through ssh: ` +
      `use it as an ssh engine (Engines view → Add SSH Host, ssh://user@${remote}), or forward the port yourself (ssh -L ${port}:${host}:${port} ${remote}).`,
  };
}

const UNTRUSTED_CERT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

/** A TLS failure with a tcp:// engine in words, with the fix; undefined for other errors. */
export function explainTlsFailure(endpoint: Pick<EngineEndpoint, 'host' | 'tls'>, err: unknown): TlsError | undefined {
  if (!endpoint.host.startsWith('tcp://') || err === null || typeof err !== 'object') return undefined;
  const raw = err as { code?: unknown; message?: unknown; statusCode?: unknown; json?: unknown };
  const code = typeof raw.code === 'string' ? raw.code : '';
  const message = typeof raw.message === 'string' ? raw.message : '';
  const { host, tls } = endpoint;
  const caFile = tls?.caFile ?? (tls ? path.join(tls.from, 'ca.pem') : 'ca.pem');
  if (tls === undefined) {
    const body = typeof raw.json === 'string' ? raw.json : message;
    if (raw.statusCode === 400 && /HTTP request to an HTTPS server/i.test(body)) {
      return new TlsError(
        host,
        `The engine at ${host} expects TLS, but neither DOCKER_TLS_VERIFY nor DOCKER_TLS is set, so Berth spoke plain HTTP ` +
          '(DOCKER_CERT_PATH alone does not turn TLS on, as with the docker CLI). ' +
          'Set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem.',
        err,
      );
    }
    return undefined;
  }
  if (UNTRUSTED_CERT.has(code)) {
    const against = tls.ca === undefined ? "the system's certificate authorities" : caFile;
    return new TlsError(
      host,
      `The engine at ${host} presented a certificate that is not signed by the CA Berth checks it against (${against}; ${code}), ` +
        `so Berth did not connect. Put the CA certificate that signed the engine's certificate in ${caFile}` +
        " (the folder is DOCKER_CERT_PATH, or the context's TLS folder), or check that the host is the intended engine.",
      err,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new TlsError(
      host,
      `The engine at ${host} presented a certificate that ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}; ` +
        "Berth did not connect. Renew the engine's certificate (or check the clocks).",
      err,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new TlsError(
      host,
      `The engine's certificate is not issued for the host name in ${host} (${message}); Berth did not connect. ` +
        'Use the host name the certificate names, or have a certificate issued for this one.',
      err,
    );
  }
  if (/ALERT_BAD_CERTIFICATE|CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE/.test(code)) {
    return new TlsError(
      host,
      `The engine at ${host} refused Berth's client certificate (${code}). ` +
        `${tls.cert === undefined ? `There is no cert.pem and key.pem in ${tls.from}` : `Check that ${path.join(tls.from, 'cert.pem')} is signed by a CA the engine trusts`}.`,
      err,
    );
  }
  if (code === 'EPROTO' || code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message)) {
    return new TlsError(
      host,
      `The engine at ${host} does not speak TLS there (${code || message}). ` +
        'Unset DOCKER_TLS_VERIFY and DOCKER_TLS for a plain-HTTP engine, or use the port where the engine serves TLS.',
      err,
    );
  }
  return undefined;
}
