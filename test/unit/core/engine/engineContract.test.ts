/**
 * The engine contract holds: outside src/core/engine nothing touches dockerode or reads the
 * engine's raw JSON — no `import … 'dockerode'`, no dockerode type, no property declared by
 * dockerode's types (`.RepoTags`, `.Names`, `.Id`, `.getImage`, …), no `.docker` of an engine,
 * none of the raw field names even through a hand-written cast, and no Engine member that the
 * ContainerEngine interface (contract.ts) does not list. Inside, the engine imports
 * nothing else of Berth's. Checked with the TypeScript compiler on src/, so a property is judged
 * by where its type comes from, not by its spelling alone.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../../../..');
const SRC = path.join(ROOT, 'src');
const ENGINE = path.join(SRC, 'core/engine') + path.sep;
/** The engine's raw list/inspect field names: Berth's records spell theirs in camelCase. */
const RAW_FIELDS = new Set(['RepoTags', 'RepoDigests', 'Names', 'ImageID', 'Mountpoint', 'Id', 'State']);
const DOCKERODE_MODULES = new Set(['dockerode', 'docker-modem']);

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

function fromDockerode(symbol: ts.Symbol | undefined): boolean {
  return (symbol?.declarations ?? []).some((d) =>
    /[\\/]node_modules[\\/](@types[\\/])?(dockerode|docker-modem)[\\/]/.test(d.getSourceFile().fileName),
  );
}

/** A type that is (or aliases, or is a union or an array of) one of dockerode's. */
function dockerodeType(checker: ts.TypeChecker, type: ts.Type, seen = new Set<ts.Type>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  if (fromDockerode(type.aliasSymbol) || fromDockerode(type.getSymbol())) return true;
  if (type.isUnion() || type.isIntersection()) return type.types.some((t) => dockerodeType(checker, t, seen));
  if (checker.isArrayType(type)) return checker.getTypeArguments(type as ts.TypeReference).some((t) => dockerodeType(checker, t, seen));
  return false;
}

