import { engineProductName } from '../../core/engine/podman';
import * as vscode from 'vscode';
import type { EngineState } from './engineSession';
import type { Services } from '../services';

/** Status bar text and tooltip for an engine state. */
export function describeStatus(state: EngineState): { text: string; tooltip: string; warning: boolean } {
  switch (state.kind) {
    case 'connecting':
      return {
        text: vscode.l10n.t('$(sync~spin) Docker…'),
        tooltip: state.endpoint
          ? vscode.l10n.t('Berth: connecting to {0}', state.endpoint.host)
          : vscode.l10n.t('Berth: connecting to the engine'),
        warning: false,
      };
    case 'connected': {
      const gpu = state.gpu.available ? state.gpu.summary : vscode.l10n.t('no GPU');
      return {
        text: `$(vm-active) ${engineProductName(state.engine.serverVersion.flavour)} ${state.engine.serverVersion.version} · ${gpu}`,
        tooltip: vscode.l10n.t(
          'Berth: {0} ({1})\nAPI {2} · {3}\nClick for engine info',
          state.endpoint.host,
          state.endpoint.reason,
          state.engine.apiVersion,
          gpu,
        ),
        warning: false,
      };
    }
    case 'unreachable':
      return {
        text: vscode.l10n.t('$(vm-outline) Docker: {0}', shortReason(state.error.code)),
        tooltip: vscode.l10n.t('Berth: {0}\nClick for engine info', state.error.message),
        warning: true,
      };
  }
}

function shortReason(code: string): string {
  switch (code) {
    case 'permission':
      return vscode.l10n.t('permission denied');
    case 'timeout':
      return vscode.l10n.t('not answering');
    case 'api-too-old':
      return vscode.l10n.t('engine too old');
    case 'bad-config':
      return vscode.l10n.t('bad host setting');
    case 'host-key':
      return vscode.l10n.t('ssh host key not trusted');
    case 'tls':
      return vscode.l10n.t('TLS failed');
    default:
      return vscode.l10n.t('unreachable');
  }
}

export function registerEngineStatus({ context, session }: Services): void {
  const item = vscode.window.createStatusBarItem('berth.engine', vscode.StatusBarAlignment.Left, 50);
  item.name = vscode.l10n.t('Berth Engine');
  item.command = 'berth.engine.showInfo';
  const render = (state: EngineState): void => {
    const { text, tooltip, warning } = describeStatus(state);
    item.text = text;
    item.tooltip = tooltip;
    item.backgroundColor = warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  render(session.state);
  item.show();
  context.subscriptions.push(item, session.onDidChange(render));
}
