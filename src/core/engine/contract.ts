/**
 * What the rest of Berth may ask of the engine, in Berth's own records. `Engine` (engine.ts)
 * implements it on dockerode, which stays private to this folder: outside src/core/engine nothing
 * reads the engine's raw JSON (RepoTags, Names, Id, …) except the Inspect document, which shows
 * `inspectContainerJson` verbatim. test/unit/core/engine/engineContract.test.ts holds the line.
 * Streams (events, logs, exec, stats, build) are functions of their own modules that take an Engine.
 */
import type { Readable } from 'node:stream';
import type { EngineEndpoint } from './connection';
import type { ContainerRecord } from './containerStore';

export type { ContainerRecord } from './containerStore';
export type { EngineEvent } from './events';

export type Labels = Readonly<Record<string, string>>;
/** Engine list filters, e.g. { label: ['berth.managed=true'], status: ['exited'] }. */
export type Filters = Record<string, string[]>;

export interface ImageRecord {
  /** sha256:… */
  readonly id: string;
  /** repo:tag, without the engine's `<none>:<none>` placeholder. */
  readonly tags: readonly string[];
  /** repo@sha256:…, without `<none>@<none>`. */
  readonly digests: readonly string[];
  /** Bytes. */
  readonly size: number;
  /** Seconds since the epoch. */
  readonly created: number;
  readonly labels: Labels;
  /** No tag names it. */
  readonly dangling: boolean;
  readonly parentId?: string;
  /** The user its containers run as ('' for the image's default); from an inspect only. */
  readonly user?: string;
}

export interface VolumeRecord {
  readonly name: string;
  readonly driver: string;
  /** Where the data lives on the engine's host. */
  readonly mountpoint: string;
  readonly scope: string;
  readonly labels: Labels;
  /** RFC 3339. */
  readonly createdAt?: string;
  /** Bytes, when the engine computed it. */
  readonly size?: number;
}

export interface NetworkRecord {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly scope: string;
  readonly internal: boolean;
  readonly labels: Labels;
  /** RFC 3339. */
  readonly createdAt?: string;
}

/** The engine's version (GET /version). */
export interface EngineVersion {
  /** Docker Engine's version, e.g. "20.10.24". */
  readonly version: string;
  /** The newest API version the engine speaks. */
  readonly apiVersion: string;
  readonly minApiVersion?: string;
  readonly os: string;
  readonly arch: string;
  readonly kernelVersion?: string;
  readonly components: readonly { readonly name: string; readonly version: string }[];
  /** Which engine answers: Docker Engine, or Podman through its Docker-compatible API. */
  readonly flavour: 'docker' | 'podman';
}

/** What the engine says about itself (GET /info): the figures Berth shows and GPU detection reads. */
export interface EngineInfo {
  readonly id?: string;
  readonly name?: string;
  readonly serverVersion?: string;
  /** e.g. "Debian GNU/Linux 12 (bookworm)", "Docker Desktop". */
  readonly operatingSystem?: string;
  readonly osType?: string;
  readonly architecture?: string;
  readonly cpus?: number;
  readonly memoryBytes?: number;
  readonly containers?: number;
  readonly containersRunning?: number;
  readonly images?: number;
  readonly storageDriver?: string;
  readonly cgroupVersion?: string;
  readonly cgroupDriver?: string;
  readonly defaultRuntime?: string;
  /** The runtimes' names (runc, nvidia, …). */
  readonly runtimes: readonly string[];
  readonly cdiSpecDirs: readonly string[];
  readonly rootDir?: string;
  readonly securityOptions: readonly string[];
  readonly warnings: readonly string[];
  /** The engine's clock, RFC 3339. */
  readonly systemTime?: string;
}

/** One kind of what the engine stores, as `docker system df` counts it. */
export interface DiskUsageKind {
  readonly count: number;
  /** In use: images with containers, running containers, volumes mounted, cache records in use. */
  readonly active: number;
  /** Bytes on disk (images: the layers, each counted once). */
  readonly size: number;
  /** Bytes a prune of the unused could free. */
  readonly reclaimable: number;
}

