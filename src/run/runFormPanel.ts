import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultProfileYaml } from '../project/projectLayout';
import { fieldsFromProfile, saveProfile, type ProfileFields } from '../project/profileForm';
import { parseBerthConfig } from '../project/runProfile';
import type { Services } from '../services';
import { webviewHtml, webviewOptions } from '../webview/html';
import type { RunFormFromWebview, RunFormToWebview } from '../webview/protocol';

/** A profile path such as profiles.serve.ports.0 → the form field it belongs to. */
function fieldOf(problemPath: string): string {
  const key = problemPath.split('.')[2] ?? 'name';
  const map: Record<string, string> = { build: 'dockerfile', model: 'modelPath', gpuCapabilities: 'gpus' };
  return map[key] ?? key;
}

/** The run form: edit a project's berth.yaml profiles with a form, then save (and run). */
export function showRunForm(services: Services, projectDir: string): void {
  const file = path.join(projectDir, 'berth.yaml');
  const extensionUri = services.context.extensionUri;
  const panel = vscode.window.createWebviewPanel(
    'berth.runForm',
    `Run Profiles: ${path.basename(projectDir)}`,
    vscode.ViewColumn.Active,
    webviewOptions(extensionUri),
  );
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'berth.svg');
  panel.webview.html = webviewHtml(panel.webview, extensionUri, 'runForm', 'Run Profiles');
  const post = (m: RunFormToWebview): void => void panel.webview.postMessage(m);
  const read = (): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);

  const init = async (): Promise<void> => {
    const text = read();
    const { profiles } = parseBerthConfig(text ?? '');
    const blankProfile = parseBerthConfig(defaultProfileYaml(projectDir, projectDir)).profiles[0];
    const state = await services.session.whenSettled();
    const gpu =
      state.kind !== 'connected'
        ? 'engine not connected'
        : state.gpu.available
          ? state.gpu.summary
          : `no GPU — ${state.gpu.reasons[0] ?? 'none detected'}`;
    post({
      type: 'init',
      project: vscode.workspace.asRelativePath(projectDir),
      profiles: profiles.map(fieldsFromProfile),
      blank: blankProfile ? { ...fieldsFromProfile(blankProfile), name: profiles.length === 0 ? 'default' : '' } : ({} as ProfileFields),
      gpu,
    });
  };

  panel.webview.onDidReceiveMessage(async (m: RunFormFromWebview) => {
    if (m.type === 'ready') return init();
    const result = saveProfile(read(), m.fields, m.previousName);
    if ('problems' in result) {
      post({ type: 'problems', problems: result.problems.map((p) => ({ field: fieldOf(p.path), message: p.message })) });
      return;
    }
    fs.writeFileSync(file, result.text);
    post({ type: 'saved', name: m.fields.name.trim() });
    if (m.run) await vscode.commands.executeCommand('berth.model.run', vscode.Uri.file(file), m.fields.name.trim());
  });
}
