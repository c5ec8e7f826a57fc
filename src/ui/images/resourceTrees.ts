import * as vscode from 'vscode';
import type { DiskUsage, ImageRecord, VolumeRecord } from '../../core/engine/contract';
import type { Engine } from '../../core/engine/engine';
import { engineEvents } from '../../core/engine/events';
import type { Services } from '../services';
import { formatBytes } from '../../core/project/units';
import { formatDuration } from '../containers/format';
import type { LiveContainers } from '../containers/liveContainers';
import { errorTreeItem } from '../engine/errorItems';
import { listingErrorRows, type ErrorRow } from '../engine/welcomeViews';
import { DISK_KINDS, DISK_USAGE_TIMEOUT_MS, diskKindDescription, diskSummary, type DiskKindName } from './diskUsage';

export type ImageNode =
  | { readonly kind: 'image'; readonly image: ImageRecord; readonly tag: string; readonly users: readonly string[] }
  | { readonly kind: 'dangling'; readonly images: readonly ImageRecord[] }
  /** The disk usage summary at the top, and its rows per kind. */
  | { readonly kind: 'disk' }
  | { readonly kind: 'diskKind'; readonly name: DiskKindName; readonly label: string };

/** The engine's disk usage as the Images view last measured it. */
export type DiskState =
  | { readonly kind: 'measuring'; readonly previous?: DiskUsage }
  | { readonly kind: 'measured'; readonly usage: DiskUsage }
  | { readonly kind: 'failed'; readonly message: string };
export interface VolumeNode {
  readonly kind: 'volume';
  readonly volume: VolumeRecord;
  readonly users: readonly string[];
}

/** A row of a view whose listing failed (listingErrorRows). */
export interface ErrorNode {
  readonly kind: 'listingError';
  readonly row: ErrorRow;
}

/**
 * A view listed on demand: while visible it lists once, then again (debounced) on each engine
 * event of its type. Images and volumes are few and change rarely; a list is the simple truth.
 */
abstract class ListedTree<T extends { readonly kind: string }> implements vscode.TreeDataProvider<T | ErrorNode>, vscode.Disposable {
  protected readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  protected items: (T | ErrorNode)[] = [];
  private controller: AbortController | undefined;
  private debounce: NodeJS.Timeout | undefined;

  constructor(
    protected readonly services: Services,
    private readonly eventTypes: string[],
    /** What the view lists, for its error row ("Could not list images"), and the command that lists again. */
    private readonly listing: { readonly what: string; readonly refresh: string },
  ) {}

  protected abstract load(engine: Engine): Promise<T[]>;
  protected abstract itemFor(node: T): vscode.TreeItem;

  getTreeItem(node: T | ErrorNode): vscode.TreeItem {
    return isErrorNode(node) ? errorTreeItem(node.row) : this.itemFor(node);
  }

  getChildren(node?: T | ErrorNode): (T | ErrorNode)[] {
    if (!node) return this.items;
    return isErrorNode(node) ? [] : this.childrenOf(node);
  }

  protected childrenOf(_node: T): T[] {
    return [];
  }

  setVisible(visible: boolean): void {
    if (!visible) {
      this.controller?.abort();
      this.controller = undefined;
      return;
    }
    if (this.controller) return;
    const state = this.services.session.state;
    if (state.kind !== 'connected') return;
    const controller = new AbortController();
    this.controller = controller;
    void this.reload();
    void (async () => {
      for await (const _event of engineEvents(state.engine, { signal: controller.signal, filters: { type: this.eventTypes } })) {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.reload(), 300);
      }
    })();
  }

  async reload(): Promise<void> {
    const state = this.services.session.state;
    if (state.kind !== 'connected') {
      this.items = [];
    } else {
      try {
        this.items = await this.load(state.engine);
      } catch (err) {
        this.services.log.error(`Could not list ${this.listing.what}`, err);
        const retry = { title: vscode.l10n.t('Retry'), command: this.listing.refresh };
        this.items = listingErrorRows(this.listing.what, err, retry, vscode.l10n).map((row): ErrorNode => ({ kind: 'listingError', row }));
      }
    }
    this.changed.fire(undefined);
  }

  restart(): void {
    const visible = this.controller !== undefined;
    this.setVisible(false);
    if (visible) this.setVisible(true);
    else void this.reload();
  }

  dispose(): void {
    this.setVisible(false);
    clearTimeout(this.debounce);
    this.changed.dispose();
  }
}

