/**
 * Typed engine errors. Raw errors from sockets, TLS, ssh and the Engine API are translated once,
 * here, into one of these; everything above the engine layer matches on the class, never on text.
 */
import * as os from 'node:os';

/** Every code an EngineError can carry. */
export const ENGINE_ERROR_CODES = [
  'unreachable',
  'permission',
  'timeout',
  'not-found',
  'conflict',
  'api-too-old',
  'bad-config',
  'host-key',
  'tls',
  'gpu-unavailable',
  'cancelled',
  'request',
] as const;

export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  /** HTTP status from the engine, when there was one. */
  readonly statusCode: number | undefined;
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown; statusCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = options?.statusCode;
  }
}

export class EngineUnreachableError extends EngineError {
  constructor(
    readonly host: string,
    detail: string,
    cause?: unknown,
  ) {
    super('unreachable', `Cannot reach Docker at ${host} — is the engine running? (${detail})`, { cause });
  }
}

export class EnginePermissionError extends EngineError {
  constructor(
    readonly host: string,
    cause?: unknown,
  ) {
    const socket = host.startsWith('unix://') ? host.slice('unix://'.length) : host;
    const user = currentUser();
    super(
      'permission',
      `Permission denied on ${socket}: ${user ? `the user ${user.name}` : 'this user'} may not use the Docker socket. ` +
        "Add the user to the 'docker' group (sudo usermod -aG docker $USER, then log out and in again), " +
        `or point DOCKER_HOST at a rootless engine (unix:///run/user/${user?.uid ?? '$UID'}/docker.sock).`,
      { cause },
    );
  }
}

function currentUser(): { name: string; uid: number } | undefined {
  try {
    const info = os.userInfo();
    return { name: info.username, uid: info.uid };
  } catch {
    return undefined;
  }
}

export class EngineTimeoutError extends EngineError {
  constructor(
    readonly host: string,
    readonly operation: string,
    readonly timeoutMs: number,
    cause?: unknown,
  ) {
    super('timeout', `Docker at ${host} did not answer ${operation} within ${timeoutMs} ms — is the engine overloaded or hung?`, {
      cause,
    });
  }
}

export class NotFoundError extends EngineError {
  constructor(message: string, cause?: unknown) {
    super('not-found', message, { cause, statusCode: 404 });
  }
}

export class ConflictError extends EngineError {
  constructor(message: string, cause?: unknown) {
    super('conflict', message, { cause, statusCode: 409 });
  }
}

/** A volume a container still uses (running or stopped): the engine refuses to remove it. */
export class VolumeInUseError extends EngineError {
  constructor(
    readonly volume: string,
    /** The containers' names (their short ids where the engine no longer lists them). */
    readonly containers: readonly string[],
    cause?: unknown,
  ) {
    const who =
      containers.length === 0 ? 'a container' : `${containers.length === 1 ? 'container' : 'containers'} ${containers.join(', ')}`;
    super(
      'conflict',
      `Volume ${volume} is in use by ${who}. Remove ${containers.length > 1 ? 'those containers' : 'it'} first, then remove the volume.`,
      {
        cause,
        statusCode: 409,
      },
    );
  }
}

export class ApiVersionTooOldError extends EngineError {
  constructor(
    readonly engineApiVersion: string,
    readonly minimumApiVersion: string,
  ) {
    super(
      'api-too-old',
      `The Docker engine speaks API ${engineApiVersion}; Berth needs ${minimumApiVersion} or newer (Docker 19.03+). Upgrade the engine.`,
    );
  }
}

export class EngineConfigError extends EngineError {
  constructor(message: string, cause?: unknown) {
    super('bad-config', message, { cause });
  }
}

/** An ssh engine whose host key is unknown, changed or revoked in known_hosts: not connected to. */
export class HostKeyError extends EngineError {
  constructor(
    readonly host: string,
    readonly verdict: 'unknown' | 'changed' | 'revoked',
    /** The presented key's fingerprint as ssh prints it (SHA256:…). */
    readonly fingerprint: string,
    message: string,
    /** The key the server presented, and where accepting it would add it (appendKnownHost). */
    readonly presented?: { readonly key: Buffer; readonly host: string; readonly port: number; readonly file: string },
  ) {
    super('host-key', message);
  }
}

/** An ssh server refused the login (no key it accepts among the agent's and the identity files). */
export class SshAuthError extends EngineError {
  constructor(
    readonly host: string,
    message: string,
    cause?: unknown,
  ) {
    super('unreachable', message, { cause });
  }
}

