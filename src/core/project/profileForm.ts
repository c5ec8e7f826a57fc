/**
 * The run form's fields (all text, as a form holds them) to and from a profile's berth.yaml
 * mapping. Validation is the berth.yaml parser's: the form's values are written as YAML and read
 * back through it, so the form and the file can never disagree on what is valid.
 */
import * as fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import {
  Document,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseDocument,
  Scalar,
  visit,
  type Pair,
  type ToStringOptions,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
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

/** The profile keys the form edits, in the form's field order; all others are kept as they are in the file. */
const FORM_KEYS = [
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
] as const;

/** The form fields each profile key is written from. */
const KEY_FIELDS: Record<(typeof FORM_KEYS)[number], readonly (keyof ProfileFields)[]> = {
  image: ['image'],
  build: ['dockerfile', 'context'],
  command: ['command'],
  env: ['env'],
  ports: ['ports'],
  volumes: ['volumes'],
  model: ['modelPath', 'modelMountAt'],
  gpus: ['gpus'],
  gpuFallback: ['gpus', 'gpuFallback'],
  shmSize: ['shmSize'],
  memory: ['memory'],
  cpus: ['cpus'],
  restart: ['restart'],
  healthcheck: ['healthcheck'],
};

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
  for (const key of ['shmSize', 'memory'] as const) if (f[key].trim()) out[key] = f[key].trim();
  if (f.cpus.trim()) out.cpus = Number(f.cpus.trim()) || f.cpus.trim();
  if (f.restart.trim()) out.restart = f.restart.trim();
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

/** The first line of a file the form writes anew. */
const HEADER = '# Berth run profiles (see the Berth README)\n';

/** Strings YAML 1.1 reads as booleans (`no`, `on`, …): written quoted, so every reader of the file sees a string. */
const YAML11_BOOL = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/** Quote what `node` holds that YAML 1.1 would misread. */
function quoteAmbiguous<T>(node: T, quote: Scalar.Type): T {
  const fix = (s: Scalar): void => {
    if (typeof s.value === 'string' && YAML11_BOOL.test(s.value) && (s.type === undefined || s.type === Scalar.PLAIN)) s.type = quote;
  };
  if (isScalar(node)) fix(node);
  else if (isNode(node)) visit(node, { Scalar: (_, s) => fix(s) });
  return node;
}

type Json = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The key of a mapping entry as text (a profile named `1` is the number 1 in YAML). */
const keyText = (pair: Pair): string => String(isScalar(pair.key) ? pair.key.value : pair.key);
const pairOf = (map: YAMLMap, key: string): Pair | undefined => map.items.find((p) => keyText(p) === key);

/**
 * Make `node` hold `want`, changing as little as it can: a scalar keeps its quoting and comment, a
 * sequence or mapping keeps its flow or block style and the comments of the items that stay.
 * Returns the node to put in its place (itself, unless its kind must change).
 */
function edit(doc: Document, node: unknown, want: unknown, quote: Scalar.Type): unknown {
  const create = (value: unknown): unknown => quoteAmbiguous(doc.createNode(value), quote);
  if (isDeepStrictEqual(jsOf(doc, node), want)) return node;
  if (isScalar(node) && (want === null || typeof want !== 'object')) {
    if (typeof node.value !== typeof want) {
      // a number written over a quoted string is a plain number; a hex or tagged form goes
      delete node.format;
      delete node.tag;
      delete node.type;
    }
    node.value = want;
    return quoteAmbiguous(node, quote);
  }
  if (isSeq(node) && Array.isArray(want)) {
    const items = want.map((w: unknown, i) => (i < node.items.length ? edit(doc, node.items[i], w, quote) : create(w)));
    node.items.splice(0, node.items.length, ...items);
    return node;
  }
  if (isMap(node) && isPlainObject(want)) {
    for (const pair of [...node.items]) if (!(keyText(pair) in want)) node.delete(pair.key);
    for (const [key, w] of Object.entries(want)) {
      const current: unknown = node.get(key, true);
      const next = current === undefined ? create(w) : edit(doc, current, w, quote);
      if (next !== current) node.set(key, next);
    }
    return node;
  }
  const fresh = create(want) as ReturnType<Document['createNode']>;
  if (isCollection(node) && isCollection(fresh) && node.flow) fresh.flow = true;
  if (isNode(node) && node.comment) fresh.comment = node.comment;
  return fresh;
}

const jsOf = (doc: Document, node: unknown): unknown => (isNode(node) ? node.toJS(doc) : node);

/** The YAML error as a problem at its line. */
function yamlProblem(err: YAMLError): ConfigProblem {
  const at = err.linePos?.[0];
  return { line: at?.line ?? 1, column: at?.col ?? 1, path: '', message: `YAML syntax: ${err.message.split('\n')[0] ?? ''}` };
}

/**
 * Put the form's profile into the berth.yaml text, validated by the parser. The file's YAML
 * document is edited in place (yaml's document API): only the keys the form changed are written,
 * each keeping its comments and quoting; new keys come last, in the form's order; a renamed
 * profile keeps its place; every other line stays byte for byte. Returns the new text, the
 * profile's problems, or the problem of the file that keeps it from being saved into — a file
 * that does not parse is never replaced.
 */
export function saveProfile(existingText: string | undefined, fields: ProfileFields, previousName?: string): SaveResult {
  const name = fields.name.trim();
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name))
    return { problems: [{ line: 1, column: 1, path: 'name', message: 'a profile name is letters, digits, ".", "_" or "-"' }] };
  const original = existingText !== undefined && existingText.trim() !== '' ? existingText : undefined;
  // the file's profile as it reads now (when it reads without problems): a field the form did not change keeps its key as written
  let before: RunProfile | undefined;
  if (original !== undefined) {
    // what the file says now: the form replaces its own profile, and refuses to touch a file it cannot read
    const parsed = parseBerthConfig(original);
    const elsewhere = parsed.problems.filter(
      (p) => !inProfile(p.path, name) && (previousName === undefined || !inProfile(p.path, previousName)),
    );
    const first = elsewhere[0];
    if (first) return { fileProblem: first };
    if (parsed.problems.length === 0)
      before = parsed.profiles.find((p) => p.name === (previousName ?? name)) ?? parsed.profiles.find((p) => p.name === name);
  }
  const doc = original === undefined ? new Document() : parseDocument(original);
  const syntax = doc.errors[0];
  if (syntax) return { fileProblem: yamlProblem(syntax) };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) doc.contents = doc.createNode({});
  const top = doc.contents;
  const notMapping: SaveResult = { fileProblem: { line: 1, column: 1, path: '', message: 'berth.yaml must be a mapping with "profiles"' } };
  if (!isMap(top)) return notMapping;
  const othersBefore = top.toJS(doc) as Json;

  // how the file writes things, read before any node changes
  const options = layout(original, doc);
  const quote = options.singleQuote === false ? Scalar.QUOTE_DOUBLE : Scalar.QUOTE_SINGLE;
  const addedVersion = !top.has('version');
  if (addedVersion) top.items.unshift(doc.createPair('version', 1));
  let profiles: unknown = top.get('profiles', true);
  const hadProfiles = profiles !== undefined;
  const newProfiles = !isMap(profiles) || profiles.items.length === 0;
  if (newProfiles) {
    if (profiles !== undefined && !isMap(profiles) && !(isScalar(profiles) && profiles.value === null)) return notMapping;
    profiles = doc.createNode({});
    top.set('profiles', profiles);
  }
  const profileMap = profiles as YAMLMap;

  // the profile's entry: found under its previous name (else its name), renamed in place
  let entry = pairOf(profileMap, previousName ?? name) ?? pairOf(profileMap, name);
  const existed = entry !== undefined;
  const oldName = entry ? keyText(entry) : name;
  if (entry && oldName !== name) {
    const clash = pairOf(profileMap, name);
    if (clash) profileMap.items.splice(profileMap.items.indexOf(clash), 1);
    if (isScalar(entry.key)) entry.key.value = name;
    else entry.key = doc.createNode(name);
  }
  if (!entry) {
    entry = doc.createPair(name, {});
    profileMap.items.push(entry);
  }
  const replacedValue = !isMap(entry.value);
  if (replacedValue) entry.value = doc.createNode({});
  const profile = entry.value as YAMLMap;

  const mapping = profileMapping(fields);
  // what the form does not show (build args and target, …) is kept as it was
  const previousBuild = jsOf(doc, profile.get('build', true));
  if (mapping.build && isPlainObject(previousBuild)) mapping.build = { ...previousBuild, ...(mapping.build as Json) };
  const shown = before ? fieldsFromProfile(before) : undefined;
  const changed: string[] = [];
  for (const key of FORM_KEYS) {
    if (shown && KEY_FIELDS[key].every((f) => shown[f] === fields[f])) continue;
    const want = mapping[key];
    const current: unknown = profile.get(key, true);
    if (want === undefined) {
      if (profile.has(key)) {
        profile.delete(key);
        changed.push(key);
      }
      continue;
    }
    if (current !== undefined && isDeepStrictEqual(jsOf(doc, current), want)) continue;
    const next = current === undefined ? quoteAmbiguous(doc.createNode(want), quote) : edit(doc, current, want, quote);
    if (next !== current) profile.set(key, next);
    changed.push(key);
  }

  const text =
    sharesAnchors(doc, othersBefore, [oldName, name], options, quote) ??
    printed(doc, original, options, {
      name,
      oldName,
      existed,
      replacedValue,
      changed,
      addedVersion,
      profiles: newProfiles ? (hadProfiles ? 'replaced' : 'added') : 'edited',
    });
  const problems = parseBerthConfig(text).problems;
  if (problems.length > 0) return { problems };
  return { text };
}