function isErrorNode(node: object): node is ErrorNode {
  return (node as { kind?: unknown }).kind === 'listingError';
}

function containerNamesByImage(live: LiveContainers): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const r of live.current?.all() ?? []) map.set(r.imageId, [...(map.get(r.imageId) ?? []), r.name]);
  return map;
}

export class ImagesTree extends ListedTree<ImageNode> {
  constructor(
    services: Services,
    private readonly live: LiveContainers,
  ) {
    super(services, ['image'], { what: vscode.l10n.t('images'), refresh: 'berth.images.refresh' });
  }

  private disk: DiskState = { kind: 'measuring' };
  private diskController: AbortController | undefined;
  private readonly diskNode: ImageNode = { kind: 'disk' };

  /** The disk usage last measured (for the prune commands), if any. */
  get diskUsage(): DiskState {
    return this.disk;
  }

  /** Measure again; a measurement still running is cancelled (a refresh supersedes it). */
  measureDisk(engine: Engine): Promise<void> {
    this.diskController?.abort();
    const controller = new AbortController();
    this.diskController = controller;
    const previous = this.disk.kind === 'measured' ? this.disk.usage : this.disk.kind === 'measuring' ? this.disk.previous : undefined;
    this.disk = { kind: 'measuring', ...(previous ? { previous } : {}) };
    return engine.diskUsage({ timeoutMs: DISK_USAGE_TIMEOUT_MS }, controller.signal).then(
      (usage) => {
        if (controller.signal.aborted) return;
        this.disk = { kind: 'measured', usage };
        this.changed.fire(undefined);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        this.services.log.error('Could not measure disk usage (GET /system/df)', err);
        this.disk = { kind: 'failed', message: err instanceof Error ? err.message : String(err) };
        this.changed.fire(undefined);
      },
    );
  }

  override dispose(): void {
    this.diskController?.abort();
    super.dispose();
  }

  protected async load(engine: Engine): Promise<ImageNode[]> {
    const images = await engine.listImages();
    void this.measureDisk(engine);
    // image → container names, from the live model when it runs, else from one list
    let users = containerNamesByImage(this.live);
    if (!this.live.current) {
      users = new Map();
      for (const c of await engine.listContainers()) users.set(c.imageId, [...(users.get(c.imageId) ?? []), c.name]);
    }
    const tagged: ImageNode[] = [];
    const dangling: ImageRecord[] = [];
    for (const image of images) {
      if (image.dangling) dangling.push(image);
      for (const tag of image.tags) tagged.push({ kind: 'image', image, tag, users: users.get(image.id) ?? [] });
    }
    tagged.sort((a, b) => (a.kind === 'image' && b.kind === 'image' ? a.tag.localeCompare(b.tag) : 0));
    return [this.diskNode, ...tagged, ...(dangling.length > 0 ? [{ kind: 'dangling', images: dangling } as const] : [])];
  }

  protected override childrenOf(node: ImageNode): ImageNode[] {
    if (node.kind === 'disk') return this.disk.kind === 'failed' ? [] : DISK_KINDS.map((k) => ({ kind: 'diskKind', ...k }));
    return node.kind === 'dangling'
      ? node.images.map((image) => ({ kind: 'image', image, tag: `<none> ${image.id.replace('sha256:', '').slice(0, 12)}`, users: [] }))
      : [];
  }

