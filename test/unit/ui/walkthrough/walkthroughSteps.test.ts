/**
 * The "Get started with Berth" walkthrough: package.json's steps, each with a button that runs a
 * Berth command and a completion on a context key Berth sets when the step's event really
 * happened; and the events setting them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import type { ContainerRecord } from '../../../../src/core/engine/containerStore';
import type { CommandContext } from '../../../../src/ui/commands';
import { openLogs } from '../../../../src/ui/logs/showLogs';
import type { EngineState } from '../../../../src/ui/engine/engineSession';
import {
  ENGINE_CHECKED_COMMAND,
  STEP_EVENTS,
  WALKTHROUGH_ID,
  stepDone,
  watchEngineStep,
} from '../../../../src/ui/walkthrough/walkthroughSteps';

const ROOT = path.join(__dirname, '../../../..');
interface Step {
  id: string;
  title: string;
  description: string;
  media: { markdown?: string; image?: string; altText?: string };
  completionEvents: string[];
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  contributes: { walkthroughs: { id: string; title: string; steps: Step[] }[]; commands: { command: string }[] };
};
const nls = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
/** A manifest string as VS Code shows it: a %key% read from package.nls.json. */
const text = (value: string): string => (/^%.+%$/.test(value) ? (nls[value.slice(1, -1)] ?? `missing ${value}`) : value);
const contexts = (): unknown[][] =>
  standIn
    .callsTo('commands.executeCommand')
    .filter((args) => args[0] === 'setContext')
    .map((args) => args.slice(1));

describe('the Get started walkthrough in package.json', () => {
  const walkthrough = manifest.contributes.walkthroughs.find((w) => w.id === WALKTHROUGH_ID);

  test('its steps in order: the engine, Run Model on the sample, compare the notebook, the logs', () => {
    assert.ok(walkthrough, `a walkthrough ${WALKTHROUGH_ID}`);
    assert.equal(text(walkthrough.title), 'Get started with Berth');
    assert.deepEqual(
      walkthrough.steps.map((s) => [s.id, text(s.title)]),
      [
        ['engine', 'Check the container engine'],
        ['runModel', 'Run Model on the sample'],
        ['compare', 'Compare the notebook'],
        ['logs', 'Open the logs'],
      ],
    );
  });

  test('each step completes on a context key Berth sets, not on its command being run (which may fail)', () => {
    const events = walkthrough!.steps.map((s) => s.completionEvents);
    // the engine step also on the command Berth runs when Engine Info found the engine connected
    assert.deepEqual(events, [
      [`onContext:${STEP_EVENTS.engineConnected}`, `onCommand:${ENGINE_CHECKED_COMMAND}`],
      [`onContext:${STEP_EVENTS.modelServed}`],
      [`onContext:${STEP_EVENTS.notebookCompared}`],
      [`onContext:${STEP_EVENTS.logsOpened}`],
    ]);
  });

  test('each step has a button (a lone command link) that runs a command Berth contributes', () => {
    const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
    const buttons = walkthrough!.steps.map((s) => {
      const lines = text(s.description).split('\n');
      const link = lines.map((l) => /^\[[^\]]+\]\(command:([\w.]+)\)$/.exec(l.trim())?.[1]).find((c) => c !== undefined);
      assert.ok(link, `${s.id}: a line that is only a command link`);
      assert.ok(contributed.has(link), `${s.id}: ${link} is a Berth command`);
      return link;
    });
    assert.deepEqual(buttons, ['berth.engine.showInfo', 'berth.model.run', 'berth.notebook.compare', 'berth.container.showLogs']);
  });

  test('each step shows media that the package carries', () => {
    for (const step of walkthrough!.steps) {
      const file = step.media.markdown ?? step.media.image;
      assert.ok(file, `${step.id}: media`);
      assert.ok(file.startsWith('media/'), `${step.id}: ${file} is under media/ (packaged)`);
      assert.ok(fs.statSync(path.join(ROOT, file)).size > 100, `${step.id}: ${file}`);
    }
  });
});

describe('the events that complete the steps', () => {
  beforeEach(() => standIn.reset());

  test("stepDone sets the step's context key", () => {
    stepDone('modelServed');
    stepDone('notebookCompared');
    assert.deepEqual(contexts(), [
      ['berth.walkthrough.modelServed', true],
      ['berth.walkthrough.notebookCompared', true],
    ]);
  });

  test("opening a container's logs completes the logs step; nothing to open does not", () => {
    const ctx = {
      session: { requireEngine: () => ({}), connection: { add: () => undefined, remove: () => undefined } },
      log: {},
    } as unknown as CommandContext;
    openLogs(ctx, [], { tail: 10, timestamps: false });
    assert.deepEqual(contexts(), []);
    const record = { id: 'c1', name: 'iris-serve', labels: {} } as unknown as ContainerRecord;
    openLogs(ctx, [record], { tail: 10, timestamps: false });
    assert.deepEqual(standIn.callsTo('window.createTerminal').length, 1);
    assert.deepEqual(contexts(), [['berth.walkthrough.logsOpened', true]]);
  });

  test('the engine step: set when Berth is connected while its walkthrough is open, whichever comes first', () => {
    const states = new vscode.EventEmitter<EngineState>();
    const tabsChanged = new vscode.EventEmitter<unknown>();
    const session = { state: { kind: 'connecting' } as EngineState, onDidChange: states.event };
    const tabs: { label: string; input: unknown }[] = [{ label: 'serve.py', input: { uri: 'file:///w/serve.py' } }];
    const tabGroups = { all: [{ tabs }], onDidChangeTabs: tabsChanged.event } as unknown as Pick<
      vscode.TabGroups,
      'all' | 'onDidChangeTabs'
    >;
    const connect = (): void => {
      session.state = { kind: 'connected' } as EngineState;
      states.fire(session.state);
    };
    const watch = watchEngineStep(session, tabGroups);
    connect();
    // not while no walkthrough of Berth's is open: VS Code's walkthrough service may not exist yet
    tabs.push({ label: 'Welcome', input: undefined }, { label: 'Berth notes.md', input: { uri: 'file:///w/Berth notes.md' } });
    tabsChanged.fire({});
    assert.deepEqual(contexts(), []);
    tabs.push({ label: 'Walkthrough: Berth — Containerized ML', input: undefined });
    tabsChanged.fire({});
    assert.deepEqual(contexts(), [['berth.walkthrough.engineConnected', true]]);
    watch.dispose();

    // the walkthrough open first, then the engine connects
    standIn.reset();
    session.state = { kind: 'unreachable' } as EngineState;
    const again = watchEngineStep(session, tabGroups);
    assert.deepEqual(contexts(), [], 'not while the engine is unreachable');
    connect();
    assert.deepEqual(contexts(), [['berth.walkthrough.engineConnected', true]]);
    again.dispose();
  });
});
