/**
 * Comparing "in a running container" without disturbing it: its filesystem and config are
 * committed to a labelled image (without pausing it), the comparison runs in a fresh container of
 * that image, and the image is removed afterwards. No container is started ahead of time on a
 * snapshot (it would keep the untagged image, gigabytes, alive).
 */
import type { Engine } from '../engine/engine';
import { BERTH_LABEL } from '../engine/labels';

export const SNAPSHOT_REPOSITORY = 'berth-compare-snapshot';

/** An image made by snapshotContainer: removed after its comparison, so nothing may be started ahead on it. */
export function isSnapshotImage(image: string): boolean {
  return image.startsWith(`${SNAPSHOT_REPOSITORY}:`);
}

export interface Snapshot {
  readonly image: string;
  /** Remove the snapshot image; never throws. */
  readonly remove: () => Promise<void>;
}

export async function snapshotContainer(engine: Engine, containerId: string, signal?: AbortSignal): Promise<Snapshot> {
  const tag = `${containerId.slice(0, 12)}-${Date.now().toString(36)}`;
  await engine.commitContainer(containerId, { repo: SNAPSHOT_REPOSITORY, tag, changes: [`LABEL ${BERTH_LABEL.managed}=true`] }, signal);
  const image = `${SNAPSHOT_REPOSITORY}:${tag}`;
  return { image, remove: () => engine.removeImage(image, { force: true }).catch(() => undefined) };
}
