/**
 * The layout is the architecture: these tests read every source file's imports and top-level
 * statements and fail, naming the file, when a dependency points the wrong way or a module keeps
 * mutable state of its own.
 *
 *   src/extension.ts → src/ui → src/core            (and src/cli.ts → src/core)
 *   inside the core: notebook → project → engine;   engine → nothing of Berth's
 *   webview/ (browser) → only the few shared, DOM-free records it is allowed to include
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Where a file's imports lead: Berth files (absolute, with extension) and bare packages. */
export function importsOf(file: string, text = fs.readFileSync(file, 'utf8')): { files: string[]; packages: string[] } {
  const info = ts.preProcessFile(text, true, true);
  const files: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith('.')) {
      packages.push(fileName);
      continue;
    }
    const base = path.resolve(path.dirname(file), fileName);
    const found = [base, `${base}.ts`, `${base}.mts`, path.join(base, 'index.ts')].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    files.push(found ?? base);
  }
  return { files, packages };
}

/** The layer a file of Berth's belongs to, or undefined outside src/ and webview/. */
export function layerOf(file: string): string | undefined {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  if (rel === 'src/extension.ts') return 'entry';
  if (rel === 'src/cli.ts') return 'cli';
  const m = /^src\/(core\/[^/]+|ui)\//.exec(rel);
  if (m) return m[1];
  if (rel.startsWith('webview/')) return 'webview';
  if (rel.startsWith('src/')) return 'src';
  return undefined;
}

/** Which layers each layer may import (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  entry: [
    'ui',
    'core/engine',
    'core/project',
    'core/notebook',
    'core/build',
    'core/registry',
    'core/scan',
    'core/compose',
    'core/fleet',
    'core/logsearch',
  ],
  cli: [
    'core/engine',
    'core/project',
    'core/notebook',
    'core/build',
    'core/registry',
    'core/scan',
    'core/compose',
    'core/fleet',
    'core/logsearch',
  ],
  ui: [
    'core/engine',
    'core/project',
    'core/notebook',
    'core/build',
    'core/registry',
    'core/scan',
    'core/compose',
    'core/fleet',
    'core/logsearch',
    'core/schema',
    'core/llm',
  ],
  'core/notebook': ['core/engine', 'core/project'],
  // BuildKit builds through a docker CLI, or the engine's classic builder
  'core/build': ['core/engine', 'core/project'],
  // docker config, credential stores and the Registry HTTP API v2
  'core/registry': ['core/engine'],
  // image scanners (Trivy, Grype, Docker Scout) and their reports
  'core/scan': ['core/engine'],
  'core/compose': ['core/engine', 'core/project'],
  // fleet monitoring: metrics scrapes, stats and the live model across containers; alerts
  'core/fleet': ['core/engine', 'core/project'],
  // one query over every container's logs
  'core/logsearch': ['core/engine'],
  // JSON Schema read for an editor: completion and hover in YAML documents
  'core/schema': [],
  // OpenAI-compatible LLM servers: streamed chat, its measurements, detection, request as code
  'core/llm': ['core/engine'],
  'core/project': ['core/engine'],
  'core/engine': [],
  webview: [],
};

/** The only src/ files the panels' browser code includes (webview/tsconfig.json lists the same). */
const WEBVIEW_SHARED = [
  'src/ui/webview/protocol.ts',
  'src/core/engine/statsPoint.ts',
  'src/core/project/units.ts',
  'src/core/project/profileFields.ts',
  'src/core/notebook/summary.ts',
  'src/core/fleet/types.ts',
  'src/core/llm/types.ts',
];

export function directionProblems(files: readonly string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (!from) continue;
    const { files: targets, packages } = importsOf(file);
    const rel = path.relative(ROOT, file);
    if (from === 'src') problems.push(`${rel}: every source file lives in src/core/<area>/, src/ui/ or is an entry point`);
    if (from !== 'ui' && from !== 'entry' && packages.includes('vscode')) problems.push(`${rel} imports vscode`);
    for (const target of targets) {
      const to = layerOf(target);
      if (!to || to === from) continue;
      const allowed =
        from === 'webview' ? WEBVIEW_SHARED.includes(path.relative(ROOT, target).split(path.sep).join('/')) : ALLOWED[from]?.includes(to);
      if (!allowed) problems.push(`${rel} (${from}) imports ${path.relative(ROOT, target)} (${to})`);
    }
  }
  return problems;
}

