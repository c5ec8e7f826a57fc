/**
 * The "Get started with Berth" walkthrough in a real VS Code: Welcome: Open Walkthrough… lists it
 * (its title read from package.nls.json), it opens with its four steps, the engine step is done
 * because Berth is connected, the others are not until their event happens, and opening a
 * container's logs from the logs step's button completes that step.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Locator } from 'playwright-core';
import type { Engine } from '../../src/core/engine/engine';
import { eventually, runCommand, startVSCode, testEngine, UI_TIMEOUT, waitOrDescribe, type VSCode } from './harness';

const WALKTHROUGH = 'Get started with Berth';
const STEPS = ['Check the container engine', 'Run Model on the sample', 'Compare the notebook', 'Open the logs'];

describe('e2e: the Get started with Berth walkthrough', { timeout: 180_000 }, () => {
  let vscode: VSCode | undefined;
  let engine: Engine;
  const run = `walkthrough-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  let container: string | undefined;

  before(async () => {
    engine = await testEngine();
    container = await engine.createContainer({
      name: run,
      Image: 'berth-busybox:latest',
      Cmd: ['sh', '-c', `echo ${run} says hello; sleep 300`],
      StopSignal: 'SIGKILL',
      Labels: { 'berth.test': run },
    });
    await engine.startContainer(container);
    vscode = await startVSCode('walkthrough');
  });
  after(async () => {
    await vscode?.close();
    if (container) await engine.removeContainer(container, { force: true }).catch(() => undefined);
    engine?.dispose();
  });

  /** The step's row in the walkthrough page (its id ends with #<step id>). */
  const step = (id: string): Locator => vscode!.page.locator(`button.getting-started-step[data-step-id$="#${id}"]`);
  const checked = async (id: string): Promise<string | null> => step(id).getAttribute('aria-checked');

  /** Welcome: Open Walkthrough… → Get started with Berth. */
  async function openWalkthrough(): Promise<void> {
    const page = vscode!.page;
    await runCommand(page, 'Welcome: Open Walkthrough...', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(WALKTHROUGH);
    await waitOrDescribe(page, page.locator('.quick-input-list .monaco-list-row', { hasText: WALKTHROUGH }).first());
    await input.press('Enter');
    await waitOrDescribe(page, page.locator('button.getting-started-step').first());
  }

  test('Welcome: Open Walkthrough… opens it with its steps; the engine step is done, the others are not', async () => {
    const page = vscode!.page;
    await openWalkthrough();
    const titles = await eventually(
      () => page.locator('button.getting-started-step .step-title').allInnerTexts(),
      (t) => t.length === STEPS.length,
      'the walkthrough steps',
    );
    assert.deepEqual(
      titles.map((t) => t.trim()),
      STEPS,
    );
    await waitOrDescribe(page, page.locator('.category-title', { hasText: WALKTHROUGH }).first());
    // the e2e engine is connected: its step completes when Berth connects while the walkthrough is
    // open, or (VS Code never completes an onContext step whose key was already true when it
    // registered the walkthrough) when its button's Engine Info finds the engine connected
    if ((await checked('engine')) !== 'true') {
      await step('engine').click();
      const button = step('engine').locator('.monaco-button', { hasText: 'Show Engine Info' });
      await waitOrDescribe(page, button);
      await button.click();
      await waitOrDescribe(page, page.locator('.tab', { hasText: /Engine/ }).first());
      // Engine Info took the walkthrough's place in the editor: back to it
      await openWalkthrough();
    }
    await eventually(
      () => checked('engine'),
      (c) => c === 'true',
      'the engine step to show as done',
    );
    assert.equal(
      await step('engine').locator('[data-done-step-id].complete.codicon-getting-started-step-checked').count(),
      1,
      'the checked icon',
    );
    // nothing has been run or compared, and no logs opened
    assert.deepEqual(await Promise.all(['runModel', 'compare', 'logs'].map(checked)), ['false', 'false', 'false']);
    await vscode!.screenshot('walkthrough-open');
  });

  test("the logs step's button opens a container's logs, and the step shows as done", async () => {
    const page = vscode!.page;
    await step('logs').click();
    const button = step('logs').locator('.monaco-button', { hasText: 'Show Logs' });
    await waitOrDescribe(page, button);
    await button.click();
    // Show Logs picks several containers: check ours, then OK
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'Show logs' }).waitFor({ timeout: UI_TIMEOUT });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(run);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: run }).first();
    await waitOrDescribe(page, row);
    await row.locator('.quick-input-list-label').click();
    await eventually(
      () => row.locator('input[type=checkbox], [role=checkbox]').first().isChecked(),
      (c) => c,
      'our container checked in the pick',
    );
    await input.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    try {
      await eventually(
        () => checked('logs'),
        (c) => c === 'true',
        'the logs step to show as done',
      );
      assert.deepEqual(await Promise.all(['runModel', 'compare'].map(checked)), ['false', 'false'], 'the other steps still wait');
      await vscode!.screenshot('walkthrough-logs-done');
      // the step's event was the real one: a terminal with our container's logs is open
      await waitOrDescribe(page, page.locator('.part.panel', { hasText: `Logs: ${run}` }).first());
    } catch (err) {
      await vscode!.screenshot('walkthrough-logs-failed');
      const tabs = await page
        .locator('.part.panel .terminal-tabs-entry, .part.panel .single-terminal-tab, .part.panel .action-label')
        .allInnerTexts();
      if (err instanceof Error) err.message += `\npanel: ${JSON.stringify(tabs.filter((t) => t.trim() !== ''))}`;
      throw err;
    }
  });
});
