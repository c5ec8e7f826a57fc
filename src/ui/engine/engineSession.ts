import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { Config } from '../config';
import { isLocalEndpoint, resolveEndpoint, type EngineEndpoint } from '../../core/engine/connection';
import { Engine, type EngineInfo } from '../../core/engine/engine';
import { SshTunnelPool, appendKnownHost } from '../../core/engine/sshTunnel';
import { EngineError, HostKeyError, translateError } from '../../core/engine/errors';
import { detectGpu, hostGpuProbe, type GpuDetection } from '../../core/engine/gpu';
import { engineProductName } from '../../core/engine/podman';
import { ConnectionScope } from './connectionScope';

export type EngineState =
  | { readonly kind: 'connecting'; readonly endpoint?: EngineEndpoint }
  | {
      readonly kind: 'connected';
      readonly endpoint: EngineEndpoint;
      readonly engine: Engine;
      readonly info: EngineInfo;
      readonly gpu: GpuDetection;
      readonly connectedAt: Date;
    }
  | { readonly kind: 'unreachable'; readonly endpoint?: EngineEndpoint; readonly error: EngineError; readonly nextRetryAt?: Date };

const HEALTH_INTERVAL_MS = 30_000;
const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 30_000;

/** Which engine an endpoint reaches: a new host, context or TLS material is another connection. */
const endpointKey = (e: EngineEndpoint): string => JSON.stringify([e.host, e.context, e.tls ?? null]);

function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The one connection to the engine: resolves the endpoint as the docker CLI would, connects,
 * detects GPUs, and keeps the state current — retrying with backoff while the engine is away, so
 * Berth recovers by itself when it comes back.
 */
