/**
 * How Compose projects and services read in the Containers view: plain functions of the records
 * (no vscode import), unit-tested directly.
 */
import type { ComposeService, GpuReservation } from '../../core/compose/composeModel';
import { formatBytes } from '../../core/project/units';

/** "GPU ×1 nvidia", "GPU all", "GPU 0,1": one reservation as the tree shows it. */
export function gpuReservationText(g: GpuReservation): string {
  const which = g.deviceIds && g.deviceIds.length > 0 ? ` ${g.deviceIds.join(',')}` : g.count === 'all' ? ' all' : ` ×${g.count ?? 1}`;
  return `GPU${which}${g.driver ? ` ${g.driver}` : ''}`;
}

/** A service with no container: "not created · profile debug · GPU ×1 nvidia · 2 CPUs · 4.0 GiB · build ./". */
export function describeService(s: ComposeService): string {
  const parts = ['not created'];
  if (s.profiles.length > 0) parts.push(`profile ${s.profiles.join(', ')}`);
  for (const g of s.gpus) parts.push(gpuReservationText(g));
  if (s.limits.cpus !== undefined) parts.push(`${s.limits.cpus} CPU${s.limits.cpus === 1 ? '' : 's'}`);
  if (s.limits.memoryBytes !== undefined) parts.push(formatBytes(s.limits.memoryBytes));
  if (s.image !== undefined) parts.push(s.image);
  else if (s.build) parts.push(`build ${s.build.context}`);
  return parts.join(' · ');
}

/**
 * contextValue of a compose project's group: `containerGroup.compose`, plus `.files` when Berth
 * can run Compose for it (its files are at hand), so Up/Down/Build/Pull show only then.
 */
export function projectContext(project: { readonly target: { readonly files: readonly string[] } } | undefined): string {
  return project !== undefined && project.target.files.length > 0 ? 'containerGroup.compose.files' : 'containerGroup.compose';
}
