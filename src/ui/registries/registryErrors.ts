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
  if (!(err instanceof RegistryError)) return { label: 'Could not list', detail, offer: 'retry' };
  switch (err.code) {
    case 'unauthorized':
      return { label: 'Not logged in', detail, offer: 'login' };
    case 'denied':
      return { label: 'Access denied', detail, offer: 'login' };
    case 'unreachable':
      return { label: 'Registry unreachable', detail, offer: 'retry' };
    case 'not-found':
      return { label: 'Not found', detail, offer: 'retry' };
    default:
      return { label: 'Could not list', detail, offer: 'retry' };
  }
}