const MUTATORS = /^(set|add|delete|clear|push|pop|shift|unshift|splice|sort|reverse|fill|copyWithin)$/;

/**
 * Module-level state: a top-level `let`/`var`, or a top-level const collection (Map, Set, array,
 * object) that the module mutates. Such state outlives a window's services and is shared by
 * every engine connection; it belongs in a service object.
 */
export function moduleStateProblems(file: string, text = fs.readFileSync(file, 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const rel = path.relative(ROOT, file);
  const problems: string[] = [];
  const collections = new Set<string>();
  for (const stmt of sf.statements) {
    if (!ts.isVariableStatement(stmt)) continue;
    const list = stmt.declarationList;
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    for (const decl of list.declarations) {
      const name = decl.name.getText(sf);
      if (!isConst) {
        problems.push(`${rel}: top-level \`${list.flags & ts.NodeFlags.Let ? 'let' : 'var'} ${name}\``);
        continue;
      }
      let init = decl.initializer;
      while (init && (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init))) {
        if (ts.isAsExpression(init) && init.type.getText(sf) === 'const') break;
        init = init.expression;
      }
      if (!init || !ts.isIdentifier(decl.name)) continue;
      const collection =
        // (a WeakMap or WeakSet is private storage of the objects it is keyed by, and goes with them)
        (ts.isNewExpression(init) && /^(Map|Set|Array)$/.test(init.expression.getText(sf))) ||
        ts.isArrayLiteralExpression(init) ||
        ts.isObjectLiteralExpression(init);
      if (collection) collections.add(name);
    }
  }
  // a class's static fields are module state too
  for (const stmt of sf.statements) {
    if (!ts.isClassDeclaration(stmt)) continue;
    for (const member of stmt.members) {
      if (!ts.isPropertyDeclaration(member)) continue;
      const modifiers = ts.getModifiers(member) ?? [];
      if (!modifiers.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
      const readonly = modifiers.some((m) => m.kind === ts.SyntaxKind.ReadonlyKeyword);
      const init = member.initializer;
      const collection =
        init !== undefined &&
        ((ts.isNewExpression(init) && /^(Map|Set|Array)$/.test(init.expression.getText(sf))) ||
          ts.isArrayLiteralExpression(init) ||
          ts.isObjectLiteralExpression(init));
      if (!readonly || collection) problems.push(`${rel}: static \`${stmt.name?.text ?? 'class'}.${member.name.getText(sf)}\` holds state`);
    }
  }
  if (collections.size === 0) return problems;
  const mutated = new Set<string>();
  const visit = (node: ts.Node): void => {
    // name.set(…), name.push(…), …
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const target = node.expression.expression;
      if (ts.isIdentifier(target) && collections.has(target.text) && MUTATORS.test(node.expression.name.text)) mutated.add(target.text);
    }
    // name.x = …, name[k] = …, delete name.x
    const assigned =
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
      node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
        ? node.left
        : ts.isDeleteExpression(node)
          ? node.expression
          : undefined;
    if (
      assigned &&
      (ts.isPropertyAccessExpression(assigned) || ts.isElementAccessExpression(assigned)) &&
      ts.isIdentifier(assigned.expression)
    ) {
      if (collections.has(assigned.expression.text)) mutated.add(assigned.expression.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  for (const name of mutated) problems.push(`${rel}: top-level \`${name}\` is mutated`);
  return problems;
}

const SOURCES = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'webview'))];

