/**
 * Writes the parts of package.json that are made from the sources: the views' welcome content
 * (src/ui/engine/welcomeViews.ts). `npm run manifest`; test/unit/welcomeViews.test.ts checks it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { welcomeEntries } from '../src/ui/engine/welcomeViews';

const file = path.join(__dirname, '..', 'package.json');
const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { contributes: { viewsWelcome: unknown } };
manifest.contributes.viewsWelcome = welcomeEntries();
fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n');
console.log(`package.json: ${welcomeEntries().length} welcome entries`);
