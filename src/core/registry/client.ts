/**
 * A client of the Registry HTTP API v2 (the distribution spec) over Node's fetch: ping, the
 * catalog and tags with `Link` pagination, a tag described from its manifest and config blob
 * (digest, media type, size, created, labels; per platform for an index), and a tag deleted by
 * its digest. Auth follows the registry's `WWW-Authenticate` challenge: Basic, or Bearer through
 * the token endpoint it names (with the credential, or anonymous), tokens cached per scope and
 * fetched again on a 401. Every failure is a RegistryError with a code and a message that says
 * what to do; every request is bounded by a timeout.
 */
import { createHash } from 'node:crypto';
import { IDENTITY_TOKEN_USER, type RegistryCredential } from './credentials';
import { DOCKER_HUB_REGISTRY, isDockerHub, normaliseServer } from './dockerConfig';

export type RegistryErrorCode = 'unauthorized' | 'denied' | 'not-found' | 'unreachable' | 'unsupported' | 'protocol' | 'cancelled';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    readonly registry: string,
    message: string,
    options?: { status?: number; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.status = options?.status;
  }
  readonly status: number | undefined;
}

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** What Berth accepts for a manifest: both Docker v2 schema 2 kinds and both OCI kinds. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest].join(
  ', ',
);

export interface RegistryClientOptions {
  /** A server key, host[:port] or URL; Docker Hub's keys reach registry-1.docker.io. */
  readonly server: string;
  readonly credential?: RegistryCredential;
  /** Per request; default 15 s. */
  readonly timeoutMs?: number;
  /** Default: http for loopback hosts (127.0.0.0/8, localhost, [::1]) — the engine treats them as insecure registries — else https. */
  readonly scheme?: 'https' | 'http';
}

export interface RepositoryListing {
  readonly repositories: string[];
  /** False when the registry offers no catalog to this account; `reason` says why. */
  readonly catalog: boolean;
  readonly reason?: string;
}

export interface PlatformManifest {
  /** os/architecture[/variant], or "unknown/unknown" for attestations. */
  readonly platform: string;
  readonly digest: string;
  readonly mediaType: string;
  /** Config + layers, bytes. */
  readonly size: number;
  readonly created?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ManifestDescription {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly kind: 'image' | 'index';
  /** Bytes: config + layers; for an index, the sum over its platforms' images. */
  readonly size: number;
  /** RFC 3339, from the config blob (an index: its first platform's). */
  readonly created?: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The manifest's own OCI annotations. */
  readonly annotations: Readonly<Record<string, string>>;
  /** An index's images; [] for a single image. */
  readonly platforms: readonly PlatformManifest[];
}

export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Parse a WWW-Authenticate header (RFC 7235): challenges with auth-params, quoted strings with
 * escapes and commas inside them; e.g. `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"`.
 */
export function parseAuthenticate(header: string): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = (): void => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && !/[\s,=]/.test(header[i] ?? '')) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === '') break;
    skipSpace();
    if (header[i] === '=') {
      // an auth-param of the current challenge
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else value = token();
      const current = challenges[challenges.length - 1];
      if (current) current.params[name.toLowerCase()] = value;
      skipSpace();
      if (header[i] === ',') i++;
      continue;
    }
    challenges.push({ scheme: name.toLowerCase(), params: {} });
  }
  return challenges;
}

/** The next page from a `Link: </v2/_catalog?last=b&n=2>; rel="next"` header, resolved against the registry's base. */
export function nextPageUrl(link: string | null | undefined, base: string): string | undefined {
  if (link === null || link === undefined || link === '') return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m?.[1]) continue;
    if (/;\s*rel="?next"?/i.test(m[2] ?? '')) return new URL(m[1], base).toString();
  }
  return undefined;
}

function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** host[:port] the Registry API answers on for a server. */
export function registryHost(server: string): string {
  return isDockerHub(server) ? DOCKER_HUB_REGISTRY : normaliseServer(server);
}

interface RegistryErrorBody {
  errors?: { code?: string; message?: string; detail?: unknown }[];
}

