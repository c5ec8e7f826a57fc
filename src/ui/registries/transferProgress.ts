import * as vscode from 'vscode';
import { CancelledError } from '../../core/engine/errors';
import { pullImage, pushImage, type TransferProgress, type TransferResult } from '../../core/engine/transfer';
import { formatBytes } from '../../core/project/units';
import type { Services } from '../services';

/** "layer 3 of 7 · 45.2 MB of 170 MB" — what a push or pull has done so far. */
export function transferMessage(p: TransferProgress): string {
  const parts: string[] = [];
  if (p.layersTotal > 0)
    parts.push(
      p.layersTotal === 1
        ? vscode.l10n.t('layer {0} of {1} done', p.layersDone, p.layersTotal)
        : vscode.l10n.t('layers {0} of {1} done', p.layersDone, p.layersTotal),
    );
  if (p.bytesTotal > 0) parts.push(vscode.l10n.t('{0} of {1}', formatBytes(p.bytesDone), formatBytes(p.bytesTotal)));
  if (parts.length === 0 && p.status) parts.push(p.status);
  return parts.join(' · ');
}

/** How far along, in percent (layers done, refined by bytes when sizes are known). */
export function transferPercent(p: TransferProgress): number {
  if (p.bytesTotal > 0) return Math.min(100, Math.round((p.bytesDone / p.bytesTotal) * 100));
  if (p.layersTotal > 0) return Math.round((p.layersDone / p.layersTotal) * 100);
  return 0;
}

/**
 * Push or pull with a progress notification (layers done/total, bytes, Cancel). Resolves to the
 * result, or undefined when the user cancelled (said in a message); failures are thrown as the
 * core's typed errors.
 */
export async function transferWithProgress(
  services: Pick<Services, 'session' | 'log' | 'registries'>,
  kind: 'push' | 'pull',
  ref: string,
  options: { readonly title?: string; readonly signal?: AbortSignal } = {},
): Promise<TransferResult | undefined> {
  const engine = services.session.requireEngine();
  const auth = await services.registries.authFor(ref);
  const verb = kind === 'push' ? 'Pushing' : 'Pulling';
  services.log.info(`${verb} ${ref}${auth ? ` as ${auth.username ?? 'token'}` : ' anonymously'}`);
  try {
    return await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: options.title ?? (kind === 'push' ? vscode.l10n.t('Pushing {0}', ref) : vscode.l10n.t('Pulling {0}', ref)),
        cancellable: true,
      },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        options.signal?.addEventListener('abort', () => controller.abort());
        let last = 0;
        const run = kind === 'push' ? pushImage : pullImage;
        return run(engine, ref, {
          ...(auth ? { auth } : {}),
          signal: controller.signal,
          onProgress: (p) => {
            const percent = transferPercent(p);
            progress.report({ message: transferMessage(p), increment: Math.max(0, percent - last) });
            last = Math.max(last, percent);
          },
        });
      },
    );
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    services.log.info(`${kind} of ${ref} cancelled`);
    void vscode.window.showInformationMessage(
      kind === 'push'
        ? vscode.l10n.t('Push of {0} cancelled: nothing was tagged in the registry.', ref)
        : vscode.l10n.t('Pull of {0} cancelled.', ref),
    );
    return undefined;
  }
}