/** The edited document as text: the file with only the changes spliced in, else printed whole. */
function printed(doc: Document, original: string | undefined, options: ToStringOptions, change: Change): string {
  const whole = doc.toString(options);
  if (original === undefined) return `${HEADER}${whole}`;
  return splice(original, whole, change) ?? whole;
}

/**
 * When the edited profile shares YAML anchors with another profile (`other: *serve`), editing its
 * nodes would change that one too: then the file is written anew from its values, the other
 * profiles as they were. Undefined when no other profile changed.
 */
function sharesAnchors(
  doc: Document,
  before: Json,
  edited: readonly string[],
  options: ToStringOptions,
  quote: Scalar.Type,
): string | undefined {
  const after = doc.toJS() as Json;
  const profilesBefore = isPlainObject(before.profiles) ? before.profiles : {};
  const profilesAfter = isPlainObject(after.profiles) ? after.profiles : {};
  const others = Object.keys(profilesAfter).filter((p) => !edited.includes(p) && p in profilesBefore);
  if (others.every((p) => isDeepStrictEqual(profilesAfter[p], profilesBefore[p]))) return undefined;
  const profiles = Object.fromEntries(Object.entries(profilesAfter).map(([p, v]) => [p, others.includes(p) ? profilesBefore[p] : v]));
  const anew = new Document({ ...after, profiles }, { aliasDuplicateObjects: false });
  quoteAmbiguous(anew.contents, quote);
  return `${HEADER}${anew.toString(options)}`;
}

