import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultProfileYaml } from '../../core/project/projectLayout';
import { fieldsFromProfile, saveProfile, writeCheck, writeProfileFile, type ProfileFields } from '../../core/project/profileForm';
import { parseBerthConfig, type ConfigProblem } from '../../core/project/runProfile';
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
  /** The file's text when the form last read or wrote it: a save never silently replaces other edits. */
  let opened: string | undefined;

  const openFile = async (line?: number): Promise<void> => {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { viewColumn: vscode.ViewColumn.Beside });
    if (line !== undefined) {
      const at = new vscode.Position(Math.max(0, line - 1), 0);
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    }
  };
  /** Not saved: one message (with a way to the file), the same words in the form, the form's values kept. */
  const notSaved = (message: string, line?: number): void => {
    services.log.warn(`Run form: not saved: ${message}`);
    post({ type: 'failed', message: `Not saved: ${message}` });
    void vscode.window.showErrorMessage(`${message} Not saved; the form keeps your values.`, 'Open berth.yaml').then((choice) => {
      if (choice) void openFile(line);
    });
  };
  const fileProblemText = (p: ConfigProblem): string => `berth.yaml line ${p.line}, column ${p.column}: ${p.message}.`;

  const init = async (): Promise<void> => {
    const text = read();
    opened = text;
    const { profiles, problems } = parseBerthConfig(text ?? '');
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
    const unreadable = problems.find((p) => p.path === '' || p.path === 'profiles');
    if (unreadable) post({ type: 'failed', message: `${fileProblemText(unreadable)} Fix berth.yaml before saving from the form.` });
  };

  const save = async (m: Extract<RunFormFromWebview, { type: 'save' }>): Promise<void> => {
    const onDisk = read();
    const result = saveProfile(onDisk, m.fields, m.previousName);
    if ('problems' in result) {
      post({ type: 'problems', problems: result.problems.map((p) => ({ field: fieldOf(p.path), message: p.message })) });
      return;
    }
    if ('fileProblem' in result) return notSaved(fileProblemText(result.fileProblem), result.fileProblem.line);
    const unsavedInEditor = vscode.workspace.textDocuments.some((d) => d.uri.fsPath === file && d.isDirty);
    const check = writeCheck({ opened, onDisk, unsavedInEditor });
    if (check === 'unsavedInEditor') return notSaved('berth.yaml has unsaved changes in the editor: save or revert them first.');
    const name = m.fields.name.trim();
    if (check === 'changedOnDisk') {
      const choice = await vscode.window.showWarningMessage(
        `berth.yaml changed on disk since the form read it. Save profile "${name}" into the file as it is now? Its other changes are kept; this profile's fields are replaced by the form's.`,
        { modal: true },
        'Save',
        'Reload Form',
      );
      if (choice === 'Reload Form') return init();
      if (choice !== 'Save') {
        post({ type: 'failed', message: 'Not saved: berth.yaml changed on disk since the form read it; nothing was written.' });
        return;
      }
    }
    try {
      writeProfileFile(file, result.text);
    } catch (err) {
      services.log.error('Run form: saving berth.yaml', err);
      return notSaved(`Could not save berth.yaml: ${(err as Error).message}.`);
    }
    opened = result.text;
    post({ type: 'saved', name });
    if (m.run) await vscode.commands.executeCommand('berth.model.run', vscode.Uri.file(file), name);
  };

  panel.webview.onDidReceiveMessage((m: RunFormFromWebview) => {
    const work = m.type === 'ready' ? init() : save(m);
    work.catch((err: unknown) => {
      services.log.error('Run form', err);
      post({ type: 'failed', message: `Not saved: ${(err as Error).message} (details in the Berth log)` });
      void vscode.window.showErrorMessage(`Run form: ${(err as Error).message}`);
    });
  });
}
