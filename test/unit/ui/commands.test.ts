/**
 * The command table: one short message per failure with the actions that fit it, the full error in
 * the log, and what each action does; every command the manifest contributes is registered.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import * as vscode from 'vscode';
import { standIn } from '../../../scripts/lib/vscodeStub.mjs';
import { EngineError } from '../../../src/core/engine/errors';
import { TransferError } from '../../../src/core/engine/transfer';
import { RegistryError } from '../../../src/core/registry/client';
import { registerCommands, reportError } from '../../../src/ui/commands';
import type { Trees } from '../../../src/ui/registerTrees';
import type { Services } from '../../../src/ui/services';

/** The services reportError uses: a log that keeps what it is given. */
function services(): { services: Services; errors: unknown[][]; shown: unknown[][] } {
  const errors: unknown[][] = [];
  const shown: unknown[][] = [];
  const log = { error: (...args: unknown[]) => void errors.push(args), show: (...args: unknown[]) => void shown.push(args) };
  return { services: { log } as unknown as Services, errors, shown };
}

const errorMessages = (): (readonly unknown[])[] => standIn.callsTo('window.showErrorMessage');
const commandsRun = (): unknown[] => standIn.callsTo('commands.executeCommand').map((args) => args[0]);

describe('reportError', () => {
  beforeEach(() => standIn.reset());

  for (const code of ['unreachable', 'timeout'] as const) {
    test(`an engine error "${code}": its message with Retry and Show Log; the whole error to the log`, async () => {
      const { services: s, errors } = services();
      const err = new EngineError(code, 'Cannot reach Docker at unix:///var/run/docker.sock — is the engine running?', {
        cause: new Error('connect ENOENT /var/run/docker.sock'),
      });
      await reportError(s, 'berth.container.stop', err);
      assert.deepEqual(errorMessages(), [
        ['Cannot reach Docker at unix:///var/run/docker.sock — is the engine running?', 'Retry', 'Show Log'],
      ]);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]![0], 'berth.container.stop failed');
      assert.equal(errors[0]![1], err, 'the error itself, with its cause and stack');
    });
  }

  const others: [string, unknown, string][] = [
    ['another engine error', new EngineError('conflict', 'The container is already stopped.'), 'The container is already stopped.'],
    [
      'a permission error',
      new EngineError('permission', 'Permission denied on /var/run/docker.sock.'),
      'Permission denied on /var/run/docker.sock.',
    ],
    ['a plain Error', new Error('berth.yaml: profile "train" has no image'), 'berth.yaml: profile "train" has no image'],
    ['something thrown that is not an Error', 'no workspace folder', 'no workspace folder'],
  ];
  for (const [what, err, message] of others) {
    test(`${what}: its message with Show Log only`, async () => {
      const { services: s, errors } = services();
      await reportError(s, 'berth.image.build', err);
      assert.deepEqual(errorMessages(), [[message, 'Show Log']]);
      assert.deepEqual(errors, [['berth.image.build failed', err]]);
    });
  }

  test('a refused credential (registry or push): its message with Log In… to that registry, which runs Log In', async () => {
    const cases: [unknown, string][] = [
      [new RegistryError('unauthorized', '127.0.0.1:5000', '127.0.0.1:5000 wants a login (401).'), '127.0.0.1:5000'],
      [new TransferError('unauthorized', '127.0.0.1:5001/ml/iris:1', 'push', 'no basic auth credentials'), '127.0.0.1:5001'],
      [new TransferError('denied', 'ghcr.io/acme/iris:1', 'push', 'denied: requested access to the resource is denied'), 'ghcr.io'],
    ];
    for (const [err, server] of cases) {
      standIn.reset();
      const loggedIn: unknown[] = [];
      vscode.commands.registerCommand('berth.registry.login', (arg: unknown) => void loggedIn.push(arg));
      standIn.answer('window.showErrorMessage', () => 'Log In…');
      const { services: s } = services();
      await reportError(s, 'berth.image.push', err);
      assert.deepEqual(errorMessages(), [[(err as Error).message, 'Log In…', 'Show Log']]);
      assert.deepEqual(loggedIn, [server]);
    }
    // other registry failures: the message and Show Log
    standIn.reset();
    const { services: s } = services();
    await reportError(
      s,
      'berth.image.pull',
      new TransferError('no-space', 'x:1', 'pull', 'write /var/lib/docker: no space left on device'),
    );
    assert.deepEqual(errorMessages()[0]?.slice(1), ['Show Log']);
  });

  test('Show Log shows the log, keeping the focus where it is', async () => {
    const { services: s, shown } = services();
    standIn.answer('window.showErrorMessage', () => 'Show Log');
    await reportError(s, 'berth.engine.showInfo', new EngineError('unreachable', 'Cannot reach Docker.'));
    assert.deepEqual(shown, [[true]]);
    assert.deepEqual(commandsRun(), []);
  });

  test('Retry runs berth.engine.retry, and the report ends when the retry has', async () => {
    const { services: s, shown } = services();
    let finishRetry = (): void => undefined;
    const retried: unknown[] = [];
    vscode.commands.registerCommand('berth.engine.retry', () => {
      retried.push('retry');
      return new Promise<void>((resolve) => (finishRetry = resolve));
    });
    standIn.answer('window.showErrorMessage', (_message, ...items) => items.find((i) => i === 'Retry'));
    let reported = false;
    const report = reportError(s, 'berth.containers.refresh', new EngineError('timeout', 'Docker did not answer within 10 s.')).then(
      () => (reported = true),
    );
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(retried, ['retry']);
    assert.equal(reported, false);
    finishRetry();
    await report;
    assert.deepEqual(commandsRun(), ['berth.engine.retry']);
    assert.deepEqual(shown, []);
  });

  test('dismissed: nothing more happens', async () => {
    const { services: s, shown } = services();
    await reportError(s, 'berth.container.kill', new EngineError('unreachable', 'Cannot reach Docker.'));
    assert.equal(errorMessages().length, 1);
    assert.deepEqual(shown, []);
    assert.deepEqual(commandsRun(), []);
  });
});

