/**
 * Localization of the manifest and the code: package.json's user-facing strings are `%key%`
 * references into package.nls.json (each key there, none unused), l10n/bundle.l10n.json lists the
 * messages of the sources' `vscode.l10n.t` calls, and scripts/nls.ts (`npm run nls`) moves new
 * literals mechanically — the rules of docs/L10N.md.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  bundleOf,
  externalize,
  literalMessagesOf,
  messagesOf,
  prune,
  referencesOf,
  type JsonObject,
  type NlsTable,
} from '../../scripts/nlsManifest';

const ROOT = path.join(__dirname, '../..');
const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;
const manifest = read<JsonObject>('package.json');
const nls = read<NlsTable>('package.nls.json');

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('package.json and package.nls.json', () => {
  test('every %key% of package.json is in package.nls.json, and every key there is used', () => {
    const used = new Set(referencesOf(manifest));
    assert.ok(used.size > 100, `${used.size} references`);
    assert.deepEqual(
      [...used].filter((key) => typeof nls[key] !== 'string'),
      [],
      'keys package.nls.json lacks',
    );
    assert.deepEqual(
      Object.keys(nls).filter((key) => !used.has(key)),
      [],
      'keys package.json does not use (npm run nls drops them)',
    );
    for (const [key, text] of Object.entries(nls)) assert.ok(text.trim() !== '' && !/^%.*%$/.test(text), `${key}: "${text}"`);
  });

  test('no command title or category is a literal', () => {
    const commands = (manifest.contributes as { commands: { command: string; title: string; category?: string }[] }).commands;
    assert.ok(commands.length > 50);
    const literal = commands.flatMap((c) => [
      ...(/^%[^%\s]+%$/.test(c.title) ? [] : [`${c.command}: title "${c.title}"`]),
      ...(c.category === undefined || /^%[^%\s]+%$/.test(c.category) ? [] : [`${c.command}: category "${c.category}"`]),
    ]);
    assert.deepEqual(literal, [], 'literal titles: run `npm run nls`');
  });

  test('nothing user-facing is left literal in package.json (`npm run nls` would move nothing)', () => {
    const again = externalize(manifest, nls);
    assert.deepEqual(again.moved, [], 'run `npm run nls`');
    assert.deepEqual(again.manifest, manifest);
  });

  test('the walkthrough and the views read in English through the table', () => {
    const contributes = manifest.contributes as {
      walkthroughs: { title: string; steps: { title: string }[] }[];
      views: { berth: { id: string; name: string }[] };
    };
    const text = (ref: string): string | undefined => nls[ref.slice(1, -1)];
    assert.equal(text(contributes.walkthroughs[0]!.title), 'Get started with Berth');
    assert.equal(text(contributes.views.berth.find((v) => v.id === 'berth.containers')!.name), 'Containers');
    assert.equal(text(manifest.displayName as string), 'Berth — Containerized ML');
  });

  test('the packaged extension carries package.nls.json and l10n/ (.vscodeignore is an allow-list)', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.ok(lines.includes('!package.nls.json'), '.vscodeignore lets package.nls.json in');
    assert.ok(lines.includes('!l10n/**'), '.vscodeignore lets l10n/ in');
    assert.equal(manifest.l10n, './l10n');
  });
});

describe('l10n/bundle.l10n.json and the vscode.l10n.t calls', () => {
  const found = sources(path.join(ROOT, 'src'))
    .sort()
    .map((file) => ({ file: path.relative(ROOT, file), ...messagesOf(fs.readFileSync(file, 'utf8')) }));

  test('every l10n.t message is one string literal, so that a translator can find it', () => {
    assert.deepEqual(
      found.flatMap((f) => f.problems.map((p) => `${f.file}:${p.line}: ${p.text}`)),
      [],
    );
  });

  test('the bundle lists exactly the messages of the sources (`npm run nls` writes it)', () => {
    const messages = found.flatMap((f) => f.messages);
    assert.ok(messages.includes('Show Log'), 'the command error wrapper goes through l10n');
    assert.ok(messages.includes('Still connecting to the container engine — try again in a moment.'));
    assert.deepEqual(read<NlsTable>('l10n/bundle.l10n.json'), bundleOf(messages));
  });

  test('messagesOf: literals with escapes, across lines; a template or a variable is a problem', () => {
    const source = [
      "vscode.l10n.t('It\\'s {0}', x);",
      'vscode.l10n.t(',
      '  "Line\\nbreak \\"quoted\\"",',
      '  y,',
      ');',
      'vscode.l10n.t(`Berth: ${host}`);',
      'vscode.l10n.t(message);',
      "vscode.l10n.t('a' + b);",
      "l10n.t('plain');",
    ].join('\n');
    const { messages, problems } = messagesOf(source);
    assert.deepEqual(messages, ["It's {0}", 'Line\nbreak "quoted"', 'plain']);
    assert.deepEqual(
      problems.map((p) => p.line),
      [6, 7, 8],
    );
  });
});

/**
 * Files of src/ui still wording messages as literals (English only), to be converted: the
 * playground (its panel, A/B and request checks) and the checks of several selected models
 * (src/ui/run/severalModels.ts is also run by an engine test, outside VS Code).
 */
