import { engineProductName } from '../../core/engine/podman';
import * as vscode from 'vscode';
import type { EngineState } from './engineSession';
import type { Services } from '../services';

/** Status bar text and tooltip for an engine state. */
export function describeStatus(state: EngineState): { text: string; tooltip: string; warning: boolean } {
  switch (state.kind) {
    case 'connecting':
      return { text: '$(sync~spin) Docker…', tooltip: `Berth: connecting to ${state.endpoint?.host ?? 'the engine'}`, warning: false };
    case 'connected': {
      const gpu = state.gpu.available ? state.gpu.summary : 'no GPU';
      return {
        text: `$(vm-active) ${engineProductName(state.engine.serverVersion.flavour)} ${state.engine.serverVersion.version} · ${gpu}`,
        tooltip: `Berth: ${state.endpoint.host} (${state.endpoint.reason})\nAPI ${state.engine.apiVersion} · ${gpu}\nClick for engine info`,
        warning: false,
      };
    }
    case 'unreachable':
      return {
        text: `$(vm-outline) Docker: ${shortReason(state.error.code)}`,
        tooltip: `Berth: ${state.error.message}\nClick for engine info`,
        warning: true,
      };
  }
}

function shortReason(code: string): string {
  switch (code) {
    case 'permission':
      return 'permission denied';
    case 'timeout':
      return 'not answering';
    case 'api-too-old':
      return 'engine too old';
    case 'bad-config':
      return 'bad host setting';
    case 'host-key':
      return 'ssh host key not trusted';
    case 'tls':
      return 'TLS failed';
    default:
      return 'unreachable';
  }
}

export function registerEngineStatus({ context, session }: Services): void {
  const item = vscode.window.createStatusBarItem('berth.engine', vscode.StatusBarAlignment.Left, 50);
  item.name = 'Berth Engine';
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