interface Descriptor {
  mediaType?: string;
  digest?: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface RawManifest {
  mediaType?: string;
  schemaVersion?: number;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  annotations?: Record<string, string>;
}

interface RawImageConfig {
  created?: string;
  config?: { Labels?: Record<string, string> | null };
}

interface RequestOptions {
  readonly method?: 'GET' | 'HEAD' | 'DELETE';
  readonly accept?: string;
  /** The Bearer scope this request needs (repository:<name>:pull, registry:catalog:*). */
  readonly scope?: string;
  readonly signal?: AbortSignal | undefined;
  /** What was asked for, for messages: "the tag a/b:1". */
  readonly what: string;
}

export class RegistryClient {
  /** host[:port] spoken to. */
  readonly registry: string;
  readonly #base: string;
  readonly #credential: RegistryCredential | undefined;
  readonly #timeoutMs: number;
  /** The challenge the registry answered with; undefined until the first 401. */
  #challenge: Challenge | undefined;
  readonly #tokens = new Map<string, string>();

  constructor(options: RegistryClientOptions) {
    this.registry = registryHost(options.server);
    const scheme = options.scheme ?? (/^http:\/\//i.test(options.server) || isLoopback(this.registry) ? 'http' : 'https');
    this.#base = `${scheme}://${this.registry}`;
    this.#credential = options.credential;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The registry answers and accepts the credential (GET /v2/, authenticated as `docker login` does). */
  async ping(signal?: AbortSignal): Promise<void> {
    const response = await this.#request(`${this.#base}/v2/`, { signal, what: 'the registry', scope: '' });
    await response.body?.cancel();
  }

  async repositories(options: { signal?: AbortSignal; pageSize?: number } = {}): Promise<RepositoryListing> {
    if (this.registry === DOCKER_HUB_REGISTRY) {
      return {
        repositories: [],
        catalog: false,
        reason: 'Docker Hub does not list repositories through the Registry API: only the repositories you name or push are shown.',
      };
    }
    await this.ping(options.signal);
    const repositories: string[] = [];
    let url: string | undefined = `${this.#base}/v2/_catalog?n=${options.pageSize ?? 100}`;
    try {
      while (url !== undefined) {
        const response = await this.#request(url, { signal: options.signal, scope: 'registry:catalog:*', what: 'the catalog' });
        const body = (await this.#json(response, 'the catalog')) as { repositories?: unknown };
        if (!Array.isArray(body.repositories)) throw this.#protocol('the catalog has no "repositories" list');
        repositories.push(...body.repositories.filter((r): r is string => typeof r === 'string'));
        url = nextPageUrl(response.headers.get('link'), this.#base);
      }
    } catch (err) {
      if (err instanceof RegistryError && ['unauthorized', 'denied', 'not-found', 'unsupported'].includes(err.code)) {
        return {
          repositories: [],
          catalog: false,
          reason: `${this.registry} does not offer its catalog to this account (${err.message}): only the repositories you name or push are shown.`,
        };
      }
      throw err;
    }
    return { repositories, catalog: true };
  }

  async tags(repo: string, options: { signal?: AbortSignal; pageSize?: number } = {}): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `${this.#base}/v2/${repo}/tags/list?n=${options.pageSize ?? 1000}`;
    while (url !== undefined) {
      const response = await this.#request(url, {
        signal: options.signal,
        scope: `repository:${repo}:pull`,
        what: `the repository ${repo}`,
      });
      const body = (await this.#json(response, `the tags of ${repo}`)) as { tags?: unknown };
      // a repository whose tags were all deleted answers "tags": null
      if (body.tags !== null && body.tags !== undefined && !Array.isArray(body.tags))
        throw this.#protocol(`the tags of ${repo} are not a list`);
      if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
      url = nextPageUrl(response.headers.get('link'), this.#base);
    }
    return tags;
  }

  async hasTag(repo: string, tag: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#headDigest(repo, tag, signal);
      return true;
    } catch (err) {
      if (err instanceof RegistryError && err.code === 'not-found') return false;
      throw err;
    }
  }

  async describe(repo: string, tag: string, signal?: AbortSignal): Promise<ManifestDescription> {
    const what = `the tag ${repo}:${tag}`;
    const { manifest, digest, mediaType } = await this.#manifest(repo, tag, signal, what);
    const annotations = manifest.annotations ?? {};
    if (Array.isArray(manifest.manifests)) {
      const platforms: PlatformManifest[] = [];
      for (const entry of manifest.manifests) {
        if (typeof entry.digest !== 'string') continue;
        const child = await this.#manifest(repo, entry.digest, signal, `${what} (${entry.digest})`);
        const image = await this.#image(repo, child.manifest, signal);
        const p = entry.platform;
        platforms.push({
          platform: [p?.os ?? 'unknown', p?.architecture ?? 'unknown', ...(p?.variant ? [p.variant] : [])].join('/'),
          digest: entry.digest,
          mediaType: child.mediaType,
          size: image.size,
          ...(image.created === undefined ? {} : { created: image.created }),
          labels: image.labels,
        });
      }
      const first = platforms.find((p) => p.platform !== 'unknown/unknown') ?? platforms[0];
      return {
        repository: repo,
        tag,
        digest,
        mediaType,
        kind: 'index',
        size: platforms.reduce((sum, p) => sum + p.size, 0),
        ...(first?.created === undefined ? {} : { created: first.created }),
        labels: first?.labels ?? {},
        annotations,
        platforms,
      };
    }
    const image = await this.#image(repo, manifest, signal);
    return {
      repository: repo,
      tag,
      digest,
      mediaType,
      kind: 'image',
      size: image.size,
      ...(image.created === undefined ? {} : { created: image.created }),
      labels: image.labels,
      annotations,
      platforms: [],
    };
  }

  /** Delete a tag: its manifest, by the digest the registry reports for it. Resolves to that digest. */
  async deleteTag(repo: string, tag: string, signal?: AbortSignal): Promise<string> {
    const digest = await this.#headDigest(repo, tag, signal);
    const response = await this.#request(`${this.#base}/v2/${repo}/manifests/${digest}`, {
      method: 'DELETE',
      scope: `repository:${repo}:delete`,
      signal,
      what: `the tag ${repo}:${tag}`,
    });
    await response.body?.cancel();
    return digest;
  }

