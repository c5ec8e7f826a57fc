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
    `## ${vscode.l10n.t('Connection')}`,
    '',
    `- ${vscode.l10n.t('Host: {0}', `\`${endpoint.host}\``)}`,
    `- ${vscode.l10n.t('Context: {0}', endpoint.context)}`,
    `- ${vscode.l10n.t('Why this host: {0}', endpoint.reason)}`,
  ];
  const mode = tlsMode(endpoint);
  if (mode !== undefined) lines.push(`- ${vscode.l10n.t('Security: {0}', mode)}`);
  if (endpoint.host.startsWith('ssh://'))
    lines.push(`- ${vscode.l10n.t('Security: ssh, host key checked against known_hosts as ssh does')}`);
  lines.push('');
  return lines;
}

/** Why there is no engine, and when Berth tries again. */
function unreachableLines(state: Extract<EngineState, { kind: 'unreachable' }>, now: Date): string[] {
  const lines = [`## ${vscode.l10n.t('State: unreachable')}`, '', state.error.message, ''];
  if (state.nextRetryAt)
    lines.push(
      vscode.l10n.t(
        'Berth retries by itself (next attempt in {0} s), or run **Berth: Retry Engine Connection**.',
        Math.max(0, Math.round((state.nextRetryAt.getTime() - now.getTime()) / 1000)),
      ),
    );
  return lines;
}

/** The engine's version, API, host and figures. */
function engineLines(state: Extract<EngineState, { kind: 'connected' }>): string[] {
  const { engine, info } = state;
  const v = engine.serverVersion;
  const item = (line: string): string => `- ${line}`;
  return [
    `## ${vscode.l10n.t('Engine')}`,
    '',
    item(vscode.l10n.t('Docker Engine: {0}', v.version)),
    item(vscode.l10n.t('API version: {0} (engine {1}, minimum {2}) — negotiated', engine.apiVersion, v.apiVersion, v.minApiVersion ?? '?')),
    item(vscode.l10n.t('OS: {0} ({1}/{2}, kernel {3})', info.operatingSystem ?? v.os, v.os, v.arch, v.kernelVersion ?? '?')),
    item(
      vscode.l10n.t(
        'CPUs / memory: {0} / {1}',
        info.cpus ?? '?',
        info.memoryBytes !== undefined ? `${(info.memoryBytes / 2 ** 30).toFixed(1)} GiB` : '?',
      ),
    ),
    item(
      vscode.l10n.t(
        'Storage driver: {0}; cgroup {1} ({2})',
        info.storageDriver ?? '?',
        info.cgroupVersion ?? '?',
        info.cgroupDriver ?? '?',
      ),
    ),
    item(vscode.l10n.t('Runtimes: {0} (default {1})', info.runtimes.join(', ') || vscode.l10n.t('none'), info.defaultRuntime ?? '?')),
    item(vscode.l10n.t('Containers: {0} running of {1}; images: {2}', info.containersRunning ?? 0, info.containers ?? 0, info.images ?? 0)),
    '',
  ];
}

/** What GPU detection found, and why not when it found none. */
function gpuLines(gpu: GpuDetection): string[] {
  const lines = [
    '## GPU',
    '',
    `- ${vscode.l10n.t('Result: **{0}** — {1}', gpu.available ? vscode.l10n.t('available') : vscode.l10n.t('not available'), gpu.summary)}`,
    `- ${vscode.l10n.t('Signals found: {0}', gpu.found.join(', ') || vscode.l10n.t('none'))}`,
  ];
  for (const d of gpu.devices)
    lines.push(
      `- GPU ${d.index}: ${d.name}${d.memoryMiB !== undefined ? `, ${d.memoryMiB} MiB` : ''}${d.driverVersion ? `, ${vscode.l10n.t('driver {0}', d.driverVersion)}` : ''}`,
    );
  if (gpu.cdiDevices.length > 0) lines.push(`- ${vscode.l10n.t('CDI devices: {0}', gpu.cdiDevices.join(', '))}`);
  for (const r of gpu.reasons) lines.push(`- ${vscode.l10n.t('Why not: {0}', r)}`);
  return lines;
}

/** The engine info document (Markdown source, read in an editor: values appear as they are). */
export function engineInfoMarkdown(state: EngineState, now = new Date()): string {
  const lines: string[] = [`# ${vscode.l10n.t('Berth — Engine Info')}`, ''];
  if (state.endpoint) lines.push(...connectionLines(state.endpoint));
  if (state.kind === 'connecting') return [...lines, vscode.l10n.t('Connecting…')].join('\n');
  if (state.kind === 'unreachable') return [...lines, ...unreachableLines(state, now)].join('\n');
  lines.push(...engineLines(state), ...gpuLines(state.gpu));
  const warnings = state.info.warnings ?? [];
  if (warnings.length > 0) lines.push('', `## ${vscode.l10n.t('Engine warnings')}`, '', ...warnings.map((w) => `- ${w}`));
  lines.push('', `_${vscode.l10n.t('Connected since {0}', state.connectedAt.toLocaleString())}_`);
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
