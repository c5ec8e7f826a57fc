/**
 * The run form's fields (all text, as a form holds them) to and from a profile's berth.yaml
 * mapping. Validation is the berth.yaml parser's: the form's values are written as YAML and read
 * back through it, so the form and the file can never disagree on what is valid.
 */
import * as fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import * as yaml from 'js-yaml';
import type { ProfileFields } from './profileFields';
import { LOOPBACK, parseBerthConfig, type ConfigProblem, type RunProfile } from './runProfile';

export type { ProfileFields };

const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

function sizeText(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  for (const [unit, n] of [
    ['g', 2 ** 30],
    ['m', 2 ** 20],
    ['k', 2 ** 10],
  ] as const) {
    if (bytes % n === 0) return `${bytes / n}${unit}`;
  }
  return String(bytes);
}

function portText(x: RunProfile['ports'][number]): string {
  const proto = x.protocol === 'udp' ? '/udp' : '';
  // the default (loopback, same port) reads as just the port
  if (x.hostIp === LOOPBACK && x.hostPort === undefined) return `${x.containerPort}${proto}`;
  const ip = x.hostIp.includes(':') ? `[${x.hostIp}]` : x.hostIp;
  return `${ip}:${x.hostPort === undefined ? x.containerPort : x.hostPort === 0 ? '' : x.hostPort}:${x.containerPort}${proto}`;
}

