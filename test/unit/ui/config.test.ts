import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import * as vscode from 'vscode';
import { standIn } from '../../../scripts/lib/vscodeStub.mjs';
import { Config } from '../../../src/ui/config';

afterEach(() => standIn.reset());

/** The change event a settings edit fires, as the stand-in makes it. */
function changeOf(values: Record<string, unknown>): vscode.ConfigurationChangeEvent {
  let seen: vscode.ConfigurationChangeEvent | undefined;
  const sub = vscode.workspace.onDidChangeConfiguration((e) => (seen = e));
  standIn.configure(values);
  sub.dispose();
  assert.ok(seen);
  return seen;
}

test('berth.engine.remoteFiles: auto by default, upload or bind as set, anything else auto', () => {
  const config = new Config();
  assert.equal(config.remoteFiles, 'auto');
  standIn.configure({ 'berth.engine.remoteFiles': 'upload' });
  assert.equal(config.remoteFiles, 'upload');
  standIn.configure({ 'berth.engine.remoteFiles': 'bind' });
  assert.equal(config.remoteFiles, 'bind');
  standIn.configure({ 'berth.engine.remoteFiles': 'rsync' });
  assert.equal(config.remoteFiles, 'auto');
});

test('changing how files reach a run does not reconnect the engine; the host, context or timeout does', () => {
  assert.equal(Config.affectsEngine(changeOf({ 'berth.engine.remoteFiles': 'upload' })), false);
  assert.equal(Config.affectsEngine(changeOf({ 'berth.engine.host': 'ssh://gpu' })), true);
  assert.equal(Config.affectsEngine(changeOf({ 'berth.engine.remoteFiles': 'bind', 'berth.engine.context': 'gpu' })), true);
  assert.equal(Config.affectsEngine(changeOf({ 'berth.engine.timeoutMs': 5000 })), true);
  assert.equal(Config.affectsEngine(changeOf({ 'berth.logs.tail': 10 })), false);
});
