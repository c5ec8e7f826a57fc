import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTlsEngine, type TlsEngine } from '../engine/tlsEngine';
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

/**
 * A tcp:// engine with DOCKER_TLS_VERIFY whose ca.pem is the wrong CA: Berth does not connect and
 * says which CA file it checked against; with the right ca.pem in place, Retry connects and
 * Engine Info shows the TLS mode.
 */
describe('e2e: a TLS engine, verified against DOCKER_CERT_PATH/ca.pem', { timeout: 150_000 }, () => {
  let vscode: VSCode;
  let tls: TlsEngine;
  let host: string;
  let certs: string;
  let engine: { version: string; apiVersion: string; host: string };

  before(async () => {
    engine = await engineFacts();
    assert.match(engine.host, /^unix:\/\//, 'this scenario puts a TLS front on a local unix-socket engine');
    tls = await startTlsEngine(new URL(engine.host).pathname);
    host = `tcp://127.0.0.1:${tls.port}`;
    certs = tls.certs.otherCa;
    vscode = await startVSCode('tls-engine', {
      env: { DOCKER_HOST: host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs, DOCKER_TLS: undefined },
      userSettings: { 'editor.wordWrap': 'off', '[markdown]': { 'editor.wordWrap': 'off' } },
    });
  });
  after(async () => {
    await vscode?.close();
    tls?.close();
  });

  test('an engine certificate from another CA: the view and the status bar say TLS failed', async () => {
    const pane = await openBerthView(vscode.page);
    const text = await eventually(
      () => pane.locator('.pane-body').innerText(),
      (t) => t.includes('TLS failed'),
      'the Berth view to say TLS failed',
    );
    assert.ok(text.includes('Engine Info says why and what to change'), text);
    assert.equal(await statusBarText(vscode.page), 'Docker: TLS failed');
  });

  test('Engine Info names the mode and the CA file it checked against', async () => {
    await runCommand(vscode.page, 'Berth: Show Engine Info');
    const text = await eventually(
      () => editorText(vscode.page),
      (t) => t.includes('## State: unreachable'),
      'the engine info document',
    );
    assert.ok(text.includes(`- Security: TLS, server verified against ${certs}/ca.pem; client certificate from ${certs}`), text);
    assert.ok(text.includes(`presented a certificate that is not signed by the CA Berth checks it against (${certs}/ca.pem;`), text);
    await vscode.screenshot('tls-engine-refused');
    await runCommand(vscode.page, 'View: Close All Editors');
  });

  test('with the right ca.pem, Retry connects and Engine Info shows the server verified', async () => {
    fs.copyFileSync(path.join(tls.certs.good, 'ca.pem'), path.join(certs, 'ca.pem'));
    const pane = await openBerthView(vscode.page);
    // the view re-renders its welcome content at each automatic retry: a click can land on a button
    // that has just been replaced, so try again for a short while, as a person would
    const retry = pane.locator('.pane-body').getByRole('button', { name: 'Retry', exact: true });
    for (let i = 0; ; i++) {
      const clicked = await retry.click({ timeout: 3000 }).then(
        () => true,
        (err: unknown) => {
          if (i >= 9) throw err;
          return false;
        },
      );
      if (clicked) break;
    }
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.length > 0,
      'the engine rows after Retry',
    );
    assert.equal(rows[0], `Engine  Docker ${engine.version} · API ${engine.apiVersion}`);
    assert.ok(rows.includes(`Host  ${host}`), rows.join('\n'));
    await runCommand(vscode.page, 'Berth: Show Engine Info');
    const text = await eventually(
      () => editorText(vscode.page),
      (t) => t.includes('Docker Engine:'),
      'the engine info document, connected',
    );
    assert.ok(text.includes(`- Security: TLS, server verified against ${certs}/ca.pem; client certificate from ${certs}`), text);
    await vscode.screenshot('tls-engine-connected');
  });
});