  async #headDigest(repo: string, tag: string, signal: AbortSignal | undefined): Promise<string> {
    const response = await this.#request(`${this.#base}/v2/${repo}/manifests/${tag}`, {
      method: 'HEAD',
      accept: MANIFEST_ACCEPT,
      scope: `repository:${repo}:pull`,
      signal,
      what: `the tag ${repo}:${tag}`,
    });
    const digest = response.headers.get('docker-content-digest');
    if (digest !== null && digest !== '') return digest;
    // without the header, the digest is the manifest's sha256
    return (await this.#manifest(repo, tag, signal, `the tag ${repo}:${tag}`)).digest;
  }

  async #manifest(
    repo: string,
    reference: string,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<{ manifest: RawManifest; digest: string; mediaType: string }> {
    const response = await this.#request(`${this.#base}/v2/${repo}/manifests/${reference}`, {
      accept: MANIFEST_ACCEPT,
      scope: `repository:${repo}:pull`,
      signal,
      what,
    });
    const bytes = Buffer.from(await this.#body(response, what));
    let manifest: RawManifest;
    try {
      manifest = JSON.parse(bytes.toString('utf8')) as RawManifest;
    } catch (err) {
      throw this.#protocol(`${what}: the manifest is not JSON`, err);
    }
    const digest = response.headers.get('docker-content-digest') || `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() || manifest.mediaType || '';
    if (manifest.schemaVersion === 1 || mediaType.includes('distribution.manifest.v1')) {
      throw new RegistryError(
        'unsupported',
        this.registry,
        `${what} is an image manifest of schema 1, which Berth does not read (push it again with a current docker).`,
      );
    }
    return { manifest, digest, mediaType };
  }

  async #image(
    repo: string,
    manifest: RawManifest,
    signal: AbortSignal | undefined,
  ): Promise<{ size: number; created?: string; labels: Record<string, string> }> {
    const size = (manifest.config?.size ?? 0) + (manifest.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0);
    const configDigest = manifest.config?.digest;
    // attestations and artifacts carry configs that are not image configs
    const imageConfig =
      manifest.config?.mediaType === undefined || /container\.image\.v1\+json|oci\.image\.config\.v1\+json/.test(manifest.config.mediaType);
    if (configDigest === undefined || !imageConfig) return { size, labels: {} };
    const response = await this.#request(`${this.#base}/v2/${repo}/blobs/${configDigest}`, {
      scope: `repository:${repo}:pull`,
      signal,
      what: `the image config ${configDigest} of ${repo}`,
    });
    const config = (await this.#json(response, `the image config of ${repo}`)) as RawImageConfig;
    return { size, ...(typeof config.created === 'string' ? { created: config.created } : {}), labels: config.config?.Labels ?? {} };
  }

  async #body(response: Response, what: string): Promise<ArrayBuffer> {
    try {
      return await response.arrayBuffer();
    } catch (err) {
      throw this.#network(err, what, undefined);
    }
  }

  async #json(response: Response, what: string): Promise<unknown> {
    const bytes = await this.#body(response, what);
    try {
      return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
    } catch (err) {
      throw this.#protocol(`${what}: the registry answered something that is not JSON`, err);
    }
  }

  #protocol(message: string, cause?: unknown): RegistryError {
    return new RegistryError('protocol', this.registry, `${this.registry}: ${message}`, { cause });
  }

  async #fetch(url: string, init: RequestInit, callerSignal: AbortSignal | undefined, what: string): Promise<Response> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
    try {
      return await fetch(url, { ...init, signal, redirect: 'follow' });
    } catch (err) {
      throw this.#network(err, what, callerSignal);
    }
  }

  #network(err: unknown, what: string, callerSignal: AbortSignal | undefined): RegistryError {
    if (callerSignal?.aborted === true)
      return new RegistryError('cancelled', this.registry, `Reading ${what} from ${this.registry} was cancelled.`, { cause: err });
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new RegistryError(
        'unreachable',
        this.registry,
        `${this.registry} did not answer within ${this.#timeoutMs / 1000} s — is the registry running and reachable?`,
        { cause: err },
      );
    }
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const code = (cause as { code?: unknown } | undefined)?.code;
    const detail = typeof code === 'string' ? code : cause instanceof Error ? cause.message : String(cause);
    const tls = typeof code === 'string' && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO/.test(code);
    return new RegistryError(
      'unreachable',
      this.registry,
      tls
        ? `Cannot reach ${this.#base}: its TLS certificate is not trusted (${detail}).`
        : `Cannot reach ${this.#base} (${detail}) — is the registry running, and is the address right?`,
      { cause: err },
    );
  }

  #authorization(scope: string | undefined): string | undefined {
    const challenge = this.#challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return this.#basic();
    if (challenge.scheme === 'bearer') {
      const token = this.#tokens.get(scope ?? '');
      return token === undefined ? undefined : `Bearer ${token}`;
    }
    return undefined;
  }

  #basic(): string | undefined {
    const c = this.#credential;
    if (!c || c.username === IDENTITY_TOKEN_USER) return undefined;
    return `Basic ${Buffer.from(`${c.username}:${c.secret}`).toString('base64')}`;
  }

  async #request(url: string, options: RequestOptions): Promise<Response> {
    const headers = (): Record<string, string> => {
      const h: Record<string, string> = {};
      if (options.accept !== undefined) h.accept = options.accept;
      const auth = this.#authorization(options.scope);
      if (auth !== undefined) h.authorization = auth;
      return h;
    };
    const sentAuth = headers().authorization !== undefined;
    let response = await this.#fetch(url, { method: options.method ?? 'GET', headers: headers() }, options.signal, options.what);
    if (response.status === 401) {
      const challenges = parseAuthenticate(response.headers.get('www-authenticate') ?? '');
      const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
      if (challenge) {
        this.#challenge = challenge;
        let retry = false;
        if (challenge.scheme === 'bearer') {
          // the registry's own scope (it may add actions, e.g. delete) wins over ours
          const scope = challenge.params.scope ?? options.scope ?? '';
          const token = await this.#token(challenge, scope, options.signal);
          this.#tokens.set(options.scope ?? '', token);
          this.#tokens.set(scope, token);
          retry = true;
        } else if (challenge.scheme === 'basic' && !sentAuth && this.#basic() !== undefined) retry = true;
        if (retry) {
          await response.body?.cancel();
          response = await this.#fetch(url, { method: options.method ?? 'GET', headers: headers() }, options.signal, options.what);
        }
      }
    }
    if (response.ok) return response;
    throw await this.#failure(response, options);
  }

  async #token(challenge: Challenge, scope: string, signal: AbortSignal | undefined): Promise<string> {
    const realm = challenge.params.realm;
    if (realm === undefined || realm === '') throw this.#protocol('its Bearer challenge names no token realm');
    const url = new URL(realm);
    const service = challenge.params.service;
    const c = this.#credential;
    let response: Response;
    if (c?.username === IDENTITY_TOKEN_USER) {
      // an identity token is a refresh token for the OAuth2 endpoint (the CLI's way)
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.secret, client_id: 'berth' });
      if (service !== undefined) form.set('service', service);
      if (scope !== '') form.set('scope', scope);
      response = await this.#fetch(
        url.toString(),
        { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        signal,
        'a token',
      );
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      if (scope !== '') url.searchParams.set('scope', scope);
      const headers: Record<string, string> = {};
      if (c) {
        headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.secret}`).toString('base64')}`;
        url.searchParams.set('account', c.username);
      }
      response = await this.#fetch(url.toString(), { headers }, signal, 'a token');
    }
    if (!response.ok) {
      await response.body?.cancel();
      if (response.status === 401 || response.status === 403) {
        throw new RegistryError(
          'unauthorized',
          this.registry,
          c
            ? `${this.registry} refused the username or password (its token service at ${url.host} answered ${response.status}). Log in again with the right credentials.`
            : `${this.registry} needs you to log in (its token service refused anonymous access).`,
          { status: response.status },
        );
      }
      throw this.#protocol(`its token service at ${url.host} answered ${response.status}`);
    }
    const body = (await this.#json(response, 'the token')) as { token?: unknown; access_token?: unknown };
    const token =
      typeof body.token === 'string' && body.token !== ''
        ? body.token
        : typeof body.access_token === 'string'
          ? body.access_token
          : undefined;
    if (token === undefined || token === '') throw this.#protocol(`its token service at ${url.host} answered without a token`);
    return token;
  }

  async #failure(response: Response, options: RequestOptions): Promise<RegistryError> {
    let body: RegistryErrorBody = {};
    if (options.method !== 'HEAD') {
      try {
        body = JSON.parse(await response.text()) as RegistryErrorBody;
      } catch {
        body = {};
      }
    } else await response.body?.cancel();
    const first = Array.isArray(body.errors) ? body.errors[0] : undefined;
    const code = first?.code ?? '';
    const said = first?.message ? `: ${first.message}` : '';
    const status = response.status;
    const r = this.registry;
    if (code === 'UNSUPPORTED' || status === 405) {
      if (options.method === 'DELETE') {
        return new RegistryError(
          'unsupported',
          r,
          `${r} does not allow deleting (its operator must enable it: REGISTRY_STORAGE_DELETE_ENABLED=true, storage.delete.enabled).`,
          { status },
        );
      }
      return new RegistryError('unsupported', r, `${r} does not support this operation on ${options.what}${said}.`, { status });
    }
    if (status === 401) {
      // a token that was granted without the access asked for: the account may not, its password is fine
      const insufficient = parseAuthenticate(response.headers.get('www-authenticate') ?? '').some(
        (c) => c.params.error === 'insufficient_scope',
      );
      if (insufficient && this.#credential)
        return new RegistryError('denied', r, `${r} denied access to ${options.what} — this account may not do that.`, { status });
      return new RegistryError(
        'unauthorized',
        r,
        this.#credential
          ? `${r} refused the username or password${said}. Log in again with the right credentials.`
          : `${r} needs you to log in to read ${options.what}.`,
        { status },
      );
    }
    if (status === 403 || code === 'DENIED')
      return new RegistryError('denied', r, `${r} denied access to ${options.what}${said} — this account may not do that.`, { status });
    if (status === 404 || code === 'NAME_UNKNOWN' || code === 'MANIFEST_UNKNOWN') {
      const thing = options.what.replace(/^the /, '');
      const unknownRepo = code === 'NAME_UNKNOWN' && !thing.startsWith('repository') ? ' (it does not know the repository)' : '';
      return new RegistryError(
        'not-found',
        r,
        `${r} has no ${thing}${unknownRepo} — check the name${thing.startsWith('tag') ? ' and tag' : ''}.`,
        { status },
      );
    }
    return new RegistryError('protocol', r, `${r} answered ${status} for ${options.what}${said}.`, { status });
  }
}