export function fieldsFromProfile(p: RunProfile): ProfileFields {
  const g = p.gpus;
  return {
    name: p.name,
    image: p.image ?? '',
    dockerfile: p.build?.dockerfile ?? '',
    context: p.build?.context ?? '',
    command: (p.command ?? []).join('\n'),
    env: Object.entries(p.env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    ports: p.ports.map(portText).join(', '),
    volumes: p.volumes.map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`).join('\n'),
    modelPath: p.model?.path ?? '',
    modelMountAt: p.model?.mountAt ?? '',
    gpus: g.kind === 'none' ? 'none' : g.kind === 'all' ? 'all' : g.kind === 'count' ? String(g.count) : g.ids.join(','),
    gpuFallback: p.gpuFallback,
    shmSize: sizeText(p.shmSizeBytes),
    memory: sizeText(p.memoryBytes),
    cpus: p.nanoCpus === undefined ? '' : String(p.nanoCpus / 1e9),
    restart: p.restart.name === 'on-failure' ? `on-failure:${p.restart.maxRetries}` : p.restart.name,
    healthcheck: p.healthcheck.kind === 'http' ? p.healthcheck.path : p.healthcheck.kind,
  };
}

/** The profile keys the form edits; all others are kept as they are in the file. */
const FORM_KEYS = new Set([
  'image',
  'build',
  'command',
  'env',
  'ports',
  'volumes',
  'model',
  'gpus',
  'gpuFallback',
  'shmSize',
  'memory',
  'cpus',
  'restart',
  'healthcheck',
]);

/** The berth.yaml mapping for the fields (empty fields are left out). */
export function profileMapping(f: ProfileFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.image.trim()) out.image = f.image.trim();
  if (f.dockerfile.trim()) out.build = { dockerfile: f.dockerfile.trim(), context: f.context.trim() || '.' };
  const command = lines(f.command);
  if (command.length > 0) out.command = command;
  const env = lines(f.env);
  if (env.length > 0) out.env = env;
  const ports = f.ports
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (ports.length > 0) out.ports = ports;
  const volumes = lines(f.volumes);
  if (volumes.length > 0) out.volumes = volumes;
  if (f.modelPath.trim()) out.model = { path: f.modelPath.trim(), ...(f.modelMountAt.trim() ? { mountAt: f.modelMountAt.trim() } : {}) };
  const gpus = f.gpus.trim();
  if (gpus !== '' && gpus !== 'none')
    out.gpus = /^\d+$/.test(gpus) ? Number(gpus) : gpus === 'all' ? 'all' : gpus.split(',').map((s) => s.trim());
  if (gpus !== '' && gpus !== 'none') out.gpuFallback = f.gpuFallback;
  for (const key of ['shmSize', 'memory', 'restart'] as const) if (f[key].trim()) out[key] = f[key].trim();
  if (f.cpus.trim()) out.cpus = Number(f.cpus.trim()) || f.cpus.trim();
  if (f.healthcheck.trim() && f.healthcheck.trim() !== 'image') out.healthcheck = f.healthcheck.trim();
  return out;
}

export type SaveResult =
  /** The new berth.yaml text. */
  | { readonly text: string }
  /** Problems of the form's profile (paths like profiles.<name>.memory): nothing to write. */
  | { readonly problems: readonly ConfigProblem[] }
  /**
   * The file as it is cannot take the save (it does not parse, is not a mapping of profiles, or
   * another part of it is invalid): its first such problem, at its line in the file. Nothing to write.
   */
  | { readonly fileProblem: ConfigProblem };

/** Whether a problem path belongs to profile `name` (profiles.<name> or below). */
const inProfile = (problemPath: string, name: string): boolean =>
  problemPath === `profiles.${name}` || problemPath.startsWith(`profiles.${name}.`);

/**
 * Put the form's profile into the berth.yaml text (other profiles kept), validated by the parser.
 * Returns the new text, the profile's problems, or the problem of the file that keeps it from
 * being saved into — a file that does not parse is never replaced.
 */
export function saveProfile(existingText: string | undefined, fields: ProfileFields, previousName?: string): SaveResult {
  const name = fields.name.trim();
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name))
    return { problems: [{ line: 1, column: 1, path: 'name', message: 'a profile name is letters, digits, ".", "_" or "-"' }] };
  let doc: Record<string, unknown> = {};
  if (existingText !== undefined && existingText.trim() !== '') {
    // what the file says now: the form replaces its own profile, and refuses to touch a file it cannot read
    const elsewhere = parseBerthConfig(existingText).problems.filter(
      (p) => !inProfile(p.path, name) && (previousName === undefined || !inProfile(p.path, previousName)),
    );
    const first = elsewhere[0];
    if (first) return { fileProblem: first };
    const loaded = yaml.load(existingText, { schema: yaml.CORE_SCHEMA });
    if (loaded !== null && typeof loaded === 'object' && !Array.isArray(loaded)) doc = loaded as Record<string, unknown>;
    else if (loaded !== null && loaded !== undefined)
      return { fileProblem: { line: 1, column: 1, path: '', message: 'berth.yaml must be a mapping with "profiles"' } };
  }
  const profiles = { ...((doc.profiles as Record<string, unknown> | undefined) ?? {}) };
  // what the form does not show (build args and target, env files, labels, …) is kept as it was
  const found = profiles[previousName ?? name] ?? profiles[name];
  const before = (found !== null && typeof found === 'object' && !Array.isArray(found) ? found : {}) as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(before).filter(([k]) => !FORM_KEYS.has(k)));
  const mapping = profileMapping(fields);
  const previousBuild = before.build !== null && typeof before.build === 'object' ? (before.build as Record<string, unknown>) : {};
  if (mapping.build) mapping.build = { ...previousBuild, ...(mapping.build as Record<string, unknown>) };
  if (previousName && previousName !== name) delete profiles[previousName];
  const profile = { ...kept, ...mapping };
  profiles[name] = profile;
  const whole = { version: 1, ...doc, profiles };
  const text = yaml.dump(whole, { lineWidth: 120, noRefs: true });
  const problems = parseBerthConfig(text).problems;
  if (problems.length > 0) return { problems };
  // the file's own text (comments, layout, other profiles) with only this profile's lines replaced,
  // when that reads back as the same thing; else the whole file written anew
  const spliced = existingText === undefined ? undefined : spliceProfile(existingText, previousName ?? name, name, profile, whole);
  return { text: spliced ?? `# Berth run profiles (see the Berth README)\n${text}` };
}

/**
 * `text` with the block-style entry `profiles.<oldName>` replaced by `profile` under `newName`
 * (appended when there is none), everything else byte for byte. Undefined when the file's layout
 * is not one this can edit (flow style, CRLF, …) or the result would not read back as `expected`.
 */
export function spliceProfile(
  text: string,
  oldName: string,
  newName: string,
  profile: Record<string, unknown>,
  expected: unknown,
): string | undefined {
  if (text.includes('\r')) return undefined;
  const lines = text.split('\n');
  const indentOf = (l: string): number => l.length - l.trimStart().length;
  const blank = (l: string): boolean => l.trim() === '' || l.trimStart().startsWith('#');
  const start = lines.findIndex((l) => /^profiles:\s*(#.*)?$/.test(l));
  if (start < 0) return undefined;
  // the profiles block: the lines after `profiles:` up to the next top-level key
  let end = start + 1;
  while (end < lines.length && (blank(lines[end]!) || indentOf(lines[end]!) > 0)) end++;
  while (end > start + 1 && lines[end - 1]!.trim() === '') end--;
  const first = lines.slice(start + 1, end).find((l) => !blank(l));
  const indent = first === undefined ? 2 : indentOf(first);
  if (indent === 0) return undefined;
  const keyOf = (l: string): string | undefined => {
    if (blank(l) || indentOf(l) !== indent) return undefined;
    const m = /^\s*(?:'([^']*)'|"([^"\\]*)"|([^\s:#'"][^:#]*?))\s*:(?:\s|$)/.exec(l);
    return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  };
  let from = -1;
  for (let i = start + 1; i < end; i++) {
    if (keyOf(lines[i]!) === oldName) {
      from = i;
      break;
    }
  }
  let to: number;
  if (from < 0) {
    from = end;
    to = end;
  } else {
    // the entry runs to the next line at (or left of) its key's indentation, comments included
    to = from + 1;
    while (to < end && (lines[to]!.trim() === '' || indentOf(lines[to]!) > indent)) to++;
    while (to > from + 1 && lines[to - 1]!.trim() === '') to--;
  }
  const rendered = yaml
    .dump({ [newName]: profile }, { lineWidth: 120, noRefs: true })
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => `${' '.repeat(indent)}${l}`);
  const out = [...lines.slice(0, from), ...rendered, ...lines.slice(to)].join('\n');
  try {
    return isDeepStrictEqual(yaml.load(out, { schema: yaml.CORE_SCHEMA }), expected) ? out : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the form may write berth.yaml now: not when the editor holds unsaved changes to it,
 * and not without asking when the file on disk is not what the form last read or wrote.
 */
export function writeCheck(state: {
  /** The file's text when the form last read or wrote it (undefined: there was no file). */
  readonly opened: string | undefined;
  /** The file's text now. */
  readonly onDisk: string | undefined;
  readonly unsavedInEditor: boolean;
}): 'write' | 'changedOnDisk' | 'unsavedInEditor' {
  if (state.unsavedInEditor) return 'unsavedInEditor';
  return state.opened === state.onDisk ? 'write' : 'changedOnDisk';
}

/**
 * Write berth.yaml in place. A file without write permission is refused (for every user, root
 * included); a write that fails puts the previous text back. Throws an Error saying which.
 */
export function writeProfileFile(file: string, text: string): void {
  const failed = (err: unknown): Error => {
    const e = err as NodeJS.ErrnoException;
    return new Error(`could not write ${file}: ${e.code ? `${e.code}, ` : ''}${e.message}`);
  };
  let previous: string | undefined;
  if (fs.existsSync(file)) {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error(`could not write ${file}: it is not a file`);
    if ((stat.mode & 0o222) === 0) throw new Error(`${file} is read-only: make it writable, then save again`);
    try {
      previous = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw failed(err);
    }
  }
  try {
    fs.writeFileSync(file, text);
  } catch (err) {
    if (previous !== undefined) {
      try {
        if (fs.readFileSync(file, 'utf8') !== previous) fs.writeFileSync(file, previous);
      } catch {
        // the first error is the one to report
      }
    }
    throw failed(err);
  }
}
