/**
 * The Docker Engine client: one negotiated connection, bounded timeouts on every non-streaming
 * call, and errors translated once into the typed errors of ./errors.
 */
import * as https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import Docker from 'dockerode';
import type { EngineEndpoint } from './connection';
import { directRoute, explainTlsFailure, toModemOptions } from './connection';
import {
  ApiVersionTooOldError,
  CancelledError,
  ConflictError,
  EngineError,
  EngineTimeoutError,
  GpuUnavailableError,
  translateError,
  VolumeInUseError,
} from './errors';
import { SshTunnel, type SshTunnelOptions, type SshTunnelPool } from './sshTunnel';
import { anySignal } from './streams';
import type {
  ContainerCreateOptions,
  ContainerEngine,
  DiskUsage,
  EngineInfo,
  EngineVersion,
  Filters,
  ImageRecord,
  Labels,
  ListOptions,
  NetworkRecord,
  PortRoute,
  PruneResult,
  VolumeRecord,
} from './contract';
import { recordFromDetails, recordFromSummary, type ContainerRecord } from './containerStore';
import { asksDockerGpu, cdiDevicesAsked, podmanCdiRefusal, PODMAN_DEVICE_REQUESTS_MESSAGE, PODMAN_DIFFERENCES } from './podman';
import {
  diskUsageFromRaw,
  imageFromDetails,
  imageFromSummary,
  infoFromRaw,
  networkFromRaw,
  pruneFromRaw,
  volumeFromRaw,
  volumeInUseIds,
  versionFromRaw,
  type RawEngineInfo,
  type RawEngineVersion,
  type RawImageSummary,
  type RawDiskUsage,
  type RawNetwork,
  type RawPruneReport,
  type RawVolume,
} from './records';

export type { ContainerCreateOptions, EngineInfo, EngineVersion } from './contract';
export { HostKeyGuard } from './sshTunnel';

/** The engine's raw container JSON: read only inside src/core/engine (records.ts, containerStore.ts normalise it). */
export type ContainerSummary = Docker.ContainerInfo;
export type ContainerDetails = Docker.ContainerInspectInfo;

/** Oldest Engine API Berth accepts: 1.40 (Docker 19.03) brought HostConfig.DeviceRequests for GPUs. */
export const MIN_API_VERSION = '1.40';
/** Newest Engine API this client knows; a newer engine is spoken to at this version. */
export const MAX_API_VERSION = '1.47';

export const DEFAULT_TIMEOUT_MS = 10_000;

export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return aMajor === bMajor ? aMinor - bMinor : aMajor - bMajor;
}

/** The version the client speaks: the engine's, capped at what the client knows. */
export function negotiateApiVersion(engineApiVersion: string): string {
  if (compareApiVersions(engineApiVersion, MIN_API_VERSION) < 0) {
    throw new ApiVersionTooOldError(engineApiVersion, MIN_API_VERSION);
  }
  return compareApiVersions(engineApiVersion, MAX_API_VERSION) > 0 ? MAX_API_VERSION : engineApiVersion;
}

export interface ConnectOptions {
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly signal?: AbortSignal;
  /** known_hosts files for ssh:// engines (default: UserKnownHostsFile of the ssh config, else OpenSSH's, under the user's home). */
  readonly knownHostsFiles?: readonly string[];
  /** The ssh client config for ssh:// engines (default: ~/.ssh/config). */
  readonly sshConfigFile?: string;
  /** The home folder ssh paths are read under (default: the user's). */
  readonly homeDir?: string;
  /** Details of an ssh:// engine's connection (drops, re-dials), for the Berth log. */
  readonly log?: (line: string) => void;
  /**
   * Tunnels to share: engines of the same ssh:// endpoint then use one ssh connection. Without it
   * the engine has a tunnel of its own, closed by dispose().
   */
  readonly sshTunnels?: SshTunnelPool;
}

export interface StreamRequest {
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  readonly query?: Record<string, unknown>;
  readonly signal?: AbortSignal;
  readonly operation: string;
  readonly statusCodes?: Record<number, boolean | string>;
}

