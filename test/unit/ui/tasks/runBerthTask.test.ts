/**
 * A `berth` task runs through the services its command uses, with the answers from its
 * definition: its lines say what happens, its exit code says whether it did (0: the container is
 * healthy, the job exited 0), and an untrusted workspace or a definition that leaves a question
 * open is refused before anything starts. The manifest's task type matches.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import { BERTH_TASK_ACTIONS } from '../../../../src/core/project/berthTask';
import { parseBerthConfig } from '../../../../src/core/project/runProfile';
import type { FinishedBatch, RunTarget } from '../../../../src/ui/run/projectRuns';
import { runBerthTask, TRUST_MESSAGE, type TaskServices } from '../../../../src/ui/tasks/runBerthTask';
import { BerthTaskTerminal } from '../../../../src/ui/tasks/registerTasks';

const REPO = path.resolve(__dirname, '../../../..');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-task-ui-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
fs.writeFileSync(
  path.join(root, 'berth.yaml'),
  'profiles:\n  serve:\n    image: berth-python-numpy:latest\n    ports: ["8000"]\n  cpu:\n    image: python:3.12-slim\n',
);
fs.writeFileSync(path.join(root, 'train.py'), 'print(1)\n');

const healthy = {
  name: 'berth-serve',
  status: 'Up 2 seconds (healthy)',
  ports: [{ containerPort: 8000, hostIp: '127.0.0.1', hostPort: 49153 }],
};

/** Services whose runs record what they are asked and answer as the test says. */
function fake(answers: { serve?: () => Promise<unknown>; runBatch?: () => Promise<FinishedBatch | undefined> } = {}) {
  const served: RunTarget[] = [];
  const batches: RunTarget[] = [];
  const errors: unknown[][] = [];
  let settled = 0;
  const services = {
    log: { error: (...args: unknown[]) => void errors.push(args), info: () => undefined },
    profiles: {
      load: (dir: string) => {
        const file = path.join(dir, 'berth.yaml');
        return fs.existsSync(file) ? parseBerthConfig(fs.readFileSync(file, 'utf8')).profiles : undefined;
      },
    },
    session: {
      whenSettled: () => Promise.resolve(void settled++),
      requireEngine: () => ({}),
    },
    runs: {
      serve: (target: RunTarget) => {
        served.push(target);
        return (answers.serve ?? (() => Promise.resolve(healthy)))();
      },
      runBatch: (target: RunTarget, hooks: { onStarted: (r: ContainerRecord) => void }) => {
        batches.push(target);
        hooks.onStarted({ name: 'berth-train' } as ContainerRecord);
        return (answers.runBatch ?? (() => Promise.resolve(undefined)))();
      },
    },
  } as unknown as TaskServices;
  return { services, served, batches, errors, settled: () => settled };
}

async function run(
  services: TaskServices,
  definition: Record<string, unknown>,
  trusted = true,
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await runBerthTask(services, { type: 'berth', ...definition }, root, (l) => lines.push(l), trusted);
  return { code, lines };
}

