import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Engine } from '../../src/core/engine/engine';
import {
  allRowTexts,
  eventually,
  normalize,
  openBerthView,
  runCommand,
  startVSCode,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
  endSampleRun,
  sampleWorkspace,
  testEngine,
} from './harness';

const FOLDER = `iris-classifier-e2e${process.pid}`;
const TAG = `${FOLDER}:dev`;

describe('e2e: Build Image on the sample project', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('build', FOLDER);
    vscode = await startVSCode('build', { workspace });
  });
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG }));

  test('"Berth: Build Image" proposes a tag, shows step progress and the image appears in the Images view', async () => {
    const page = vscode.page;
    await openBerthView(page, 'Containers');
    await runCommand(page, 'Berth: Build Image', { opensPick: true });
    // the Dockerfile's ARGs: its default, and the value the project's profile gives
    const argRow = page.locator('.quick-input-list .monaco-list-row', { hasText: 'BASE = berth-python-numpy:latest' }).first();
    await argRow.waitFor({ timeout: UI_TIMEOUT });
    assert.match(normalize(await argRow.innerText()), /default: python:3\.12-slim/);
    await vscode.screenshot('build-args');
    await page.locator('.quick-input-widget .quick-input-box input').press('Enter');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: UI_TIMEOUT });
    // outside git: folder name and "dev"; the profile's build arg is shown
    await eventually(
      () => input.inputValue(),
      (v) => v === TAG,
      'the proposed tag',
    );
    assert.match(await page.locator('.quick-input-widget').innerText(), /Build args: BASE=berth-python-numpy:latest/);
    await vscode.screenshot('build-tag');
    await input.press('Enter');
    const toast = await waitForNotification(page, new RegExp(`Built ${TAG.replace('.', '\\.')} in`));
    assert.match(await toast.innerText(), /Built .* in \d+\.\d s\./);
    const image = await engine.inspectImage(TAG);
    assert.equal(image.labels['berth.managed'], 'true');
    // built with BuildKit (the docker CLI found here): its layers say so in the image history
    const { execa } = await import('execa');
    const history = (await execa('/usr/bin/docker', ['history', '--format', '{{.Comment}}', TAG])).stdout;
    assert.match(history, /buildkit\.dockerfile\.v0/, history);
    const pane = await openBerthView(page, 'Images');
    // the engine may hold more images than the view shows at once: look through all its rows
    const rows = await eventually(
      () => allRowTexts(pane),
      (r) => r.some((x) => x.startsWith(TAG)),
      'the new image in the Images view',
    );
    // BuildKit gives a build it finds wholly cached (an earlier run on this engine) that image's creation time
    assert.match(rows.find((x) => x.startsWith(TAG)) ?? '', / · \d+[smhd]( \d+[smhd])? ago$/);
    await vscode.screenshot('build-done');
  });
});