const NOT_YET_LOCALIZED = ['src/ui/playground/requests.ts', 'src/ui/run/severalModels.ts'];

describe('user-facing text of src/ui goes through vscode.l10n.t', () => {
  const files = sources(path.join(ROOT, 'src', 'ui')).map((file) => ({
    file: path.relative(ROOT, file).split(path.sep).join('/'),
    source: fs.readFileSync(file, 'utf8'),
  }));

  test('no notification, thrown error, title, prompt, placeholder, detail, tooltip or message is a literal', () => {
    assert.ok(files.length > 80, `${files.length} files`);
    const literal = files
      .filter((f) => !NOT_YET_LOCALIZED.includes(f.file))
      .flatMap((f) => literalMessagesOf(f.source).map((m) => `${f.file}:${m.line}: ${m.text}`));
    assert.deepEqual(literal, [], "write them as vscode.l10n.t('…', args…) (docs/L10N.md)");
  });

  test('the files left to convert still exist and still have literals (drop them from the list once converted)', () => {
    for (const file of NOT_YET_LOCALIZED) {
      const found = files.find((f) => f.file === file);
      assert.ok(found, `${file} exists`);
      assert.ok(literalMessagesOf(found.source).length > 0, `${file} has no literal message left: drop it from NOT_YET_LOCALIZED`);
    }
  });

  test('literalMessagesOf: literal and template first arguments, prose properties; translated and composed values pass', () => {
    const source = [
      "void vscode.window.showInformationMessage('Pulled the image.');",
      'void vscode.window.showWarningMessage(`Removed ${name}.`, remove);',
      "throw new Error('No Dockerfile here.');",
      "const picked = await vscode.window.showQuickPick(items, { title: 'Remove image' });",
      'vscode.window.withProgress({ location, title: `Building ${tag} now`, cancellable: true }, run);',
      "void vscode.window.showErrorMessage(vscode.l10n.t('Pulled {0}.', ref));",
      'void vscode.window.showErrorMessage(err.message, showLog);',
      "throw new Error(vscode.l10n.t('No Dockerfile here.'));",
      "const box = { title: vscode.l10n.t('Remove image'), placeHolder: 'docker.io', detail: `${a} · ${b}` };",
      "item.command = { title: 'Suggest', command: 'editor.action.triggerSuggest' };",
    ].join('\n');
    assert.deepEqual(
      literalMessagesOf(source).map((m) => m.line),
      [1, 2, 3, 4, 5],
    );
  });
});

