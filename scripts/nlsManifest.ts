/**
 * The manifest's user-facing strings in package.nls.json (VS Code's localization of package.json):
 * `externalize` moves every literal title, category, view name, description… of package.json into
 * the nls table under a key made from where it stands, and leaves a `%key%` reference in its place.
 * Mechanical and idempotent: run again (`npm run nls`) after adding contributions, and only the new
 * literals move. The views' welcome content is not walked: scripts/manifest.ts writes it from
 * src/ui/engine/welcomeViews.ts, already as `%viewsWelcome.…%` references with their texts.
 *
 * `messagesOf` lists the messages of the `vscode.l10n.t('…')` calls in the sources: the template
 * for translators, l10n/bundle.l10n.json.
 */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type NlsTable = Record<string, string>;

/** Properties whose string value the user reads. */
const TRANSLATABLE = new Set([
  'title',
  'shortTitle',
  'category',
  'description',
  'markdownDescription',
  'deprecationMessage',
  'markdownDeprecationMessage',
  'label',
  'altText',
]);
/** Properties whose array of strings the user reads, one per item of the sibling `enum`. */
const TRANSLATABLE_LISTS = new Set(['enumDescriptions', 'markdownEnumDescriptions', 'enumItemLabels']);
/**
 * Parts of the manifest that are not read as text, or whose text is data: the welcome content
 * (generated, with keys of its own), menus and keybindings (ids and when clauses), and values of a JSON schema or a
 * debug configuration (defaults, snippets' bodies, enums, examples).
 */
const SKIPPED = new Set(['viewsWelcome', 'menus', 'keybindings', 'default', 'body', 'initialConfigurations', 'enum', 'examples', 'const']);
/** What names an item of an array in a key: its id, else its command, view or type. */
const ITEM_NAMES = ['id', 'command', 'view', 'type', 'language'];

const REFERENCE = /^%[^%\s]+%$/;

/** A `%key%` reference to package.nls.json. */
export const isReference = (value: string): boolean => REFERENCE.test(value);

const itemName = (item: Json, index: number): string => {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    for (const name of ITEM_NAMES) {
      const value = item[name];
      if (typeof value === 'string' && value !== '') return value;
    }
  }
  return String(index);
};

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export interface Externalized {
  readonly manifest: JsonObject;
  readonly nls: NlsTable;
  /** The keys added, in the order of the manifest. */
  readonly moved: readonly string[];
}

/**
 * The manifest with its literal user-facing strings replaced by `%key%`, and the nls table with
 * them added. A key is the string's place in the manifest (`commands.berth.engine.showInfo.title`,
 * `configuration.properties.berth.logs.tail.markdownDescription`); categories share one key per
 * text (`category.berth`). The manifest's key order is kept. Neither argument is modified.
 */
export function externalize(manifest: JsonObject, nls: NlsTable): Externalized {
  const out = structuredClone(manifest);
  const table: NlsTable = { ...nls };
  const moved: string[] = [];
  const keyFor = (wanted: string, text: string): string => {
    let key = wanted;
    for (let n = 2; table[key] !== undefined && table[key] !== text; n++) key = `${wanted}.${n}`;
    if (table[key] === undefined) {
      table[key] = text;
      moved.push(key);
    }
    return key;
  };
  const move = (holder: JsonObject | Json[], at: string | number, key: string): void => {
    const text = (holder as Record<string | number, Json>)[at];
    if (typeof text !== 'string' || text === '' || isReference(text)) return;
    (holder as Record<string | number, Json>)[at] = `%${keyFor(key, text)}%`;
  };

  const walk = (node: Json, place: readonly string[], inViews: boolean): void => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...place, itemName(item, i)], inViews));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [name, value] of Object.entries(node)) {
      if (SKIPPED.has(name)) continue;
      if (typeof value === 'string') {
        if (name === 'category') move(node, name, `category.${slug(value) || 'default'}`);
        else if (TRANSLATABLE.has(name) || (inViews && name === 'name')) move(node, name, [...place, name].join('.'));
      } else if (Array.isArray(value) && TRANSLATABLE_LISTS.has(name)) {
        const enumValues = Array.isArray(node.enum) ? node.enum : [];
        value.forEach((_, i) => {
          const of = enumValues[i];
          move(value, i, [...place, name, typeof of === 'string' || typeof of === 'number' ? String(of) : String(i)].join('.'));
        });
      } else {
        walk(value, [...place, name], inViews || (place.length === 0 && name === 'views'));
      }
    }
  };

  // the extension's name and description as the Extensions view and the marketplace show them
  for (const name of ['displayName', 'description'] as const) move(out, name, name);
  const capabilities = out.capabilities;
  if (capabilities !== undefined) walk(capabilities, ['capabilities'], false);
  const contributes = out.contributes;
  if (contributes !== undefined) walk(contributes, [], false);
  return { manifest: out, nls: table, moved };
}