/** GET /system/df: what the engine's images, containers, volumes and build cache take. */
export interface DiskUsage {
  readonly images: DiskUsageKind;
  readonly containers: DiskUsageKind;
  readonly volumes: DiskUsageKind;
  readonly buildCache: DiskUsageKind;
  /** Images no tag names and no container uses: what a prune of dangling images removes; size is theirs alone. */
  readonly dangling: { readonly count: number; readonly size: number };
}

/** What a prune removed, as the engine reports it. */
export interface PruneResult {
  /** Images deleted (layers not counted), build cache records, or volumes. */
  readonly removed: number;
  /** Bytes freed (the engine's SpaceReclaimed). */
  readonly spaceReclaimed: number;
}

export interface HealthConfig {
  Test?: string[] | undefined;
  /** Nanoseconds, as are the other durations. */
  Interval?: number | undefined;
  Timeout?: number | undefined;
  Retries?: number | undefined;
  StartPeriod?: number | undefined;
}

export interface DeviceRequest {
  Driver?: string | undefined;
  /** -1: all. */
  Count?: number | undefined;
  DeviceIDs?: string[] | null | undefined;
  Capabilities?: string[][] | undefined;
  Options?: Record<string, string> | undefined;
}

export interface DeviceMapping {
  /** A device path, or a CDI device name such as nvidia.com/gpu=all. */
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface HostConfig {
  Binds?: string[] | undefined;
  PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[]> | undefined;
  ShmSize?: number | undefined;
  /** Bytes. */
  Memory?: number | undefined;
  MemorySwap?: number | undefined;
  NanoCpus?: number | undefined;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number } | undefined;
  DeviceRequests?: DeviceRequest[] | undefined;
  Devices?: DeviceMapping[] | undefined;
  AutoRemove?: boolean | undefined;
  NetworkMode?: string | undefined;
  ReadonlyRootfs?: boolean | undefined;
  CapDrop?: string[] | undefined;
  SecurityOpt?: string[] | undefined;
  Runtime?: string | undefined;
  /** host, private, shareable, none or container:<name>. */
  IpcMode?: string | undefined;
  /** -1: unlimited. */
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | undefined;
  LogConfig?: { Type: string; Config?: Record<string, string> } | undefined;
}

/** POST /containers/create: the Engine API's create body (the fields Berth sends), and the name. */
export interface ContainerCreateOptions {
  name?: string | undefined;
  Image?: string | undefined;
  Cmd?: string[] | undefined;
  Entrypoint?: string | string[] | undefined;
  Env?: string[] | undefined;
  WorkingDir?: string | undefined;
  User?: string | undefined;
  Labels?: Record<string, string> | undefined;
  Tty?: boolean | undefined;
  OpenStdin?: boolean | undefined;
  StdinOnce?: boolean | undefined;
  AttachStdin?: boolean | undefined;
  AttachStdout?: boolean | undefined;
  AttachStderr?: boolean | undefined;
  ExposedPorts?: Record<string, object> | undefined;
  Volumes?: Record<string, object> | undefined;
  StopSignal?: string | undefined;
  Healthcheck?: HealthConfig | undefined;
  HostConfig?: HostConfig | undefined;
}

/** The engine's inspect document, shown verbatim (the Inspect editor); read no fields of it. */
export type InspectDocument = object;

export interface ListOptions {
  readonly filters?: Filters;
  /** Containers: stopped ones too (default true). Images: intermediate layers too (default false). */
  readonly all?: boolean;
}

/**
 * How this machine reaches a port published on the engine's host: the same address (a local
 * engine), a forwarded 127.0.0.1 port (an ssh:// engine), or not at all, with why.
 */
export type PortRoute =
  | {
      readonly host: string;
      readonly port: number;
      /** Set when the route is a forward, e.g. "ssh tunnel to gpu-box". */ readonly via?: string;
    }
  | { readonly error: string };

export interface ContainerEngine {
  readonly endpoint: EngineEndpoint;
  /** The API version spoken, negotiated with the engine. */
  readonly apiVersion: string;
  readonly serverVersion: EngineVersion;
  /** The bound on every non-streaming call. */
  readonly timeoutMs: number;

  /** Let go of what the engine holds (an ssh:// engine's share of its ssh connection); the engine is not used after. */
  dispose(): void;

