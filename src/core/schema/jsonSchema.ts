/**
 * A JSON Schema (draft-07) read for an editor: the subschemas at a document path, the keys an
 * object may have, the values a scalar may take, and one text that describes them. Pure: no
 * vscode, no I/O. Validation is not done here (that is ajv's); this walks the schema the way a
 * YAML language server does for completion and hover.
 */

/** The parts of a draft-07 schema an editor uses; anything else is kept but not read. */
export interface JsonSchemaObject {
  readonly $ref?: string;
  readonly title?: string;
  readonly description?: string;
  /** VS Code's extension to JSON Schema: the description as Markdown. */
  readonly markdownDescription?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly patternProperties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: JsonSchema;
  readonly required?: readonly string[];
  readonly items?: JsonSchema | readonly JsonSchema[];
  readonly additionalItems?: JsonSchema;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly allOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  /** VS Code's extension: a description per enum value, in the same order. */
  readonly enumDescriptions?: readonly string[];
  readonly markdownEnumDescriptions?: readonly string[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly deprecationMessage?: string;
  /** VS Code's extension: never offered as a completion. */
  readonly doNotSuggest?: boolean;
  readonly definitions?: Readonly<Record<string, JsonSchema>>;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
}

export type JsonSchema = boolean | JsonSchemaObject;

/** A segment of a path into a document: a mapping's key or a list's index. */
export type PathSegment = string | number;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema a local `$ref` (`#`, `#/definitions/x`, any JSON pointer into the root) points at. */
export function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith('#')) return undefined; // only references inside this schema
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === '' || pointer === '/') return root;
  let at: unknown = root;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(at)) at = at[Number(key)];
    else if (isObject(at)) at = at[key];
    else return undefined;
  }
  return typeof at === 'boolean' || isObject(at) ? at : undefined;
}

/**
 * The object schemas a value must (allOf) or may (oneOf, anyOf) match, references followed: the
 * schema itself first, then its alternatives. `true` and `false` carry nothing to offer.
 */
export function expand(root: JsonSchema, schema: JsonSchema | undefined, seen: ReadonlySet<string> = new Set()): JsonSchemaObject[] {
  if (schema === undefined || typeof schema === 'boolean') return [];
  if (schema.$ref !== undefined) {
    if (seen.has(schema.$ref)) return [];
    const target = resolveRef(root, schema.$ref);
    // draft-07: beside $ref every other keyword is ignored, except that editors read the description
    const here = schema.description !== undefined || schema.markdownDescription !== undefined ? [withoutRef(schema)] : [];
    return [...here, ...expand(root, target, new Set([...seen, schema.$ref]))];
  }
  const out: JsonSchemaObject[] = [schema];
  for (const sub of [...(schema.allOf ?? []), ...(schema.oneOf ?? []), ...(schema.anyOf ?? [])]) out.push(...expand(root, sub, seen));
  return out;
}

function withoutRef(schema: JsonSchemaObject): JsonSchemaObject {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

/** The subschemas for one step into a value: a property (by name or pattern, else additionalProperties) or a list item. */
function child(schema: JsonSchemaObject, segment: PathSegment): JsonSchema[] {
  if (typeof segment === 'number') {
    if (Array.isArray(schema.items)) {
      const tuple = schema.items as readonly JsonSchema[];
      const item = tuple[segment];
      return item !== undefined ? [item] : schema.additionalItems !== undefined ? [schema.additionalItems] : [];
    }
    return schema.items !== undefined ? [schema.items as JsonSchema] : [];
  }
  const named = schema.properties?.[segment];
  if (named !== undefined) return [named];
  const patterned = Object.entries(schema.patternProperties ?? {})
    .filter(([pattern]) => safeTest(pattern, segment))
    .map(([, s]) => s);
  if (patterned.length > 0) return patterned;
  return schema.additionalProperties !== undefined ? [schema.additionalProperties] : [];
}

function safeTest(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(text);
  } catch {
    return false;
  }
}

/** Every object schema that applies to the value at `path` (alternatives included). */
export function schemasAt(root: JsonSchema, path: readonly PathSegment[]): JsonSchemaObject[] {
  let here = expand(root, root);
  for (const segment of path) {
    here = here.flatMap((s) => child(s, segment)).flatMap((s) => expand(root, s));
    if (here.length === 0) return [];
  }
  return here;
}

/** A key an object may have, with the schema that describes its value. */
export interface SchemaProperty {
  readonly name: string;
  readonly schema: JsonSchema;
  readonly required: boolean;
}

