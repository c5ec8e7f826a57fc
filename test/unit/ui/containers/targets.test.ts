/**
 * Which containers a command acts on: the tree's selection, the clicked row, a group's members, or
 * — from the palette — what the user picks among those the command applies to.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { recordFromSummary, type ContainerRecord, type StoreChange } from '../../../../src/core/engine/containerStore';
import type { ContainerSummary, Engine } from '../../../../src/core/engine/engine';
import type { CommandContext } from '../../../../src/ui/commands';
import { ContainerNode, ContainersTreeProvider, GroupNode, type ContainerTreeNode } from '../../../../src/ui/containers/containersTree';
import type { LiveContainers } from '../../../../src/ui/containers/liveContainers';
import { isRunning, isStopped, targetContainers } from '../../../../src/ui/containers/targets';
import type { StatsHub } from '../../../../src/ui/stats/statsHub';

/** A container as the engine lists it (GET /containers/json). */
function summary(id: string, name: string, state: string, labels: Record<string, string> = {}, image = 'busybox:latest'): ContainerSummary {
  return {
    Id: id.padEnd(64, '0'),
    Names: [`/${name}`],
    Image: image,
    ImageID: 'sha256:1',
    Command: 'sleep 300',
    Created: 1_764_590_400,
    State: state,
    Status: state === 'running' ? 'Up 5 minutes' : 'Exited (0) 2 minutes ago',
    Ports: [],
    Labels: labels,
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

const COMPOSE = { 'com.docker.compose.project': 'shop' };
const LISTED = [
  summary('aaa', 'web', 'running', COMPOSE, 'nginx:1.27'),
  summary('bbb', 'db', 'exited', COMPOSE, 'postgres:16'),
  summary('ccc', 'iris-serve', 'running', { 'berth.managed': 'true' }, 'iris:dev'),
  summary('ddd', 'scratch', 'exited'),
];

describe('targetContainers', () => {
  let tree: ContainersTreeProvider | undefined;
  const listed: string[] = [];
  let records: ContainerRecord[] = [];

  beforeEach(() => {
    standIn.reset();
    listed.length = 0;
    records = LISTED.map(recordFromSummary);
  });
  afterEach(() => {
    tree?.dispose();
    tree = undefined;
  });

  /** The context a command gets: the Containers tree fed these records; the store, or none (then the engine lists records). */
  function context(options: { store: boolean }): { ctx: CommandContext; nodes: () => ContainerTreeNode[] } {
    const changes = new vscode.EventEmitter<readonly StoreChange[] | 'reset'>();
    const sampled = new vscode.EventEmitter<string>();
    const live = { onDidChange: changes.event } as unknown as LiveContainers;
    const stats = { onDidSample: sampled.event, latest: () => undefined } as unknown as StatsHub;
    tree = new ContainersTreeProvider(live, stats);
    changes.fire(records.map((record) => ({ kind: 'added', record })));
    const engine = {
      listContainers: () => {
        listed.push('list');
        return Promise.resolve(LISTED.map(recordFromSummary));
      },
    } as unknown as Engine;
    const ctx = {
      trees: { containers: { provider: tree } },
      containers: { current: options.store ? { all: () => records } : undefined },
      session: { requireEngine: () => engine },
    } as unknown as CommandContext;
    return { ctx, nodes: () => tree!.getChildren() };
  }
  const node = (name: string): ContainerNode => {
    const n = tree!.nodeFor(records.find((r) => r.name === name)!.id);
    assert.ok(n instanceof ContainerNode, name);
    return n;
  };
  const names = (rs: ContainerRecord[]): string[] => rs.map((r) => r.name);
  const quickPicks = (): (readonly unknown[])[] => standIn.callsTo('window.showQuickPick');

  test('the clicked row, without asking', async () => {
    const { ctx } = context({ store: true });
    assert.deepEqual(names(await targetContainers(ctx, [node('db')], { title: 'Inspect container' })), ['db']);
    assert.deepEqual(quickPicks(), []);
  });

  test('a multi-selection wins over the clicked row (VS Code passes both)', async () => {
    const { ctx } = context({ store: true });
    const targets = await targetContainers(ctx, [node('web'), [node('web'), node('scratch'), node('iris-serve')]], {
      title: 'Show logs',
      many: true,
    });
    assert.deepEqual(names(targets), ['web', 'scratch', 'iris-serve']);
    assert.deepEqual(quickPicks(), []);
  });

  test('an empty selection falls back to the clicked row', async () => {
    const { ctx } = context({ store: true });
    assert.deepEqual(names(await targetContainers(ctx, [node('scratch'), []], { title: 'Remove container', many: true })), ['scratch']);
  });

  test('a group stands for its members, and the filter keeps those the command applies to', async () => {
    const { ctx, nodes } = context({ store: true });
    const shop = nodes().find((n): n is GroupNode => n instanceof GroupNode && n.id === 'group:compose:shop');
    assert.ok(shop, 'the compose project is a group');
    assert.deepEqual(names(await targetContainers(ctx, [shop], { title: 'Restart container', many: true })), ['db', 'web']);
    assert.deepEqual(names(await targetContainers(ctx, [shop], { title: 'Stop container', filter: isRunning, many: true })), ['web']);
    assert.deepEqual(names(await targetContainers(ctx, [shop], { title: 'Start container', filter: isStopped, many: true })), ['db']);
    // a selection of rows is filtered the same way
    assert.deepEqual(
      names(
        await targetContainers(ctx, [undefined, [node('web'), node('db')]], { title: 'Stop container', filter: isRunning, many: true }),
      ),
      ['web'],
    );
    assert.deepEqual(quickPicks(), []);
  });

  test('from the palette: a pick of the matching containers, by name, with state, image and short id', async () => {
    const { ctx } = context({ store: true });
    standIn.answer('window.showQuickPick', (items) => (items as { label: string }[]).filter((i) => i.label !== 'web'));
    const targets = await targetContainers(ctx, [], { title: 'Stop container', filter: isRunning, many: true });
    assert.deepEqual(names(targets), ['iris-serve']);
    const [[items, options]] = quickPicks() as [[{ label: string; description: string; detail: string }[], unknown]];
    assert.deepEqual(
      items.map(({ label, description, detail }) => ({ label, description, detail })),
      [
        { label: 'iris-serve', description: 'running · iris:dev', detail: 'ccc000000000' },
        { label: 'web', description: 'running · nginx:1.27', detail: 'aaa000000000' },
      ],
    );
    assert.deepEqual(options, { title: 'Stop container', canPickMany: true, matchOnDescription: true });
    assert.deepEqual(listed, [], 'the store answered; the engine was not asked');
  });

  test('from the palette, one container: a single pick; dismissed is none', async () => {
    const { ctx } = context({ store: true });
    standIn.answer('window.showQuickPick', (items) => (items as { label: string }[]).find((i) => i.label === 'scratch'));
    assert.deepEqual(names(await targetContainers(ctx, [], { title: 'Inspect container' })), ['scratch']);
    assert.deepEqual(quickPicks()[0]![1], { title: 'Inspect container', matchOnDescription: true });
    assert.deepEqual(
      (quickPicks()[0]![0] as { label: string }[]).map((i) => i.label),
      ['db', 'iris-serve', 'scratch', 'web'],
    );
    standIn.answer('window.showQuickPick', () => undefined);
    assert.deepEqual(await targetContainers(ctx, [], { title: 'Inspect container' }), []);
    assert.deepEqual(await targetContainers(ctx, [], { title: 'Show logs', many: true }), []);
  });

  test('before the store has its list, the engine is asked', async () => {
    const { ctx } = context({ store: false });
    standIn.answer('window.showQuickPick', (items) => items);
    assert.deepEqual(names(await targetContainers(ctx, [], { title: 'Start container', filter: isStopped, many: true })), [
      'db',
      'scratch',
    ]);
    assert.deepEqual(listed, ['list']);
  });

  test('nothing to choose from: a message naming the command, no pick', async () => {
    const { ctx } = context({ store: true });
    const none = await targetContainers(ctx, [], { title: 'Open published port', filter: (r) => r.ports.length > 0 });
    assert.deepEqual(none, []);
    assert.deepEqual(quickPicks(), []);
    assert.deepEqual(standIn.callsTo('window.showInformationMessage'), [['Open published port: no container to choose from.']]);
  });
});