/** A typed error for what only this endpoint's set-up can explain (a refused host key, a TLS failure). */
type Explain = (err: unknown) => EngineError | undefined;

interface Client {
  readonly docker: Docker;
  readonly explain: Explain;
}

function dockerFor(endpoint: EngineEndpoint, options: ConnectOptions, version?: string, tunnel?: SshTunnel): Client {
  if (tunnel !== undefined) {
    // ssh://: every request is a channel of the tunnel's one ssh connection, through its local socket
    const docker = new Docker({ socketPath: tunnel.socketPath, ...(version === undefined ? {} : { version: `v${version}` }) });
    return { docker, explain: tunnel.explain };
  }
  const { rejectUnauthorized, ...modemOptions } = toModemOptions(endpoint, options.env ?? {});
  const docker = new Docker({
    ...(modemOptions as Docker.DockerOptions),
    ...(version === undefined ? {} : { version: `v${version}` }),
  });
  if (rejectUnauthorized === false) {
    const modem = docker.modem as unknown as { agent?: https.Agent };
    modem.agent = new https.Agent({
      keepAlive: true,
      rejectUnauthorized: false,
      ...(modemOptions.ca === undefined ? {} : { ca: modemOptions.ca }),
      ...(modemOptions.cert === undefined ? {} : { cert: modemOptions.cert }),
      ...(modemOptions.key === undefined ? {} : { key: modemOptions.key }),
    });
  }
  return { docker, explain: (err) => explainTlsFailure(endpoint, err) };
}

/** dockerode clients of engines: for the engine's own modules (exec, stats, build) only. */
const clients = new WeakMap<Engine, Docker>();

/** The versioned dockerode client of an engine. Inside src/core/engine only; elsewhere use Engine's methods. */
export function dockerodeOf(engine: Engine): Docker {
  const docker = clients.get(engine);
  if (!docker) throw new Error('not a connected engine');
  return docker;
}

export class Engine implements ContainerEngine {
  /** The versioned dockerode client; private to the engine: every call bounds and translates. */
  readonly #docker: Docker;

  private constructor(
    readonly endpoint: EngineEndpoint,
    readonly apiVersion: string,
    readonly serverVersion: EngineVersion,
    docker: Docker,
    readonly timeoutMs: number,
    private readonly explain?: Explain,
    /** The ssh connection of an ssh:// engine. */
    readonly tunnel?: SshTunnel,
    private release?: () => void,
  ) {
    this.#docker = docker;
    clients.set(this, docker);
  }

