import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { berthActive, editorText, engineFacts, eventually, runCommand, startVSCode, testEngine, UI_TIMEOUT, type VSCode } from './harness';

const RUN = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
const NAME = `berth-e2e-restored-${RUN}`;

describe('e2e: Engine Info and inspect tabs restored by a window reload show their content', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let id: string;
  let version: string;

  before(async () => {
    engine = await testEngine();
    version = (await engineFacts()).version;
    id = await engine.createContainer({
      name: NAME,
      Image: 'berth-busybox:latest',
      Cmd: ['sleep', '300'],
      StopSignal: 'SIGKILL',
      Labels: { 'berth.test': `e2e-restored-${RUN}` },
    });
    await engine.startContainer(id);
    vscode = await startVSCode('restored-tabs');
  });
  after(async () => {
    await vscode?.close();
    await engine?.removeContainer(NAME, { force: true }).catch(() => undefined);
  });

  const tab = (label: string) => vscode.page.locator('.tabs-container .tab', { hasText: label }).first();

  /** Click a tab and read its editor until it holds `expected`. */
  async function tabText(label: string, expected: string): Promise<string> {
    // the pointer may rest on the title bar, whose hover would take the click
    await vscode.page.mouse.move(640, 400);
    await vscode.page.keyboard.press('Escape');
    await tab(label).click();
    return eventually(
      () => editorText(vscode.page),
      (t) => t.includes(expected),
      `the ${label} tab's content`,
    );
  }

  test('both documents open from the palette, kept (not preview) tabs', async () => {
    const page = vscode.page;
    await runCommand(page, 'Berth: Show Engine Info');
    await tabText('Berth Engine Info', `- Docker Engine: ${version}`);
    // a preview tab would be replaced by the next one: keep it
    await runCommand(page, 'View: Keep Editor');

    await runCommand(page, 'Berth: Inspect Container', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: UI_TIMEOUT });
    await input.fill(NAME);
    const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: NAME }).first();
    await pick.waitFor({ timeout: UI_TIMEOUT });
    await pick.click();
    await tabText(`${NAME}.json`, `"Id": "${id}"`);
    await runCommand(page, 'View: Keep Editor');
    await vscode.screenshot('restored-tabs-before');
  });

  test('after "Developer: Reload Window" the restored tabs show the engine info and the container again', async () => {
    const page = vscode.page;
    const reloaded = page.waitForEvent('load', { timeout: UI_TIMEOUT });
    await runCommand(page, 'Developer: Reload Window').catch(() => undefined);
    await reloaded;
    await page.locator('.monaco-workbench').waitFor({ timeout: UI_TIMEOUT });
    await berthActive(page);
    await vscode.screenshot('restored-tabs-reloaded');
    await tab('Berth Engine Info').waitFor({ timeout: UI_TIMEOUT });
    await tab(`${NAME}.json`).waitFor({ timeout: UI_TIMEOUT });

    const inspect = await tabText(`${NAME}.json`, `"Id": "${id}"`);
    assert.match(inspect, /"Path": "sleep"/);
    const info = await tabText('Berth Engine Info', `- Docker Engine: ${version}`);
    assert.match(info, /^# Berth — Engine Info$/m);
    await vscode.screenshot('restored-tabs-after');
  });
});
