import type { DiskUsage, DiskUsageKind } from '../../core/engine/contract';
import { formatBytes } from '../../core/project/units';

/** /system/df walks every layer and volume: on a big engine it takes long; past this the row says so. */
export const DISK_USAGE_TIMEOUT_MS = 30_000;

export type DiskKindName = 'images' | 'containers' | 'volumes' | 'buildCache';

export const DISK_KINDS: readonly { readonly name: DiskKindName; readonly label: string }[] = [
  { name: 'images', label: 'Images' },
  { name: 'buildCache', label: 'Build cache' },
  { name: 'volumes', label: 'Volumes' },
  { name: 'containers', label: 'Containers' },
];

function sized(kind: DiskUsageKind): string {
  return kind.reclaimable > 0 ? `${formatBytes(kind.size)} (${formatBytes(kind.reclaimable)} reclaimable)` : formatBytes(kind.size);
}

/** The summary row: "images 1.2 GiB (300 MiB reclaimable) · build cache 80 MiB · volumes 10 MiB · containers 4 KiB". */
export function diskSummary(usage: DiskUsage): string {
  return DISK_KINDS.map(({ name, label }) => `${label.toLowerCase()} ${sized(usage[name])}`).join(' · ');
}

/** One kind's row: "4 (2 in use) · 1.2 GiB · 300 MiB reclaimable". */
export function diskKindDescription(name: DiskKindName, usage: DiskUsage): string {
  const kind = usage[name];
  const parts = [
    `${kind.count}${kind.active > 0 ? ` (${kind.active} in use)` : ''}`,
    formatBytes(kind.size),
    `${formatBytes(kind.reclaimable)} reclaimable`,
  ];
  if (name === 'images' && usage.dangling.count > 0) parts.push(`${usage.dangling.count} dangling, ${formatBytes(usage.dangling.size)}`);
  return parts.join(' · ');
}
