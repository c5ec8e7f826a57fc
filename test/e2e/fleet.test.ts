import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { eventually, startVSCode, terminalText, testEngine, UI_TIMEOUT, waitForNotification, type VSCode } from './harness';

/**
 * Fleet monitoring in the real VS Code: an alert for a container that crash-loops, told once,
 * whose Show Logs opens its logs.
 */
describe('e2e: fleet alerts', { timeout: 180_000 }, () => {
  let vscode: VSCode;
  let docker: Engine;
  const run = `fleet-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const LOOPING = `berth-e2e-loop-${run}`;

  before(async () => {
    docker = await testEngine();
    vscode = await startVSCode('fleet', { userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });
  after(async () => {
    await vscode?.close();
    for (const c of await docker.listContainers({ filters: { label: [`berth.test=${run}`] } }))
      await docker.removeContainer(c.id, { force: true }).catch(() => undefined);
  });

  test('a crash-looping container: one alert with its exit code; Show Logs opens its logs', async () => {
    const page = vscode.page;
    // Berth is up (the status bar shows the engine) before the container starts looping
    await page
      .locator('.statusbar-item', { hasText: /Docker|Podman/ })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    await new Promise((r) => setTimeout(r, 1500));
    const id = await docker.createContainer({
      name: LOOPING,
      Image: 'berth-busybox:latest',
      Cmd: ['sh', '-c', 'echo "loop run $(date +%s%N)"; sleep 0.3; exit 3'],
      HostConfig: { RestartPolicy: { Name: 'always' } },
      Labels: { 'berth.test': run },
    });
    await docker.startContainer(id);
    const toast = await waitForNotification(page, `${LOOPING} is crash-looping`);
    assert.match(await toast.innerText(), /is crash-looping: \d+ restarts in 5 min, last exit code 3/);
    await vscode.screenshot('fleet-alert');
    // told once, however long it keeps looping
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await page.locator('.notifications-toasts .notification-toast', { hasText: `${LOOPING} is crash-looping` }).count(), 1);
    await toast.getByRole('button', { name: 'Show Logs', exact: true }).click();
    await eventually(
      () => terminalText(page),
      (t) => t.includes('loop run'),
      'the looping container’s logs',
    );
    await docker.stopContainer(id, { graceSeconds: 0 }).catch(() => undefined);
  });
});