describe('runBerthTask', () => {
  beforeEach(() => standIn.reset());

  test('an untrusted workspace: the trust message, exit 1, nothing asked of the engine', async () => {
    const f = fake();
    const { code, lines } = await run(f.services, { action: 'run', profile: 'serve' }, false);
    assert.equal(code, 1);
    assert.deepEqual(lines, [`Berth: ${TRUST_MESSAGE}`]);
    assert.deepEqual(f.served, []);
    assert.equal(f.settled(), 0);
  });

  test('run: the profile named goes to the run service; healthy is exit 0 with where it listens', async () => {
    const f = fake();
    const { code, lines } = await run(f.services, { action: 'run', profile: 'serve' });
    assert.equal(code, 0, lines.join('\n'));
    assert.deepEqual(f.served, [{ clicked: root, projectDir: root, profileName: 'serve' }]);
    assert.equal(f.settled(), 1);
    assert.match(lines[0] ?? '', /^Berth: running profile serve of /);
    assert.equal(lines.at(-1), 'Berth: berth-serve is healthy on 127.0.0.1:49153.');
  });

  test('run: a question the definition leaves open is refused before anything runs, no quick pick', async () => {
    const f = fake();
    const { code, lines } = await run(f.services, { action: 'run' });
    assert.equal(code, 1);
    assert.match(lines.join('\n'), /several profiles \("serve", "cpu"\): name the one to run in "profile"/);
    assert.deepEqual(f.served, []);
    assert.deepEqual(standIn.callsTo('window.showQuickPick'), []);
  });

  test('run: a failure is one line and exit 1, the whole error in the log; backing out is exit 1 too', async () => {
    const failing = fake({ serve: () => Promise.reject(new Error('berth-serve never became healthy within 60 s')) });
    const failed = await run(failing.services, { action: 'run', profile: 'serve' });
    assert.equal(failed.code, 1);
    assert.equal(failed.lines.at(-1), 'Berth: berth-serve never became healthy within 60 s');
    assert.equal(failing.errors.length, 1);
    const backedOut = await run(fake({ serve: () => Promise.resolve(undefined) }).services, { action: 'run', profile: 'cpu' });
    assert.equal(backedOut.code, 1);
    assert.equal(backedOut.lines.at(-1), 'Berth: The run was cancelled: nothing was started.');
  });

  test("batch: the job's exit code is the task's; the profile named goes to the service", async () => {
    const finished = (exitCode: number): FinishedBatch => ({
      name: 'berth-train',
      result: { exitCode } as FinishedBatch['result'],
      message: `Batch job berth-train exited with code ${exitCode}.`,
      outputDir: path.join(root, 'output'),
    });
    const ok = fake({ runBatch: () => Promise.resolve(finished(0)) });
    const good = await run(ok.services, { action: 'batch', file: 'train.py', profile: 'cpu' });
    assert.equal(good.code, 0, good.lines.join('\n'));
    assert.deepEqual(ok.batches, [{ clicked: path.join(root, 'train.py'), projectDir: root, profileName: 'cpu' }]);
    assert.ok(good.lines.includes('Berth: started berth-train.'));
    const bad = await run(fake({ runBatch: () => Promise.resolve(finished(3)) }).services, {
      action: 'batch',
      file: 'train.py',
      profile: 'cpu',
    });
    assert.equal(bad.code, 3);
    assert.ok(bad.lines.includes('Berth: Batch job berth-train exited with code 3.'));
  });
});

describe('BerthTaskTerminal', () => {
  test('writes each line with a carriage return, then closes with the exit code', async () => {
    const terminal = new BerthTaskTerminal((write) => {
      write('one');
      write('two\nthree');
      return Promise.resolve(2);
    });
    const written: string[] = [];
    terminal.onDidWrite((t) => written.push(t));
    const closed = new Promise<number | void>((resolve) => terminal.onDidClose?.((c) => resolve(c)));
    terminal.open();
    assert.equal(await closed, 2);
    assert.deepEqual(written, ['one\r\n', 'two\r\nthree\r\n']);
  });

  test('as a preLaunchTask: a run task ends (exit 0) when the container is healthy, not before', async () => {
    let healthyNow: (record: unknown) => void = () => undefined;
    const f = fake({ serve: () => new Promise((resolve) => (healthyNow = resolve)) });
    const terminal = new BerthTaskTerminal((write) =>
      runBerthTask(f.services, { type: 'berth', action: 'run', profile: 'serve' }, root, write, true),
    );
    let code: number | void | undefined;
    terminal.onDidClose?.((c) => (code = c));
    terminal.open();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(f.served.length, 1, 'the run has started');
    assert.equal(code, undefined, 'the task has not ended while the container is not healthy yet');
    healthyNow(healthy);
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(code, 0);
  });
});

describe('the manifest', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    activationEvents: string[];
    contributes: { taskDefinitions?: { type: string; required: string[]; properties: Record<string, { enum?: string[] }> }[] };
  };

  test('contributes the berth task type with the actions Berth carries out, and activates on it', () => {
    const berth = manifest.contributes.taskDefinitions?.find((d) => d.type === 'berth');
    assert.ok(berth);
    assert.deepEqual(berth.required, ['action']);
    assert.deepEqual(berth.properties['action']?.enum, [...BERTH_TASK_ACTIONS]);
    assert.deepEqual(Object.keys(berth.properties).sort(), ['action', 'file', 'profile', 'tag']);
    assert.ok(manifest.activationEvents.includes('onTaskType:berth'));
  });
});
