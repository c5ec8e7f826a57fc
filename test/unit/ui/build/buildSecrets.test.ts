/**
 * Build secrets: where each id's value comes from (an environment variable or VS Code's secret
 * storage), asked once and remembered; forgotten on request; never written to settings.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { forgetBuildSecrets, resolveBuildSecrets, secretKey } from '../../../../src/ui/build/buildSecrets';

class Memento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string, fallback?: T): T | undefined {
    return this.values.has(key) ? (this.values.get(key) as T) : fallback;
  }
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.values.delete(key);
    else this.values.set(key, value);
    return Promise.resolve();
  }
}

/** An extension context with the three stores the secrets use; SecretStorage kept apart. */
function context(): { context: vscode.ExtensionContext; secrets: Map<string, string>; workspace: Memento; global: Memento } {
  const secrets = new Map<string, string>();
  const workspace = new Memento();
  const global = new Memento();
  const store = {
    get: (k: string) => Promise.resolve(secrets.get(k)),
    store: (k: string, v: string) => Promise.resolve(void secrets.set(k, v)),
    delete: (k: string) => Promise.resolve(void secrets.delete(k)),
  };
  return {
    context: { secrets: store, workspaceState: workspace, globalState: global } as unknown as vscode.ExtensionContext,
    secrets,
    workspace,
    global,
  };
}

/** Answer the quick pick with the item of this source. */
const pick =
  (source: string) =>
  (items: unknown): unknown =>
    (items as readonly { source: string }[]).find((i) => i.source === source);

const needs = (...ids: string[]) => ({ secrets: ids.map((id, i) => ({ id, line: i + 2 })), ssh: [] });

describe('build secrets', () => {
  beforeEach(() => standIn.reset());

  test('stored: asked once with a password box, kept in SecretStorage only, not asked again', async () => {
    const c = context();
    standIn.answer('window.showQuickPick', pick('stored'));
    standIn.answer('window.showInputBox', () => 'hf_s3cr3t');
    assert.deepEqual(await resolveBuildSecrets(c.context, needs('hf_token')), [{ id: 'hf_token', value: 'hf_s3cr3t' }]);
    const boxes = standIn.callsTo('window.showInputBox');
    assert.equal(boxes.length, 1);
    assert.equal((boxes[0]?.[0] as { password?: boolean }).password, true);
    assert.equal(c.secrets.get(secretKey('hf_token')), 'hf_s3cr3t');
    assert.ok(!JSON.stringify([...c.workspace.values, ...c.global.values]).includes('s3cr3t'), 'no value outside SecretStorage');
    standIn.reset();
    assert.deepEqual(await resolveBuildSecrets(c.context, needs('hf_token')), [{ id: 'hf_token', value: 'hf_s3cr3t' }]);
    assert.equal(standIn.calls.length, 0, 'the second build asks nothing');
  });

  test('an environment variable: its name remembered, its value read at each build; unset is one clear message', async () => {
    const c = context();
    process.env.BERTH_TEST_TOKEN = 'from-env';
    standIn.answer('window.showQuickPick', pick('env'));
    standIn.answer('window.showInputBox', () => 'BERTH_TEST_TOKEN');
    assert.deepEqual(await resolveBuildSecrets(c.context, needs('tok')), [{ id: 'tok', value: 'from-env' }]);
    assert.equal(c.secrets.size, 0);
    standIn.reset();
    process.env.BERTH_TEST_TOKEN = 'changed';
    assert.deepEqual(await resolveBuildSecrets(c.context, needs('tok')), [{ id: 'tok', value: 'changed' }]);
    delete process.env.BERTH_TEST_TOKEN;
    await assert.rejects(
      resolveBuildSecrets(c.context, needs('tok')),
      /environment variable BERTH_TEST_TOKEN, which is not set in VS Code's environment/,
    );
  });

  test('backing out of the question builds nothing', async () => {
    assert.equal(await resolveBuildSecrets(context().context, needs('tok')), undefined);
  });

  test('Forget Build Secrets removes every stored value and every remembered source', async () => {
    const c = context();
    standIn.answer('window.showQuickPick', pick('stored'));
    standIn.answer('window.showInputBox', () => 'v');
    await resolveBuildSecrets(c.context, needs('a', 'b'));
    assert.equal(c.secrets.size, 2);
    await forgetBuildSecrets({ context: c.context });
    assert.equal(c.secrets.size, 0);
    assert.deepEqual(c.workspace.keys(), []);
    assert.deepEqual(standIn.callsTo('window.showInformationMessage').at(-1), ['Forgot 2 build secrets (a, b).']);
  });
});