export class EngineSession implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<EngineState>();
  readonly onDidChange = this.changed.event;
  private current: EngineState = { kind: 'connecting' };
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private generation = 0;
  /** One ssh connection per ssh:// engine, shared by the engines made for it across reconnects. */
  private readonly tunnels = new SshTunnelPool();
  /** The engine of the last connection: let go of (its ssh connection) when a new one replaces it. */
  private held: Engine | undefined;
  private scope = new ConnectionScope();
  /** The endpoint the current connection scope belongs to, once connected. */
  private scopeEndpoint: string | undefined;
  private readonly connectionChanged = new vscode.EventEmitter<ConnectionScope>();
  /**
   * Fires with the new connection's scope when the connection changes: Berth connected to another
   * endpoint, or the engine settings changed. (Losing the engine and finding it again at the same
   * endpoint is the same connection: logs and stats resume across it.)
   */
  readonly onDidChangeConnection = this.connectionChanged.event;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.connectionChanged];
  /** Fingerprints of unknown host keys the user is being asked about (one question per key at a time). */
  private readonly asking = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (Config.affectsEngine(e)) {
          this.log.info('Engine settings changed: reconnecting');
          void this.endConnection();
          void this.reconnect();
        }
      }),
    );
  }

  get state(): EngineState {
    return this.current;
  }

  /** What lives as long as the current engine connection: ended when it changes, and with the session. */
  get connection(): ConnectionScope {
    return this.scope;
  }

  /** End the current connection's scope and start the next; resolves when its cleanups have finished. */
  private endConnection(): Promise<void> {
    const ended = this.scope;
    this.scope = new ConnectionScope();
    this.scopeEndpoint = undefined;
    this.connectionChanged.fire(this.scope);
    return ended.end();
  }

  /** The connected engine, or a typed error saying why there is none. */
  requireEngine(): Engine {
    const state = this.current;
    if (state.kind === 'connected') return state.engine;
    if (state.kind === 'unreachable') throw state.error;
    throw new EngineError('unreachable', vscode.l10n.t('Still connecting to the container engine — try again in a moment.'));
  }

  /** Resolves once the first connection attempt has ended (bounded), so a command run at start-up waits for it. */
  whenSettled(timeoutMs = 15_000): Promise<EngineState> {
    if (this.current.kind !== 'connecting') return Promise.resolve(this.current);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(this.current);
      }, timeoutMs);
      const sub = this.onDidChange((state) => {
        if (state.kind === 'connecting') return;
        clearTimeout(timer);
        sub.dispose();
        resolve(state);
      });
    });
  }

  /** Connect now (cancelling any scheduled retry). */
  async reconnect(): Promise<EngineState> {
    this.clearTimer();
    this.attempt = 0;
    return this.connect();
  }

  private async connect(): Promise<EngineState> {
    const generation = ++this.generation;
    let endpoint: EngineEndpoint | undefined;
    try {
      endpoint = resolveEndpoint({
        env: process.env,
        homeDir: os.homedir(),
        platform: process.platform,
        readFile: readFileOrUndefined,
        host: this.config.engineHost,
        context: this.config.engineContext,
      });
      // a retry while unreachable keeps showing why, rather than flashing "connecting"
      if (this.current.kind === 'connecting') this.set({ kind: 'connecting', endpoint });
      this.log.info(`Connecting to ${endpoint.host} (${endpoint.reason})`);
      const engine = await Engine.connect(endpoint, {
        timeoutMs: this.config.engineTimeoutMs,
        env: process.env,
        sshTunnels: this.tunnels,
        log: (line) => this.log.info(line),
      });
      let info: EngineInfo;
      let gpu: GpuDetection;
      try {
        info = await engine.info();
        gpu = await detectGpu(hostGpuProbe(info, isLocalEndpoint(endpoint), 5000, engine.serverVersion.flavour));
      } catch (err) {
        engine.dispose();
        throw err;
      }
      if (generation !== this.generation) {
        engine.dispose();
        return this.current;
      }
      // the new engine holds its ssh connection first, so a shared one stays open
      this.held?.dispose();
      this.held = engine;
      this.attempt = 0;
      this.log.info(
        `Connected: ${engineProductName(engine.serverVersion.flavour)} ${engine.serverVersion.version}, API ${engine.apiVersion} (engine ${engine.serverVersion.apiVersion}), ${info.operatingSystem ?? '?'}; ${gpu.summary}`,
      );
      if (!gpu.available) this.log.info(`GPU: ${gpu.reasons.join('; ')}`);
      const key = endpointKey(endpoint);
      if (this.scopeEndpoint !== undefined && this.scopeEndpoint !== key) {
        this.log.info(`${endpoint.host} is another engine than before: ending what belonged to the last connection`);
        void this.endConnection();
      }
      this.scopeEndpoint = key;
      this.set({ kind: 'connected', endpoint, engine, info, gpu, connectedAt: new Date() });
      this.schedule(HEALTH_INTERVAL_MS, () => this.check());
    } catch (err) {
      if (generation !== this.generation) return this.current;
      this.fail(err, endpoint);
    }
    return this.current;
  }

  private async check(): Promise<void> {
    const state = this.current;
    if (state.kind !== 'connected') return;
    const generation = this.generation;
    try {
      await state.engine.ping();
      if (generation === this.generation) this.schedule(HEALTH_INTERVAL_MS, () => this.check());
    } catch (err) {
      if (generation === this.generation) this.fail(err, state.endpoint);
    }
  }

  private fail(err: unknown, endpoint: EngineEndpoint | undefined): void {
    const error = translateError(err, endpoint?.host ?? 'the configured host', 'connect');
    if (error instanceof HostKeyError) {
      // only the user can settle a host key: no retries, one question for an unknown key
      this.attempt = 0;
      this.clearTimer();
      this.log.error(`Engine unreachable: ${error.message}`);
      this.set({ kind: 'unreachable', error, ...(endpoint ? { endpoint } : {}) });
      if (error.verdict === 'unknown') void this.askHostKey(error);
      return;
    }
    this.attempt += 1;
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.attempt - 1, 8));
    const wasConnected = this.current.kind === 'connected';
    if (wasConnected || this.attempt === 1) this.log.error(`Engine unreachable: ${error.message}`, err);
    else this.log.debug(`Engine still unreachable (attempt ${this.attempt}): ${error.message}`);
    this.set({ kind: 'unreachable', error, nextRetryAt: new Date(Date.now() + delayMs), ...(endpoint ? { endpoint } : {}) });
    this.schedule(delayMs, () => this.connect());
  }

  /**
   * Ask whether to trust an unknown host key, with its fingerprint, as ssh asks; yes adds it to the
   * known_hosts file ssh would add it to and connects again.
   */
  private async askHostKey(error: HostKeyError): Promise<void> {
    const presented = error.presented;
    if (presented === undefined || presented.file === '' || this.asking.has(error.fingerprint)) return;
    this.asking.add(error.fingerprint);
    try {
      const where = presented.port === 22 ? presented.host : vscode.l10n.t('{0} port {1}', presented.host, presented.port);
      const trust = vscode.l10n.t('Trust and Connect');
      const info = vscode.l10n.t('Show Engine Info');
      const choice = await vscode.window.showWarningMessage(
        vscode.l10n.t(
          'The ssh host key of {0} is not known. Its fingerprint is {1}. Trust it and connect? (It is added to {2}.)',
          where,
          error.fingerprint,
          presented.file,
        ),
        trust,
        info,
      );
      if (choice === info) await vscode.commands.executeCommand('berth.engine.showInfo');
      if (choice !== trust) return;
      appendKnownHost(presented.file, presented.host, presented.port, presented.key);
      this.log.info(`Host key ${error.fingerprint} of ${where} added to ${presented.file}`);
      await this.reconnect();
    } catch (err) {
      this.log.error(`Could not add the host key of ${presented.host} to ${presented.file}`, err);
      void vscode.window.showErrorMessage(
        vscode.l10n.t('Berth could not add the host key to {0}: {1}', presented.file, (err as Error).message),
      );
    } finally {
      this.asking.delete(error.fingerprint);
    }
  }

  private set(state: EngineState): void {
    this.current = state;
    // the error code first, so the welcome view for the new state renders once, with its reason
    void vscode.commands.executeCommand('setContext', 'berth.engineError', state.kind === 'unreachable' ? state.error.code : undefined);
    void vscode.commands.executeCommand('setContext', 'berth.engineState', state.kind);
    this.changed.fire(state);
  }

  private schedule(ms: number, fn: () => Promise<unknown>): void {
    this.clearTimer();
    this.timer = setTimeout(() => void fn(), ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** End the session; resolves when the connection's cleanups have finished (deactivate waits for it). */
  dispose(): Promise<void> {
    this.generation++;
    this.clearTimer();
    for (const d of this.disposables) d.dispose();
    return this.scope.end().finally(() => {
      this.held?.dispose();
      this.held = undefined;
      this.tunnels.dispose();
    });
  }
}
