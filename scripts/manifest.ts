/**
 * Writes the parts of package.json that are made from the sources: the views' welcome content
 * (src/ui/engine/welcomeViews.ts), as `%viewsWelcome.…%` references with their English text in
 * package.nls.json (VS Code localizes them like the rest of the manifest). `npm run manifest`;
 * test/unit/ui/engine/welcomeViews.test.ts checks it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { welcomeManifest } from '../src/ui/engine/welcomeViews';

const ROOT = path.join(__dirname, '..');
const file = path.join(ROOT, 'package.json');
const nlsFile = path.join(ROOT, 'package.nls.json');
const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { contributes: { viewsWelcome: unknown } };
const { entries, nls } = welcomeManifest();
manifest.contributes.viewsWelcome = entries;
fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
// the welcome texts replace the last ones (a state removed drops its key); the other keys stay as they are
const table = JSON.parse(fs.readFileSync(nlsFile, 'utf8')) as Record<string, string>;
const kept = Object.entries(table).filter(([key]) => !key.startsWith('viewsWelcome.'));
fs.writeFileSync(nlsFile, JSON.stringify(Object.fromEntries([...kept, ...Object.entries(nls)]), null, 2) + '\n');
console.log(`package.json: ${entries.length} welcome entries, ${Object.keys(nls).length} texts in package.nls.json`);
