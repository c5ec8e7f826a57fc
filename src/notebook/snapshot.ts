/**
 * Comparing "in a running container" without disturbing it: its filesystem and config are
 * committed to a labelled image (without pausing it), the comparison runs in a fresh container of
 * that image, and the image is removed afterwards.
 */
import type { Engine } from '../engine/engine';
import { BERTH_LABEL } from '../engine/labels';

export const SNAPSHOT_REPOSITORY = 'berth-compare-snapshot';

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
