import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../scripts/vscode/codeServer';
import { describe as schemaDescription, schemasAt, type JsonSchema } from '../../src/core/schema/jsonSchema';
import { editorText, eventually, normalize, openFile, startVSCode, UI_TIMEOUT, type VSCode } from './harness';

/** What the schema the extension ships says of a profile setting (its first sentence, as the editor shows it). */
function said(schema: JsonSchema, key: string): string {
  const text = schemaDescription(schemasAt(schema, ['profiles', 'serve', key]));
  assert.ok(text, `the schema describes ${key}`);
  return (text.split(/(?<=[.:])\s/)[0] ?? text).replace(/[`*]/g, '');
}

describe('e2e: berth.yaml in the editor', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let workspace: string;
  let schema: JsonSchema;

  before(async () => {
    schema = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'schemas', 'berth.schema.json'), 'utf8')) as JsonSchema;
    workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-yaml-')), 'iris-classifier');
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'iris-classifier'), workspace, { recursive: true });
    // code-server saves after a second by default (a web default); a desktop VS Code does not: problems must show unsaved
    vscode = await startVSCode('berth-yaml', { workspace, userSettings: { 'files.autoSave': 'off' } });
  });
  after(async () => {
    await vscode?.close();
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  });

  test('completion offers a profile key with its documentation; hover describes a key; a bad value is a problem before saving', async () => {
    const page = vscode.page;
    const file = path.join(workspace, 'berth.yaml');
    const onDisk = fs.readFileSync(file, 'utf8');
    await openFile(page, 'berth.yaml');
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.locator('.view-lines').waitFor({ timeout: UI_TIMEOUT });

    // a new line at the end of the serve profile (its last line is `    healthcheck: image`)
    const lines = onDisk.trimEnd().split('\n');
    assert.equal(lines.at(-1), '    healthcheck: image', 'the sample ends with the serve profile');
    await editor.locator('.view-line', { hasText: 'healthcheck: image' }).click();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('shm');
    await page.keyboard.press('Control+Space');
    const suggest = page.locator('.editor-widget.suggest-widget');
    const row = suggest.locator('.monaco-list-row', { hasText: 'shmSize' }).first();
    await row.waitFor({ timeout: UI_TIMEOUT });
    const details = page.locator('.suggest-details-container .suggest-details, .suggest-widget .details').first();
    // the documentation shows beside the focused item; Ctrl+Space again opens it when it is folded
    if (!(await details.isVisible())) await page.keyboard.press('Control+Space');
    const shm = said(schema, 'shmSize');
    await eventually(
      async () => normalize(await details.innerText()),
      (t) => t.includes(shm),
      `the shmSize documentation ("${shm}")`,
    );
    await vscode.screenshot('berth-yaml-completion');
    await page.keyboard.press('Enter');
    await eventually(
      () => editorText(page),
      (t) => /^shmSize:$/m.test(t),
      'shmSize inserted as a key',
    );
    await page.keyboard.press('Escape');

    // hover on an existing key
    const memory = editor.locator('.view-line', { hasText: 'memory: 512m' }).locator('span span', { hasText: /^memory$/ });
    await memory.hover();
    const memorySaid = said(schema, 'memory');
    const hover = page.locator('.monaco-hover', { hasText: memorySaid }).first();
    await hover.waitFor({ timeout: UI_TIMEOUT });
    assert.match(normalize(await hover.innerText()), /Type: /);
    await vscode.screenshot('berth-yaml-hover', { keepPointer: true });
    await page.mouse.move(640, 5);

    // a bad value, not saved: the problem shows as it is typed, and goes when it is fixed
    await page.keyboard.press('Escape');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('gpus: lots');
    const squiggle = editor.locator('.squiggly-error');
    await squiggle.first().waitFor({ timeout: UI_TIMEOUT });
    await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel');
    await problems.waitFor({ timeout: UI_TIMEOUT });
    const text = await eventually(
      async () => normalize(await problems.innerText()),
      (t) => t.includes('gpus'),
      'the gpus problem in the Problems view',
    );
    assert.match(text, new RegExp(`\\[Ln ${lines.length + 1}, Col \\d+\\]`), 'at the typed line');
    assert.equal(fs.readFileSync(file, 'utf8'), onDisk, 'not saved');
    await vscode.screenshot('berth-yaml-problem');

    await editor.locator('.view-line', { hasText: 'gpus: lots' }).click();
    await page.keyboard.press('End');
    for (let i = 0; i < 'lots'.length; i++) await page.keyboard.press('Backspace');
    await page.keyboard.type('all');
    await eventually(
      () => squiggle.count(),
      (n) => n === 0,
      'no squiggle once the value is good',
    );
    await eventually(
      async () => normalize(await problems.innerText()),
      (t) => !t.includes('gpus'),
      'the problem gone from the Problems view',
    );
  });
});
