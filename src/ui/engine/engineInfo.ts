import * as vscode from 'vscode';
import { engineChecked } from '../walkthrough/walkthroughSteps';
import type { EngineState } from './engineSession';
import { tlsMode, type EngineEndpoint } from '../../core/engine/connection';
import type { GpuDetection } from '../../core/engine/gpu';
import type { Services } from '../services';
import { ReadonlyDocuments } from '../readonlyDocuments';

const SCHEME = 'berth-info';
const DOC_PATH = '/Berth Engine Info.md';
const infoUri = (): vscode.Uri => vscode.Uri.from({ scheme: SCHEME, path: DOC_PATH });

/** Which host, from where, why, and how it is secured. */
function connectionLines(endpoint: EngineEndpoint): string[] {
  const lines = [
    '## Connection',
    '',
    `- Host: \`${endpoint.host}\``,
    `- Context: ${endpoint.context}`,
    `- Why this host: ${endpoint.reason}`,
  ];
  const mode = tlsMode(endpoint);
  if (mode !== undefined) lines.push(`- Security: ${mode}`);
  if (endpoint.host.startsWith('ssh://')) lines.push('- Security: ssh, host key checked against known_hosts as ssh does');
  lines.push('');
  return lines;
}

/** Why there is no engine, and when Berth tries again. */
function unreachableLines(state: Extract<EngineState, { kind: 'unreachable' }>, now: Date): string[] {
  const lines = ['## State: unreachable', '', state.error.message, ''];
  if (state.nextRetryAt)
    lines.push(
      `Berth retries by itself (next attempt in ${Math.max(0, Math.round((state.nextRetryAt.getTime() - now.getTime()) / 1000))} s), or run **Berth: Retry Engine Connection**.`,
    );
  return lines;
}

/** The engine's version, API, host and figures. */
function engineLines(state: Extract<EngineState, { kind: 'connected' }>): string[] {
  const { engine, info } = state;
  const v = engine.serverVersion;
  return [
    '## Engine',
    '',
    `- Docker Engine: ${v.version}`,
    `- API version: ${engine.apiVersion} (engine ${v.apiVersion}, minimum ${v.minApiVersion ?? '?'}) — negotiated`,
    `- OS: ${info.operatingSystem ?? v.os} (${v.os}/${v.arch}, kernel ${v.kernelVersion ?? '?'})`,
    `- CPUs / memory: ${info.cpus ?? '?'} / ${info.memoryBytes !== undefined ? `${(info.memoryBytes / 2 ** 30).toFixed(1)} GiB` : '?'}`,
    `- Storage driver: ${info.storageDriver ?? '?'}; cgroup ${info.cgroupVersion ?? '?'} (${info.cgroupDriver ?? '?'})`,
    `- Runtimes: ${info.runtimes.join(', ') || 'none'} (default ${info.defaultRuntime ?? '?'})`,
    `- Containers: ${info.containersRunning ?? 0} running of ${info.containers ?? 0}; images: ${info.images ?? 0}`,
    '',
  ];
}

/** What GPU detection found, and why not when it found none. */
function gpuLines(gpu: GpuDetection): string[] {
  const lines = [
    '## GPU',
    '',
    `- Result: **${gpu.available ? 'available' : 'not available'}** — ${gpu.summary}`,
    `- Signals found: ${gpu.found.join(', ') || 'none'}`,
  ];
  for (const d of gpu.devices)
    lines.push(
      `- GPU ${d.index}: ${d.name}${d.memoryMiB !== undefined ? `, ${d.memoryMiB} MiB` : ''}${d.driverVersion ? `, driver ${d.driverVersion}` : ''}`,
    );
  if (gpu.cdiDevices.length > 0) lines.push(`- CDI devices: ${gpu.cdiDevices.join(', ')}`);
  for (const r of gpu.reasons) lines.push(`- Why not: ${r}`);
  return lines;
}

/** The engine info document (Markdown source, read in an editor: values appear as they are). */
export function engineInfoMarkdown(state: EngineState, now = new Date()): string {
  const lines: string[] = ['# Berth — Engine Info', ''];
  if (state.endpoint) lines.push(...connectionLines(state.endpoint));
  if (state.kind === 'connecting') return [...lines, 'Connecting…'].join('\n');
  if (state.kind === 'unreachable') return [...lines, ...unreachableLines(state, now)].join('\n');
  lines.push(...engineLines(state), ...gpuLines(state.gpu));
  const warnings = state.info.warnings ?? [];
  if (warnings.length > 0) lines.push('', '## Engine warnings', '', ...warnings.map((w) => `- ${w}`));
  lines.push('', `_Connected since ${state.connectedAt.toLocaleString()}_`);
  return lines.join('\n');
}

/** The Engine Info document, registered at activation: a tab restored after a reload has its content. */
export function registerEngineInfo(services: Services): void {
  const documents = new ReadonlyDocuments(SCHEME, () => engineInfoMarkdown(services.session.state));
  services.context.subscriptions.push(
    documents,
    services.session.onDidChange(() => documents.refresh(infoUri())),
  );
}

export async function showEngineInfo(services: Services): Promise<void> {
  if (services.session.state.kind !== 'connected') await services.session.reconnect();
  const doc = await vscode.workspace.openTextDocument(infoUri());
  await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
  await vscode.window.showTextDocument(doc, { preview: true });
  if (services.session.state.kind === 'connected') engineChecked();
}