  /** Connect to the engine and negotiate the API version with it (GET /version, unversioned). */
  static async connect(endpoint: EngineEndpoint, options: ConnectOptions = {}): Promise<Engine> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let tunnel: SshTunnel | undefined;
    if (endpoint.host.startsWith('ssh://')) {
      const tunnelOptions: SshTunnelOptions = {
        endpointHost: endpoint.host,
        env: options.env ?? {},
        ...(options.knownHostsFiles === undefined ? {} : { knownHostsFiles: options.knownHostsFiles }),
        ...(options.sshConfigFile === undefined ? {} : { sshConfigFile: options.sshConfigFile }),
        ...(options.homeDir === undefined ? {} : { homeDir: options.homeDir }),
        connectTimeoutMs: timeoutMs,
        ...(options.log === undefined ? {} : { log: options.log }),
      };
      tunnel = options.sshTunnels ? options.sshTunnels.acquire(tunnelOptions) : new SshTunnel(tunnelOptions);
    }
    const release = (): void => {
      if (tunnel === undefined) return;
      if (options.sshTunnels) options.sshTunnels.release(tunnel);
      else tunnel.close();
    };
    try {
      const connecting = tunnel;
      if (connecting) await bounded(endpoint.host, 'ssh login', timeoutMs, options.signal, () => connecting.ready());
      const probe = dockerFor(endpoint, options, undefined, tunnel);
      const version = await bounded(
        endpoint.host,
        'GET /version',
        timeoutMs,
        options.signal,
        async (signal) => (await loose(probe.docker).version(abortable(signal))) as RawEngineVersion,
        probe.explain,
      );
      const apiVersion = negotiateApiVersion(version.ApiVersion);
      const client = dockerFor(endpoint, options, apiVersion, tunnel);
      return new Engine(endpoint, apiVersion, versionFromRaw(version), client.docker, timeoutMs, client.explain, tunnel, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  /** Let go of what the engine holds: its ssh connection (with a pool: when it is the last engine using it). */
  dispose(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async reachPort(host: string, port: number): Promise<PortRoute> {
    const tunnel = this.tunnel;
    if (tunnel !== undefined) {
      const localPort = await this.call(`forward port ${port}`, () => tunnel.reach(port, host));
      return {
        host: '127.0.0.1',
        port: localPort,
        via: `ssh tunnel to ${host}:${port} on ${tunnel.route.hops.at(-1)?.alias ?? tunnel.host}`,
      };
    }
    return directRoute(this.endpoint, host, port);
  }

  /** Run one non-streaming call with the engine's timeout and error translation. */
  call<T>(operation: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return bounded(this.endpoint.host, operation, this.timeoutMs, signal, fn, this.explain);
  }

  translate(err: unknown, operation?: string): EngineError {
    return this.explain?.(err) ?? translateError(err, this.endpoint.host, operation);
  }

  ping(signal?: AbortSignal): Promise<string> {
    return this.call('ping', async (s) => String(await loose(this.#docker).ping(abortable(s))), signal);
  }

  version(signal?: AbortSignal): Promise<EngineVersion> {
    return this.call(
      'GET /version',
      async (s) => versionFromRaw((await loose(this.#docker).version(abortable(s))) as RawEngineVersion),
      signal,
    );
  }

  info(signal?: AbortSignal): Promise<EngineInfo> {
    return this.call('GET /info', async (s) => infoFromRaw((await loose(this.#docker).info(abortable(s))) as RawEngineInfo), signal);
  }

  /** All containers, never computing sizes (size=true costs the engine a disk walk per container). */
  async listContainers(options: ListOptions = {}, signal?: AbortSignal): Promise<ContainerRecord[]> {
    return (await this.listContainersJson(options, signal)).map(recordFromSummary);
  }

  /** The raw list: for the engine's own modules. */
  listContainersJson(options: ListOptions = {}, signal?: AbortSignal): Promise<ContainerSummary[]> {
    return this.call(
      'list containers',
      (s) =>
        this.#docker.listContainers({
          all: options.all ?? true,
          size: false,
          ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
          abortSignal: s,
        }),
      signal,
    );
  }

  async inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerRecord> {
    return recordFromDetails(await this.inspectContainerJson(id, signal));
  }

  /** The engine's inspect JSON: shown verbatim by the Inspect document; read by the engine's own modules. */
  inspectContainerJson(id: string, signal?: AbortSignal): Promise<ContainerDetails> {
    return this.call(`inspect container ${id}`, (s) => this.#docker.getContainer(id).inspect({ abortSignal: s }), signal);
  }

  listImages(options: ListOptions = {}, signal?: AbortSignal): Promise<ImageRecord[]> {
    return this.call(
      'list images',
      async (s) => {
        const images = (await this.#docker.listImages({
          all: options.all ?? false,
          ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
          abortSignal: s,
        })) satisfies RawImageSummary[];
        return images.map(imageFromSummary);
      },
      signal,
    );
  }

  async inspectImage(ref: string, signal?: AbortSignal): Promise<ImageRecord> {
    return imageFromDetails(await this.inspectImageJson(ref, signal));
  }

  inspectImageJson(ref: string, signal?: AbortSignal): Promise<Docker.ImageInspectInfo> {
    return this.call(`inspect image ${ref}`, (s) => this.#docker.getImage(ref).inspect(abortable(s)), signal);
  }

  tagImage(ref: string, target: { repo: string; tag: string }, signal?: AbortSignal): Promise<void> {
    return this.call(
      `tag image ${ref}`,
      async (s) => void (await this.#docker.getImage(ref).tag({ repo: target.repo, tag: target.tag, abortSignal: s })),
      signal,
    );
  }

  listVolumes(options: { filters?: Filters } = {}, signal?: AbortSignal): Promise<VolumeRecord[]> {
    return this.call(
      'list volumes',
      async (s) => {
        const result = await this.#docker.listVolumes({
          ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
          abortSignal: s,
        });
        return ((result.Volumes satisfies RawVolume[] | undefined) ?? []).map(volumeFromRaw);
      },
      signal,
    );
  }

  createVolume(options: { name: string; labels?: Labels }, signal?: AbortSignal): Promise<VolumeRecord> {
    return this.call(
      `create volume ${options.name}`,
      async (s) => {
        // dockerode resolves to a handle on the volume, not its JSON: ask the engine for that
        const volume = await this.#docker.createVolume({
          Name: options.name,
          ...(options.labels ? { Labels: { ...options.labels } } : {}),
          abortSignal: s,
        });
        return volumeFromRaw((await volume.inspect({ abortSignal: s })) satisfies RawVolume);
      },
      signal,
    );
  }

  async removeVolume(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call(`remove volume ${name}`, async (s) => void (await this.#docker.getVolume(name).remove({ abortSignal: s })), signal);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // "volume is in use - [ids]": the ids as names, from the containers that mount it now
      const ids = volumeInUseIds(err.message);
      const users = await this.listContainers({ all: true, filters: { volume: [name] } }, signal).catch(() => []);
      const names = ids.map((id) => users.find((c) => c.id.startsWith(id) || id.startsWith(c.id))?.name ?? id.slice(0, 12));
      throw new VolumeInUseError(name, names.length > 0 ? names : users.map((c) => c.name), err);
    }
  }

  /** A JSON request that dockerode does not offer as Berth needs it (query options it drops). */
  #request<T>(method: 'GET' | 'POST', path: string, query: Record<string, unknown>, s: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#docker.modem.dial(
        { path: `${path}?`, method, options: query, abortSignal: s, statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' } },
        (err: unknown, data: unknown) => (err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(data as T)),
      );
    });
  }

  diskUsage(options: { timeoutMs?: number } = {}, signal?: AbortSignal): Promise<DiskUsage> {
    return bounded(
      this.endpoint.host,
      'GET /system/df',
      options.timeoutMs ?? this.timeoutMs,
      signal,
      async (s) => diskUsageFromRaw(await this.#request<RawDiskUsage>('GET', '/system/df', {}, s)),
      this.explain,
    );
  }

  async pruneDanglingImages(signal?: AbortSignal): Promise<PruneResult> {
    const dangling = await this.listImages({ filters: { dangling: ['true'] } }, signal);
    // a prune walks every image and deletes layers: the engine's timeout covers listing, not this
    return bounded(
      this.endpoint.host,
      'prune dangling images',
      Math.max(this.timeoutMs, 120_000),
      signal,
      async (s) => {
        const raw = await this.#request<RawPruneReport>('POST', '/images/prune', { filters: JSON.stringify({ dangling: ['true'] }) }, s);
        return pruneFromRaw(raw, new Set(dangling.map((i) => i.id)));
      },
      this.explain,
    );
  }

  pruneVolumes(signal?: AbortSignal): Promise<PruneResult> {
    // API 1.42 (Docker 23) prunes only anonymous volumes unless asked for all; older engines know no such filter
    const filters = compareApiVersions(this.apiVersion, '1.42') >= 0 ? { filters: JSON.stringify({ all: ['true'] }) } : {};
    return bounded(
      this.endpoint.host,
      'prune unused volumes',
      Math.max(this.timeoutMs, 120_000),
      signal,
      async (s) => pruneFromRaw(await this.#request<RawPruneReport>('POST', '/volumes/prune', filters, s)),
      this.explain,
    );
  }

  pruneBuildCache(signal?: AbortSignal): Promise<PruneResult> {
    return bounded(
      this.endpoint.host,
      'prune build cache',
      Math.max(this.timeoutMs, 120_000),
      signal,
      async (s) => pruneFromRaw(await this.#request<RawPruneReport>('POST', '/build/prune', { all: true }, s)),
      this.explain,
    );
  }

  listNetworks(options: { filters?: Filters } = {}, signal?: AbortSignal): Promise<NetworkRecord[]> {
    return this.call(
      'list networks',
      async (s) => {
        const networks = (await this.#docker.listNetworks({
          ...(options.filters ? { filters: JSON.stringify(options.filters) } : {}),
          abortSignal: s,
        })) satisfies RawNetwork[];
        return networks.map(networkFromRaw);
      },
      signal,
    );
  }

  createNetwork(options: { name: string; labels?: Labels }, signal?: AbortSignal): Promise<string> {
    return this.call(
      `create network ${options.name}`,
      async (s) =>
        (
          await this.#docker.createNetwork({
            Name: options.name,
            ...(options.labels ? { Labels: { ...options.labels } } : {}),
            abortSignal: s,
          })
        ).id,
      signal,
    );
  }

  removeNetwork(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`remove network ${id}`, async (s) => void (await this.#docker.getNetwork(id).remove({ abortSignal: s })), signal);
  }

  /** Which engine answers: Docker Engine, or Podman through its Docker-compatible API. */
  get flavour(): EngineVersion['flavour'] {
    return this.serverVersion.flavour;
  }

  /**
   * Create a container. On Podman a Docker-style GPU request is refused before anything is created
   * (Podman drops DeviceRequests: the container would start without its GPU), and a CDI device it
   * cannot resolve is told as the GPU refusal it is.
   */
  async createContainer(options: ContainerCreateOptions, signal?: AbortSignal): Promise<string> {
    if (this.flavour === 'podman' && asksDockerGpu(options)) {
      throw new GpuUnavailableError(PODMAN_DEVICE_REQUESTS_MESSAGE, [PODMAN_DIFFERENCES.gpu]);
    }
    try {
      return await this.call(
        'create container',
        async (s) => (await this.#docker.createContainer({ ...(options as Docker.ContainerCreateOptions), abortSignal: s })).id,
        signal,
      );
    } catch (err) {
      const cdi =
        this.flavour === 'podman' && err instanceof EngineError ? podmanCdiRefusal(err.message, cdiDevicesAsked(options)) : undefined;
      if (cdi !== undefined && err instanceof EngineError) throw new GpuUnavailableError(cdi, [err.message, PODMAN_DIFFERENCES.gpu], err);
      throw err;
    }
  }

  startContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`start container ${id}`, async (s) => void (await this.#docker.getContainer(id).start({ abortSignal: s })), signal);
  }

  /** Stop with the engine's grace period; the call's own timeout is extended to cover it. */
  stopContainer(id: string, options: { graceSeconds?: number } = {}, signal?: AbortSignal): Promise<void> {
    const grace = options.graceSeconds;
    return bounded(
      this.endpoint.host,
      `stop container ${id}`,
      this.timeoutMs + (grace ?? 10) * 1000,
      signal,
      async (s) => void (await this.#docker.getContainer(id).stop({ ...(grace === undefined ? {} : { t: grace }), abortSignal: s })),
      this.explain,
    ).catch(ignoreNotModified);
  }

  restartContainer(id: string, options: { graceSeconds?: number } = {}, signal?: AbortSignal): Promise<void> {
    const grace = options.graceSeconds;
    return bounded(
      this.endpoint.host,
      `restart container ${id}`,
      this.timeoutMs + (grace ?? 10) * 1000,
      signal,
      async (s) => void (await this.#docker.getContainer(id).restart({ ...(grace === undefined ? {} : { t: grace }), abortSignal: s })),
      this.explain,
    );
  }

  killContainer(id: string, options: { signal?: string } = {}, signal?: AbortSignal): Promise<void> {
    return this.call(
      `kill container ${id}`,
      async (s) =>
        void (await this.#docker.getContainer(id).kill({ ...(options.signal ? { signal: options.signal } : {}), abortSignal: s })),
      signal,
    );
  }

  pauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(`pause container ${id}`, async (s) => void (await this.#docker.getContainer(id).pause({ abortSignal: s })), signal);
  }

  unpauseContainer(id: string, signal?: AbortSignal): Promise<void> {
    return this.call(
      `unpause container ${id}`,
      async (s) => void (await this.#docker.getContainer(id).unpause({ abortSignal: s })),
      signal,
    );
  }

  removeContainer(id: string, options: { force?: boolean; volumes?: boolean } = {}, signal?: AbortSignal): Promise<void> {
    return this.call(
      `remove container ${id}`,
      async (s) =>
        void (await this.#docker.getContainer(id).remove({ force: options.force ?? false, v: options.volumes ?? false, abortSignal: s })),
      signal,
    );
  }

  /** Snapshot a container's filesystem and config as an image (not paused); returns the image id. */
  commitContainer(id: string, options: { repo: string; tag: string; changes?: readonly string[] }, signal?: AbortSignal): Promise<string> {
    return this.call(
      `commit container ${id}`,
      async (s) => {
        const result = (await this.#docker.getContainer(id).commit({
          repo: options.repo,
          tag: options.tag,
          pause: false,
          ...(options.changes ? { changes: [...options.changes] } : {}),
          abortSignal: s,
        })) as { Id: string };
        return result.Id;
      },
      signal,
    );
  }

  removeImage(ref: string, options: { force?: boolean } = {}, signal?: AbortSignal): Promise<void> {
    return this.call(
      `remove image ${ref}`,
      async (s) => void (await this.#docker.getImage(ref).remove({ force: options.force ?? false, abortSignal: s })),
      signal,
    );
  }

  /**
   * Write to the stdin of a running container created with OpenStdin (through an attach), then
   * detach. Fast: no process is started, unlike an exec or a copy into the container.
   */
  async writeStdin(id: string, data: string, signal?: AbortSignal): Promise<void> {
    const stream = (await this.call(
      `attach to container ${id}`,
      (s) =>
        this.#docker.getContainer(id).attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true, abortSignal: s }),
      signal,
    )) as Duplex;
    try {
      await new Promise<void>((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
      // detach once everything written has been flushed to the engine
      await new Promise<void>((resolve) => {
        stream.once('finish', resolve);
        stream.once('error', () => resolve());
        stream.end();
      });
    } catch (err) {
      throw this.translate(err, `write to container ${id}`);
    } finally {
      stream.destroy();
    }
  }

  /** Extract a tar archive into a directory of a container (created or running). */
  putArchive(id: string, directory: string, tar: Buffer, signal?: AbortSignal): Promise<void> {
    return this.call(
      `copy files into container ${id}`,
      async (s) => void (await this.#docker.getContainer(id).putArchive(tar, { path: directory, abortSignal: s })),
      signal,
    );
  }

  /** Stream a tar into a directory of a container; not bounded by timeoutMs (only by the signal). */
  async putArchiveStream(id: string, directory: string, tar: Readable, signal?: AbortSignal): Promise<void> {
    const operation = `copy files into container ${id}`;
    if (signal?.aborted) throw new CancelledError(operation);
    try {
      await this.#docker.getContainer(id).putArchive(tar, { path: directory, ...(signal ? { abortSignal: signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw new CancelledError(operation);
      throw this.translate(err, operation);
    }
  }

  /** A tar archive of a path in a container (created or running). */
  getArchive(id: string, path: string, signal?: AbortSignal): Promise<Readable> {
    return this.openStream({
      path: `/containers/${id}/archive`,
      query: { path },
      operation: `read ${path} from container ${id}`,
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Podman only: run the container's health check once, now, and return the status it leads to.
   * Podman schedules health checks with systemd timers; where there is no systemd they never run
   * on their own and the status stays "starting" — a health wait on Podman drives them with this.
   */
  async runHealthcheck(id: string, signal?: AbortSignal): Promise<'starting' | 'healthy' | 'unhealthy'> {
    const operation = `run the health check of container ${id}`;
    if (this.flavour !== 'podman') throw new EngineError('request', `${operation}: only Podman runs a health check on request`);
    const body = await this.openStream({
      path: `/libpod/containers/${encodeURIComponent(id)}/healthcheck`,
      operation,
      statusCodes: { 200: true, 404: 'no such container', 409: 'no health check', 500: 'server error' },
      ...(signal ? { signal } : {}),
    });
    let text = '';
    try {
      for await (const chunk of body) text += String(chunk);
    } catch (err) {
      throw this.translate(err, operation);
    }
    const status = (JSON.parse(text) as { Status?: string }).Status;
    if (status === 'healthy' || status === 'unhealthy' || status === 'starting') return status;
    throw new EngineError('request', `${operation}: Podman answered ${text.trim()}`);
  }

  /** Wait for a container to stop; returns its exit code. Not bounded: it lasts as long as the container. */
  async waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    try {
      const result = (await this.#docker.getContainer(id).wait({ ...(signal ? { abortSignal: signal } : {}) })) as { StatusCode: number };
      return result.StatusCode;
    } catch (err) {
      throw this.translate(err, `wait for container ${id}`);
    }
  }

  /**
   * Open a streaming request. The connect and response headers are bounded by the engine's
   * timeout; the body then streams until the signal aborts or the engine ends it.
   */
  async openStream(request: StreamRequest): Promise<Readable> {
    const controller = new AbortController();
    const signal = anySignal(controller.signal, request.signal);
    const timer = setTimeout(
      () => controller.abort(new EngineTimeoutError(this.endpoint.host, request.operation, this.timeoutMs)),
      this.timeoutMs,
    );
    try {
      return await new Promise<Readable>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
        this.#docker.modem.dial(
          {
            path: `${request.path}?`,
            method: request.method ?? 'GET',
            options: { ...(request.query ?? {}) },
            isStream: true,
            abortSignal: signal,
            statusCodes: request.statusCodes ?? { 200: true, 404: 'not found', 500: 'server error' },
          },
          (err: unknown, stream: unknown) => {
            signal.removeEventListener('abort', onAbort);
            if (err) reject(err instanceof Error ? err : new Error(JSON.stringify(err)));
            else resolve(stream as Readable);
          },
        );
      });
    } catch (err) {
      if (controller.signal.aborted && controller.signal.reason instanceof EngineError) throw controller.signal.reason;
      throw this.translate(err, request.operation);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** dockerode accepts `abortSignal` on these calls; its type definitions lag behind. */
/** dockerode's daemon-level calls take options at run time, which its type definitions omit. */
interface DaemonCalls {
  version(options: object): Promise<unknown>;
  info(options: object): Promise<unknown>;
  ping(options: object): Promise<unknown>;
}

function loose(docker: Docker): DaemonCalls {
  return docker;
}

export function abortable(signal: AbortSignal): object {
  return { abortSignal: signal };
}

function ignoreNotModified(err: unknown): void {
  // 304: the container was already stopped — the caller's wish is met
  if (err instanceof EngineError && err.statusCode === 304) return;
  throw err;
}

/** Run fn with a signal that aborts after timeoutMs (or when the caller's signal does); translate errors. */
export async function bounded<T>(
  host: string,
  operation: string,
  timeoutMs: number,
  outer: AbortSignal | undefined,
  fn: (signal: AbortSignal) => Promise<T>,
  explain?: Explain,
): Promise<T> {
  const controller = new AbortController();
  const signal = anySignal(controller.signal, outer);
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      const error = new EngineTimeoutError(host, operation, timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(signal), timeout]);
  } catch (err) {
    if (timedOut) throw new EngineTimeoutError(host, operation, timeoutMs, err);
    throw explain?.(err) ?? translateError(err, host, operation);
  } finally {
    clearTimeout(timer);
  }
}
