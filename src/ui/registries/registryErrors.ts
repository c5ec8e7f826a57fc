import * as vscode from 'vscode';
import { TransferError } from '../../core/engine/transfer';
import { RegistryError } from '../../core/registry/client';
import { registryOfReference } from '../../core/registry/dockerConfig';

/** The registry whose login would help, when a failure is a refused or missing credential. */
export function loginTargetOf(err: unknown): string | undefined {
  if (err instanceof RegistryError && err.code === 'unauthorized') return err.registry;
  if (err instanceof TransferError && (err.reason === 'unauthorized' || err.reason === 'denied')) return registryOfReference(err.ref);
  return undefined;
}

/** What a tree row says of a registry error, and what it offers. */
export function registryErrorRow(err: unknown): { readonly label: string; readonly detail: string; readonly offer: 'login' | 'retry' } {
  const detail = err instanceof Error ? err.message : String(err);
  if (!(err instanceof RegistryError)) return { label: vscode.l10n.t('Could not list'), detail, offer: 'retry' };
  switch (err.code) {
    case 'unauthorized':
      return { label: vscode.l10n.t('Not logged in'), detail, offer: 'login' };
    case 'denied':
      return { label: vscode.l10n.t('Access denied'), detail, offer: 'login' };
    case 'unreachable':
      return { label: vscode.l10n.t('Registry unreachable'), detail, offer: 'retry' };
    case 'not-found':
      return { label: vscode.l10n.t('Not found'), detail, offer: 'retry' };
    default:
      return { label: vscode.l10n.t('Could not list'), detail, offer: 'retry' };
  }
}
