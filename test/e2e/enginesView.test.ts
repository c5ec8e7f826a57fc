import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { contextDirName } from '../../src/core/engine/connection';
import type { Engine } from '../../src/core/engine/engine';
import {
  allRowTexts,
  contextMenu,
  engineFacts,
  eventually,
  normalize,
  openBerthView,
  rowTexts,
  runCommand,
  startVSCode,
  terminalText,
  testEngine,
  treeRow,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
  writeDockerContext,
} from './harness';

const DOCKER = '/usr/bin/docker';

describe('e2e: the Engines view — docker contexts, switching to a dead engine and back, Add SSH Host', { timeout: 240_000 }, () => {
  let vscode: VSCode;
  let docker: Engine;
  let engine: { version: string; apiVersion: string; host: string };
  let home: string;
  let config: string;
  let deadHost: string;
  const run = `engines-view-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
  const NAME = `berth-e2e-${run}`;
  let id: string | undefined;

  before(async () => {
    engine = await engineFacts();
    assert.match(engine.host, /^unix:\/\//, 'the live context points at the test engine’s unix socket');
    docker = await testEngine();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-engines-'));
    config = path.join(home, '.docker');
    deadHost = `unix://${path.join(home, 'nothing-listens.sock')}`;
    writeDockerContext(config, 'live', engine.host);
    writeDockerContext(config, 'dead', deadHost);
    fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify({ currentContext: 'live' }));
    fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    fs.writeFileSync(
      path.join(home, '.ssh', 'config'),
      'Host gpu-box\n  HostName 10.0.0.7\n  User me\n  Port 2222\n\nHost *.lan !nope.lan\n  User lan\n\nHost build-box other-alias\n  HostName 10.0.0.8\n',
    );
    id = await docker.createContainer({
      name: NAME,
      Image: 'berth-busybox:latest',
      Cmd: ['sh', '-c', 'echo hello from the live engine; while :; do sleep 1; done'],
      StopSignal: 'SIGKILL',
      Labels: { 'berth.test': run },
    });
    await docker.startContainer(id);
    vscode = await startVSCode('dockerContexts', {
      env: { HOME: home, DOCKER_CONFIG: config, DOCKER_HOST: undefined, DOCKER_CONTEXT: undefined },
      userSettings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
  });
  after(async () => {
    await vscode?.close();
    if (id) await docker.removeContainer(id, { force: true }).catch(() => undefined);
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  test('the view lists the contexts, the current one marked and holding the engine summary', async () => {
    const pane = await openBerthView(vscode.page);
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith('Engine  Docker')),
      'the contexts and the engine rows',
    );
    await vscode.screenshot('dockerContexts-contexts');
    // the view shares the side bar with the others: read its rows scrolled out of sight too
    const rows = await allRowTexts(pane);
    assert.match(await pane.locator('.pane-header').innerText(), /ENGINES/i);
    assert.deepEqual(rows.slice(0, 3), [`default  ${engine.host}`, `dead  ${deadHost}`, `live  ${engine.host} · current`]);
    assert.deepEqual(
      rows.slice(3).map((r) => r.split('  ')[0]),
      ['Engine', 'Host', 'OS', 'GPU', 'Containers', 'Images'],
    );
    assert.equal(rows[3], `Engine  Docker ${engine.version} · API ${engine.apiVersion}`);
  });

  test('Use This Engine on the dead context: the switch happens, its row shows the error; the log terminal and the stats panel end saying why', async () => {
    const page = vscode.page;
    const containers = await openBerthView(page, 'Containers');
    await eventually(
      () => rowTexts(containers),
      (r) => r.some((x) => x.startsWith(`${NAME}  running`)),
      'the test container in the tree',
    );
    await contextMenu(page, treeRow(containers, NAME), 'Show Logs');
    await eventually(
      () => terminalText(page),
      (t) => t.includes('hello from the live engine'),
      'the container’s logs',
    );
    await contextMenu(page, treeRow(containers, NAME), 'Show Stats');
    const frame = page.frameLocator('iframe.webview').frameLocator('iframe#active-frame');
    await frame.locator('section.card', { hasText: NAME }).waitFor({ timeout: UI_TIMEOUT });
    const pane = await openBerthView(page);
    await contextMenu(page, treeRow(pane, 'dead'), 'Use This Engine');
    await eventually(
      () => rowTexts(pane),
      (r) => r.includes(`dead  ${deadHost} · unreachable`) && r.some((x) => x.startsWith('Cannot connect')),
      'the dead engine’s row with its error',
    );
    await vscode.screenshot('dockerContexts-dead');
    const rows = await allRowTexts(pane);
    const at = rows.indexOf(`dead  ${deadHost} · unreachable`);
    assert.match(rows[at + 1] ?? '', new RegExp(`^Cannot connect {2}Cannot reach Docker at ${escapeRegExp(deadHost)}`));
    assert.deepEqual(rows.slice(at + 2, at + 6), ['Back to live', 'Retry', 'Show Engine Info', 'Show Log']);
    assert.ok(
      rows.includes(`live  ${engine.host} · docker CLI`),
      `live is no longer current (the docker CLI still uses it): ${JSON.stringify(rows)}`,
    );
    // the setting is Berth's, in the user settings
    const text = await eventually(
      () => terminalText(page),
      (t) => t.includes('these logs end here'),
      'the log terminal saying why it ended',
    );
    assert.match(text, /hello from the live engine[\s\S]*the engine connection changed: these logs end here/);
    // and the stats panel of the live engine's container ends, saying why
    const ended = await eventually(
      async () => normalize(await frame.locator('p.error').innerText({ timeout: 1000 })),
      (t) => t.includes('these stats end here'),
      'the stats panel saying why it ended',
    );
    assert.match(ended, /^The engine connection changed: these stats end here\./);
    await page.locator('.tabs-container .tab', { hasText: `Stats: ${NAME} (ended)` }).waitFor({ timeout: UI_TIMEOUT });
    // the other views say the engine cannot be reached
    const body = (await openBerthView(page, 'Containers')).locator('.pane-body');
    await eventually(
      () => body.innerText(),
      (t) => t.includes('Berth cannot reach the container engine.'),
      'the Containers view’s unreachable message',
    );
  });

  test('one click on "Back to live": the live engine is current again and the Containers view shows its containers', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page);
    await treeRow(pane, 'Back to live').click();
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.includes(`live  ${engine.host} · current`) && r.some((x) => x.startsWith('Engine  Docker')),
      'the live engine current again',
    );
    assert.ok(rows.includes(`dead  ${deadHost}`), JSON.stringify(rows));
    const containers = await openBerthView(page, 'Containers');
    await eventually(
      () => rowTexts(containers),
      (r) => r.some((x) => x.startsWith(`${NAME}  running`)),
      'the test container in the tree of the live engine',
    );
    await vscode.screenshot('dockerContexts-back');
  });

  test('Add SSH Host… offers the hosts of ~/.ssh/config and writes a docker context the docker CLI reads', async () => {
    const page = vscode.page;
    await runCommand(page, 'Berth: Add SSH Host…', { opensPick: true });
    const list = page.locator('.quick-input-list');
    await list.locator('.monaco-list-row', { hasText: 'gpu-box' }).first().waitFor({ timeout: UI_TIMEOUT });
    const offered = (await list.locator('.monaco-list-row .label-name').allInnerTexts()).map(normalize);
    assert.deepEqual(offered, ['gpu-box', 'build-box', 'other-alias', 'Other host…']);
    assert.match(normalize(await list.locator('.monaco-list-row', { hasText: 'gpu-box' }).first().innerText()), /me@10\.0\.0\.7:2222/);
    await vscode.screenshot('dockerContexts-add-ssh');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill('gpu-box');
    await input.press('Enter');
    // the name step, the alias by default (the pick's own input held "gpu-box" too: wait for the step's title)
    await page
      .locator('.quick-input-widget .quick-input-title', { hasText: 'Add SSH Host: name of the docker context' })
      .waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => input.inputValue(),
      (v) => v === 'gpu-box',
      'the context name box with the alias',
    );
    await input.press('Enter');
    const toast = await waitForNotification(page, 'Created the docker context "gpu-box" for ssh://gpu-box.');
    await toast.getByRole('button', { name: 'Not Now', exact: true }).click();
    const pane = await openBerthView(page);
    await eventually(
      () => rowTexts(pane),
      (r) => r.includes('gpu-box  ssh://gpu-box'),
      'the new context in the view',
    );
    if (fs.existsSync(DOCKER)) {
      const listed = execFileSync(
        DOCKER,
        ['--config', config, 'context', 'ls', '--format', '{{.Name}} {{.DockerEndpoint}} {{.Description}}'],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
        },
      );
      assert.ok(listed.split('\n').includes('gpu-box ssh://gpu-box ssh host added by Berth'), listed);
    }
  });

  test('Remove Context, confirmed: the context is gone for the docker CLI too', async () => {
    const page = vscode.page;
    const pane = await openBerthView(page);
    await contextMenu(page, treeRow(pane, 'gpu-box'), 'Remove Context');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: UI_TIMEOUT });
    assert.match(normalize(await dialog.innerText()), /Remove the docker context "gpu-box" \(ssh:\/\/gpu-box\)\?/);
    await dialog.locator('.monaco-button', { hasText: /^Remove$/ }).click();
    await eventually(
      () => rowTexts(pane),
      (r) => !r.some((x) => x.startsWith('gpu-box')),
      'the context gone from the view',
    );
    assert.equal(fs.existsSync(path.join(config, 'contexts', 'meta', contextDirName('gpu-box'))), false);
    if (fs.existsSync(DOCKER)) {
      const names = execFileSync(DOCKER, ['--config', config, 'context', 'ls', '--format', '{{.Name}}'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
      });
      assert.deepEqual(names.trim().split('\n').sort(), ['dead', 'default', 'live'], names);
    }
    // the contexts Berth did not touch are there still
    assert.ok(fs.existsSync(path.join(config, 'contexts', 'meta', contextDirName('dead'), 'meta.json')));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
