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

const fileProblemText = (p: ConfigProblem): string => vscode.l10n.t('berth.yaml line {0}, column {1}: {2}.', p.line, p.column, p.message);

type SaveMessage = Extract<RunFormFromWebview, { type: 'save' }>;

/** The run form: edit a project's berth.yaml profiles with a form, then save (and run). */
export function showRunForm(services: Services, projectDir: string): void {
  new RunForm(services, projectDir);
}

class RunForm {
  private readonly file: string;
  private readonly panel: vscode.WebviewPanel;
  /** The file's text when the form last read or wrote it: a save never silently replaces other edits. */
  private opened: string | undefined;

  constructor(
    private readonly services: Services,
    private readonly projectDir: string,
  ) {
    this.file = path.join(projectDir, 'berth.yaml');
    const extensionUri = services.context.extensionUri;
    this.panel = vscode.window.createWebviewPanel(
      'berth.runForm',
      vscode.l10n.t('Run Profiles: {0}', path.basename(projectDir)),
      vscode.ViewColumn.Active,
      webviewOptions(extensionUri),
    );
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'berth.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, 'runForm', vscode.l10n.t('Run Profiles'));
    this.panel.webview.onDidReceiveMessage((m: RunFormFromWebview) => {
      const work = m.type === 'ready' ? this.init() : this.save(m);
      work.catch((err: unknown) => {
        services.log.error('Run form', err);
        this.post({ type: 'failed', message: vscode.l10n.t('Not saved: {0} (details in the Berth log)', (err as Error).message) });
        void vscode.window.showErrorMessage(vscode.l10n.t('Run form: {0}', (err as Error).message));
      });
    });
  }

  private post(m: RunFormToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private read(): string | undefined {
    return fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8') : undefined;
  }

  private async openFile(line?: number): Promise<void> {
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(this.file), { viewColumn: vscode.ViewColumn.Beside });
    if (line !== undefined) {
      const at = new vscode.Position(Math.max(0, line - 1), 0);
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenter);
    }
  }

  /** Not saved: one message (with a way to the file), the same words in the form, the form's values kept. */
  private notSaved(message: string, line?: number): void {
    this.services.log.warn(`Run form: not saved: ${message}`);
    this.post({ type: 'failed', message: vscode.l10n.t('Not saved: {0}', message) });
    const open = vscode.l10n.t('Open berth.yaml');
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} Not saved; the form keeps your values.', message), open).then((choice) => {
      if (choice) void this.openFile(line);
    });
  }

  /** The engine's GPU as the form's GPU field explains it. */
  private async gpuNote(): Promise<string> {
    const state = await this.services.session.whenSettled();
    if (state.kind !== 'connected') return vscode.l10n.t('engine not connected');
    return state.gpu.available ? state.gpu.summary : vscode.l10n.t('no GPU — {0}', state.gpu.reasons[0] ?? vscode.l10n.t('none detected'));
  }

  /** The form's first content: the file's profiles, a blank one, the GPU; a file it cannot save into is said at once. */
  private async init(): Promise<void> {
    const text = this.read();
    this.opened = text;
    const { profiles, problems } = parseBerthConfig(text ?? '');
    const blankProfile = parseBerthConfig(defaultProfileYaml(this.projectDir, this.projectDir)).profiles[0];
    this.post({
      type: 'init',
      project: vscode.workspace.asRelativePath(this.projectDir),
      profiles: profiles.map(fieldsFromProfile),
      blank: blankProfile ? { ...fieldsFromProfile(blankProfile), name: profiles.length === 0 ? 'default' : '' } : ({} as ProfileFields),
      gpu: await this.gpuNote(),
    });
    const unreadable = problems.find((p) => p.path === '' || p.path === 'profiles');
    if (unreadable)
      this.post({ type: 'failed', message: vscode.l10n.t('{0} Fix berth.yaml before saving from the form.', fileProblemText(unreadable)) });
  }

  private async save(m: SaveMessage): Promise<void> {
    const onDisk = this.read();
    const result = saveProfile(onDisk, m.fields, m.previousName);
    if ('problems' in result) {
      this.post({ type: 'problems', problems: result.problems.map((p) => ({ field: fieldOf(p.path), message: p.message })) });
      return;
    }
    if ('fileProblem' in result) return this.notSaved(fileProblemText(result.fileProblem), result.fileProblem.line);
    const name = m.fields.name.trim();
    if (!(await this.mayWrite(onDisk, name))) return;
    try {
      writeProfileFile(this.file, result.text);
    } catch (err) {
      this.services.log.error('Run form: saving berth.yaml', err);
      return this.notSaved(vscode.l10n.t('Could not save berth.yaml: {0}.', (err as Error).message));
    }
    this.opened = result.text;
    this.post({ type: 'saved', name });
    if (m.run) await vscode.commands.executeCommand('berth.model.run', vscode.Uri.file(this.file), name);
  }

  /** Whether the save may write: not over unsaved editor changes, and over changes on disk only when the user says so. */
  private async mayWrite(onDisk: string | undefined, name: string): Promise<boolean> {
    const unsavedInEditor = vscode.workspace.textDocuments.some((d) => d.uri.fsPath === this.file && d.isDirty);
    const check = writeCheck({ opened: this.opened, onDisk, unsavedInEditor });
    if (check === 'unsavedInEditor') {
      this.notSaved(vscode.l10n.t('berth.yaml has unsaved changes in the editor: save or revert them first.'));
      return false;
    }
    if (check !== 'changedOnDisk') return true;
    const save = vscode.l10n.t('Save');
    const reload = vscode.l10n.t('Reload Form');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        'berth.yaml changed on disk since the form read it. Save profile "{0}" into the file as it is now? Its other changes are kept; this profile\'s fields are replaced by the form\'s.',
        name,
      ),
      { modal: true },
      save,
      reload,
    );
    if (choice === save) return true;
    if (choice === reload) await this.init();
    else
      this.post({
        type: 'failed',
        message: vscode.l10n.t('Not saved: berth.yaml changed on disk since the form read it; nothing was written.'),
      });
    return false;
  }
}
