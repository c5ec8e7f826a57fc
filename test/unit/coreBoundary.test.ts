import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');
const CORE = ['core/engine', 'core/project', 'core/compose', 'core/notebook'];
const IMPORTS_VSCODE = /from ['"]vscode['"]|require\(['"]vscode['"]\)/;

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

test('no file of the core imports vscode', () => {
  const offenders = CORE.flatMap((d) => tsFiles(path.join(ROOT, 'src', d))).filter((f) => IMPORTS_VSCODE.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
  assert.ok(tsFiles(path.join(ROOT, 'src/core/engine')).length > 5, 'the engine core is where it should be');
});

test('lint fails when a core file imports vscode, and only there', { timeout: 60_000 }, async () => {
  const eslint = new ESLint({ cwd: ROOT });
  const source = "import * as vscode from 'vscode';\nexport const x = vscode.version;\n";
  const [core] = await eslint.lintText(source, { filePath: path.join(ROOT, 'src/core/engine/connection.ts') });
  assert.ok(
    core?.messages.some((m) => m.ruleId === 'no-restricted-imports' && /must not import vscode/.test(m.message)),
    JSON.stringify(core?.messages),
  );
  const [shell] = await eslint.lintText(source, { filePath: path.join(ROOT, 'src/ui/config.ts') });
  assert.ok(!shell?.messages.some((m) => m.ruleId === 'no-restricted-imports'));
  for (const dir of CORE) {
    const config = (await eslint.calculateConfigForFile(path.join(ROOT, 'src', dir, 'any.ts'))) as { rules?: Record<string, unknown> };
    assert.ok(config.rules?.['no-restricted-imports'], `the rule covers src/${dir}`);
  }
});