describe('externalize (scripts/nls.ts)', () => {
  const fixture = (): JsonObject => ({
    name: 'x',
    displayName: 'X Tool',
    description: 'Does X.',
    contributes: {
      views: { side: [{ id: 'x.list', name: 'List' }] },
      viewsWelcome: [{ view: 'x.list', contents: 'Nothing here.\n[Add](command:x.add)', when: 'true' }],
      commands: [
        { command: 'x.add', title: 'Add', category: 'X Tool', icon: '$(add)' },
        { command: 'x.remove', title: '%commands.x.remove.title%', category: 'X Tool' },
      ],
      menus: { commandPalette: [{ command: 'x.add', when: 'false' }] },
      taskDefinitions: [{ type: 'x', properties: { profile: { type: 'string', description: 'The profile.', default: 'title' } } }],
      configuration: {
        title: 'X',
        properties: {
          'x.mode': { type: 'string', enum: ['a', 'b'], enumDescriptions: ['Mode A', 'Mode B'], default: 'a', description: 'Mode.' },
        },
      },
      walkthroughs: [
        { id: 'w', title: 'Start', steps: [{ id: 's1', title: 'One', description: 'Do it.', media: { image: 'a.svg', altText: 'A' } }] },
      ],
    },
  });

  test('moves each literal to a key made from its place; a category is one key per text; the rest stays as it was', () => {
    const input = fixture();
    const { manifest: out, nls: table, moved } = externalize(input, { 'commands.x.remove.title': 'Remove' });
    assert.deepEqual(input, fixture(), 'the input is not changed');
    assert.deepEqual(table, {
      'commands.x.remove.title': 'Remove',
      displayName: 'X Tool',
      description: 'Does X.',
      'views.side.x.list.name': 'List',
      'commands.x.add.title': 'Add',
      'category.x-tool': 'X Tool',
      'taskDefinitions.x.properties.profile.description': 'The profile.',
      'configuration.title': 'X',
      'configuration.properties.x.mode.enumDescriptions.a': 'Mode A',
      'configuration.properties.x.mode.enumDescriptions.b': 'Mode B',
      'configuration.properties.x.mode.description': 'Mode.',
      'walkthroughs.w.title': 'Start',
      'walkthroughs.w.steps.s1.title': 'One',
      'walkthroughs.w.steps.s1.description': 'Do it.',
      'walkthroughs.w.steps.s1.media.altText': 'A',
    });
    assert.deepEqual(moved, Object.keys(table).slice(1));
    const c = out.contributes as Record<string, unknown>;
    assert.deepEqual(c.commands, [
      { command: 'x.add', title: '%commands.x.add.title%', category: '%category.x-tool%', icon: '$(add)' },
      { command: 'x.remove', title: '%commands.x.remove.title%', category: '%category.x-tool%' },
    ]);
    // generated, data and when-clauses: untouched
    assert.deepEqual(c.viewsWelcome, (fixture().contributes as Record<string, unknown>).viewsWelcome);
    assert.deepEqual(c.menus, (fixture().contributes as Record<string, unknown>).menus);
    const profile = (c.taskDefinitions as { properties: { profile: Record<string, unknown> } }[])[0]!.properties.profile;
    assert.equal(profile.default, 'title');
    // key order of the manifest kept
    assert.deepEqual(Object.keys(out), Object.keys(input));
    assert.deepEqual(Object.keys(c), Object.keys(input.contributes as object));
    // idempotent: a second run moves nothing
    const again = externalize(out, table);
    assert.deepEqual(again.moved, []);
    assert.deepEqual(again.manifest, out);
  });

  test('a key taken by another text gets a suffix; prune drops the keys no longer referenced', () => {
    const { manifest: out, nls: table } = externalize(fixture(), { 'commands.x.add.title': 'Add Something Else' });
    const add = (out.contributes as { commands: { title: string }[] }).commands[0]!;
    assert.equal(add.title, '%commands.x.add.title.2%');
    assert.equal(table['commands.x.add.title.2'], 'Add');
    const kept = prune(out, { ...table, 'gone.key': 'Old' });
    assert.equal(kept['gone.key'], undefined);
    assert.equal(kept['commands.x.add.title'], undefined, 'the other text is not referenced either');
    assert.equal(kept['commands.x.add.title.2'], 'Add');
  });
});
