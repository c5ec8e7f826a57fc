import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { providedTasks } from '../../core/project/berthTask';
import { parseBerthConfig } from '../../core/project/runProfile';
import { runBerthTask, type TaskServices } from './runBerthTask';

export const TASK_TYPE = 'berth';
const EXCLUDE = '**/{node_modules,.git,.vscode-test,.venv}/**';

/** A task's terminal: the task's lines, then its exit code. */
export class BerthTaskTerminal implements vscode.Pseudoterminal {
  private readonly written = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.written.event;
  readonly onDidClose = this.closed.event;
  private open_ = false;

  constructor(private readonly work: (write: (line: string) => void) => Promise<number>) {}

  open(): void {
    this.open_ = true;
    void this.work((line) => {
      if (this.open_) this.written.fire(`${line.replace(/\r?\n/g, '\r\n')}\r\n`);
    }).then((code) => {
      if (this.open_) this.closed.fire(code);
    });
  }

  close(): void {
    // the services' own notifications cancel what runs; a closed terminal only stops the lines
    this.open_ = false;
  }
}

/** The folder a task belongs to: its scope, else the first folder. */
function folderOf(task: vscode.Task): vscode.WorkspaceFolder | undefined {
  const scope = task.scope;
  return typeof scope === 'object' ? scope : vscode.workspace.workspaceFolders?.[0];
}

/** `berth` tasks in Run Task: a run task per berth.yaml profile, a build task; tasks.json's resolved. */
export class BerthTaskProvider implements vscode.TaskProvider {
  constructor(private readonly services: TaskServices) {}

  /** A runnable task for a definition in a folder. */
  taskFor(definition: vscode.TaskDefinition, folder: vscode.WorkspaceFolder | undefined, name: string, detail?: string): vscode.Task {
    const execution = new vscode.CustomExecution((resolved) =>
      Promise.resolve(
        new BerthTaskTerminal((write) =>
          folder
            ? runBerthTask(this.services, resolved, folder.uri.fsPath, write)
            : Promise.resolve((write(vscode.l10n.t('Berth: open a folder first: berth tasks run in a workspace folder.')), 1)),
        ),
      ),
    );
    const task = new vscode.Task(definition, folder ?? vscode.TaskScope.Workspace, name, TASK_TYPE, execution, []);
    if (detail !== undefined) task.detail = detail;
    if (definition['action'] === 'build') task.group = vscode.TaskGroup.Build;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, clear: true };
    return task;
  }

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const root = folder.uri.fsPath;
      const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/berth.yaml'), EXCLUDE, 50);
      const projects = files
        .map((uri) => {
          const dir = path.dirname(uri.fsPath);
          // a berth.yaml with problems offers nothing here: the Problems view and the run say why
          const { profiles, problems } = parseBerthConfig(fs.readFileSync(uri.fsPath, 'utf8'));
          return {
            dir: path.relative(root, dir).split(path.sep).join('/'),
            profiles: problems.length > 0 ? [] : profiles,
            hasDockerfile: fs.existsSync(path.join(dir, 'Dockerfile')),
          };
        })
        .sort((a, b) => a.dir.localeCompare(b.dir));
      if (!projects.some((p) => p.dir === '') && fs.existsSync(path.join(root, 'Dockerfile')))
        projects.unshift({ dir: '', profiles: [], hasDockerfile: true });
      for (const provided of providedTasks(projects)) tasks.push(this.taskFor(provided.definition, folder, provided.name, provided.detail));
    }
    return tasks;
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    if (task.definition.type !== TASK_TYPE) return undefined;
    // the definition object itself, as VS Code requires of a resolved task
    return this.taskFor(task.definition, folderOf(task), task.name);
  }
}

export function registerTasks(services: TaskServices): void {
  services.context.subscriptions.push(vscode.tasks.registerTaskProvider(TASK_TYPE, new BerthTaskProvider(services)));
}