/** How to print nodes so they look like the file's own: its indentation, quotes and flow spacing. */
function layout(text: string | undefined, doc: Document): ToStringOptions {
  let indent: number | undefined;
  let single = 0;
  let double = 0;
  let padding: boolean | undefined;
  let indentSeq: boolean | undefined;
  if (text !== undefined) {
    const profiles = doc.get('profiles', true);
    const first = isMap(profiles) && !profiles.flow ? profiles.items[0] : undefined;
    const firstKey = first?.key;
    if (isNode(firstKey) && firstKey.range) indent = column(text, firstKey.range[0]) || undefined;
    visit(doc, {
      Scalar(_, node) {
        if (node.type === Scalar.QUOTE_SINGLE) single++;
        if (node.type === Scalar.QUOTE_DOUBLE) double++;
      },
      Pair(_, pair) {
        const value = pair.value;
        if (!isCollection(value) || !value.range) return;
        if (value.flow && padding === undefined) padding = text[value.range[0] + 1] === ' ';
        const item = isSeq(value) && !value.flow ? value.items[0] : undefined;
        if (indentSeq === undefined && isNode(item) && item.range && isNode(pair.key) && pair.key.range)
          indentSeq = column(text, text.lastIndexOf('-', item.range[0])) > column(text, pair.key.range[0]);
      },
    });
  }
  return {
    lineWidth: 0,
    ...(indent !== undefined && indent <= 8 ? { indent } : {}),
    singleQuote: single >= double,
    flowCollectionPadding: padding ?? true,
    indentSeq: indentSeq ?? true,
  };
}

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;
const lineEnd = (text: string, at: number): number => {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
};
const column = (text: string, at: number): number => at - lineStart(text, at);

