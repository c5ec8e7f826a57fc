/**
 * A live model of the engine's containers, driven by its event stream. An event updates only the
 * container it names — health changes straight from the event, everything else with one inspect of
 * that container, coalesced when events come in bursts — and `destroy` removes it without a call.
 * A slow reconciling list catches anything missed, and runs again after every reconnect.
 */
import type { ContainerDetails, ContainerSummary, Engine } from './engine';
import { EngineError, NotFoundError } from './errors';
import { engineEvents, type EngineEvent, type EventStreamState } from './events';
import { dockerState, PODMAN_EVENT_ATTRIBUTES, PODMAN_QUIET_EVENTS } from './podman';

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';
export type Health = 'starting' | 'healthy' | 'unhealthy';

export interface PortBinding {
  readonly containerPort: number;
  readonly protocol: string;
  readonly hostIp?: string;
  readonly hostPort?: number;
}

export interface GpuRequest {
  /** -1 for all GPUs. */
  readonly count: number;
  readonly deviceIds: readonly string[];
  readonly capabilities: readonly string[];
  readonly driver: string;
}

export interface ContainerMount {
  /** 'bind', 'volume', 'tmpfs', … */
  readonly type: string;
  /** A volume's name. */
  readonly name?: string;
  readonly source: string;
  readonly destination: string;
  readonly readOnly: boolean;
}

export interface ContainerRecord {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  readonly command: string;
  readonly state: ContainerState;
  /** The engine's human status, e.g. "Up 3 minutes (healthy)", "Exited (137) 2 seconds ago". */
  readonly status: string;
  readonly health?: Health;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  /** Seconds since the epoch. */
  readonly created: number;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly restartCount?: number;
  readonly ports: readonly PortBinding[];
  readonly labels: Readonly<Record<string, string>>;
  readonly gpu?: GpuRequest;
  readonly mounts?: readonly ContainerMount[];
  /** True once the record has been filled from an inspect (GPU request, OOM, times). */
  readonly detailed: boolean;
}

export type StoreChange =
  { readonly kind: 'added' | 'updated'; readonly record: ContainerRecord } | { readonly kind: 'removed'; readonly id: string };

export type StoreState =
  { readonly kind: 'stopped' } | { readonly kind: 'live' } | { readonly kind: 'reconnecting'; readonly error: EngineError | undefined };

export interface ContainerStoreOptions {
  /** The safety-net full list (default 30 s). */
  readonly reconcileIntervalMs?: number;
  /** Events for one container within this window share one inspect (default 30 ms). */
  readonly coalesceMs?: number;
  /** Parallel inspects when filling details in the background (default 4). */
  readonly inspectConcurrency?: number;
  /** Only containers matching these engine filters, e.g. { label: ['x=y'] }. */
  readonly filters?: Record<string, string[]>;
}

/** Events that cannot change what the model shows: no inspect for them. */
const IGNORED = new Set([
  'exec_create',
  'exec_start',
  'exec_die',
  'exec_detach',
  'attach',
  'detach',
  'resize',
  'top',
  'export',
  'commit',
  'copy',
  'archive-path',
  'extract-to-dir',
  ...PODMAN_QUIET_EVENTS,
]);

