import * as vscode from 'vscode';
import type { ManifestDescription } from '../../core/registry/client';
import { isDockerHub } from '../../core/registry/dockerConfig';
import { parseSemver, releaseLabelsOf } from '../../core/project/release';
import { formatBytes } from '../../core/project/units';
import { formatDuration } from '../containers/format';
import type { Services } from '../services';
import type { KnownRegistry } from './registries';
import { registryErrorRow } from './registryErrors';

export interface RegistryNode {
  readonly kind: 'registry';
  readonly registry: KnownRegistry;
}
export interface RepositoryNode {
  readonly kind: 'repository';
  readonly registry: KnownRegistry;
  readonly repository: string;
}
export interface TagNode {
  readonly kind: 'tag';
  readonly registry: KnownRegistry;
  readonly repository: string;
  readonly tag: string;
  readonly manifest?: ManifestDescription;
  /** Why the tag could not be described (its row still shows). */
  readonly problem?: string;
}
/** A message or an action under a node (an error, "Log In…", "Retry", "Add Repository…"). */
export interface RowNode {
  readonly kind: 'row';
  readonly parent: RegistryNode | RepositoryNode | undefined;
  readonly index: number;
  readonly label: string;
  readonly detail?: string;
  readonly icon: 'error' | 'info' | 'action';
  readonly command?: vscode.Command;
}
export type RegistriesNode = RegistryNode | RepositoryNode | TagNode | RowNode;

/** Describe at most this many tags of a repository (newest releases first); the rest list by name. */
const DESCRIBED_TAGS = 50;
const DESCRIBE_CONCURRENCY = 4;

export function nodeId(node: RegistriesNode): string {
  switch (node.kind) {
    case 'registry':
      return `registry:${node.registry.server}`;
    case 'repository':
      return `repository:${node.registry.server}/${node.repository}`;
    case 'tag':
      return `tag:${node.registry.server}/${node.repository}:${node.tag}`;
    case 'row':
      return `row:${node.parent ? nodeId(node.parent) : ''}#${node.index}`;
  }
}

/** The host part of a reference to this registry ('docker.io' for Docker Hub). */
export function referenceHost(registry: Pick<KnownRegistry, 'server'>): string {
  return isDockerHub(registry.server) ? 'docker.io' : registry.server;
}

/** Releases first (highest version first), then other tags by name. */
export function sortTags(tags: readonly string[]): string[] {
  return [...tags].sort((a, b) => {
    const va = parseSemver(a);
    const vb = parseSemver(b);
    if (va && vb) return vb.major - va.major || vb.minor - va.minor || vb.patch - va.patch;
    if (va) return -1;
    if (vb) return 1;
    return a.localeCompare(b);
  });
}

