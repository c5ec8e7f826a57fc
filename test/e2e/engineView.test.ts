import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  berthStatusItem,
  editorText,
  engineFacts,
  eventually,
  openBerthView,
  openFile,
  rowTexts,
  runCommand,
  startVSCode,
  statusBarText,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

describe('e2e: the engine in the Berth view, the status bar and Show Engine Info', { timeout: 120_000 }, () => {
  let vscode: VSCode;
  let engine: { version: string; apiVersion: string; host: string };

  before(async () => {
    engine = await engineFacts();
    vscode = await startVSCode('engine');
  });
  after(async () => {
    await vscode?.close();
  });

  test('the Berth activity-bar entry opens the Engine view with the engine rows', async () => {
    const pane = await openBerthView(vscode.page);
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((row) => row.startsWith('Engine')),
      'the engine rows in the Berth view',
    );
    assert.equal(rows[0], `Engine  Docker ${engine.version} · API ${engine.apiVersion}`);
    assert.deepEqual(
      rows.map((row) => row.split('  ')[0]),
      ['Engine', 'Host', 'OS', 'GPU', 'Containers', 'Images'],
    );
    assert.ok(rows.includes(`Host  ${engine.host}`), rows.join('\n'));
    assert.match(rows.find((row) => row.startsWith('Containers')) ?? '', /^Containers {2}\d+ running of \d+$/);
    assert.match(await pane.locator('.pane-header').innerText(), /ENGINE/i);
  });

  test('the status bar shows the engine version and the GPU state', async () => {
    const text = await eventually(
      () => statusBarText(vscode.page),
      (t) => t.startsWith('Docker '),
      'the Berth status-bar entry',
    );
    assert.match(text, new RegExp(`^Docker ${escapeRegExp(engine.version)} · (no GPU|GPU: .+)$`));
    // the picture a user would have: the project's Dockerfile open next to Berth
    await openFile(vscode.page, 'Dockerfile');
    await vscode.screenshot('engine-view');
  });

  test('"Berth: Show Engine Info" from the command palette opens the engine info document', async () => {
    await runCommand(vscode.page, 'Berth: Show Engine Info');
    const tab = vscode.page.locator('.tabs-container .tab', { hasText: 'Berth Engine Info' });
    await tab.waitFor({ timeout: UI_TIMEOUT });
    const text = await eventually(
      () => editorText(vscode.page),
      (t) => t.includes('Docker Engine:'),
      'the engine info document',
    );
    assert.match(text, /^# Berth — Engine Info$/m);
    assert.ok(text.includes(`- Docker Engine: ${engine.version}`), text);
    assert.ok(text.includes(`- Host: \`${engine.host}\``), text);
    assert.match(text, new RegExp(`^- API version: ${escapeRegExp(engine.apiVersion)} `, 'm'));
    assert.match(text, /^## GPU$/m);
    await vscode.screenshot('engine-info');
  });

  test('clicking the status-bar entry opens the same engine info', async () => {
    const page = vscode.page;
    // close the document first, so that only the click can bring it back
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.tabs-container .tab', { hasText: 'Berth Engine Info' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    await berthStatusItem(page).click();
    await page.locator('.tabs-container .tab', { hasText: 'Berth Engine Info' }).waitFor({ timeout: UI_TIMEOUT });
    const text = await eventually(
      () => editorText(page),
      (t) => t.includes('Docker Engine:'),
      'the engine info document',
    );
    assert.ok(text.includes(`- Docker Engine: ${engine.version}`), text);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
