/**
 * YAML text Berth reads but does not edit (CDI specs, Compose files and `config` output) as plain
 * values, through the `yaml` library: YAML 1.2 core types (`yes`/`on` are strings, `0755` is the
 * number 755), `<<` merge keys, and like before an error for bad syntax, more than one document,
 * duplicate keys or a tag Berth does not know (`!reset`).
 */
import { Document, parseDocument } from 'yaml';

/** Aliases one anchor may expand to (a guard against alias bombs, far above any real file). */
const MAX_ALIAS_COUNT = 10_000;

/** The value of a YAML text (null for an empty one). Throws on what it cannot read, with the line in the message. */
export function loadYaml(text: string): unknown {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (problem) throw problem;
  return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
}

/**
 * A value as YAML that YAML 1.1 readers (Compose v1's PyYAML) read back the same: strings like
 * `yes`, `on`, `0755` or `8080:22` quoted; no anchors; long lines kept on one line.
 */
export function dumpYaml(value: unknown): string {
  return new Document(value, { version: '1.1', aliasDuplicateObjects: false }).toString({ lineWidth: 0, singleQuote: true });
}