/** A mapping entry's lines: from its key's line to the end of its value's last line (the comments above it not included). */
function region(text: string, pair: Pair): [number, number] | undefined {
  const key = pair.key;
  if (!isNode(key) || !key.range) return undefined;
  const value = pair.value;
  const valueEnd = isNode(value) && value.range ? value.range[1] : key.range[1];
  return [lineStart(text, key.range[0]), lineEnd(text, Math.max(valueEnd - 1, key.range[1]))];
}

/** `lines` moved right (or left) by `by` columns. */
function shift(lines: string, by: number): string {
  if (by === 0) return lines;
  return lines
    .split('\n')
    .map((l) => (l === '' ? l : by > 0 ? ' '.repeat(by) + l : l.replace(new RegExp(`^ {0,${-by}}`), '')))
    .join('\n');
}

interface Change {
  readonly name: string;
  readonly oldName: string;
  readonly existed: boolean;
  /** The profile's entry had no mapping (`serve:` alone): written whole. */
  readonly replacedValue: boolean;
  /** The profile keys written, deleted or added. */
  readonly changed: readonly string[];
  readonly addedVersion: boolean;
  readonly profiles: 'edited' | 'replaced' | 'added';
}

/**
 * The original text with only what changed taken from `whole` (the edited document printed): the
 * changed keys' lines, the renamed key, the added entries. Undefined when the file's layout does
 * not allow it (flow style, …) or the result would not read back as `whole` does.
 */