describe('import direction', () => {
  test('the layers are where the architecture says', () => {
    for (const dir of ['src/core/engine', 'src/core/project', 'src/core/notebook', 'src/ui']) {
      assert.ok(sourceFiles(path.join(ROOT, dir)).length > 3, `${dir} holds its files`);
    }
  });

  test('ui → core; notebook → project → engine; engine → nothing of Berth; webview → its shared records', () => {
    assert.deepEqual(directionProblems(SOURCES), []);
  });

  test('webview/tsconfig.json includes exactly the shared records', () => {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'webview/tsconfig.json'), 'utf8')) as { include: string[] };
    const shared = config.include.filter((p) => p.startsWith('../')).map((p) => p.slice(3));
    assert.deepEqual([...shared].sort(), [...WEBVIEW_SHARED].sort());
  });

  test('the check sees each kind of wrong import', () => {
    const tmp = fs.mkdtempSync(path.join(ROOT, 'src', 'core', 'engine', '.arch-'));
    const cases: Record<string, string> = {
      [path.join(tmp, 'a.ts')]: "import { x } from '../../project/units';\n",
      [path.join(ROOT, 'src/core/project', `.arch-${path.basename(tmp)}.ts`)]: "import { y } from '../notebook/plan';\n",
      [path.join(ROOT, 'src/core/notebook', `.arch-${path.basename(tmp)}.ts`)]: "import * as vscode from 'vscode';\n",
      [path.join(ROOT, 'src/core/notebook', `.arch2-${path.basename(tmp)}.ts`)]: "import { z } from '../../ui/services';\n",
      [path.join(ROOT, 'webview', `.arch-${path.basename(tmp)}.ts`)]: "import { w } from '../src/core/engine/engine';\n",
    };
    try {
      for (const [file, text] of Object.entries(cases)) fs.writeFileSync(file, text);
      const problems = directionProblems(Object.keys(cases));
      assert.equal(problems.length, 5, problems.join('\n'));
      assert.match(problems.join('\n'), /\(core\/engine\) imports src\/core\/project\/units/);
      assert.match(problems.join('\n'), /\(core\/project\) imports src\/core\/notebook\/plan/);
      assert.match(problems.join('\n'), /imports vscode/);
      assert.match(problems.join('\n'), /\(core\/notebook\) imports src\/ui\/services/);
      assert.match(problems.join('\n'), /\(webview\) imports src\/core\/engine\/engine/);
    } finally {
      for (const file of Object.keys(cases)) fs.rmSync(file, { force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('no mutable module-level state', () => {
  // a panel's script (webview/) is its page: its top-level state lives and dies with the panel
  test('no file of the extension keeps state outside a service object', () => {
    const problems = sourceFiles(path.join(ROOT, 'src')).flatMap((f) => moduleStateProblems(f));
    assert.deepEqual(problems, []);
  });

  test('the check sees let, var, mutated collections and static state, and leaves constants alone', () => {
    const file = path.join(ROOT, 'src/ui/example.ts');
    const found = moduleStateProblems(
      file,
      [
        'let channel: unknown;',
        'var legacy = 1;',
        'const seen = new Map<string, number>();',
        'const list: string[] = [];',
        'const bag = { n: 0 };',
        'const KNOWN = new Set(["a"]);',
        'const privates = new WeakMap<object, number>();',
        'const TABLE = { a: 1 } as const;',
        'class Panel { private static readonly open = new Map<string, number>(); static count = 0; static readonly KIND = "x"; }',
        'export function f(): void { seen.set("a", 1); list.push("x"); bag.n = 2; privates.set(bag, 1); if (KNOWN.has("a")) return; }',
      ].join('\n'),
    );
    assert.deepEqual(found.sort(), [
      'src/ui/example.ts: static `Panel.count` holds state',
      'src/ui/example.ts: static `Panel.open` holds state',
      'src/ui/example.ts: top-level `bag` is mutated',
      'src/ui/example.ts: top-level `let channel`',
      'src/ui/example.ts: top-level `list` is mutated',
      'src/ui/example.ts: top-level `seen` is mutated',
      'src/ui/example.ts: top-level `var legacy`',
    ]);
  });
});