/** Every `%key%` reference of the manifest, in order (a key may come more than once). */
export function referencesOf(node: Json): string[] {
  if (typeof node === 'string') return isReference(node) ? [node.slice(1, -1)] : [];
  if (Array.isArray(node)) return node.flatMap(referencesOf);
  if (node === null || typeof node !== 'object') return [];
  return Object.values(node).flatMap(referencesOf);
}

/** The nls table without the keys the manifest no longer references (an entry removed). */
export function prune(manifest: JsonObject, nls: NlsTable): NlsTable {
  const used = new Set(referencesOf(manifest));
  return Object.fromEntries(Object.entries(nls).filter(([key]) => used.has(key)));
}

/** A call of `l10n.t` whose message is not one string literal (a translator could not find it). */
export interface L10nProblem {
  readonly line: number;
  readonly text: string;
}

const CALL = /\bl10n\.t\(\s*/g;
const LITERAL = /^(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)")\s*[,)]/;

const unescape = (body: string): string =>
  body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e.startsWith('u{')) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    if (e.startsWith('u') || e.startsWith('x')) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[e] ?? e;
  });

/** The messages of a source file's `l10n.t('…')` calls, and the calls whose message is not a literal. */
export function messagesOf(source: string): { messages: string[]; problems: L10nProblem[] } {
  const messages: string[] = [];
  const problems: L10nProblem[] = [];
  for (const call of source.matchAll(CALL)) {
    const start = call.index + call[0].length;
    const literal = LITERAL.exec(source.slice(start));
    if (literal) messages.push(unescape(literal[1] ?? literal[2] ?? ''));
    else
      problems.push({
        line: source.slice(0, call.index).split('\n').length,
        text: source.slice(call.index, source.indexOf('\n', call.index)).trim(),
      });
  }
  return { messages, problems };
}

/** l10n/bundle.l10n.json: each message once, sorted, as its own English translation. */
export function bundleOf(messages: Iterable<string>): NlsTable {
  return Object.fromEntries([...new Set(messages)].sort().map((m) => [m, m]));
}

/** A user-facing message written as a literal in a vscode call, where `vscode.l10n.t('…')` belongs. */
export interface LiteralMessage {
  readonly line: number;
  readonly text: string;
}

/** The first argument of a notification, or an error thrown for the command wrapper to show. */
const LITERAL_FIRST_ARGUMENT = /\b(?:show(?:Information|Warning|Error)Message|throw new Error)\(\s*(?=['"`])/g;
/** A property of a quick pick, input box, progress, tree item or dialog whose value the user reads. */
const LITERAL_PROPERTY =
  /\b(?:title|prompt|placeHolder|detail|tooltip|message):\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`)/g;
/** Prose: two words in a row, once the template's `${…}` parts are left out. */
const PROSE = /[A-Za-z]{2,}[ ,:;]+[A-Za-z]{2,}/;

/**
 * The messages a source file of the ui layer writes as literals where the user reads them: the
 * first argument of showInformationMessage / showWarningMessage / showErrorMessage and of
 * `throw new Error(…)` (the command wrapper shows it) when it is a string or template literal, and
 * the `title`, `prompt`, `placeHolder`, `detail`, `tooltip` or `message` properties whose literal
 * value is prose. A value that is only `${…}` parts and punctuation (made of translated parts) is
 * no problem, nor a one-word or example value (`docker.io`).
 */
export function literalMessagesOf(source: string): LiteralMessage[] {
  const found: LiteralMessage[] = [];
  const lineOf = (index: number): number => source.slice(0, index).split('\n').length;
  const textAt = (index: number): string => source.slice(index, source.indexOf('\n', index)).trim();
  for (const m of source.matchAll(LITERAL_FIRST_ARGUMENT)) found.push({ line: lineOf(m.index), text: textAt(m.index) });
  for (const m of source.matchAll(LITERAL_PROPERTY)) {
    const value = (m[1] ?? '').slice(1, -1).replace(/\$\{[^}]*\}/g, '');
    if (PROSE.test(value)) found.push({ line: lineOf(m.index), text: textAt(m.index) });
  }
  return found.sort((a, b) => a.line - b.line);
}
