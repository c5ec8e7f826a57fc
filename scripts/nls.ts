/**
 * `npm run nls`: the manifest's user-facing strings into package.nls.json, and the messages of the
 * sources' `vscode.l10n.t` calls into l10n/bundle.l10n.json (see docs/L10N.md).
 *
 * - every literal title, category, view name, description… of package.json moves to
 *   package.nls.json under a key made from its place, leaving `%key%` (scripts/nlsManifest.ts);
 *   keys package.json no longer references are dropped; package.json keeps its key order;
 * - l10n/bundle.l10n.json lists every message of `l10n.t('…')` in src/; a call whose message is not
 *   one string literal is an error (a translator could not find it).
 *
 * Run it after adding commands, views, settings or walkthrough steps; test/unit/nls.test.ts fails
 * until it has been run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundleOf, externalize, messagesOf, prune, type JsonObject, type NlsTable } from './nlsManifest';

const ROOT = path.join(__dirname, '..');
const MANIFEST = path.join(ROOT, 'package.json');
const NLS = path.join(ROOT, 'package.nls.json');
const BUNDLE = path.join(ROOT, 'l10n', 'bundle.l10n.json');

const readJson = <T>(file: string, fallback: T): T => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : fallback);
const writeJson = (file: string, value: unknown): void => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
};

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

const { manifest, nls, moved } = externalize(readJson<JsonObject>(MANIFEST, {}), readJson<NlsTable>(NLS, {}));
const kept = prune(manifest, nls);
writeJson(MANIFEST, manifest);
writeJson(NLS, kept);
console.log(`package.nls.json: ${Object.keys(kept).length} strings, ${moved.length} moved from package.json now`);

const messages: string[] = [];
let problems = 0;
for (const file of sources(path.join(ROOT, 'src')).sort()) {
  const found = messagesOf(fs.readFileSync(file, 'utf8'));
  messages.push(...found.messages);
  for (const p of found.problems) {
    problems++;
    console.error(`${path.relative(ROOT, file)}:${p.line}: the message of l10n.t must be one string literal: ${p.text}`);
  }
}
writeJson(BUNDLE, bundleOf(messages));
console.log(`l10n/bundle.l10n.json: ${Object.keys(bundleOf(messages)).length} messages`);
if (problems > 0) process.exitCode = 1;