describe('registerCommands', () => {
  beforeEach(() => standIn.reset());

  function register(trees: Partial<Trees>, settled: () => Promise<unknown> = () => Promise.resolve()) {
    const subscriptions: vscode.Disposable[] = [];
    const errors: unknown[][] = [];
    const s = {
      context: { subscriptions },
      session: { whenSettled: settled },
      log: { error: (...args: unknown[]) => void errors.push(args), show: () => undefined },
    } as unknown as Services;
    registerCommands(s, trees as Trees);
    return { subscriptions, errors };
  }

  test('every command the manifest contributes is registered, and only those', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../package.json'), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const { subscriptions } = register({});
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    assert.equal(subscriptions.length, contributed.length);
    // each id is taken (registering it again throws, as in VS Code) until its subscription is disposed
    for (const id of contributed) assert.throws(() => vscode.commands.registerCommand(id, () => undefined), /already exists/, id);
    for (const d of subscriptions) d.dispose();
    for (const id of contributed) vscode.commands.registerCommand(id, () => undefined).dispose();
  });

  test('a command waits for the first connection attempt, and its failure reaches the user as one message', async () => {
    let settle = (): void => undefined;
    const reloads: string[] = [];
    const trees = {
      images: {
        reload: () => {
          reloads.push('images');
          throw new EngineError('unreachable', 'Cannot reach Docker at tcp://10.0.0.5:2376.');
        },
      },
    } as unknown as Partial<Trees>;
    const { errors } = register(trees, () => new Promise<void>((resolve) => (settle = resolve)));
    const run = vscode.commands.executeCommand('berth.images.refresh');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(reloads, [], 'not before the session has settled');
    settle();
    assert.equal(await run, undefined);
    assert.deepEqual(reloads, ['images']);
    assert.deepEqual(errorMessages(), [['Cannot reach Docker at tcp://10.0.0.5:2376.', 'Retry', 'Show Log']]);
    assert.equal(errors[0]![0], 'berth.images.refresh failed');
  });
});
