/**
 * The engine's list and inspect JSON turned into Berth's records. Pure: tested on JSON captured
 * from a real engine (test/fixtures/engine). The raw shapes below are what engines send, nulls
 * included (dockerode's type definitions say `Labels` is always an object; it is often null).
 */
import type { ImageRecord, NetworkRecord, VolumeRecord } from './contract';

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
