/**
 * Completion and hover for a YAML document from its JSON Schema: where the cursor is (a key or a
 * value, at which path, in block or flow style, on an empty line under a mapping), what the schema
 * offers there, and what it says of the key under the mouse. Pure: no vscode, no I/O.
 *
 * The document is read with the `yaml` library, which keeps going past errors. To read a document
 * the user is typing, the word at the cursor is replaced by a placeholder (with a colon when it
 * stands alone on its line, where it can only be a key) and the placeholder is found in the tree.
 */
import { isMap, isPair, isScalar, isSeq, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { documentation, expand, propertiesOf, schemasAt, typeText, valuesOf, type JsonSchema, type PathSegment } from './jsonSchema';

/** What is at the cursor. */
export interface CursorContext {
  /** key: a mapping's key is being typed; value: a scalar (or, on its own line under a key, a nested value). */
  readonly kind: 'key' | 'value';
  /** key: the path of the mapping the key goes in. value: the path of the value. */
  readonly path: readonly PathSegment[];
  /** The keys the mapping already has (key position), the typed one left out. */
  readonly existingKeys: readonly string[];
  /** The word around the cursor that a completion replaces: [start, end) offsets. */
  readonly replace: { readonly start: number; readonly end: number };
  /** The word typed before the cursor. */
  readonly prefix: string;
  /** A colon already follows the word (`shm|Size: 1g`): a key completion inserts the name only. */
  readonly colonFollows: boolean;
  /** The line is a list item (`- `): a value, or the first key of a mapping item. */
  readonly listItem: boolean;
}

export interface SchemaCompletion {
  readonly label: string;
  readonly kind: 'property' | 'value';
  /** Snippet syntax (`$1`, `${1|a,b|}`; a tab indents one level). */
  readonly insertText: string;
  /** The type, e.g. `string | integer`. */
  readonly detail?: string;
  /** Markdown. */
  readonly documentation?: string;
  /** Sorts in the schema's order. */
  readonly sortText: string;
  readonly replace: { readonly start: number; readonly end: number };
}

export interface SchemaHover {
  readonly path: readonly PathSegment[];
  /** Markdown. */
  readonly contents: string;
  /** The key's (or value's) [start, end) offsets. */
  readonly range: { readonly start: number; readonly end: number };
}

const PLACEHOLDER = 'berthCursor0placeholder';
/** Characters that end a word at a cursor: blanks and YAML's flow and mapping indicators. */
const WORD_BEFORE = /[^\s{}[\],:'"#]*$/;
const WORD_AFTER = /^[^\s{}[\],:'"#]*/;

/** Where in the document the cursor is, or undefined where nothing can be offered (a comment, past the document). */
export function cursorContext(text: string, offset: number): CursorContext | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const nl = text.indexOf('\n', offset);
  const lineEnd = nl < 0 ? text.length : nl;
  const before = text.slice(lineStart, offset);
  if (/(^|\s)#/.test(before.replace(/(['"]).*?\1/g, ''))) return undefined; // in a comment
  const prefix = WORD_BEFORE.exec(before)?.[0] ?? '';
  const suffix = WORD_AFTER.exec(text.slice(offset, lineEnd))?.[0] ?? '';
  const start = offset - prefix.length;
  const end = offset + suffix.length;
  const lead = text.slice(lineStart, start);
  const rest = text.slice(end, lineEnd);
  const colonFollows = /^\s*:/.test(rest);
  const listItem = /^\s*(-\s+)+$/.test(lead);
  // alone on its line it can only be a key; a colon keeps the next line's key from joining it
  const alone = /^\s*$/.test(lead) && !colonFollows;
  const placeholder = alone ? `${PLACEHOLDER}:` : PLACEHOLDER;
  const doc = parseDocument(text.slice(0, start) + placeholder + text.slice(end), { keepSourceTokens: false });
  const found = findPlaceholder(doc.contents, []);
  if (!found) return undefined;
  return { ...found, replace: { start, end }, prefix, colonFollows, listItem };
}

type Found = Pick<CursorContext, 'kind' | 'path' | 'existingKeys'>;

/** A mapping's key as text; undefined for a key that is itself a mapping or list. */
function keyText(key: unknown): string | undefined {
  if (typeof key === 'string') return key;
  if (!isScalar(key)) return undefined;
  const v = key.value;
  return v === null
    ? ''
    : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint'
      ? String(v)
      : undefined;
}

/** The path to the placeholder in the tree, and whether it is a key. */
function findPlaceholder(node: YamlNode | null | undefined, path: PathSegment[]): Found | undefined {
  if (node === null || node === undefined) return undefined;
  if (isScalar(node)) return node.value === PLACEHOLDER ? { kind: 'value', path, existingKeys: [] } : undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = keyText(pair.key);
      if (key === PLACEHOLDER) {
        const existingKeys = node.items
          .map((p: Pair<unknown, unknown>) => keyText(p.key))
          .filter((k): k is string => k !== undefined && k !== PLACEHOLDER);
        return { kind: 'key', path, existingKeys };
      }
      if (key === undefined) continue;
      const inValue = findPlaceholder(pair.value as YamlNode | null, [...path, key]);
      if (inValue) return inValue;
    }
    return undefined;
  }
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inItem = isPair(item) ? undefined : findPlaceholder(item as YamlNode | null, [...path, i]);
      if (inItem) return inItem;
    }
  }
  return undefined;
}