  private diskItem(): vscode.TreeItem {
    const disk = this.disk;
    const usage = disk.kind === 'measured' ? disk.usage : disk.kind === 'measuring' ? disk.previous : undefined;
    const item = new vscode.TreeItem(
      vscode.l10n.t('Disk'),
      disk.kind === 'failed' ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = 'berth.disk';
    item.iconPath = new vscode.ThemeIcon(
      disk.kind === 'failed' ? 'warning' : disk.kind === 'measuring' && !usage ? 'loading~spin' : 'server',
    );
    item.contextValue = 'disk';
    if (disk.kind === 'failed') {
      item.description = vscode.l10n.t('could not measure — see the Berth log');
      item.tooltip = disk.message;
    } else if (!usage) {
      item.description = vscode.l10n.t('measuring…');
    } else {
      item.description = disk.kind === 'measuring' ? vscode.l10n.t('{0} (measuring…)', diskSummary(usage)) : diskSummary(usage);
      item.tooltip = vscode.l10n.t(
        'What the engine stores (as docker system df counts it)\n{0}',
        diskSummary(usage).split(' · ').join('\n'),
      );
    }
    return item;
  }

  protected itemFor(node: ImageNode): vscode.TreeItem {
    if (node.kind === 'disk') return this.diskItem();
    if (node.kind === 'diskKind') {
      const usage = this.disk.kind === 'measured' ? this.disk.usage : this.disk.kind === 'measuring' ? this.disk.previous : undefined;
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = `berth.disk.${node.name}`;
      item.description = usage ? diskKindDescription(node.name, usage) : vscode.l10n.t('measuring…');
      item.iconPath = new vscode.ThemeIcon(
        { images: 'file-binary', buildCache: 'tools', volumes: 'database', containers: 'package' }[node.name],
      );
      item.contextValue = `disk.${node.name}`;
      return item;
    }
    if (node.kind === 'dangling') {
      const item = new vscode.TreeItem(vscode.l10n.t('Dangling images'), vscode.TreeItemCollapsibleState.Collapsed);
      item.description = `${node.images.length} · ${formatBytes(node.images.reduce((n, i) => n + i.size, 0))}`;
      item.iconPath = new vscode.ThemeIcon('trash');
      item.contextValue = 'imageGroup.dangling';
      return item;
    }
    const { image, tag, users } = node;
    const item = new vscode.TreeItem(tag, vscode.TreeItemCollapsibleState.None);
    item.id = `${image.id}|${tag}`;
    const age = formatDuration(Date.now() - image.created * 1000);
    item.description =
      users.length > 0
        ? vscode.l10n.t('{0} · {1} ago · used by {2}', formatBytes(image.size), age, users.length)
        : vscode.l10n.t('{0} · {1} ago', formatBytes(image.size), age);
    item.tooltip = [
      tag,
      image.id,
      vscode.l10n.t('{0}, created {1}', formatBytes(image.size), new Date(image.created * 1000).toLocaleString()),
      ...(users.length > 0 ? [vscode.l10n.t('Used by: {0}', users.join(', '))] : []),
    ].join('\n');
    item.iconPath = new vscode.ThemeIcon(users.length > 0 ? 'file-binary' : 'file');
    item.contextValue = users.length > 0 ? 'image.used' : 'image';
    return item;
  }
}

export class VolumesTree extends ListedTree<VolumeNode> {
  constructor(services: Services) {
    super(services, ['volume'], { what: vscode.l10n.t('volumes'), refresh: 'berth.volumes.refresh' });
  }

  protected async load(engine: Engine): Promise<VolumeNode[]> {
    const [volumes, containers] = await Promise.all([engine.listVolumes(), engine.listContainers()]);
    const users = new Map<string, string[]>();
    for (const c of containers) {
      for (const m of c.mounts ?? []) {
        if (m.type === 'volume' && m.name) users.set(m.name, [...(users.get(m.name) ?? []), c.name]);
      }
    }
    return volumes
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((volume) => ({ kind: 'volume', volume, users: users.get(volume.name) ?? [] }));
  }

  protected itemFor(node: VolumeNode): vscode.TreeItem {
    const { volume, users } = node;
    const item = new vscode.TreeItem(volume.name, vscode.TreeItemCollapsibleState.None);
    item.id = volume.name;
    item.description = [
      volume.driver,
      volume.size === undefined ? undefined : formatBytes(volume.size),
      users.length > 0 ? vscode.l10n.t('mounted by {0}', users.join(', ')) : vscode.l10n.t('unused'),
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = [volume.name, volume.mountpoint, ...(users.length > 0 ? [vscode.l10n.t('Mounted by: {0}', users.join(', '))] : [])].join(
      '\n',
    );
    item.iconPath = new vscode.ThemeIcon('database');
    item.contextValue = users.length > 0 ? 'volume.used' : 'volume';
    return item;
  }
}

export function registerResourceTrees(services: Services, live: LiveContainers): { images: ImagesTree; volumes: VolumesTree } {
  const images = new ImagesTree(services, live);
  const volumes = new VolumesTree(services);
  for (const [id, tree] of [
    ['berth.images', images],
    ['berth.volumes', volumes],
  ] as const) {
    const view = vscode.window.createTreeView<ImageNode | VolumeNode | ErrorNode>(id, { treeDataProvider: tree });
    if (view.visible) tree.setVisible(true);
    services.context.subscriptions.push(
      tree,
      view,
      view.onDidChangeVisibility((e) => tree.setVisible(e.visible)),
      services.session.onDidChange(() => tree.restart()),
    );
  }
  return { images, volumes };
}
