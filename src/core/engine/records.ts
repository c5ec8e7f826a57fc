/**
 * The engine's list and inspect JSON turned into Berth's records. Pure: tested on JSON captured
 * from a real engine (test/fixtures/engine). The raw shapes below are what engines send, nulls
 * included (dockerode's type definitions say `Labels` is always an object; it is often null).
 */
import type {
  DiskUsage,
  DiskUsageKind,
  EngineInfo,
  EngineVersion,
  ImageRecord,
  NetworkRecord,
  PruneResult,
  VolumeRecord,
} from './contract';
import { flavourOf } from './podman';

type RawLabels = Readonly<Record<string, string>> | null | undefined;

/** An entry of GET /images/json. */
export interface RawImageSummary {
  readonly Id: string;
  readonly ParentId?: string | null | undefined;
  readonly RepoTags?: readonly string[] | null | undefined;
  readonly RepoDigests?: readonly string[] | null | undefined;
  /** Seconds since the epoch. */
  readonly Created: number;
  readonly Size: number;
  readonly Labels?: RawLabels;
}

/** GET /images/{name}/json (the fields Berth reads). */
export interface RawImageDetails {
  readonly Id: string;
  readonly Parent?: string | null | undefined;
  readonly RepoTags?: readonly string[] | null | undefined;
  readonly RepoDigests?: readonly string[] | null | undefined;
  /** RFC 3339. */
  readonly Created: string;
  readonly Size: number;
  readonly Config?: { readonly User?: string | null; readonly Labels?: RawLabels } | null | undefined;
}

/** An entry of GET /volumes' `Volumes` (the same as GET /volumes/{name}). */
export interface RawVolume {
  readonly Name: string;
  readonly Driver: string;
  readonly Mountpoint: string;
  readonly Scope?: string;
  readonly CreatedAt?: string;
  readonly Labels?: RawLabels;
  readonly UsageData?: { readonly Size?: number; readonly RefCount?: number } | null | undefined;
}

/** An entry of GET /networks. */
export interface RawNetwork {
  readonly Id: string;
  readonly Name: string;
  readonly Driver: string;
  readonly Scope?: string;
  readonly Created?: string;
  readonly Internal?: boolean;
  readonly Labels?: RawLabels;
}

/** GET /version. */
export interface RawEngineVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Platform?: { Name: string };
  Components?: { Name: string; Version: string }[];
}

/** GET /info (the fields Berth reads). */
export interface RawEngineInfo {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Containers?: number;
  ContainersRunning?: number;
  Images?: number;
  Driver?: string;
  CgroupVersion?: string;
  CgroupDriver?: string;
  DefaultRuntime?: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  CDISpecDirs?: string[];
  DockerRootDir?: string;
  SecurityOptions?: string[];
  Warnings?: string[] | null;
  SystemTime?: string;
}

const NO_TAG = '<none>:<none>';
const NO_DIGEST = '<none>@<none>';

function labelsOf(labels: RawLabels): Readonly<Record<string, string>> {
  return labels ?? {};
}

/** Tags as people write them: the engine's `<none>:<none>` placeholder is no tag. */
export function imageTags(repoTags: readonly string[] | null | undefined): string[] {
  return (repoTags ?? []).filter((t) => t !== NO_TAG);
}

function imageDigests(repoDigests: readonly string[] | null | undefined): string[] {
  return (repoDigests ?? []).filter((d) => d !== NO_DIGEST);
}

export function imageFromSummary(raw: RawImageSummary): ImageRecord {
  const tags = imageTags(raw.RepoTags);
  return {
    id: raw.Id,
    tags,
    digests: imageDigests(raw.RepoDigests),
    size: raw.Size,
    created: raw.Created,
    labels: labelsOf(raw.Labels),
    dangling: tags.length === 0,
    ...(raw.ParentId ? { parentId: raw.ParentId } : {}),
  };
}

