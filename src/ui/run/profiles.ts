import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseBerthConfig, type ConfigProblem, type RunProfile } from '../../core/project/runProfile';

/** A berth.yaml problem as the Problems view shows it. */
function toDiagnostic(p: ConfigProblem): vscode.Diagnostic {
  const d = new vscode.Diagnostic(new vscode.Range(p.line - 1, p.column - 1, p.line - 1, 1000), p.message, vscode.DiagnosticSeverity.Error);
  d.source = 'berth';
  return d;
}

/** Projects' run profiles as read from berth.yaml; the file's problems go to the Problems view at their lines. */
export class RunProfiles implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('berth');

  /** Read berth.yaml (its problems are an error naming the first). Undefined: no file. */
  load(projectDir: string): readonly RunProfile[] | undefined {
    const file = path.join(projectDir, 'berth.yaml');
    if (!fs.existsSync(file)) return undefined;
    const { profiles, problems } = this.parse(vscode.Uri.file(file), fs.readFileSync(file, 'utf8'));
    const first = problems[0];
    if (first)
      throw new Error(
        problems.length === 1
          ? vscode.l10n.t('berth.yaml has 1 problem; line {0}: {1} (see Problems)', first.line, first.message)
          : vscode.l10n.t('berth.yaml has {0} problems; line {1}: {2} (see Problems)', problems.length, first.line, first.message),
      );
    return profiles;
  }

  /** Check a berth.yaml's text (an editor's, saved or not): its problems replace the file's in the Problems view. */
  check(uri: vscode.Uri, text: string): readonly ConfigProblem[] {
    return this.parse(uri, text).problems;
  }

  private parse(uri: vscode.Uri, text: string): ReturnType<typeof parseBerthConfig> {
    const config = parseBerthConfig(text);
    this.diagnostics.set(uri, config.problems.map(toDiagnostic));
    return config;
  }

  dispose(): void {
    this.diagnostics.dispose();
  }
}