/** The tag row's description and tooltip: size and age; digest, platforms, created date and labels (release labels first). */
export function describeTag(node: TagNode, now = Date.now()): { description: string; tooltip: string } {
  const ref = `${referenceHost(node.registry)}/${node.repository}:${node.tag}`;
  const m = node.manifest;
  if (!m)
    return { description: node.problem ? vscode.l10n.t('not described') : '', tooltip: node.problem ? `${ref}\n${node.problem}` : ref };
  const created = m.created ? Date.parse(m.created) : NaN;
  const description = [
    formatBytes(m.size),
    Number.isNaN(created) ? undefined : vscode.l10n.t('{0} ago', formatDuration(Math.max(0, now - created))),
  ]
    .filter(Boolean)
    .join(' · ');
  const release = releaseLabelsOf(m.labels);
  const others = Object.entries(m.labels).filter(([k]) => !release.some(([r]) => r === k));
  const lines = [
    ref,
    vscode.l10n.t('Digest: {0}', m.digest),
    m.kind === 'index'
      ? vscode.l10n.t('Size: {0} ({1} platforms)', formatBytes(m.size), m.platforms.length)
      : vscode.l10n.t('Size: {0}', formatBytes(m.size)),
    ...(Number.isNaN(created) ? [] : [vscode.l10n.t('Created: {0}', new Date(created).toISOString())]),
    ...(m.platforms.length > 0 ? [vscode.l10n.t('Platforms: {0}', m.platforms.map((p) => p.platform).join(', '))] : []),
    ...(release.length > 0 ? ['', vscode.l10n.t('Release:'), ...release.map(([k, v]) => `  ${k} = ${v}`)] : []),
    ...(others.length > 0 ? ['', vscode.l10n.t('Labels:'), ...others.map(([k, v]) => `  ${k} = ${v}`)] : []),
  ];
  return { description, tooltip: lines.join('\n') };
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * The Registries view: registries (docker config and Berth's logins) → repositories (the catalog,
 * plus those added by hand or pushed to) → tags with size, created date, digest and labels. Each
 * level lists when expanded; a failure is a row under its node (Log In… or Retry).
 */
export class RegistriesTree implements vscode.TreeDataProvider<RegistriesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RegistriesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  /** The nodes last handed to VS Code, by id: a change event must name the instance the view holds. */
  private readonly shown = new Map<string, RegistriesNode>();

  constructor(private readonly services: Pick<Services, 'registries' | 'log'>) {
    this.subscription = services.registries.onDidChange(() => this.changed.fire(undefined));
  }

  /** List again: one node's children, or the whole view. */
  refresh(node?: RegistriesNode): void {
    const held = node && node.kind !== 'row' && node.kind !== 'tag' ? this.shown.get(nodeId(node)) : undefined;
    this.changed.fire(held);
  }

  getTreeItem(node: RegistriesNode): vscode.TreeItem {
    const id = nodeId(node);
    switch (node.kind) {
      case 'registry': {
        const item = new vscode.TreeItem(node.registry.display, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = id;
        const where =
          node.registry.source === 'berth'
            ? vscode.l10n.t('logged in through Berth')
            : node.registry.helper
              ? vscode.l10n.t('docker config, {0} credential helper', node.registry.helper)
              : vscode.l10n.t('docker config');
        item.description = where;
        item.tooltip = `${node.registry.server}\n${where}`;
        item.iconPath = new vscode.ThemeIcon('server');
        item.contextValue = 'registry';
        return item;
      }
      case 'repository': {
        const item = new vscode.TreeItem(node.repository, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = id;
        item.tooltip = `${referenceHost(node.registry)}/${node.repository}`;
        item.iconPath = new vscode.ThemeIcon('repo');
        item.contextValue = 'registryRepository';
        return item;
      }
      case 'tag': {
        const item = new vscode.TreeItem(node.tag, vscode.TreeItemCollapsibleState.None);
        item.id = id;
        const { description, tooltip } = describeTag(node);
        item.description = description;
        item.tooltip = tooltip;
        const isRelease = node.manifest ? releaseLabelsOf(node.manifest.labels).length > 1 : false;
        item.iconPath = new vscode.ThemeIcon(isRelease ? 'package' : 'tag');
        item.contextValue = 'registryTag';
        return item;
      }
      case 'row': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.id = id;
        if (node.detail !== undefined) {
          item.description = node.detail;
          item.tooltip = node.detail;
        }
        item.iconPath =
          node.icon === 'error'
            ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
            : new vscode.ThemeIcon(node.icon === 'info' ? 'info' : 'arrow-right');
        if (node.command) item.command = node.command;
        item.contextValue = 'registryRow';
        return item;
      }
    }
  }

  getParent(node: RegistriesNode): RegistriesNode | undefined {
    const parent: RegistriesNode | undefined =
      node.kind === 'repository'
        ? { kind: 'registry', registry: node.registry }
        : node.kind === 'tag'
          ? { kind: 'repository', registry: node.registry, repository: node.repository }
          : node.kind === 'row'
            ? node.parent
            : undefined;
    return parent && (this.shown.get(nodeId(parent)) ?? parent);
  }

  async getChildren(node?: RegistriesNode): Promise<RegistriesNode[]> {
    const children = await this.childrenOf(node);
    // the whole view lists again: what it held before is gone
    if (!node) this.shown.clear();
    for (const child of children) this.shown.set(nodeId(child), child);
    return children;
  }

  private async childrenOf(node: RegistriesNode | undefined): Promise<RegistriesNode[]> {
    try {
      if (!node) return await this.registries();
      if (node.kind === 'registry') return await this.repositories(node);
      if (node.kind === 'repository') return await this.tags(node);
      return [];
    } catch (err) {
      return this.errorRows(node?.kind === 'registry' || node?.kind === 'repository' ? node : undefined, err);
    }
  }

  private async registries(): Promise<RegistriesNode[]> {
    const registries = await this.services.registries.list();
    if (registries.length > 0) return registries.map((registry): RegistryNode => ({ kind: 'registry', registry }));
    return [
      { kind: 'row', parent: undefined, index: 0, label: vscode.l10n.t('No registries in the docker config'), icon: 'info' },
      {
        kind: 'row',
        parent: undefined,
        index: 1,
        label: vscode.l10n.t('Log In…'),
        icon: 'action',
        command: { title: vscode.l10n.t('Log In…'), command: 'berth.registry.login' },
      },
    ];
  }

  private async repositories(node: RegistryNode): Promise<RegistriesNode[]> {
    const client = await this.services.registries.client(node.registry.server);
    const listing = await client.repositories();
    const remembered = this.services.registries.rememberedRepositories(node.registry.server);
    const names = [...new Set([...listing.repositories, ...remembered])].sort();
    const rows: RegistriesNode[] = names.map((repository): RepositoryNode => ({ kind: 'repository', registry: node.registry, repository }));
    const add = (index: number): RowNode => ({
      kind: 'row',
      parent: node,
      index,
      label: vscode.l10n.t('Add Repository…'),
      icon: 'action',
      command: { title: vscode.l10n.t('Add Repository…'), command: 'berth.registry.addRepository', arguments: [node] },
    });
    if (!listing.catalog) {
      rows.push({
        kind: 'row',
        parent: node,
        index: 0,
        label: vscode.l10n.t('This registry does not list its repositories'),
        ...(listing.reason ? { detail: listing.reason } : {}),
        icon: 'info',
      });
      rows.push(add(1));
    } else if (names.length === 0) {
      rows.push({ kind: 'row', parent: node, index: 0, label: vscode.l10n.t('No repositories yet'), icon: 'info' }, add(1));
    }
    return rows;
  }

  private async tags(node: RepositoryNode): Promise<RegistriesNode[]> {
    const client = await this.services.registries.client(node.registry.server);
    const tags = sortTags(await client.tags(node.repository));
    if (tags.length === 0) return [{ kind: 'row', parent: node, index: 0, label: vscode.l10n.t('No tags'), icon: 'info' }];
    const described = await mapLimited(tags.slice(0, DESCRIBED_TAGS), DESCRIBE_CONCURRENCY, async (tag): Promise<TagNode> => {
      try {
        return {
          kind: 'tag',
          registry: node.registry,
          repository: node.repository,
          tag,
          manifest: await client.describe(node.repository, tag),
        };
      } catch (err) {
        this.services.log.warn(`Could not describe ${node.registry.server}/${node.repository}:${tag}`, err);
        return {
          kind: 'tag',
          registry: node.registry,
          repository: node.repository,
          tag,
          problem: err instanceof Error ? err.message : String(err),
        };
      }
    });
    const rest = tags
      .slice(DESCRIBED_TAGS)
      .map((tag): TagNode => ({ kind: 'tag', registry: node.registry, repository: node.repository, tag }));
    return [...described, ...rest];
  }

  private errorRows(parent: RegistryNode | RepositoryNode | undefined, err: unknown): RowNode[] {
    this.services.log.error(`Registries: could not list ${parent ? nodeId(parent) : 'the registries'}`, err);
    const { label, detail, offer } = registryErrorRow(err);
    const server = parent?.registry.server;
    const action: vscode.Command =
      offer === 'login' && server !== undefined
        ? { title: vscode.l10n.t('Log In…'), command: 'berth.registry.login', arguments: [server] }
        : { title: vscode.l10n.t('Retry'), command: 'berth.registries.refresh', arguments: parent ? [parent] : [] };
    return [
      { kind: 'row', parent, index: 0, label, detail, icon: 'error' },
      { kind: 'row', parent, index: 1, label: action.title, icon: 'action', command: action },
    ];
  }

  dispose(): void {
    this.shown.clear();
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export interface RegistriesView {
  readonly provider: RegistriesTree;
  readonly view: vscode.TreeView<RegistriesNode>;
  /** Show a pushed tag: list its registry and repository again, then select it. */
  reveal(registry: KnownRegistry, repository: string, tag: string): Promise<void>;
}

export function registerRegistriesTree(services: Pick<Services, 'registries' | 'log' | 'context'>): RegistriesView {
  const provider = new RegistriesTree(services);
  const view = vscode.window.createTreeView<RegistriesNode>('berth.registries', { treeDataProvider: provider, showCollapseAll: true });
  services.context.subscriptions.push(provider, view);
  return {
    provider,
    view,
    reveal: async (registry, repository, tag) => {
      provider.refresh();
      try {
        await view.reveal({ kind: 'tag', registry, repository, tag }, { select: true, focus: false, expand: true });
      } catch (err) {
        // the view may be hidden or collapsed: the tag is there when the user opens it
        services.log.warn(`Could not reveal ${registry.server}/${repository}:${tag} in the Registries view`, err);
      }
    },
  };
}
