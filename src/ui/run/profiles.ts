import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseBerthConfig, type RunProfile } from '../../core/project/runProfile';

let diagnostics: vscode.DiagnosticCollection | undefined;

/** Read berth.yaml; its problems go to the Problems view at their lines. Undefined: no file. */
export function loadProfiles(context: vscode.ExtensionContext, projectDir: string): readonly RunProfile[] | undefined {
  const file = path.join(projectDir, 'berth.yaml');
  if (!fs.existsSync(file)) return undefined;
  diagnostics ??= vscode.languages.createDiagnosticCollection('berth');
  if (!context.subscriptions.includes(diagnostics)) context.subscriptions.push(diagnostics);
  const { profiles, problems } = parseBerthConfig(fs.readFileSync(file, 'utf8'));
  diagnostics.set(
    vscode.Uri.file(file),
    problems.map((p) => {
      const d = new vscode.Diagnostic(
        new vscode.Range(p.line - 1, p.column - 1, p.line - 1, 1000),
        p.message,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'berth';
      return d;
    }),
  );
  if (problems.length > 0) {
    const first = problems[0];
    throw new Error(
      `berth.yaml has ${problems.length} problem${problems.length === 1 ? '' : 's'}; line ${first?.line ?? 1}: ${first?.message ?? ''} (see Problems)`,
    );
  }
  return profiles;
}