export function imageFromDetails(raw: RawImageDetails): ImageRecord {
  const tags = imageTags(raw.RepoTags);
  const created = Date.parse(raw.Created);
  return {
    id: raw.Id,
    tags,
    digests: imageDigests(raw.RepoDigests),
    size: raw.Size,
    created: Number.isNaN(created) ? 0 : Math.floor(created / 1000),
    labels: labelsOf(raw.Config?.Labels),
    dangling: tags.length === 0,
    ...(raw.Parent ? { parentId: raw.Parent } : {}),
    user: raw.Config?.User ?? '',
  };
}

export function volumeFromRaw(raw: RawVolume): VolumeRecord {
  const size = raw.UsageData?.Size;
  return {
    name: raw.Name,
    driver: raw.Driver,
    mountpoint: raw.Mountpoint,
    scope: raw.Scope ?? 'local',
    labels: labelsOf(raw.Labels),
    ...(raw.CreatedAt ? { createdAt: raw.CreatedAt } : {}),
    // -1: the engine did not compute it
    ...(size !== undefined && size >= 0 ? { size } : {}),
  };
}

export function networkFromRaw(raw: RawNetwork): NetworkRecord {
  return {
    id: raw.Id,
    name: raw.Name,
    driver: raw.Driver,
    scope: raw.Scope ?? 'local',
    internal: raw.Internal ?? false,
    labels: labelsOf(raw.Labels),
    ...(raw.Created ? { createdAt: raw.Created } : {}),
  };
}

/** Optional fields: present only when the engine sent them. */
function some<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

export function versionFromRaw(raw: RawEngineVersion): EngineVersion {
  return {
    version: raw.Version,
    apiVersion: raw.ApiVersion,
    ...some('minApiVersion', raw.MinAPIVersion),
    os: raw.Os,
    arch: raw.Arch,
    ...some('kernelVersion', raw.KernelVersion),
    components: (raw.Components ?? []).map((c) => ({ name: c.Name, version: c.Version })),
    flavour: flavourOf(raw),
  };
}

export function infoFromRaw(raw: RawEngineInfo): EngineInfo {
  return {
    ...some('id', raw.ID),
    ...some('name', raw.Name),
    ...some('serverVersion', raw.ServerVersion),
    ...some('operatingSystem', raw.OperatingSystem),
    ...some('osType', raw.OSType),
    ...some('architecture', raw.Architecture),
    ...some('cpus', raw.NCPU),
    ...some('memoryBytes', raw.MemTotal),
    ...some('containers', raw.Containers),
    ...some('containersRunning', raw.ContainersRunning),
    ...some('images', raw.Images),
    ...some('storageDriver', raw.Driver),
    ...some('cgroupVersion', raw.CgroupVersion),
    ...some('cgroupDriver', raw.CgroupDriver),
    ...some('defaultRuntime', raw.DefaultRuntime),
    runtimes: Object.keys(raw.Runtimes ?? {}),
    cdiSpecDirs: raw.CDISpecDirs ?? [],
    ...some('rootDir', raw.DockerRootDir),
    securityOptions: raw.SecurityOptions ?? [],
    warnings: raw.Warnings ?? [],
    ...some('systemTime', raw.SystemTime),
  };
}

/** GET /system/df (the fields Berth reads). Sizes of -1 mean "not computed". */
export interface RawDiskUsage {
  readonly LayersSize?: number | null;
  readonly Images?: readonly (RawImageSummary & { readonly SharedSize?: number; readonly Containers?: number })[] | null;
  readonly Containers?: readonly { readonly State?: string; readonly SizeRw?: number | null }[] | null;
  readonly Volumes?: readonly RawVolume[] | null;
  readonly BuildCache?: readonly { readonly Size?: number; readonly InUse?: boolean; readonly Shared?: boolean }[] | null;
}

