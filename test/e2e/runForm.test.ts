import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../scripts/vscode/codeServer';
import { parseBerthConfig } from '../../src/project/runProfile';
import { eventually, normalize, runCommand, startVSCode, UI_TIMEOUT, type VSCode } from './harness';

describe('e2e: the run profile form', { timeout: 120_000 }, () => {
  let vscode: VSCode;
  let workspace: string;

  before(async () => {
    workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-form-')), 'iris-classifier');
    fs.cpSync(path.join(REPO_ROOT, 'examples', 'iris-classifier'), workspace, { recursive: true });
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
    const { profiles, problems } = parseBerthConfig(fs.readFileSync(path.join(workspace, 'berth.yaml'), 'utf8'));
    assert.deepEqual(problems, []);
    assert.equal(profiles[0]?.memoryBytes, 2 ** 30);
    assert.deepEqual(profiles[0]?.gpus, { kind: 'all' });
    assert.equal(profiles[0]?.build?.args.BASE, 'berth-python-numpy:latest', 'the rest of the profile is kept');
    await vscode.screenshot('run-form-saved');
  });
});