/** A scalar as YAML text that reads back as the same value (quoted when it would not). */
function yamlScalar(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  const plain = /^[A-Za-z0-9_./][A-Za-z0-9_./ -]*$/.test(value) && !/\s$/.test(value);
  if (plain) {
    const back = parseDocument(value).toJS() as unknown;
    if (back === value) return value;
  }
  return `'${value.replace(/'/g, "''")}'`;
}

const snippetEscape = (s: string): string => s.replace(/[$}\\]/g, '\\$&');

/** What to insert for a key: `key: ` with a value placeholder, a nested block for objects and lists. */
function keySnippet(name: string, root: JsonSchema, schema: JsonSchema, context: CursorContext): string {
  const key = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
  if (context.colonFollows) return snippetEscape(key);
  const schemas = expand(root, schema);
  const types = typeText(schemas)?.split(' | ') ?? [];
  const values = valuesOf(schemas).filter((v) => v.source === 'enum' || v.source === 'boolean');
  const scalar = types.some((t) => t !== 'object' && t !== 'array');
  if (!scalar && types.includes('object')) return `${snippetEscape(key)}:\n\t$1`;
  if (!scalar && types.includes('array')) return `${snippetEscape(key)}:\n\t- $1`;
  if (
    values.length > 1 &&
    values.every((v) => v.source === 'enum' || v.source === 'boolean') &&
    !types.some((t) => t === 'object' || t === 'array')
  ) {
    const choices = values.map((v) => yamlScalar(v.value).replace(/[,|\\$}]/g, '\\$&')).join(',');
    return `${snippetEscape(key)}: \${1|${choices}|}`;
  }
  return `${snippetEscape(key)}: $1`;
}

/** The completions at the cursor: the keys a mapping may still have, or the values a scalar may take. */
export function completionsAt(root: JsonSchema, text: string, offset: number): SchemaCompletion[] {
  const context = cursorContext(text, offset);
  if (!context) return [];
  const out: SchemaCompletion[] = [];
  const here = schemasAt(root, context.path);
  const keys = (existing: readonly string[]): void => {
    const props = propertiesOf(here).filter(
      (p) => !existing.includes(p.name) && !(typeof p.schema === 'object' && p.schema.doNotSuggest === true),
    );
    props.forEach((p, i) => {
      const schemas = expand(root, p.schema);
      const detail = typeText(schemas);
      const doc = documentation(schemas);
      out.push({
        label: p.name,
        kind: 'property',
        insertText: keySnippet(p.name, root, p.schema, context),
        ...(detail !== undefined ? { detail } : {}),
        ...(doc !== '' ? { documentation: doc } : {}),
        sortText: `${p.required ? 0 : 1}${String(i).padStart(4, '0')}`,
        replace: context.replace,
      });
    });
  };
  const sorted = (): SchemaCompletion[] => out.sort((a, b) => a.sortText.localeCompare(b.sortText));
  if (context.kind === 'key') {
    keys(context.existingKeys);
    return sorted();
  }
  // a value: the values its schema names, and, where it may be a mapping (a new line under a key,
  // a list item), the mapping's keys
  valuesOf(here).forEach((v, i) => {
    const label = typeof v.value === 'string' ? v.value : JSON.stringify(v.value);
    out.push({
      label,
      kind: 'value',
      insertText: snippetEscape(yamlScalar(v.value)),
      ...(v.description !== undefined ? { documentation: v.description } : {}),
      detail: v.source === 'default' ? 'default' : v.source === 'example' ? 'example' : (typeText(here) ?? ''),
      sortText: `2${String(i).padStart(4, '0')}`,
      replace: context.replace,
    });
  });
  const lineStart = text.lastIndexOf('\n', context.replace.start - 1) + 1;
  const ownLine = /^\s*(-\s+)*$/.test(text.slice(lineStart, context.replace.start));
  if (ownLine && (typeText(here)?.split(' | ').includes('object') ?? false)) keys([]);
  return sorted();
}

/** What the schema says of the key (or value) at an offset, with the key's range; undefined off any key the schema knows. */
export function hoverAt(root: JsonSchema, text: string, offset: number): SchemaHover | undefined {
  const doc = parseDocument(text);
  const hit = nodeAt(doc.contents, offset, []);
  if (!hit) return undefined;
  const schemas = schemasAt(root, hit.path);
  if (schemas.length === 0) return undefined;
  const contents = documentation(schemas);
  if (contents === '') return undefined;
  const name = hit.path[hit.path.length - 1];
  const heading = typeof name === 'string' ? `\`${name}\`\n\n` : '';
  return { path: hit.path, contents: heading + contents, range: hit.range };
}

/** The key or scalar value under an offset, and its path. */
function nodeAt(
  node: YamlNode | null | undefined,
  offset: number,
  path: PathSegment[],
): { path: PathSegment[]; range: { start: number; end: number } } | undefined {
  if (node === null || node === undefined || !node.range) return undefined;
  const [start, , end] = node.range;
  if (offset < start || offset > end) return undefined;
  if (isScalar(node)) return { path, range: { start, end: node.range[1] } };
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = keyText(pair.key);
      if (key === undefined) continue;
      const k = pair.key as YamlNode;
      if (isScalar(k) && k.range && offset >= k.range[0] && offset <= k.range[1])
        return { path: [...path, key], range: { start: k.range[0], end: k.range[1] } };
      const inValue = nodeAt(pair.value as YamlNode | null, offset, [...path, key]);
      if (inValue) return inValue;
    }
    return undefined;
  }
  if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) {
      const inItem = isPair(item) ? undefined : nodeAt(item as YamlNode | null, offset, [...path, i]);
      if (inItem) return inItem;
    }
  }
  return undefined;
}
