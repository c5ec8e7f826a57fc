import * as vscode from 'vscode';
import type { ContainerRecord } from '../../core/engine/containerStore';
import { stateText } from './format';
import { ContainerNode, GroupNode, type ContainerTreeNode } from './containersTree';
import type { CommandContext } from '../commands';

/**
 * The containers a command acts on: the tree's multi-selection, the clicked row, a group's
 * members, or — from the palette — a quick pick of those matching `filter`.
 */
export async function targetContainers(
  ctx: CommandContext,
  args: unknown[],
  options: { filter?: (r: ContainerRecord) => boolean; title: string; many?: boolean },
): Promise<ContainerRecord[]> {
  const [clicked, selected] = args as [ContainerTreeNode | undefined, ContainerTreeNode[] | undefined];
  const nodes = selected && selected.length > 0 ? selected : clicked ? [clicked] : [];
  if (nodes.length > 0) {
    const records = nodes.flatMap((n) =>
      n instanceof ContainerNode
        ? [n.record]
        : n instanceof GroupNode
          ? ctx.trees.containers.provider.getChildren(n).flatMap((c) => (c instanceof ContainerNode ? [c.record] : []))
          : [],
    );
    return options.filter ? records.filter(options.filter) : records;
  }
  const store = ctx.containers.current;
  let records = store?.all();
  if (!records) {
    const engine = ctx.session.requireEngine();
    records = await engine.listContainers();
  }
  const candidates = records.filter(options.filter ?? (() => true)).sort((a, b) => a.name.localeCompare(b.name));
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0}: no container to choose from.', options.title));
    return [];
  }
  const items = candidates.map((r) => ({
    label: r.name,
    description: `${stateText(r)} · ${r.image}`,
    detail: r.id.slice(0, 12),
    record: r,
  }));
  if (options.many === true) {
    const picked = await vscode.window.showQuickPick(items, { title: options.title, canPickMany: true, matchOnDescription: true });
    return (picked ?? []).map((p) => p.record);
  }
  const picked = await vscode.window.showQuickPick(items, { title: options.title, matchOnDescription: true });
  return picked ? [picked.record] : [];
}

export const isRunning = (r: ContainerRecord): boolean => r.state === 'running' || r.state === 'restarting' || r.state === 'paused';
export const isStopped = (r: ContainerRecord): boolean => !isRunning(r);

/** Run an action on each target, with progress; failures are collected and reported once. */
export async function forEachContainer(
  ctx: CommandContext,
  title: string,
  records: ContainerRecord[],
  action: (r: ContainerRecord) => Promise<void>,
): Promise<void> {
  if (records.length === 0) return;
  const failures: string[] = [];
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, async (progress) => {
    for (const r of records) {
      progress.report({ message: r.name, increment: 100 / records.length });
      try {
        await action(r);
      } catch (err) {
        ctx.log.error(`${title} ${r.name} failed`, err);
        failures.push(`${r.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
  if (failures.length === 1) throw new Error(failures[0]);
  if (failures.length > 1)
    throw new Error(vscode.l10n.t('{0} failed for {1} containers — {2}', title, failures.length, failures.join('; ')));
}
