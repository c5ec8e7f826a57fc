/**
 * `config` failures at their line, for the Problems view: YAML errors carry "line N, column M"
 * (v1) or "line N:" (v2); schema errors name a path ("services.web.ports …") that is looked up in
 * the file. And, under Compose v1, the syntax only v2 reads (a top-level `name:`, `env_file`
 * entries with `path`/`required`, `depends_on` with `required`), said as such with its line.
 */
import { loadYaml } from '../engine/yamlText';

export interface ComposeDiagnostic {
  readonly file: string;
  /** 1-based; undefined when the message names no place in the file. */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface KeyLocation {
  readonly path: readonly (string | number)[];
  readonly line: number;
  readonly column: number;
}

const KEY = /^(\s*)((?:-\s+)*)("[^"]*"|'[^']*'|[^\s#'"][^:#]*?)\s*:(?:\s|$)/;
const ITEM = /^(\s*)-(?:\s|$)/;

/**
 * Where each mapping key of a block-style YAML document sits (1-based line and column), by its
 * path (sequence items by index). Flow collections are not entered: their keys take the line of
 * the key that holds them (`locate` falls back to the nearest ancestor).
 */
export function keyLocations(text: string): KeyLocation[] {
  const out: KeyLocation[] = [];
  // stack of open containers: the indent of their keys/items, their path, and the next item index
  const stack: { indent: number; path: (string | number)[]; items: number; seq: boolean }[] = [];
  const lines = text.split(/\r?\n/);
  let lastKeyPath: (string | number)[] = [];
  let lastKeyIndent = -1;
  lines.forEach((raw, i) => {
    if (/^\s*(#|$)/.test(raw) || /^(---|\.\.\.)\s*$/.test(raw)) return;
    let indent = raw.length - raw.trimStart().length;
    let rest = raw;
    // "- " items: each dash opens (or continues) a sequence at its column
    for (;;) {
      const item = ITEM.exec(rest.slice(0));
      if (!item) break;
      const col = item[1]?.length ?? 0;
      while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) > col) stack.pop();
      let top = stack[stack.length - 1];
      if (!top || top.indent !== col || !top.seq) {
        const parent = lastKeyIndent < col || lastKeyIndent === col ? lastKeyPath : (top?.path ?? []);
        top = { indent: col, path: [...parent], items: 0, seq: true };
        stack.push(top);
      }
      const index = top.items++;
      const itemPath = [...top.path, index];
      const after = rest.slice(col + 1);
      const pad = after.length - after.trimStart().length;
      const nextCol = col + 1 + pad;
      stack.push({ indent: nextCol, path: itemPath, items: 0, seq: false });
      lastKeyPath = itemPath;
      lastKeyIndent = col;
      rest = ' '.repeat(nextCol) + after.trimStart();
      indent = nextCol;
      if (!ITEM.test(rest)) break;
    }
    const key = KEY.exec(rest);
    if (!key?.[3]) return;
    while (
      stack.length > 0 &&
      ((stack[stack.length - 1]?.indent ?? 0) > indent ||
        (stack[stack.length - 1]?.seq && (stack[stack.length - 1]?.indent ?? 0) >= indent))
    )
      stack.pop();
    let top = stack[stack.length - 1];
    if (!top || top.indent !== indent) {
      top = { indent, path: indent > lastKeyIndent ? [...lastKeyPath] : (top?.path ?? []), items: 0, seq: false };
      stack.push(top);
    }
    const name = key[3].replace(/^["']|["']$/g, '');
    const path = [...top.path, name];
    out.push({ path, line: i + 1, column: indent + 1 });
    lastKeyPath = path;
    lastKeyIndent = indent;
  });
  return out;
}

/** The place of a path, or of its nearest ancestor found. */
export function locate(text: string, path: readonly (string | number)[]): KeyLocation | undefined {
  const all = keyLocations(text);
  for (let n = path.length; n > 0; n--) {
    const want = path.slice(0, n).map(String).join('\u0000');
    const hit = all.find((k) => k.path.map(String).join('\u0000') === want);
    if (hit) return hit;
  }
  return undefined;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The syntax of a compose file that Compose v1 refuses but v2 reads, each at its line: "this file
 * needs Compose v2 (line 1: top-level `name:`)". Empty when the file is not YAML (config says why).
 */
export function v2OnlySyntax(text: string, file: string): ComposeDiagnostic[] {
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch {
    return [];
  }
  if (!isObj(doc)) return [];
  const found: { path: (string | number)[]; what: string }[] = [];
  if ('name' in doc) found.push({ path: ['name'], what: 'top-level `name:`' });
  const services = isObj(doc.services) ? doc.services : {};
  for (const [svc, s] of Object.entries(services)) {
    if (!isObj(s)) continue;
    if (Array.isArray(s.env_file))
      s.env_file.forEach((e, i) => {
        if (isObj(e)) {
          const keys = Object.keys(e).filter((k) => k === 'path' || k === 'required');
          found.push({
            path: ['services', svc, 'env_file', i, keys[0] ?? 'path'],
            what: `\`env_file\` entry with ${keys.map((k) => `\`${k}\``).join(' and ')}`,
          });
        }
      });
    if (isObj(s.depends_on))
      for (const [dep, d] of Object.entries(s.depends_on))
        if (isObj(d) && 'required' in d)
          found.push({ path: ['services', svc, 'depends_on', dep, 'required'], what: '`depends_on` with `required`' });
  }
  return found.map(({ path, what }) => {
    const at = locate(text, path);
    const where = at ? `line ${at.line}: ` : '';
    return {
      file,
      ...(at ? { line: at.line, column: at.column } : {}),
      message: `This file needs Compose v2 (${where}${what}); the Compose here is v1. Install the Compose v2 plugin, or write it the v1 way.`,
    };
  });
}

/** A schema path from Compose's message: "services.web.ports contains …", "for services.web: 'foo'". */
function schemaPath(message: string): (string | number)[] | undefined {
  const unsupported = /Unsupported config option for ([\w.-]+): '([^']+)'/.exec(message);
  if (unsupported?.[1] && unsupported[2]) return [...unsupported[1].split('.'), unsupported[2]];
  const notAllowed = /(services\.[\w.-]+) Additional property ([\w.-]+) is not allowed/.exec(message);
  if (notAllowed?.[1] && notAllowed[2]) return [...notAllowed[1].split('.'), notAllowed[2]];
  const top =
    /^'([\w.-]+)' does not match any of the regexes/m.exec(message) ?? /Additional property ([\w.-]+) is not allowed/.exec(message);
  if (top?.[1]) return [top[1]];
  const dotted = /\b((?:services|volumes|networks|secrets|configs)\.[\w.-]+)/.exec(message);
  if (dotted?.[1]) return dotted[1].split('.');
  return undefined;
}

/** The first meaningful line of Compose's error, without its "ERROR: " prefix. */
function firstMessage(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.replace(/^ERROR:\s*/, '').trim())
    .filter((l) => l !== '' && !/^You might be seeing this error|^For more on the Compose file/.test(l));
  const because = lines.findIndex((l) => /is invalid because:$/.test(l));
  if (because >= 0 && lines[because + 1]) return lines[because + 1] ?? '';
  return lines.join(' ').slice(0, 500);
}

/**
 * `config`'s stderr → diagnostics on the file. `text` is the file's content (for the path
 * lookup). On v1, v2-only syntax in the file replaces v1's schema error.
 */
export function configDiagnostics(stderr: string, file: string, text: string, flavour: 'v1' | 'v2'): ComposeDiagnostic[] {
  if (flavour === 'v1') {
    const v2 = v2OnlySyntax(text, file);
    if (v2.length > 0) return v2;
  }
  // YAML errors: v1 "in "./f.yml", line N, column M" (the last one is where it broke); v2 "yaml: line N: …"
  const v1Yaml = [...stderr.matchAll(/line (\d+), column (\d+)/g)].pop();
  if (v1Yaml?.[1] && v1Yaml[2] && /yaml\.\w+\.\w+Error|while (parsing|scanning)/.test(stderr)) {
    const problem = stderr
      .split(/\r?\n/)
      .map((l) => l.replace(/^ERROR:\s*/, '').trim())
      .filter((l) => l !== '' && !/^in "/.test(l));
    return [
      {
        file,
        line: Number(v1Yaml[1]),
        column: Number(v1Yaml[2]),
        message: `YAML: ${problem.join(' ').replace(/^yaml\.\w+\.\w+Error:\s*/, '')}`,
      },
    ];
  }
  const v2Yaml = /yaml: line (\d+): (.+)/.exec(stderr);
  if (v2Yaml?.[1] && v2Yaml[2]) return [{ file, line: Number(v2Yaml[1]), column: 1, message: `YAML: ${v2Yaml[2].trim()}` }];
  const message = firstMessage(stderr);
  const envFile = /(?:Couldn't find env file:\s*|env file )(\S+?)(?: not found|$)/m.exec(stderr);
  if (envFile?.[1]) {
    const at = findEnvFileEntry(text, envFile[1]);
    return [{ file, ...(at ? { line: at.line, column: at.column } : {}), message: `The env_file ${envFile[1]} does not exist` }];
  }
  const path = schemaPath(message);
  const at = path ? locate(text, path) : undefined;
  return [{ file, ...(at ? { line: at.line, column: at.column } : {}), message }];
}

/** The `env_file` key whose entry names this file (by its base name). */
function findEnvFileEntry(text: string, missing: string): KeyLocation | undefined {
  const base = missing.split(/[\\/]/).pop() ?? missing;
  const lines = text.split(/\r?\n/);
  const envKeys = keyLocations(text).filter((k) => k.path.includes('env_file'));
  for (const k of envKeys) {
    const start = k.line - 1;
    for (let i = start; i < Math.min(lines.length, start + 10); i++) if (lines[i]?.includes(base)) return { ...k, line: i + 1 };
  }
  return envKeys[0];
}
