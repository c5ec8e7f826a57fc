import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sshdUnavailable, startSshd, type Sshd } from '../engine/sshd';
import {
  editorText,
  engineFacts,
  eventually,
  openBerthView,
  rowTexts,
  runCommand,
  startVSCode,
  statusBarText,
  type VSCode,
} from './harness';

const skip = sshdUnavailable();

/**
 * An ssh:// engine whose host key the user has not accepted yet: Berth does not connect, says why
 * with the key's fingerprint, and connects once the key is in known_hosts. HOME is a temporary
 * folder, so the user's own ~/.ssh is never read.
 */
describe('e2e: an ssh:// engine with an unknown host key, then accepted', { skip, timeout: 150_000 }, () => {
  let vscode: VSCode;
  let sshd: Sshd;
  let home: string;
  let host: string;
  let engine: { version: string; apiVersion: string };

  before(async () => {
    engine = await engineFacts();
    sshd = await startSshd();
    home = path.join(sshd.dir, 'home');
    fs.mkdirSync(path.join(home, '.ssh'), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), '');
    host = `ssh://${sshd.user}@127.0.0.1:${sshd.port}`;
    vscode = await startVSCode('ssh-host-key', {
      env: { DOCKER_HOST: host, SSH_AUTH_SOCK: sshd.agentSocket, HOME: home },
      // one editor line per line of the document, so commands are read whole
      userSettings: { 'editor.wordWrap': 'off', '[markdown]': { 'editor.wordWrap': 'off' } },
    });
  });
  after(async () => {
    await vscode?.close();
    await sshd?.stop();
  });

  test('the Berth view says the host key is not trusted; the status bar says so too', async () => {
    const pane = await openBerthView(vscode.page);
    const body = pane.locator('.pane-body');
    const text = await eventually(
      () => body.innerText(),
      (t) => t.includes('host key'),
      'the Berth view to say the host key is not trusted',
    );
    assert.ok(text.includes('its host key is not in your known_hosts, has changed, or is revoked'), text);
    assert.equal(await body.getByRole('button', { name: 'Show Engine Info', exact: true }).count(), 1);
    assert.equal(await statusBarText(vscode.page), 'Docker: ssh host key not trusted');
    await vscode.screenshot('ssh-host-key-view');
  });

  test('Engine Info shows the fingerprint ssh prints and how to accept the key', async () => {
    await runCommand(vscode.page, 'Berth: Show Engine Info');
    const text = await eventually(
      () => editorText(vscode.page),
      (t) => t.includes('SHA256:'),
      'the engine info document with the fingerprint',
    );
    assert.ok(text.includes(`ED25519 key ${sshd.fingerprint}`), text);
    assert.ok(text.includes(`ssh -p ${sshd.port} ${sshd.user}@127.0.0.1`), text);
    assert.ok(text.includes(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${path.join(home, '.ssh', 'known_hosts')}`), text);
    await vscode.screenshot('ssh-host-key-info');
    await runCommand(vscode.page, 'View: Close All Editors');
  });

  test('once the key is in known_hosts, Retry connects over ssh', async () => {
    fs.writeFileSync(path.join(home, '.ssh', 'known_hosts'), `${sshd.knownHostsLine}\n`);
    const pane = await openBerthView(vscode.page);
    await pane.locator('.pane-body').getByRole('button', { name: 'Retry', exact: true }).click();
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.length > 0,
      'the engine rows after Retry',
    );
    assert.equal(rows[0], `Engine  Docker ${engine.version} · API ${engine.apiVersion}`);
    assert.ok(rows.includes(`Host  ${host}`), rows.join('\n'));
    await vscode.screenshot('ssh-host-key-connected');
  });
});