const STATES = new Set<ContainerState>(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

/** The state as Docker names it (Podman's own states mapped), 'created' for anything unknown. */
function toState(raw: string | undefined): ContainerState {
  const s = dockerState(raw);
  return STATES.has(s as ContainerState) ? (s as ContainerState) : 'created';
}

/** Health as shown in a list status: "Up 2 minutes (healthy)", "(health: starting)". */
export function healthFromStatus(status: string): Health | undefined {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (m?.[1] === undefined) return undefined;
  return m[1] === 'health: starting' ? 'starting' : (m[1] as Health);
}

export function exitCodeFromStatus(status: string): number | undefined {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

export function gpuRequestOf(hostConfig: { DeviceRequests?: unknown } | undefined): GpuRequest | undefined {
  const requests = (hostConfig?.DeviceRequests ?? null) as
    { Driver?: string; Count?: number; DeviceIDs?: string[] | null; Capabilities?: string[][] | null }[] | null;
  for (const r of requests ?? []) {
    const caps = (r.Capabilities ?? []).flat();
    if (r.Driver === 'nvidia' || caps.includes('gpu')) {
      return { count: r.Count ?? 0, deviceIds: r.DeviceIDs ?? [], capabilities: caps, driver: r.Driver ?? '' };
    }
  }
  return undefined;
}

type RawMount = { Type?: string; Name?: string; Source?: string; Destination?: string; RW?: boolean };

function mountsOf(mounts: readonly RawMount[] | null | undefined): ContainerMount[] {
  return (mounts ?? []).map((m) => ({
    type: m.Type ?? '',
    ...(m.Name ? { name: m.Name } : {}),
    source: m.Source ?? '',
    destination: m.Destination ?? '',
    readOnly: m.RW === false,
  }));
}

export function recordFromSummary(c: ContainerSummary): ContainerRecord {
  const health = healthFromStatus(c.Status);
  const exitCode = exitCodeFromStatus(c.Status);
  return {
    id: c.Id,
    name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command,
    state: toState(c.State),
    status: c.Status,
    ...(health ? { health } : {}),
    ...(exitCode === undefined ? {} : { exitCode }),
    created: c.Created,
    ports: c.Ports.map((p) => ({
      containerPort: p.PrivatePort,
      protocol: p.Type,
      ...(p.IP ? { hostIp: p.IP } : {}),
      ...(p.PublicPort ? { hostPort: p.PublicPort } : {}),
    })),
    labels: c.Labels ?? {},
    mounts: mountsOf(c.Mounts as readonly RawMount[] | undefined),
    detailed: false,
  };
}

function statusText(d: ContainerDetails, health: Health | undefined): string {
  const s = d.State;
  if (s.Running && s.Paused) return 'Paused';
  if (s.Restarting) return `Restarting (${s.ExitCode})`;
  if (s.Status === 'stopping') return 'Stopping'; // Podman: a stop under way, Running already false
  if (s.Running) return `Up since ${s.StartedAt}${health ? ` (${health === 'starting' ? 'health: starting' : health})` : ''}`;
  if (toState(s.Status) === 'created') return 'Created';
  return `Exited (${s.ExitCode})${s.OOMKilled ? ' OOM-killed' : ''}`;
}

export function recordFromDetails(d: ContainerDetails): ContainerRecord {
  const s = d.State;
  const health = (s.Health?.Status as Health | 'none' | undefined) ?? undefined;
  const h = health === undefined || health === 'none' ? undefined : health;
  const ports: PortBinding[] = [];
  for (const [key, bindings] of Object.entries(d.NetworkSettings.Ports ?? {})) {
    const [port = '0', protocol = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) ports.push({ containerPort: Number(port), protocol });
    else for (const b of bindings) ports.push({ containerPort: Number(port), protocol, hostIp: b.HostIp, hostPort: Number(b.HostPort) });
  }
  const gpu = gpuRequestOf(d.HostConfig);
  const exited = !s.Running && toState(s.Status) !== 'created' && toState(s.Status) !== 'running';
  return {
    id: d.Id,
    name: d.Name.replace(/^\//, ''),
    image: d.Config.Image,
    imageId: d.Image,
    command: [d.Path, ...d.Args].join(' '),
    state: toState(s.Status),
    status: statusText(d, h),
    ...(h ? { health: h } : {}),
    ...(exited ? { exitCode: s.ExitCode } : {}),
    oomKilled: s.OOMKilled,
    created: Math.floor(Date.parse(d.Created) / 1000),
    startedAt: s.StartedAt,
    finishedAt: s.FinishedAt,
    restartCount: d.RestartCount,
    ports,
    labels: d.Config.Labels ?? {},
    ...(gpu ? { gpu } : {}),
    mounts: mountsOf(d.Mounts as readonly RawMount[] | undefined),
    detailed: true,
  };
}

const NON_LABEL_ATTRIBUTES = new Set(['image', 'name', 'exitCode', 'signal', 'execDuration', 'execID', ...PODMAN_EVENT_ATTRIBUTES]);

/**
 * What the event alone says about the container, applied at once (an inspect issued while a
 * container is mid-transition can wait tens of ms on the engine's lock; the event is already here).
 * Returns undefined when the event says nothing the record shows.
 */
export function applyEvent(known: ContainerRecord | undefined, event: EngineEvent): ContainerRecord | undefined {
  const a = event.attributes;
  const base: ContainerRecord = known ?? {
    id: event.id,
    name: a.name ?? event.id.slice(0, 12),
    image: a.image ?? '',
    imageId: '',
    command: '',
    state: 'created',
    status: 'Created',
    created: event.time,
    ports: [],
    labels: Object.fromEntries(Object.entries(a).filter(([k]) => !NON_LABEL_ATTRIBUTES.has(k))),
    detailed: false,
  };
  // to the millisecond, as an inspect will say (a whole second would make "up 0s" read "up 1s")
  const at = new Date(Number(BigInt(event.timeNano) / 1_000_000n)).toISOString();
  switch (event.verb) {
    case 'create':
      return known ? undefined : base;
    case 'start':
    case 'restart':
    case 'unpause': {
      const { exitCode: _exitCode, oomKilled: _oomKilled, health, ...rest } = base;
      const next = event.verb === 'unpause' ? base.startedAt : at;
      return {
        ...rest,
        state: 'running',
        status: 'Up',
        ...(next ? { startedAt: next } : {}),
        ...(event.verb === 'unpause' && health ? { health } : {}),
        ...(event.verb !== 'unpause' && base.health ? { health: 'starting' as const } : {}),
      };
    }
    case 'pause':
      return { ...base, state: 'paused', status: 'Paused' };
    case 'die': {
      const exitCode = Number(a.exitCode ?? NaN);
      const { health: _health, ...rest } = base;
      return {
        ...rest,
        state: 'exited',
        finishedAt: at,
        status: `Exited (${Number.isNaN(exitCode) ? '?' : exitCode})${base.oomKilled === true ? ' OOM-killed' : ''}`,
        ...(Number.isNaN(exitCode) ? {} : { exitCode }),
      };
    }
    case 'oom':
      // (the engine may send it after the `die`: then the exited record says so)
      return base.state === 'exited' || base.state === 'dead' ? withOomEvent(base, true) : { ...base, oomKilled: true };
    case 'rename':
      return a.name ? { ...base, name: a.name.replace(/^\//, '') } : undefined;
    case 'health_status': {
      const health = event.detail as Health | undefined;
      if (!health || base.health === health) return undefined;
      const status = base.status.replace(/\s*\((healthy|unhealthy|health: starting)\)$/, '');
      return { ...base, health, status: `${status} (${health === 'starting' ? 'health: starting' : health})` };
    }
    default:
      return undefined;
  }
}

/** An exited container the engine sent an `oom` event for was OOM-killed, whatever its flag says. */
export function withOomEvent(record: ContainerRecord, oomEvent: boolean): ContainerRecord {
  if (!oomEvent || record.oomKilled === true || (record.state !== 'exited' && record.state !== 'dead')) return record;
  return { ...record, oomKilled: true, status: record.status.endsWith(' OOM-killed') ? record.status : `${record.status} OOM-killed` };
}

export interface StoreCounters {
  lists: number;
  inspects: number;
  events: number;
}

/** The latest event about a container while operations were in flight (numbers as in `seq`). */
interface Touch {
  readonly seq: number;
  /** The latest event that scheduled an inspect of its own. */
  readonly reinspect: number;
  readonly destroyed: boolean;
}

export class ContainerStore {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly listeners = new Set<(changes: readonly StoreChange[]) => void>();
  private readonly stateListeners = new Set<(state: StoreState) => void>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** A number per operation start and per event, in the order they happened. */
  private seq = 0;
  /** Lists and inspects in flight, by the number they started at (in increasing order). */
  private readonly inflight = new Set<number>();
  /**
   * Containers an event touched while some list or inspect was in flight, so that an answer
   * begun before the event never overwrites it, and one begun before a `destroy` never brings the
   * container back. Pruned as soon as no operation older than the event is in flight.
   */
  private readonly touched = new Map<string, Touch>();
  /**
   * Containers the engine reported an `oom` event for since they last started. The engine's
   * OOMKilled flag is racy (its exit and OOM notices can arrive in either order, and then an
   * inspect says false for a container the kernel killed); the event is not.
   */
  private readonly oomSeen = new Set<string>();
  private controller: AbortController | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private current: StoreState = { kind: 'stopped' };
  readonly counters: StoreCounters = { lists: 0, inspects: 0, events: 0 };
  private readonly reconcileIntervalMs: number;
  private readonly coalesceMs: number;
  private readonly inspectConcurrency: number;

  constructor(
    readonly engine: Engine,
    private readonly options: ContainerStoreOptions = {},
  ) {
    this.reconcileIntervalMs = options.reconcileIntervalMs ?? 30_000;
    this.coalesceMs = options.coalesceMs ?? 30;
    this.inspectConcurrency = options.inspectConcurrency ?? 4;
  }

  get state(): StoreState {
    return this.current;
  }

  get(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  /** Listen for batches of changes; returns the unsubscribe function. */
  onChange(listener: (changes: readonly StoreChange[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: StoreState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  get running(): boolean {
    return this.controller !== undefined;
  }

  /** Open the event stream, list once, and keep the model live until stop(). */
  async start(): Promise<void> {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    let connected!: () => void;
    const firstConnection = new Promise<void>((resolve) => (connected = resolve));
    void this.follow(controller.signal, connected);
    // the stream is open before the list, so nothing can fall between the two (if the stream
    // cannot open in time, list anyway: the reconcile after its reconnect covers the gap)
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([firstConnection, new Promise((resolve) => (timer = setTimeout(resolve, this.engine.timeoutMs)))]);
    clearTimeout(timer);
    await this.reconcile();
    this.scheduleReconcile();
  }

  stop(): void {
    this.controller?.abort();
    this.controller = undefined;
    clearTimeout(this.reconcileTimer);
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.setState({ kind: 'stopped' });
  }

  /** Sizes of the internal maps, for tests: none of them may grow with containers come and gone. */
  debugSizes(): { records: number; pending: number; inflight: number; touched: number; oomSeen: number } {
    return {
      records: this.records.size,
      pending: this.pending.size,
      inflight: this.inflight.size,
      touched: this.touched.size,
      oomSeen: this.oomSeen.size,
    };
  }

  private begin(): number {
    const seq = ++this.seq;
    this.inflight.add(seq);
    return seq;
  }

  private end(seq: number): void {
    this.inflight.delete(seq);
    if (this.inflight.size === 0) {
      this.touched.clear();
      return;
    }
    const oldest = this.inflight.values().next().value ?? Infinity;
    for (const [id, t] of this.touched) if (t.seq < oldest) this.touched.delete(id);
  }

  /** An event about this container arrived after the operation that started at `since`. */
  private touchedAfter(id: string, since: number): Touch | undefined {
    const t = this.touched.get(id);
    return t !== undefined && t.seq > since ? t : undefined;
  }

  /** List everything and bring the model in line: the safety net for missed events. */
  async reconcile(): Promise<void> {
    const since = this.begin();
    try {
      await this.reconcileFrom(since);
    } finally {
      this.end(since);
    }
  }

  private async reconcileFrom(since: number): Promise<void> {
    this.counters.lists++;
    const listed = await this.engine.listContainers(this.options.filters ? { filters: this.options.filters } : {});
    const changes: StoreChange[] = [];
    const seen = new Set<string>();
    const needDetails: string[] = [];
    for (const fresh of listed) {
      seen.add(fresh.id);
      if (this.touchedAfter(fresh.id, since)) continue; // an event got there first
      const known = this.records.get(fresh.id);
      if (!known) {
        this.records.set(fresh.id, fresh);
        changes.push({ kind: 'added', record: fresh });
        needDetails.push(fresh.id);
      } else if (known.state !== fresh.state || healthChanged(known, fresh) || known.name !== fresh.name) {
        // the list says something moved that no event told us: inspect to be exact
        needDetails.push(fresh.id);
      }
    }
    for (const id of [...this.records.keys()]) {
      if (!seen.has(id) && !this.touchedAfter(id, since)) {
        this.records.delete(id);
        this.oomSeen.delete(id);
        changes.push({ kind: 'removed', id });
      }
    }
    this.emit(changes);
    void this.fillDetails(needDetails);
  }

  private async fillDetails(ids: string[]): Promise<void> {
    const queue = [...ids];
    const worker = async (): Promise<void> => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        if (!this.controller) return;
        await this.refreshOne(id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.inspectConcurrency, queue.length) }, worker));
  }

  private async follow(signal: AbortSignal, connected: () => void): Promise<void> {
    let wasReconnecting = false;
    const onState = (s: EventStreamState): void => {
      if (s.kind === 'connected') {
        connected();
        this.setState({ kind: 'live' });
        if (wasReconnecting) void this.reconcile().catch(() => undefined);
        wasReconnecting = false;
      } else {
        wasReconnecting = true;
        this.setState({ kind: 'reconnecting', error: s.error });
      }
    };
    try {
      for await (const event of engineEvents(this.engine, {
        signal,
        filters: { ...(this.options.filters ?? {}), type: ['container'] },
        onState,
      })) {
        this.onEvent(event);
      }
    } catch {
      // the stream only ends by abort
    }
  }

  private onEvent(event: EngineEvent): void {
    this.counters.events++;
    if (IGNORED.has(event.verb)) return;
    const id = event.id;
    const known = this.records.get(id);
    // only an operation already in flight can be misled by this event: remember it for them
    if (this.inflight.size > 0) {
      const seq = ++this.seq;
      const reinspect = event.verb !== 'destroy' && !(healthFromEvent(event) && known);
      this.touched.set(id, {
        seq,
        reinspect: reinspect ? seq : (this.touched.get(id)?.reinspect ?? 0),
        destroyed: event.verb === 'destroy',
      });
    }
    if (event.verb === 'oom') this.oomSeen.add(id);
    else if (event.verb === 'start' || event.verb === 'restart' || event.verb === 'destroy') this.oomSeen.delete(id);
    if (event.verb === 'destroy') {
      clearTimeout(this.pending.get(id));
      this.pending.delete(id);
      if (this.records.delete(id)) this.emit([{ kind: 'removed', id }]);
      return;
    }
    const next = applyEvent(known, event);
    if (next) {
      this.records.set(id, next);
      this.emit([{ kind: known ? 'updated' : 'added', record: next }]);
    }
    // health changes carry everything there is to know: no inspect for them (Podman's name no
    // status: its health events are followed by an inspect)
    if (healthFromEvent(event) && known) return;
    // one inspect per burst of events for this container
    if (this.pending.has(id)) return;
    this.pending.set(
      id,
      setTimeout(() => {
        this.pending.delete(id);
        void this.refreshOne(id);
      }, this.coalesceMs),
    );
  }

  /** Inspect one container and update (or remove) its record. */
  private async refreshOne(id: string): Promise<void> {
    const since = this.begin();
    try {
      this.counters.inspects++;
      const record = withOomEvent(await this.engine.inspectContainer(id), this.oomSeen.has(id));
      if (!this.controller) return;
      const later = this.touchedAfter(id, since);
      if (later?.destroyed === true) return; // removed while the inspect was on its way: no ghost
      // an event came after this inspect began, and an inspect of its own follows: this answer may
      // be older than the event (a `die` arriving while the inspect of its `kill` reads "running")
      if (later && later.reinspect > since) return;
      const known = this.records.has(id);
      this.records.set(id, record);
      this.emit([{ kind: known ? 'updated' : 'added', record }]);
    } catch (err) {
      if (err instanceof NotFoundError && this.records.delete(id)) this.emit([{ kind: 'removed', id }]);
      // other failures: the next event or reconcile will try again
    } finally {
      this.end(since);
    }
  }

  private scheduleReconcile(): void {
    clearTimeout(this.reconcileTimer);
    this.reconcileTimer = setTimeout(() => {
      if (!this.controller) return;
      void this.reconcile()
        .catch(() => undefined)
        .finally(() => this.scheduleReconcile());
    }, this.reconcileIntervalMs);
  }

  private setState(state: StoreState): void {
    if (state.kind === this.current.kind && state.kind !== 'reconnecting') return;
    this.current = state;
    for (const l of this.stateListeners) l(state);
  }

  private emit(changes: StoreChange[]): void {
    if (changes.length === 0) return;
    for (const l of this.listeners) l(changes);
  }
}

/** A health_status event that says the status (Docker's "health_status: healthy"; Podman's has none). */
function healthFromEvent(event: EngineEvent): boolean {
  return event.verb === 'health_status' && event.detail !== undefined;
}

function healthChanged(a: ContainerRecord, b: ContainerRecord): boolean {
  return (a.health ?? '') !== (b.health ?? '');
}