/** The named properties of the objects at a path, in the schema's order, each once (the first alternative to name it wins). */
export function propertiesOf(schemas: readonly JsonSchemaObject[]): SchemaProperty[] {
  const out = new Map<string, SchemaProperty>();
  const required = new Set(schemas.flatMap((s) => s.required ?? []));
  for (const s of schemas) {
    for (const [name, schema] of Object.entries(s.properties ?? {})) {
      if (!out.has(name)) out.set(name, { name, schema, required: required.has(name) });
    }
  }
  return [...out.values()];
}

/** A value a scalar may take, and what the schema says of it. */
export interface SchemaValue {
  readonly value: unknown;
  readonly description?: string;
  /** Where it comes from: an enum or const, the default, an example, or the boolean type. */
  readonly source: 'enum' | 'default' | 'example' | 'boolean';
}

/** The values the schema names for a scalar at a path: enum and const values, booleans, the default, examples; each once. */
export function valuesOf(schemas: readonly JsonSchemaObject[]): SchemaValue[] {
  const out: SchemaValue[] = [];
  const seen = new Set<string>();
  const add = (value: unknown, source: SchemaValue['source'], description?: string): void => {
    if (value === null || typeof value === 'object') return; // only scalars are typed at a value position
    const key = JSON.stringify(value);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(description !== undefined ? { value, source, description } : { value, source });
  };
  for (const s of schemas) {
    (s.enum ?? []).forEach((v, i) => add(v, 'enum', s.markdownEnumDescriptions?.[i] ?? s.enumDescriptions?.[i] ?? describe(s)));
    if (s.const !== undefined) add(s.const, 'enum', describe(s));
  }
  for (const s of schemas) if (typesOf(s).includes('boolean')) [true, false].forEach((v) => add(v, 'boolean'));
  for (const s of schemas) if (s.default !== undefined) add(s.default, 'default');
  for (const s of schemas) for (const v of s.examples ?? []) add(v, 'example');
  return out;
}

function typesOf(s: JsonSchemaObject): string[] {
  if (s.type === undefined) return [];
  return typeof s.type === 'string' ? [s.type] : [...s.type];
}

/** The first description the schemas give (Markdown preferred). */
export function describe(schemas: JsonSchemaObject | readonly JsonSchemaObject[]): string | undefined {
  const list = Array.isArray(schemas) ? (schemas as readonly JsonSchemaObject[]) : [schemas as JsonSchemaObject];
  for (const s of list) {
    const text = s.markdownDescription ?? s.description;
    if (text !== undefined && text.trim() !== '') return text;
  }
  return undefined;
}

/** The types a value may have, e.g. `string | integer | array` (null left out beside others), inferred from enum and const values where no type is given. */
export function typeText(schemas: readonly JsonSchemaObject[]): string | undefined {
  const types = new Set<string>();
  for (const s of schemas) {
    for (const t of typesOf(s)) types.add(t);
    if (s.type === undefined) {
      for (const v of [...(s.enum ?? []), ...(s.const !== undefined ? [s.const] : [])]) types.add(jsonType(v));
      if (s.properties !== undefined) types.add('object');
    }
  }
  // `null` (an empty value, which most settings allow) is said only when it is all there is
  if (types.size > 1) types.delete('null');
  return types.size > 0 ? [...types].join(' | ') : undefined;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const code = (v: unknown): string => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

/**
 * One Markdown text for a value's schema, as hover and completion show it: its title and
 * description, its type, the values it may take and its default.
 */
export function documentation(schemas: readonly JsonSchemaObject[]): string {
  const parts: string[] = [];
  const title = schemas.find((s) => s.title !== undefined)?.title;
  if (title !== undefined) parts.push(`**${title}**`);
  const text = describe(schemas);
  if (text !== undefined) parts.push(text);
  const deprecated = schemas.find((s) => s.deprecationMessage !== undefined)?.deprecationMessage;
  if (deprecated !== undefined) parts.push(`Deprecated: ${deprecated}`);
  const facts: string[] = [];
  const type = typeText(schemas);
  if (type !== undefined) facts.push(`Type: ${type.split(' | ').map(code).join(' | ')}`);
  const values = valuesOf(schemas).filter((v) => v.source === 'enum');
  if (values.length > 0) facts.push(`Values: ${values.map((v) => code(v.value)).join(', ')}`);
  const def = schemas.find((s) => s.default !== undefined)?.default;
  if (def !== undefined) facts.push(`Default: ${code(def)}`);
  if (facts.length > 0) parts.push(facts.join('  \n'));
  return parts.join('\n\n');
}