function splice(original: string, whole: string, change: Change): string | undefined {
  const crlf = original.includes('\r\n');
  const before = parseDocument(original);
  const now = parseDocument(whole);
  const top0 = before.contents;
  const top1 = now.contents;
  if (!isMap(top0) || !isMap(top1) || top0.flow || top0.items.length === 0) return undefined;
  const edits: { from: number; to: number; text: string }[] = [];
  const piece = (pair: Pair, atColumn: number): string | undefined => {
    const r = region(whole, pair);
    if (!r || !isNode(pair.key) || !pair.key.range) return undefined;
    const lines = shift(whole.slice(r[0], r[1]), atColumn - column(whole, pair.key.range[0]));
    return crlf ? lines.replace(/\r?\n/g, '\r\n') : lines;
  };
  /** Entries of `map1` (in the printed document) put after the last entry of `map0` (in the file). */
  const append = (map0: YAMLMap, pairs: readonly Pair[]): boolean => {
    const last = map0.items[map0.items.length - 1];
    const firstKey = map0.items[0]?.key;
    const r = last && region(original, last);
    if (!r || !isNode(firstKey) || !firstKey.range) return false;
    let text = '';
    for (const pair of pairs) {
      const p = piece(pair, column(original, firstKey.range[0]));
      if (p === undefined) return false;
      text += p;
    }
    // after the comment lines indented under the last entry: they belong to it
    let at = r[1];
    const keyColumn = column(original, firstKey.range[0]);
    for (let next = lineEnd(original, at); at < original.length; next = lineEnd(original, at)) {
      const line = original.slice(at, next);
      if (!/^\s*#/.test(line) || line.length - line.trimStart().length <= keyColumn) break;
      at = next;
    }
    if (!original.slice(0, at).endsWith('\n')) text = (crlf ? '\r\n' : '\n') + text;
    edits.push({ from: at, to: at, text });
    return true;
  };
  /** The entry `pair0` (in the file) written as `pair1` (in the printed document). */
  const replace = (pair0: Pair, pair1: Pair): boolean => {
    const r = region(original, pair0);
    const key = pair0.key;
    const text = isNode(key) && key.range ? piece(pair1, column(original, key.range[0])) : undefined;
    if (!r || text === undefined) return false;
    edits.push({ from: r[0], to: r[1], text });
    return true;
  };

  if (change.addedVersion) {
    const version = pairOf(top1, 'version');
    const firstKey = top0.items[0]?.key;
    const text = version && isNode(firstKey) && firstKey.range ? piece(version, 0) : undefined;
    if (text === undefined || !isNode(firstKey) || !firstKey.range) return undefined;
    const at = lineStart(original, firstKey.range[0]);
    edits.push({ from: at, to: at, text });
  }
  const profiles1 = pairOf(top1, 'profiles');
  if (!profiles1) return undefined;
  if (change.profiles === 'added') {
    if (!append(top0, [profiles1])) return undefined;
  } else if (change.profiles === 'replaced') {
    const profiles0 = pairOf(top0, 'profiles');
    if (!profiles0 || !replace(profiles0, profiles1)) return undefined;
  } else {
    const map0 = top0.get('profiles', true);
    const map1 = profiles1.value;
    if (!isMap(map0) || !isMap(map1) || map0.flow || map1.flow) return undefined;
    const entry0 = pairOf(map0, change.oldName);
    const entry1 = pairOf(map1, change.name);
    if (!entry1) return undefined;
    if (!change.existed || !entry0) {
      if (!append(map0, [entry1])) return undefined;
    } else {
      const profile0 = entry0.value;
      const profile1 = entry1.value;
      if (change.replacedValue || !isMap(profile0) || !isMap(profile1) || profile0.flow || profile1.flow || profile0.items.length === 0) {
        if (!replace(entry0, entry1)) return undefined;
      } else {
        if (change.oldName !== change.name) {
          const key0 = entry0.key;
          const key1 = entry1.key;
          if (!isNode(key0) || !key0.range || !isNode(key1) || !key1.range) return undefined;
          edits.push({ from: key0.range[0], to: key0.range[1], text: whole.slice(key1.range[0], key1.range[1]) });
        }
        const added: Pair[] = [];
        for (const key of change.changed) {
          const pair0 = pairOf(profile0, key);
          const pair1 = pairOf(profile1, key);
          if (pair0 && pair1) {
            if (!replace(pair0, pair1)) return undefined;
          } else if (pair0) {
            const r = region(original, pair0);
            if (!r) return undefined;
            edits.push({ from: r[0], to: r[1], text: '' });
          } else if (pair1) added.push(pair1);
        }
        // new keys in the order the printed document has them: the form's
        added.sort((a, b) => profile1.items.indexOf(a) - profile1.items.indexOf(b));
        if (added.length > 0 && !append(profile0, added)) return undefined;
      }
    }
  }
  edits.sort((a, b) => b.from - a.from || b.to - a.to);
  let text = original;
  let limit = Infinity;
  for (const e of edits) {
    if (e.to > limit) return undefined; // overlapping edits: not a layout this can edit
    text = text.slice(0, e.from) + e.text + text.slice(e.to);
    limit = e.from;
  }
  const check = parseDocument(text);
  return check.errors.length === 0 && isDeepStrictEqual(check.toJS(), now.toJS()) ? text : undefined;
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