/** TLS with a tcp:// engine failed: an untrusted certificate, or TLS on one side only. */
export class TlsError extends EngineError {
  constructor(
    readonly host: string,
    message: string,
    cause?: unknown,
  ) {
    super('tls', message, { cause });
  }
}

export class GpuUnavailableError extends EngineError {
  constructor(
    message: string,
    readonly reasons: readonly string[],
    cause?: unknown,
  ) {
    super('gpu-unavailable', message, { cause });
  }
}

export class CancelledError extends EngineError {
  constructor(operation: string, cause?: unknown) {
    super('cancelled', `${operation} was cancelled`, { cause });
  }
}

/** Any other non-2xx answer from the engine; the engine's own message is kept. */
export class EngineRequestError extends EngineError {
  constructor(message: string, statusCode: number | undefined, cause?: unknown) {
    super('request', message, statusCode === undefined ? { cause } : { cause, statusCode });
  }
}

interface RawError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  json?: unknown;
  name?: unknown;
  level?: unknown;
}

const UNREACHABLE_CODES: Readonly<Record<string, string>> = {
  ENOENT: 'no socket there',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
  ENOTSOCK: 'not a socket',
  ECONNABORTED: 'connection aborted',
};

function engineMessage(raw: RawError): string {
  const json = raw.json;
  if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') {
    return json.message;
  }
  if (typeof json === 'string' && json.trim() !== '') {
    return json.trim();
  }
  const message = typeof raw.message === 'string' ? raw.message : JSON.stringify(raw);
  // docker-modem formats "(HTTP code 404) no such container - <engine text> "
  const m = /^\(HTTP code \d+\) [^-]*- (.*)$/s.exec(message);
  return (m?.[1] ?? message).trim();
}

/**
 * Translate any error thrown while talking to the engine at `host` into an EngineError.
 * Idempotent: an EngineError passes through unchanged.
 */
export function translateError(err: unknown, host: string, operation = 'the request'): EngineError {
  if (err instanceof EngineError) return err;
  const raw: RawError = err !== null && typeof err === 'object' ? err : { message: String(err) };
  const code = typeof raw.code === 'string' ? raw.code : undefined;

  if (raw.name === 'AbortError' || code === 'ABORT_ERR') {
    return new CancelledError(operation, err);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new EnginePermissionError(host, err);
  }
  if (code !== undefined && code in UNREACHABLE_CODES) {
    return new EngineUnreachableError(host, UNREACHABLE_CODES[code] ?? code, err);
  }
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') {
    return new EngineUnreachableError(host, 'connection timed out', err);
  }
  // ssh2 reports authentication and handshake failures with a `level`
  if (raw.level === 'client-authentication') {
    return new EngineUnreachableError(host, 'ssh authentication failed — check your ssh key or agent', err);
  }
  if (raw.level === 'client-socket' || raw.level === 'client-timeout') {
    return new EngineUnreachableError(host, `ssh connection failed: ${engineMessage(raw)}`, err);
  }
  if (code !== undefined && /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|UNABLE_TO_|SELF_SIGNED)/.test(code)) {
    return new EngineUnreachableError(host, `TLS handshake failed (${code}) — check DOCKER_CERT_PATH and DOCKER_TLS_VERIFY`, err);
  }

  const status = typeof raw.statusCode === 'number' ? raw.statusCode : undefined;
  const text = engineMessage(raw);
  if (status === 404) return new NotFoundError(text, err);
  if (status === 409) return new ConflictError(text, err);
  if (status === 400 && /client version .* is too (old|new)|minimum supported API version/i.test(text)) {
    return new EngineRequestError(`API version mismatch: ${text}`, status, err);
  }
  return new EngineRequestError(text || `the engine failed ${operation}`, status, err);
}

/** A host port the container publishes is already taken (by another process or container). */
export class PortInUseError extends EngineError {
  constructor(
    /** The host port, when the engine's message names it. */
    readonly port: number | undefined,
    /** The host IP of the binding, when the engine's message names it. */
    readonly hostIp: string | undefined,
    engineMessage: string,
    options?: { cause?: unknown; statusCode?: number },
  ) {
    const address = hostIp === undefined || hostIp === '' ? '' : hostIp.includes(':') ? `[${hostIp}]:` : `${hostIp}:`;
    const what = port === undefined ? 'A host port this container publishes' : `Host port ${address}${port}`;
    super(
      'conflict',
      `${what} is already in use (${engineMessage}). Choose another host port in the run profile, or 0 for any free port.`,
      options,
    );
  }
}
