/**
 * berth.yaml checked against its JSON Schema (schemas/berth.schema.json, the one description of
 * the format): the validator is compiled ahead of time (scripts/schema.ts writes
 * berthSchemaValidate.js, so no schema compiler ships in the extension), and each of its errors
 * becomes one problem with a clear message, at the path of the value it is about. Pure: no
 * vscode, no I/O.
 */
import validate, { nodes } from './berthSchemaValidate';

/** What the schema says about one place of the document (made by schemaNodes, read by the problems). */
export interface SchemaNode {
  /** The schema's errorMessage: what is wrong when the value there does not fit. */
  readonly message?: string;
  /** The schema's requiredMessage: what is missing when a required key is. */
  readonly required?: string;
  /** The keys a mapping there may have, when it may have no others. */
  readonly known?: readonly string[];
  /** What is wrong with a key there that its propertyNames refuse. */
  readonly names?: string;
}

/**
 * The schema's nodes by the place of the document they describe: keys joined with "/", `*` for
 * any key of a mapping, `#` for any item of a list ("profiles/ * /ports/#"); "" is the document.
 */
export type SchemaNodes = Readonly<Record<string, SchemaNode>>;

type Schema = { readonly [key: string]: unknown };
const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A JSON pointer's key, as a key of SchemaNodes. */
const escapeKey = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Walk a schema (following its $refs; the keywords beside a $ref win over its target's) to the table of its nodes. */
export function schemaNodes(root: Schema): Record<string, SchemaNode> {
  const out: Record<string, SchemaNode> = {};
  const resolve = (ref: string): Schema => {
    let at: unknown = root;
    for (const part of ref
      .replace(/^#\/?/, '')
      .split('/')
      .filter((p) => p !== ''))
      at = isSchema(at) ? at[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    if (!isSchema(at)) throw new Error(`unresolved $ref ${ref}`);
    return at;
  };
  const merged = (schema: Schema, depth = 0): Schema => {
    const { $ref, ...siblings } = schema;
    if (typeof $ref !== 'string') return schema;
    if (depth > 20) throw new Error(`$ref too deep at ${$ref}`);
    return { ...merged(resolve($ref), depth + 1), ...siblings };
  };
  // a shared definition's entries (a list's items, a mapping's values) are named after the setting that uses it: "env: …"
  const walk = (raw: Schema, at: string, key?: string, via?: string): void => {
    const schema = merged(raw);
    const properties = isSchema(schema.properties) ? schema.properties : {};
    const names = isSchema(schema.propertyNames) ? schema.propertyNames.errorMessage : undefined;
    const entry = via !== undefined && (at.endsWith('#') || at.endsWith('*'));
    const message = typeof schema.errorMessage === 'string' ? (entry ? `${via}: ${schema.errorMessage}` : schema.errorMessage) : undefined;
    out[at] = {
      ...(message !== undefined ? { message } : {}),
      ...(typeof schema.requiredMessage === 'string' ? { required: schema.requiredMessage } : {}),
      ...(schema.additionalProperties === false ? { known: Object.keys(properties) } : {}),
      ...(typeof names === 'string' ? { names } : {}),
    };
    const inside = typeof raw.$ref === 'string' && key !== undefined ? key : via;
    const child = (k: string): string => (at === '' ? k : `${at}/${k}`);
    for (const [k, sub] of Object.entries(properties)) if (isSchema(sub)) walk(sub, child(escapeKey(k)), k, inside);
    if (isSchema(schema.additionalProperties)) walk(schema.additionalProperties, child('*'), undefined, inside);
    if (isSchema(schema.items)) walk(schema.items, child('#'), undefined, inside);
  };
  walk(root, '');
  return out;
}

/** One error of the compiled validator (ajv's ErrorObject, the fields read here). */
export interface SchemaError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
  /** Set on the errors of a propertyNames check: the key refused. */
  readonly propertyName?: string;
}

export type DocPath = readonly (string | number)[];

/** A value the schema refuses: where (the value's path; a key's path for a key) and why. */
export interface SchemaIssue {
  readonly path: DocPath;
  readonly message: string;
}

/**
 * Check a document (the plain data of berth.yaml) against the schema. Returns its issues, one
 * per value, and the document without the values they are about (a list keeps its length: a
 * refused item becomes undefined), so that what follows reads only well-formed values.
 */
export function checkBerthSchema(data: unknown): { issues: SchemaIssue[]; valid: unknown } {
  if (validate(data)) return { issues: [], valid: data };
  return schemaIssues(data, validate.errors ?? [], nodes);
}

/** The validator's errors as issues (see checkBerthSchema); exported for the tests. */
export function schemaIssues(data: unknown, errors: readonly SchemaError[], table: SchemaNodes): { issues: SchemaIssue[]; valid: unknown } {
  const found: (SchemaIssue & { readonly prune: DocPath })[] = [];
  // a refused key is left out; a refused value is, with the list entry it is part of (one with a bad name is not another model)
  const add = (path: DocPath, message: string, key = false): void => {
    const item = path.findLastIndex((seg) => typeof seg === 'number');
    found.push({ path, message, prune: key || item < 0 ? path : path.slice(0, item + 1) });
  };
  for (const e of errors) {
    if (e.keyword === 'propertyNames') continue; // the check inside it says which key, and why
    const path = pathOf(data, e.instancePath);
    if (e.propertyName !== undefined) {
      add([...path, e.propertyName], nodeAt(table, path)?.names ?? `key "${e.propertyName}" is not allowed`, true);
    } else if (e.keyword === 'additionalProperties') {
      const key = String(e.params.additionalProperty);
      const known = nodeAt(table, path)?.known;
      add([...path, key], `unknown setting "${key}"${known ? ` (known: ${known.join(', ')})` : ''}`, true);
    } else if (e.keyword === 'required') {
      const missing = String(e.params.missingProperty);
      add(path, nodeAt(table, path)?.required ?? `${last(path)} needs ${missing}`);
    } else {
      // the nearest place that says what it expects: the value's own, or the one it is part of
      let at = path;
      while (at.length > 0 && nodeAt(table, at)?.message === undefined) at = at.slice(0, -1);
      const message = nodeAt(table, at)?.message;
      if (message !== undefined) add(at, message);
      else add(path, `${path.length > 0 ? path.join('.') : 'berth.yaml'} ${e.message ?? 'is not valid'}`);
    }
  }
  // one problem per value, the first reason given; none inside a value already refused
  const within = (outer: DocPath, inner: DocPath): boolean => outer.length <= inner.length && outer.every((s, k) => s === inner[k]);
  const issues = found.filter(
    (issue, i) => !found.some((other, j) => j !== i && within(other.path, issue.path) && (other.path.length < issue.path.length || j < i)),
  );
  let valid = structuredClone(data);
  for (const issue of issues) valid = without(valid, issue.prune);
  return { issues: issues.map(({ path, message }) => ({ path, message })), valid };
}

const last = (path: DocPath): string => (path.length > 0 ? String(path[path.length - 1]) : 'berth.yaml');

/** A JSON pointer as a path: the index of a list item as a number. */
function pathOf(data: unknown, pointer: string): (string | number)[] {
  const path: (string | number)[] = [];
  let at = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) {
      path.push(Number(key));
      at = at[Number(key)] as unknown;
    } else {
      path.push(key);
      at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

/** The schema node describing the value at a path: its key's own node, or a list's items, or a mapping's other keys. */
export function nodeAt(table: SchemaNodes, path: DocPath): SchemaNode | undefined {
  let at = '';
  for (const seg of path) {
    const join = (k: string): string => (at === '' ? k : `${at}/${k}`);
    const named = join(escapeKey(String(seg)));
    if (typeof seg === 'string' && table[named] !== undefined) at = named;
    else if (typeof seg === 'number' && table[join('#')] !== undefined) at = join('#');
    else if (table[join('*')] !== undefined) at = join('*');
    else return undefined;
  }
  return table[at];
}

/** The data without the value at path: a key removed, a list item made undefined, the document null. */
function without(data: unknown, path: DocPath): unknown {
  if (path.length === 0) return null;
  let parent = data;
  for (const seg of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return data;
    parent = (parent as Record<string | number, unknown>)[seg];
  }
  const key = path[path.length - 1] as string | number;
  if (Array.isArray(parent) && typeof key === 'number') parent[key] = undefined;
  else if (parent !== null && typeof parent === 'object') delete (parent as Record<string, unknown>)[key];
  return data;
}
