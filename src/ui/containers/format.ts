/**
 * How containers, images and volumes read in the tree: plain functions of the records (no
 * vscode import), so they are unit-tested directly.
 */
import type { ContainerRecord, PortBinding } from '../../core/engine/containerStore';
import { BERTH_LABEL, COMPOSE_LABEL } from '../../core/engine/labels';
import { formatBytes } from '../../core/project/units';

export type GroupKey = { readonly kind: 'compose'; readonly project: string } | { readonly kind: 'berth' } | { readonly kind: 'other' };

export function groupOf(r: ContainerRecord): GroupKey {
  const project = r.labels[COMPOSE_LABEL.project];
  if (project) return { kind: 'compose', project };
  if (r.labels[BERTH_LABEL.managed] !== undefined) return { kind: 'berth' };
  return { kind: 'other' };
}

export function groupId(g: GroupKey): string {
  return g.kind === 'compose' ? `group:compose:${g.project}` : `group:${g.kind}`;
}

export function groupLabel(g: GroupKey): string {
  return g.kind === 'compose' ? g.project : g.kind === 'berth' ? 'Berth runs' : 'Other containers';
}

/** Compact duration: 45s, 12m, 3h 5m, 2d 4h. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  const d = Math.floor(h / 24);
  return h % 24 === 0 ? `${d}d` : `${d}d ${h % 24}h`;
}

export function formatPort(p: PortBinding): string {
  if (p.hostPort === undefined) return `${p.containerPort}/${p.protocol}`;
  const ip = p.hostIp === undefined || p.hostIp === '0.0.0.0' || p.hostIp === '::' ? '' : `${p.hostIp}:`;
  return `${ip}${p.hostPort}→${p.containerPort}${p.protocol === 'tcp' ? '' : `/${p.protocol}`}`;
}

/** Published ports, IPv4 and IPv6 bindings of the same port shown once. */
export function publishedPorts(r: ContainerRecord): PortBinding[] {
  const seen = new Set<string>();
  return r.ports.filter((p) => {
    if (p.hostPort === undefined) return false;
    const key = `${p.hostPort}/${p.containerPort}/${p.protocol}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function gpuText(r: ContainerRecord): string | undefined {
  if (!r.gpu) return undefined;
  if (r.gpu.deviceIds.length > 0) return `GPU ${r.gpu.deviceIds.join(',')}`;
  return r.gpu.count === -1 ? 'GPU all' : `GPU ×${r.gpu.count}`;
}

/** The state word a user scans for: running, healthy, unhealthy, exited 1, OOM-killed, … */
export function stateText(r: ContainerRecord): string {
  if (r.state === 'running') return r.health ? (r.health === 'starting' ? 'starting' : r.health) : 'running';
  if (r.state === 'exited' || r.state === 'dead') {
    if (r.oomKilled === true) return 'OOM-killed';
    return r.exitCode === undefined ? r.state : `exited ${r.exitCode}`;
  }
  return r.state;
}

export function describeContainer(r: ContainerRecord, now: number): string {
  const parts = [stateText(r)];
  if (r.state === 'running' && r.startedAt && !r.startedAt.startsWith('0001'))
    parts.push(`up ${formatDuration(now - Date.parse(r.startedAt))}`);
  else if ((r.state === 'exited' || r.state === 'dead') && r.finishedAt && !r.finishedAt.startsWith('0001'))
    parts.push(`${formatDuration(now - Date.parse(r.finishedAt))} ago`);
  const ports = publishedPorts(r).map(formatPort);
  if (ports.length > 0) parts.push(ports.join(' '));
  const gpu = gpuText(r);
  if (gpu) parts.push(gpu);
  parts.push(r.image);
  return parts.join(' · ');
}

export type Tone = 'ok' | 'warn' | 'error' | 'idle';

export function toneOf(r: ContainerRecord): Tone {
  if (r.state === 'running') return r.health === 'unhealthy' ? 'error' : r.health === 'starting' ? 'warn' : 'ok';
  if (r.state === 'restarting' || r.state === 'paused') return 'warn';
  if (r.oomKilled === true || (r.exitCode !== undefined && r.exitCode !== 0) || r.state === 'dead') return 'error';
  return 'idle';
}

/** contextValue for menus: container.<state>[.ports][.compose] (`.compose`: a Compose service's container). */
export function containerContext(r: ContainerRecord): string {
  const running = r.state === 'running' || r.state === 'restarting' || r.state === 'paused';
  const compose = r.labels[COMPOSE_LABEL.project] && r.labels[COMPOSE_LABEL.service] ? '.compose' : '';
  return `container.${running ? 'running' : 'stopped'}${publishedPorts(r).length > 0 ? '.ports' : ''}${compose}`;
}

function escapeMd(s: string): string {
  return s.replace(/([\\`*_{}[\]<>()#+\-.!|])/g, '\\$1');
}

/** Tooltip in Markdown; everything from the container is escaped. */
export function containerTooltip(r: ContainerRecord, now: number): string {
  const lines = [`**${escapeMd(r.name)}** — ${escapeMd(stateText(r))}`, '', `Image: ${escapeMd(r.image)}`, `ID: \`${r.id.slice(0, 12)}\``];
  if (r.command) lines.push(`Command: ${escapeMd(r.command)}`);
  lines.push(`Status: ${escapeMd(r.status)}`);
  if (r.state === 'running' && r.startedAt)
    lines.push(`Started: ${escapeMd(r.startedAt)} (${formatDuration(now - Date.parse(r.startedAt))} ago)`);
  if (r.exitCode !== undefined && r.state !== 'running')
    lines.push(`Exit code: ${r.exitCode}${r.oomKilled === true ? ' — killed for exceeding its memory limit (OOM)' : ''}`);
  if (r.restartCount) lines.push(`Restarts: ${r.restartCount}`);
  const ports = publishedPorts(r);
  if (ports.length > 0) lines.push(`Ports: ${ports.map((p) => escapeMd(formatPort(p))).join(', ')}`);
  if (r.gpu)
    lines.push(
      `GPU request: ${escapeMd(gpuText(r) ?? '')}${r.gpu.capabilities.length > 0 ? ` (${escapeMd(r.gpu.capabilities.join(', '))})` : ''}`,
    );
  const project = r.labels[COMPOSE_LABEL.project];
  if (project) lines.push(`Compose: ${escapeMd(project)} / ${escapeMd(r.labels[COMPOSE_LABEL.service] ?? '?')}`);
  return lines.join('  \n');
}

/** Live figures for a row: "cpu 12% · mem 120 MiB/2.0 GiB". */
export function statsText(s: { cpuPercent: number; memoryUsage: number; memoryLimit: number }): string {
  return `cpu ${s.cpuPercent < 10 ? s.cpuPercent.toFixed(1) : Math.round(s.cpuPercent)}% · mem ${formatBytes(s.memoryUsage)}/${formatBytes(s.memoryLimit)}`;
}

/** Does the record match a quick filter? Words match name, image, state, id prefix or label key=value. */
export function matchesFilter(r: ContainerRecord, filter: string): boolean {
  const words = filter
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  const hay = [r.name, r.image, stateText(r), r.state, r.id.slice(0, 12), ...Object.entries(r.labels).map(([k, v]) => `${k}=${v}`)]
    .join('\n')
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}