/** Where src breaks the contract, as "file:line: what". `extra` adds in-memory files (paths under src/). */
function contractOffenders(extra: Readonly<Record<string, string>> = {}): string[] {
  const config = ts.parseJsonConfigFileContent(
    ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), (file) => ts.sys.readFile(file)).config,
    ts.sys,
    ROOT,
  );
  const extraFiles = new Map(Object.entries(extra).map(([rel, text]) => [path.join(ROOT, rel), text]));
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => {
    const text = extraFiles.get(path.resolve(file));
    return text === undefined ? getSourceFile(file, language, ...rest) : ts.createSourceFile(file, text, language);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => extraFiles.has(path.resolve(file)) || fileExists(file);
  const program = ts.createProgram({ rootNames: [...tsFiles(SRC), ...extraFiles.keys()], options: config.options, host });
  const checker = program.getTypeChecker();
  const offenders: string[] = [];
  // what the rest of Berth may call on an Engine: the members of the ContainerEngine interface
  const contract = program.getSourceFile(path.join(ENGINE, 'contract.ts'));
  const contractInterface = contract?.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'ContainerEngine',
  );
  if (!contractInterface) offenders.push('src/core/engine/contract.ts: no ContainerEngine interface');
  const contractMembers = new Set(
    (contractInterface?.members ?? []).flatMap((m) => (m.name && ts.isIdentifier(m.name) ? [m.name.text] : [])),
  );
  /** An instance member of class Engine (engine.ts) that the contract does not list. */
  const offContract = (symbol: ts.Symbol | undefined): boolean =>
    (symbol?.declarations ?? []).some(
      (d) =>
        path.resolve(d.getSourceFile().fileName) === path.join(ENGINE, 'engine.ts') &&
        ts.isClassDeclaration(d.parent) &&
        d.parent.name?.text === 'Engine' &&
        !(ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Static) &&
        !contractMembers.has(symbol?.name ?? ''),
    );

  for (const source of program.getSourceFiles()) {
    const file = path.resolve(source.fileName);
    if (!file.startsWith(SRC + path.sep)) continue;
    const inEngine = file.startsWith(ENGINE);
    const where = (node: ts.Node): string =>
      `${path.relative(ROOT, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const visit = (node: ts.Node): void => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        const spec = node.moduleSpecifier.text;
        if (!inEngine && DOCKERODE_MODULES.has(spec)) offenders.push(`${where(node)}: imports ${spec}`);
        if (inEngine && spec.startsWith('.') && !path.resolve(path.dirname(file), spec).startsWith(ENGINE))
          offenders.push(`${where(node)}: the engine imports ${spec}`);
      }
      if (!inEngine && ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [arg] = node.arguments;
        if (arg && ts.isStringLiteral(arg) && DOCKERODE_MODULES.has(arg.text)) offenders.push(`${where(node)}: imports ${arg.text}`);
      }
      if (!inEngine && ts.isPropertyAccessExpression(node)) {
        const name = node.name.text;
        const symbol = checker.getSymbolAtLocation(node.name);
        if (fromDockerode(symbol)) offenders.push(`${where(node)}: .${name} (dockerode's)`);
        else if (RAW_FIELDS.has(name)) offenders.push(`${where(node)}: .${name} (the engine's raw JSON)`);
        else if (offContract(symbol)) offenders.push(`${where(node)}: Engine.${name} is not in the contract (ContainerEngine)`);
        else if (dockerodeType(checker, checker.getTypeAtLocation(node))) offenders.push(`${where(node)}: .${name} is a dockerode object`);
      }
      if (!inEngine && ts.isTypeReferenceNode(node)) {
        const type = checker.getTypeFromTypeNode(node);
        if (dockerodeType(checker, type)) offenders.push(`${where(node)}: type ${node.typeName.getText(source)} is dockerode's`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return offenders;
}

const offenders = contractOffenders({
  // a probe that breaks every rule, so the checks are seen to catch what they are for
  'src/ui/contractProbe.ts': [
    "import Docker from 'dockerode';",
    "import type { ContainerSummary, Engine } from '../core/engine/engine';",
    'export const probe = async (engine: Engine, docker: Docker, rows: ContainerSummary[]) => [',
    '  rows[0]?.Names,',
    '  docker.getImage("x"),',
    '  ((await engine.listImages())[0] as unknown as { RepoTags: string[] }).RepoTags,',
    '  engine.openStream({ path: "/images/json", operation: "list" }),',
    '];',
  ].join('\n'),
  'src/core/engine/contractProbe.ts': "import { formatBytes } from '../project/units';\nexport const size = formatBytes(1);\n",
});
const probe = offenders.filter((o) => o.includes('contractProbe.ts'));
const real = offenders.filter((o) => !o.includes('contractProbe.ts'));

test('outside src/core/engine nothing reads dockerode or the engine’s raw JSON; the engine imports nothing else of Berth’s', () => {
  assert.deepEqual(real, [], `the engine contract is broken at:\n${real.join('\n')}`);
});

test('the check catches each kind of breach (a probe file that breaks every rule)', () => {
  const expect = [
    /src\/ui\/contractProbe\.ts:1: imports dockerode/,
    /src\/ui\/contractProbe\.ts:3: type ContainerSummary is dockerode's/,
    /src\/ui\/contractProbe\.ts:3: type Docker is dockerode's/,
    /src\/ui\/contractProbe\.ts:4: \.Names \(dockerode's\)/,
    /src\/ui\/contractProbe\.ts:5: \.getImage \(dockerode's\)/,
    /src\/ui\/contractProbe\.ts:6: \.RepoTags \(the engine's raw JSON\)/,
    /src\/ui\/contractProbe\.ts:7: Engine\.openStream is not in the contract/,
    /src\/core\/engine\/contractProbe\.ts:1: the engine imports \.\.\/project\/units/,
  ];
  for (const pattern of expect)
    assert.ok(
      probe.some((o) => pattern.test(o)),
      `${String(pattern)} not in:\n${probe.join('\n')}`,
    );
});
