import * as vscode from 'vscode';
import type { DiskUsage, PruneResult } from '../../core/engine/contract';
import type { Engine } from '../../core/engine/engine';
import { formatBytes } from '../../core/project/units';
import type { CommandContext } from '../commands';
import { DISK_USAGE_TIMEOUT_MS } from './diskUsage';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The disk usage now: measured afresh (a prune must say what it frees today, not at the last refresh). */
export async function measure(ctx: CommandContext, engine: Engine): Promise<DiskUsage | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Measuring disk usage…', cancellable: true },
      (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return engine.diskUsage({ timeoutMs: DISK_USAGE_TIMEOUT_MS }, controller.signal);
      },
    );
  } catch (err) {
    ctx.log.warn(`Could not measure disk usage before the prune: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

async function prune(ctx: CommandContext, title: string, run: () => Promise<PruneResult>): Promise<PruneResult> {
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, run);
  ctx.log.info(`${title} removed ${result.removed}, freed ${result.spaceReclaimed} bytes`);
  void ctx.trees.images.reload();
  return result;
}

/** Prune Dangling Images: what it frees first (count and size from df, else the dangling list), confirmed; then what it freed. */
export async function pruneDanglingImages(ctx: CommandContext): Promise<void> {
  const engine = ctx.session.requireEngine();
  const usage = await measure(ctx, engine);
  let count: number;
  let estimate: string;
  if (usage) {
    count = usage.dangling.count;
    estimate = `about ${formatBytes(usage.dangling.size)}`;
  } else {
    // without df: the dangling images listed; their sizes include layers other images may share
    const dangling = await engine.listImages({ filters: { dangling: ['true'] } });
    count = dangling.length;
    estimate = `up to ${formatBytes(dangling.reduce((n, i) => n + i.size, 0))}`;
  }
  if (count === 0) {
    void vscode.window.showInformationMessage('No dangling images to remove.');
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    `Remove ${plural(count, 'dangling image')}? This frees ${estimate}.`,
    {
      modal: true,
      detail: 'Dangling images have no tag (an image rebuilt under the same tag leaves its old one behind) and no container uses them.',
    },
    'Remove',
  );
  if (choice !== 'Remove') return;
  const result = await prune(ctx, 'Removing dangling images…', () => engine.pruneDanglingImages());
  void vscode.window.showInformationMessage(
    `Removed ${plural(result.removed, 'dangling image')}; freed ${formatBytes(result.spaceReclaimed)}.`,
  );
}

/** Prune Build Cache: the reclaimable size first, confirmed; then what the engine freed. */
export async function pruneBuildCache(ctx: CommandContext): Promise<void> {
  const engine = ctx.session.requireEngine();
  const usage = await measure(ctx, engine);
  if (usage && usage.buildCache.reclaimable === 0) {
    void vscode.window.showInformationMessage(
      usage.buildCache.count === 0 ? 'There is no build cache.' : 'All of the build cache is in use: nothing to free.',
    );
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    usage
      ? `Remove the unused build cache? This frees about ${formatBytes(usage.buildCache.reclaimable)} (${plural(usage.buildCache.count - usage.buildCache.active, 'record')}).`
      : 'Remove the unused build cache? (Its size could not be measured.)',
    { modal: true, detail: 'The next builds run the steps it saved again, and cache mounts (downloads) start empty.' },
    'Remove',
  );
  if (choice !== 'Remove') return;
  const result = await prune(ctx, 'Removing build cache…', () => engine.pruneBuildCache());
  void vscode.window.showInformationMessage(
    `Removed ${plural(result.removed, 'build cache record')}; freed ${formatBytes(result.spaceReclaimed)}.`,
  );
}