  /**
   * The route from this machine to `host:port` as the engine's host sees it (a container's
   * published port, `host` a loopback address there): opened on first use, kept while the
   * connection lives.
   */
  reachPort(host: string, port: number): Promise<PortRoute>;

  ping(signal?: AbortSignal): Promise<string>;
  version(signal?: AbortSignal): Promise<EngineVersion>;
  info(signal?: AbortSignal): Promise<EngineInfo>;

  listContainers(options?: ListOptions, signal?: AbortSignal): Promise<ContainerRecord[]>;
  /** One container, detailed (GPU request, OOM, times). */
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerRecord>;
  /** The engine's inspect JSON, for display as it is. */
  inspectContainerJson(id: string, signal?: AbortSignal): Promise<InspectDocument>;
  createContainer(options: ContainerCreateOptions, signal?: AbortSignal): Promise<string>;
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  stopContainer(id: string, options?: { graceSeconds?: number }, signal?: AbortSignal): Promise<void>;
  restartContainer(id: string, options?: { graceSeconds?: number }, signal?: AbortSignal): Promise<void>;
  killContainer(id: string, options?: { signal?: string }, signal?: AbortSignal): Promise<void>;
  pauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  unpauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  removeContainer(id: string, options?: { force?: boolean; volumes?: boolean }, signal?: AbortSignal): Promise<void>;
  /** Wait for the container to stop; its exit code. */
  waitContainer(id: string, signal?: AbortSignal): Promise<number>;
  /** Snapshot a container as an image; the image's id. */
  commitContainer(id: string, options: { repo: string; tag: string; changes?: readonly string[] }, signal?: AbortSignal): Promise<string>;
  writeStdin(id: string, data: string, signal?: AbortSignal): Promise<void>;
  /** Extract a tar archive into a directory of the container. */
  putArchive(id: string, directory: string, tar: Buffer, signal?: AbortSignal): Promise<void>;
  /**
   * Stream a tar archive into a directory of the container (created or running), as long as it
   * takes: bounded by the signal, not by `timeoutMs` (uploads of a workspace or a model).
   */
  putArchiveStream(id: string, directory: string, tar: Readable, signal?: AbortSignal): Promise<void>;
  /** A tar archive of a path in the container. */
  getArchive(id: string, path: string, signal?: AbortSignal): Promise<Readable>;

  listImages(options?: ListOptions, signal?: AbortSignal): Promise<ImageRecord[]>;
  inspectImage(ref: string, signal?: AbortSignal): Promise<ImageRecord>;
  /** The engine's image inspect JSON, for display as it is. */
  inspectImageJson(ref: string, signal?: AbortSignal): Promise<InspectDocument>;
  tagImage(ref: string, target: { repo: string; tag: string }, signal?: AbortSignal): Promise<void>;
  removeImage(ref: string, options?: { force?: boolean }, signal?: AbortSignal): Promise<void>;
  /** Remove the dangling images no container uses. */
  pruneDanglingImages(signal?: AbortSignal): Promise<PruneResult>;
  /** Remove the build cache no build is using (all of it, as `docker builder prune --all`). */
  pruneBuildCache(signal?: AbortSignal): Promise<PruneResult>;
  /** What images, containers, volumes and build cache take; bounded by `timeoutMs` (it can be slow). */
  diskUsage(options?: { timeoutMs?: number }, signal?: AbortSignal): Promise<DiskUsage>;

  listVolumes(options?: { filters?: Filters }, signal?: AbortSignal): Promise<VolumeRecord[]>;
  createVolume(options: { name: string; labels?: Labels }, signal?: AbortSignal): Promise<VolumeRecord>;
  /** Refused with a VolumeInUseError (naming the containers) while a container uses it. */
  removeVolume(name: string, signal?: AbortSignal): Promise<void>;
  /** Remove the local volumes no container (running or stopped) uses, named ones included. */
  pruneVolumes(signal?: AbortSignal): Promise<PruneResult>;

  listNetworks(options?: { filters?: Filters }, signal?: AbortSignal): Promise<NetworkRecord[]>;
  /** The network's id. */
  createNetwork(options: { name: string; labels?: Labels }, signal?: AbortSignal): Promise<string>;
  removeNetwork(id: string, signal?: AbortSignal): Promise<void>;
}
