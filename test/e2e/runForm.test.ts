import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../scripts/vscode/codeServer';
import { parseBerthConfig } from '../../src/core/project/runProfile';
import { eventually, normalize, runCommand, startVSCode, UI_TIMEOUT, waitForNotification, type VSCode } from './harness';

/** A second profile, with comments, that saving serve leaves byte for byte. */
const OTHER_PROFILE = `
  # nightly scoring: keep in sync with the cron job
  batch:
    image: busybox   # tiny on purpose
    command: [echo, scored]
`;

describe('e2e: the run profile form', { timeout: 120_000 }, () => {
  let vscode: VSCode;
  let workspace: string;

  before(async () => {
    workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-form-')), 'iris-classifier');
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'iris-classifier'), workspace, { recursive: true });
    // the example's berth.yaml (a header comment, one inside build.args) with a comment beside a key of serve and another profile with comments
    const file = path.join(workspace, 'berth.yaml');
    const example = fs.readFileSync(file, 'utf8');
    assert.ok(example.includes('    memory: 512m\n'), 'the example profile as this test expects it');
    fs.writeFileSync(file, `${example.replace('    memory: 512m\n', '    memory: 512m   # enough for the iris model\n')}${OTHER_PROFILE}`);
    vscode = await startVSCode('run-form', { workspace });
  });
  after(async () => {
    await vscode?.close();
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  });

  test('shows the profile, refuses a bad value at its field, saves a good one to berth.yaml', async () => {
    const page = vscode.page;
    await runCommand(page, 'Berth: Edit Run Profiles');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('h2', { hasText: 'Run profiles: ' }).waitFor({ timeout: UI_TIMEOUT });
    const value = (id: string): Promise<string> => frame.locator(`#field-${id}`).evaluate((e) => (e as unknown as { value: string }).value);
    const set = (id: string, v: string): Promise<void> =>
      frame.locator(`#field-${id}`).evaluate((e, text) => {
        (e as unknown as { value: string }).value = text;
      }, v);
    await eventually(
      () => value('name'),
      (v) => v === 'serve',
      'the serve profile in the form',
    );
    assert.equal(await value('memory'), '512m');
    assert.equal(await value('ports'), '8000');
    assert.match(normalize(await frame.locator('p.muted').innerText()), /^This engine: (no GPU — .+|GPU: .+)$/);

    await set('memory', 'lots');
    await frame.locator('#save').click();
    const helper = frame.locator('vscode-form-group', { has: frame.locator('#field-memory') }).locator('vscode-form-helper');
    await eventually(
      () => helper.innerText(),
      (t) => t.includes('must be a size'),
      'the problem at the memory field',
    );
    assert.match(normalize(await frame.locator('#status').innerText()), /^Not saved: 1 problem\.$/);
    assert.match(fs.readFileSync(path.join(workspace, 'berth.yaml'), 'utf8'), /memory: 512m/, 'nothing written');
    await vscode.screenshot('run-form-problem');

    await set('memory', '1g');
    await set('gpus', 'all');
    await frame.locator('#save').click();
    await eventually(
      () => frame.locator('#status').innerText(),
      (t) => t.includes('Saved profile "serve"'),
      'saved',
    );
    const written = fs.readFileSync(path.join(workspace, 'berth.yaml'), 'utf8');
    assert.ok(written.startsWith('# Berth run profiles for this project (see the Berth README).\n'), 'the file is edited, not rewritten');
    const { profiles, problems } = parseBerthConfig(written);
    assert.deepEqual(problems, []);
    assert.equal(profiles[0]?.memoryBytes, 2 ** 30);
    assert.deepEqual(profiles[0]?.gpus, { kind: 'all' });
    assert.equal(profiles[0]?.build?.args.BASE, 'berth-python-numpy:latest', 'the rest of the profile is kept');
    // the comments survive, the keys the form did not change keep their order, the other profile is byte for byte
    assert.match(written, /^ {4}memory: 1g +# enough for the iris model$/m, 'the comment beside the changed key');
    assert.match(written, /^ {8}# the base image built locally by Berth's scripts/m, 'the comment inside the edited profile');
    assert.ok(written.endsWith(OTHER_PROFILE), written);
    const serveKeys = [...written.slice(0, written.indexOf(OTHER_PROFILE)).matchAll(/^ {4}(\w+):/gm)].map((m) => m[1]);
    assert.deepEqual(
      serveKeys,
      ['build', 'ports', 'memory', 'healthcheck', 'gpus', 'gpuFallback'],
      'existing keys in place, new ones after them',
    );
    assert.deepEqual(
      profiles.map((p) => p.name),
      ['serve', 'batch'],
    );
    await vscode.screenshot('run-form-saved');
  });

  test('a berth.yaml the form cannot parse, changed on disk, or read-only: a message, and the file stays as it was', async () => {
    const page = vscode.page;
    const file = path.join(workspace, 'berth.yaml');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    const statusText = async (): Promise<string> => normalize(await frame.locator('#status').innerText());
    const set = (id: string, v: string): Promise<void> =>
      frame.locator(`#field-${id}`).evaluate((e, text) => {
        (e as unknown as { value: string }).value = text;
      }, v);
    const dismissToasts = async (): Promise<void> => {
      for (const close of await page.locator('.notifications-toasts .notification-toast .codicon-notifications-clear').all())
        await close.click().catch(() => undefined);
    };

    // 1. broken on disk (bad indentation on line 5): Save shows where, and the file is byte-for-byte the same
    const broken = Buffer.from('version: 1\nprofiles:\n  serve:\n    image: busybox\n   memory: 1g\n');
    fs.writeFileSync(file, broken);
    await set('memory', '2g');
    await frame.locator('#save').click();
    const toast = await waitForNotification(
      page,
      /berth\.yaml line 5, column \d+: YAML syntax: All mapping items must start at the same column/,
    );
    assert.match(normalize(await toast.innerText()), /Not saved; the form keeps your values\./);
    await eventually(statusText, (t) => /^Not saved: berth\.yaml line 5, column \d+: YAML syntax/.test(t), 'the problem in the form');
    assert.equal(
      await frame.locator('#field-memory').evaluate((e) => (e as unknown as { value: string }).value),
      '2g',
      'the form keeps its values',
    );
    assert.deepEqual(fs.readFileSync(file), broken, 'berth.yaml unchanged');
    await vscode.screenshot('run-form-unparsable');
    // its action opens the file
    await toast.locator('.monaco-button', { hasText: 'Open berth.yaml' }).click();
    await page.locator('.tabs-container .tab', { hasText: 'berth.yaml' }).waitFor({ timeout: UI_TIMEOUT });
    assert.deepEqual(fs.readFileSync(file), broken, 'still unchanged');

    // 2. fixed on disk, so it differs from what the form read: asked first; cancelled, nothing written
    await dismissToasts();
    const edited = Buffer.from('version: 1\nprofiles:\n  serve:\n    image: busybox\n    memory: 1g\n  extra:\n    image: busybox\n');
    fs.writeFileSync(file, edited);
    const formTab = page.locator('.tabs-container .tab', { hasText: 'Run Profiles' });
    await formTab.click();
    await frame.locator('#save').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: UI_TIMEOUT });
    assert.match(normalize(await dialog.innerText()), /berth\.yaml changed on disk since the form read it/);
    await vscode.screenshot('run-form-changed-on-disk');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await eventually(statusText, (t) => t.includes('changed on disk since the form read it; nothing was written'), 'not saved');
    assert.deepEqual(fs.readFileSync(file), edited, 'berth.yaml unchanged after Cancel');
    // …and when the user says Save, the file's other change (profile "extra") is kept
    await frame.locator('#save').click();
    await dialog.waitFor({ timeout: UI_TIMEOUT });
    await dialog.locator('.monaco-button', { hasText: /^Save$/ }).click();
    await eventually(statusText, (t) => t.includes('Saved profile "serve"'), 'saved');
    const after = parseBerthConfig(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(after.problems, []);
    assert.deepEqual(
      after.profiles.map((p) => p.name),
      ['serve', 'extra'],
    );
    assert.equal(after.profiles[0]?.memoryBytes, 2 * 2 ** 30);

    // 3. read-only: a message, the file as it was
    const saved = fs.readFileSync(file);
    fs.chmodSync(file, 0o444);
    try {
      await set('memory', '3g');
      await frame.locator('#save').click();
      await waitForNotification(page, /Could not save berth\.yaml: .*berth\.yaml is read-only/);
      await eventually(statusText, (t) => t.includes('read-only'), 'the read-only problem in the form');
      assert.deepEqual(fs.readFileSync(file), saved, 'berth.yaml unchanged');
      await vscode.screenshot('run-form-read-only');
    } finally {
      fs.chmodSync(file, 0o644);
    }
  });
});