/** POST /images/prune, POST /build/prune and POST /volumes/prune. */
export interface RawPruneReport {
  readonly VolumesDeleted?: readonly string[] | null;
  readonly ImagesDeleted?: readonly { readonly Untagged?: string; readonly Deleted?: string }[] | null;
  readonly CachesDeleted?: readonly string[] | null;
  readonly SpaceReclaimed?: number | null;
}

const known = (n: number | null | undefined): number => (n === undefined || n === null || n < 0 ? 0 : n);

function kind(count: number, active: number, size: number, reclaimable: number): DiskUsageKind {
  return { count, active, size, reclaimable: Math.max(0, Math.min(size, reclaimable)) };
}

/** The figures as the docker CLI's `system df` computes them from the same answer. */
export function diskUsageFromRaw(raw: RawDiskUsage): DiskUsage {
  const images = raw.Images ?? [];
  const usedImages = images.filter((i) => (i.Containers ?? 0) > 0);
  // an image a container uses keeps its own layers; the shared ones stay while any image needs them
  const usedBytes = usedImages.reduce((n, i) => n + Math.max(0, known(i.Size) - known(i.SharedSize)), 0);
  const layers = known(raw.LayersSize);
  const dangling = images.filter((i) => imageTags(i.RepoTags).length === 0 && (i.Containers ?? 0) <= 0);

  const containers = raw.Containers ?? [];
  const running = containers.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting');
  const containerBytes = containers.reduce((n, c) => n + known(c.SizeRw), 0);
  const runningBytes = running.reduce((n, c) => n + known(c.SizeRw), 0);

  const volumes = raw.Volumes ?? [];
  const mounted = volumes.filter((v) => known(v.UsageData?.RefCount) > 0);
  const volumeBytes = volumes.reduce((n, v) => n + known(v.UsageData?.Size), 0);
  const mountedBytes = mounted.reduce((n, v) => n + known(v.UsageData?.Size), 0);

  const cache = raw.BuildCache ?? [];
  const own = cache.filter((c) => !c.Shared);
  const cacheBytes = own.reduce((n, c) => n + known(c.Size), 0);
  const cacheFree = own.filter((c) => !c.InUse).reduce((n, c) => n + known(c.Size), 0);

  return {
    images: kind(images.length, usedImages.length, layers, layers - usedBytes),
    containers: kind(containers.length, running.length, containerBytes, containerBytes - runningBytes),
    volumes: kind(volumes.length, mounted.length, volumeBytes, volumeBytes - mountedBytes),
    buildCache: kind(cache.length, cache.filter((c) => c.InUse).length, cacheBytes, cacheFree),
    dangling: { count: dangling.length, size: dangling.reduce((n, i) => n + Math.max(0, known(i.Size) - known(i.SharedSize)), 0) },
  };
}

/**
 * An image prune lists the image ids and their layers' ids alike as `Deleted`: the images are
 * counted among `imageIds` (the dangling images listed just before), when given.
 */
export function pruneFromRaw(raw: RawPruneReport, imageIds?: ReadonlySet<string>): PruneResult {
  const deleted = (raw.ImagesDeleted ?? []).flatMap((d) => (d.Deleted ? [d.Deleted] : []));
  const removed = raw.CachesDeleted
    ? raw.CachesDeleted.length
    : raw.VolumesDeleted
      ? raw.VolumesDeleted.length
      : imageIds
        ? deleted.filter((id) => imageIds.has(id)).length
        : deleted.length;
  return { removed, spaceReclaimed: known(raw.SpaceReclaimed) };
}

/** The container ids of the engine's refusal "remove v: volume is in use - [id1, id2]". */
export function volumeInUseIds(message: string): string[] {
  const list = /volume is in use - \[([^\]]*)\]/.exec(message)?.[1];
  return list === undefined ? [] : list.split(/[\s,]+/).filter((id) => /^[0-9a-f]{12,64}$/.test(id));
}
