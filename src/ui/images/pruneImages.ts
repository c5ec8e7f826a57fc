import * as vscode from 'vscode';
import type { DiskUsage, PruneResult } from '../../core/engine/contract';
import type { Engine } from '../../core/engine/engine';
import { formatBytes } from '../../core/project/units';
import type { CommandContext } from '../commands';
import { DISK_USAGE_TIMEOUT_MS } from './diskUsage';

/** The disk usage now: measured afresh (a prune must say what it frees today, not at the last refresh). */
export async function measure(ctx: CommandContext, engine: Engine): Promise<DiskUsage | undefined> {
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Measuring disk usage…'), cancellable: true },
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
    estimate = vscode.l10n.t('about {0}', formatBytes(usage.dangling.size));
  } else {
    // without df: the dangling images listed; their sizes include layers other images may share
    const dangling = await engine.listImages({ filters: { dangling: ['true'] } });
    count = dangling.length;
    estimate = vscode.l10n.t('up to {0}', formatBytes(dangling.reduce((n, i) => n + i.size, 0)));
  }
  if (count === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No dangling images to remove.'));
    return;
  }
  const remove = vscode.l10n.t('Remove');
  const choice = await vscode.window.showWarningMessage(
    count === 1
      ? vscode.l10n.t('Remove 1 dangling image? This frees {0}.', estimate)
      : vscode.l10n.t('Remove {0} dangling images? This frees {1}.', count, estimate),
    {
      modal: true,
      detail: vscode.l10n.t(
        'Dangling images have no tag (an image rebuilt under the same tag leaves its old one behind) and no container uses them.',
      ),
    },
    remove,
  );
  if (choice !== remove) return;
  const result = await prune(ctx, vscode.l10n.t('Removing dangling images…'), () => engine.pruneDanglingImages());
  void vscode.window.showInformationMessage(
    result.removed === 1
      ? vscode.l10n.t('Removed 1 dangling image; freed {0}.', formatBytes(result.spaceReclaimed))
      : vscode.l10n.t('Removed {0} dangling images; freed {1}.', result.removed, formatBytes(result.spaceReclaimed)),
  );
}

/** Prune Build Cache: the reclaimable size first, confirmed; then what the engine freed. */
export async function pruneBuildCache(ctx: CommandContext): Promise<void> {
  const engine = ctx.session.requireEngine();
  const usage = await measure(ctx, engine);
  if (usage && usage.buildCache.reclaimable === 0) {
    void vscode.window.showInformationMessage(
      usage.buildCache.count === 0
        ? vscode.l10n.t('There is no build cache.')
        : vscode.l10n.t('All of the build cache is in use: nothing to free.'),
    );
    return;
  }
  const remove = vscode.l10n.t('Remove');
  const records = usage ? usage.buildCache.count - usage.buildCache.active : 0;
  const choice = await vscode.window.showWarningMessage(
    usage
      ? records === 1
        ? vscode.l10n.t('Remove the unused build cache? This frees about {0} (1 record).', formatBytes(usage.buildCache.reclaimable))
        : vscode.l10n.t(
            'Remove the unused build cache? This frees about {0} ({1} records).',
            formatBytes(usage.buildCache.reclaimable),
            records,
          )
      : vscode.l10n.t('Remove the unused build cache? (Its size could not be measured.)'),
    { modal: true, detail: vscode.l10n.t('The next builds run the steps it saved again, and cache mounts (downloads) start empty.') },
    remove,
  );
  if (choice !== remove) return;
  const result = await prune(ctx, vscode.l10n.t('Removing build cache…'), () => engine.pruneBuildCache());
  void vscode.window.showInformationMessage(
    result.removed === 1
      ? vscode.l10n.t('Removed 1 build cache record; freed {0}.', formatBytes(result.spaceReclaimed))
      : vscode.l10n.t('Removed {0} build cache records; freed {1}.', result.removed, formatBytes(result.spaceReclaimed)),
  );
}
