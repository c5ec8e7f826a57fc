import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Engine } from '../../src/core/engine/engine';
import {
  berthActive,
  endSampleRun,
  eventually,
  sampleWorkspace,
  startVSCode,
  terminalText,
  testEngine,
  UI_TIMEOUT,
  type VSCode,
  waitOrDescribe,
} from './harness';

const FOLDER = `iris-tasks-e2e${process.pid}`;
const TAG = `${FOLDER}:dev`;
const CONTAINER = `berth-serve-${FOLDER}`;
const LABEL = 'Serve iris';

/** Choose the row of the open quick pick whose label is `label` (not one that merely contains it), typing it first. */
async function chooseRow(page: Page, label: string, typed = label): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.fill(typed);
  const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) });
  await waitOrDescribe(page, row.first());
  await row.first().click();
}

/** Run a command from the palette by its exact title ("Tasks: Run Task", not "Tasks: Restart Running Task"). */
async function palette(page: Page, title: string): Promise<void> {
  await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
  await page.keyboard.press('F1');
  await page.locator('.quick-input-widget .quick-input-box input').waitFor({ timeout: UI_TIMEOUT });
  await chooseRow(page, title, `>${title}`);
}

/** The task terminal's text once the task has ended (VS Code's own last line), checked to be a success. */
async function endedTask(page: Page, berthLine: RegExp, timeoutMs: number): Promise<string> {
  const text = await eventually(
    () => terminalText(page),
    (t) => berthLine.test(t) && /Terminal will be reused by tasks/.test(t),
    `a task terminal with ${String(berthLine)} that has ended`,
    { timeoutMs },
  );
  assert.doesNotMatch(text, /exit code/, text);
  return text;
}

describe('e2e: berth tasks in Run Task', { timeout: 420_000 }, () => {
  let vscode: VSCode;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('tasks', FOLDER);
    // any free host port: a test must not depend on 8000 being free
    const profile = path.join(workspace, 'berth.yaml');
    fs.writeFileSync(profile, fs.readFileSync(profile, 'utf8').replace("ports: ['8000']", "ports: ['127.0.0.1::8000']"));
    // a task written by the user
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(
      path.join(workspace, '.vscode', 'tasks.json'),
      JSON.stringify({ version: '2.0.0', tasks: [{ label: LABEL, type: 'berth', action: 'run', profile: 'serve' }] }, null, 2),
    );
    vscode = await startVSCode('tasks', { workspace, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(() => endSampleRun(vscode, engine, workspace, { tag: TAG, containers: [CONTAINER] }));

  test('Run Task → berth → "build serve": Berth\'s lines in the terminal, the task ends well, the image is on the engine', async () => {
    const page = vscode.page;
    await berthActive(page);
    await engine.removeImage(TAG, { force: true }).catch(() => undefined);
    await palette(page, 'Tasks: Run Task');
    await chooseRow(page, 'berth');
    await chooseRow(page, 'berth: build serve', 'build serve');
    const text = await endedTask(page, new RegExp(`Berth: built ${TAG.replace('.', '\\.')} \\(\\w{12}\\) in \\d+\\.\\d s\\.`), 240_000);
    assert.match(text, new RegExp(`Berth: building ${TAG.replace('.', '\\.')} from Dockerfile \\(profile serve\\)`));
    await vscode.screenshot('tasks-build');
    const image = await engine.inspectImage(TAG);
    assert.equal(image.labels['berth.managed'], 'true');
  });

  test('Run Task → the berth task of tasks.json: the profile runs until healthy, and the task ends there', async () => {
    const page = vscode.page;
    await palette(page, 'Tasks: Run Task');
    await chooseRow(page, LABEL);
    const text = await endedTask(page, new RegExp(`Berth: ${CONTAINER} is healthy on 127\\.0\\.0\\.1:\\d+\\.`), 180_000);
    assert.match(text, /Berth: running profile serve of /);
    await vscode.screenshot('tasks-run');
    const details = await engine.inspectContainerJson(CONTAINER);
    assert.equal(details.State.Health?.Status, 'healthy');
    assert.equal(details.Config.Labels?.['berth.profile'], 'serve');
  });
});
