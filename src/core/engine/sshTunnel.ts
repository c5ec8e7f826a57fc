/**
 * One long-lived ssh connection per ssh:// engine, carrying every request and stream as a channel.
 *
 * dockerode's own ssh transport logs in again and runs `docker system dial-stdio` for each
 * request; here the ssh login happens once. The tunnel serves a unix socket in a private folder
 * (mode 0700), so dockerode talks to it exactly as to a local engine; each connection to that
 * socket becomes one channel: a stream-local forward to the remote engine's socket (the ssh URL's
 * path, else /var/run/docker.sock), or, when the server refuses stream-local forwarding or has no
 * socket there, `docker system dial-stdio` run on the remote host, as the docker CLI does.
 *
 * The route honours `~/.ssh/config` (HostName, Port, User, IdentityFile, IdentitiesOnly,
 * ProxyJump, UserKnownHostsFile); host keys are checked against known_hosts at every login;
 * authentication tries the agent, then the identity files. When the connection drops, the next
 * channel re-dials with backoff for a bounded time, then fails with a typed error.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type Algorithms, type AnyAuthMethod, type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { EngineConfigError, EngineError, EngineUnreachableError, HostKeyError, SshAuthError } from './errors';
import {
  checkHostKey,
  defaultKnownHostsFiles,
  describeVerdict,
  knownHostLine,
  lookupName,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  type HostKeyTarget,
  type KnownHostEntry,
} from './knownHosts';
import { parseJumpHost, parseSshConfig, resolveSshHost, type SshConfigBlock } from './sshConfig';

export const DEFAULT_REMOTE_SOCKET = '/var/run/docker.sock';

/** One ssh login on the way to the engine: a jump host or the engine's host. */
export interface SshHop {
  /** The name as written (an alias of ~/.ssh/config, or a host name). */
  readonly alias: string;
  /** The host to connect to (HostName, else the alias). */
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** Private key files to offer after the agent's keys. */
  readonly identityFiles: readonly string[];
  /** IdentitiesOnly yes: the agent's keys are not offered. */
  readonly identitiesOnly: boolean;
  /** UserKnownHostsFile of ~/.ssh/config for this host (empty: ssh's defaults). */
  readonly knownHostsFiles: readonly string[];
  /**
   * StrictHostKeyChecking of ~/.ssh/config for this host: `ask` (ssh's default: Berth asks the
   * user), `yes` (an unknown key is refused), `accept-new` and `no` (an unknown key is added to
   * known_hosts and trusted). A changed key is refused whatever it says.
   */
  readonly strictHostKeyChecking: StrictHostKeyChecking;
}

export type StrictHostKeyChecking = 'ask' | 'yes' | 'accept-new' | 'no';

function strictness(value: string | undefined): StrictHostKeyChecking {
  switch (value) {
    case 'yes':
    case 'accept-new':
      return value;
    case 'no':
    case 'off':
      return 'no';
    default:
      return 'ask';
  }
}

export interface SshRoute {
  /** Jump hosts first (ProxyJump), the engine's host last. */
  readonly hops: readonly SshHop[];
  /** The engine's socket on the remote host. */
  readonly socketPath: string;
  /** The socket path came from the ssh URL (so dial-stdio must be pointed at it). */
  readonly explicitSocket: boolean;
}

export interface RouteContext {
  readonly home: string;
  readonly localUser: string;
}

/** Files ssh offers when no IdentityFile is configured (those that exist are used). */
export function defaultIdentityFiles(home: string): string[] {
  return ['id_ed25519', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519_sk', 'id_rsa'].map((f) => path.join(home, '.ssh', f));
}

function hopFor(
  blocks: readonly SshConfigBlock[],
  alias: string,
  explicit: { user?: string; port?: number },
  context: RouteContext,
): SshHop {
  const config = resolveSshHost(blocks, alias, context);
  return {
    alias,
    host: config.hostName,
    // on the command line (the URL, the ProxyJump hop) beats the config file, as with ssh
    port: explicit.port ?? config.port ?? 22,
    username: explicit.user ?? config.user ?? context.localUser,
    identityFiles: config.identityFiles.length > 0 ? [...config.identityFiles] : defaultIdentityFiles(context.home),
    identitiesOnly: config.identitiesOnly,
    knownHostsFiles: [...config.userKnownHostsFiles],
    strictHostKeyChecking: strictness(config.strictHostKeyChecking),
  };
}

/**
 * The logins to make for an ssh:// engine host: `ssh://[user@]host[:port][/socket]`, where host may
 * be an alias of ~/.ssh/config. ProxyJump hops come first (their own config applies to each).
 */
export function planSshRoute(endpointHost: string, blocks: readonly SshConfigBlock[], context: RouteContext): SshRoute {
  let url: URL;
  try {
    url = new URL(endpointHost);
  } catch (cause) {
    throw new EngineConfigError(`Invalid Docker host "${endpointHost}"`, cause);
  }
  if (url.protocol !== 'ssh:' || url.hostname === '') throw new EngineConfigError(`Invalid ssh Docker host "${endpointHost}"`);
  const alias = url.hostname.replace(/^\[|\]$/g, '');
  const target = hopFor(
    blocks,
    alias,
    {
      ...(url.username === '' ? {} : { user: decodeURIComponent(url.username) }),
      ...(url.port === '' ? {} : { port: Number(url.port) }),
    },
    context,
  );
  const jumps = resolveSshHost(blocks, alias, context).proxyJump.map((hop) => {
    const parsed = parseJumpHost(hop);
    return hopFor(
      blocks,
      parsed.host,
      { ...(parsed.user === undefined ? {} : { user: parsed.user }), ...(parsed.port === undefined ? {} : { port: parsed.port }) },
      context,
    );
  });
  const socket = decodeURIComponent(url.pathname);
  const explicitSocket = socket !== '' && socket !== '/';
  return { hops: [...jumps, target], socketPath: explicitSocket ? socket : DEFAULT_REMOTE_SOCKET, explicitSocket };
}

/** `user@host:port` of a hop, for messages. */
export function hopLabel(hop: Pick<SshHop, 'username' | 'host' | 'port'>): string {
  return `${hop.username}@${hop.host}${hop.port === 22 ? '' : `:${hop.port}`}`;
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command the docker CLI runs over ssh to reach the remote engine (pointed at the URL's socket when it names one). */
export function dialStdioCommand(route: Pick<SshRoute, 'socketPath' | 'explicitSocket'>): string {
  return route.explicitSocket ? `docker -H ${shellWord(`unix://${route.socketPath}`)} system dial-stdio` : 'docker system dial-stdio';
}

/**
 * The authentication methods to try, in ssh's order: the agent's keys (unless IdentitiesOnly),
 * then each identity file that can be read. Encrypted files are skipped: there is no one to ask.
 */
export function authMethods(
  hop: SshHop,
  agentSocket: string | undefined,
  readKey: (file: string) => Buffer | undefined,
): { methods: AnyAuthMethod[]; tried: string[] } {
  const methods: AnyAuthMethod[] = [];
  const tried: string[] = [];
  if (!hop.identitiesOnly && agentSocket !== undefined && agentSocket !== '') {
    methods.push({ type: 'agent', username: hop.username, agent: agentSocket });
    tried.push('the ssh agent (SSH_AUTH_SOCK)');
  }
  for (const file of hop.identityFiles) {
    const key = readKey(file);
    if (key === undefined) continue;
    if (/ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(key.toString('latin1', 0, 200)) || isEncryptedOpenSshKey(key)) {
      tried.push(`${file} (skipped: protected by a passphrase; add it to the agent with ssh-add)`);
      continue;
    }
    methods.push({ type: 'publickey', username: hop.username, key });
    tried.push(file);
  }
  return { methods, tried };
}

/** An OpenSSH-format private key whose cipher is not "none". */
function isEncryptedOpenSshKey(pem: Buffer): boolean {
  const text = pem.toString('latin1');
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m?.[1]) return false;
  const blob = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (blob.toString('latin1', 0, magic.length) !== magic || blob.length < magic.length + 4) return false;
  const length = blob.readUInt32BE(magic.length);
  return blob.toString('latin1', magic.length + 4, magic.length + 4 + length) !== 'none';
}

/**
 * Checks an ssh host key against known_hosts (re-read at every login, so a key the user has just
 * accepted counts), and keeps why it refused one: ssh2 only reports "Host denied".
 */
export class HostKeyGuard {
  private rejection: HostKeyError | undefined;
  constructor(
    private readonly endpointHost: string,
    readonly target: HostKeyTarget,
    private readonly strict: StrictHostKeyChecking = 'ask',
    private readonly log?: (line: string) => void,
  ) {}

  entries(): KnownHostEntry[] {
    return this.target.files.flatMap((file) => {
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        return [];
      }
      return parseKnownHosts(text, file);
    });
  }

  readonly verify = (key: Buffer): boolean => {
    const verdict = describeVerdict(this.target, key, checkHostKey(this.entries(), this.target.host, this.target.port, key));
    const file = this.target.files[0] ?? '';
    if (verdict?.verdict === 'unknown' && (this.strict === 'accept-new' || this.strict === 'no') && file !== '') {
      // as ssh does with StrictHostKeyChecking accept-new: the new key is remembered and trusted
      try {
        appendKnownHost(file, this.target.host, this.target.port, key);
        this.log?.(`ssh ${this.endpointHost}: host key ${verdict.fingerprint} added to ${file} (StrictHostKeyChecking ${this.strict})`);
        this.rejection = undefined;
        return true;
      } catch (err) {
        this.log?.(`ssh ${this.endpointHost}: could not add the host key to ${file}: ${(err as Error).message}`);
      }
    }
    if (verdict?.verdict === 'unknown' && this.strict === 'yes') {
      // nothing to offer: ~/.ssh/config says an unknown key is never accepted on the spot
      this.rejection = new HostKeyError(
        this.endpointHost,
        verdict.verdict,
        verdict.fingerprint,
        `${verdict.message} (StrictHostKeyChecking is "yes" for this host in your ssh config, so Berth does not offer to trust it.)`,
      );
      return false;
    }
    this.rejection =
      verdict &&
      new HostKeyError(this.endpointHost, verdict.verdict, verdict.fingerprint, verdict.message, {
        key: Buffer.from(key),
        host: this.target.host,
        port: this.target.port,
        file,
      });
    return verdict === undefined;
  };

  /** The refusal behind an ssh handshake error, when this guard refused the key. */
  explain(err: unknown): HostKeyError | undefined {
    if (this.rejection === undefined || err === null || typeof err !== 'object') return undefined;
    const { level, message } = err as { level?: unknown; message?: unknown };
    return level === 'handshake' && typeof message === 'string' && /host denied/i.test(message) ? this.rejection : undefined;
  }
}

/**
 * Add a host key to a known_hosts file (created with mode 0600, its folder 0700), as ssh does
 * when the user accepts a key: the "asked with the fingerprint" answer for an unknown host.
 */
export function appendKnownHost(file: string, host: string, port: number, key: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = fs.readFileSync(file, 'utf8');
    if (text !== '' && !text.endsWith('\n')) prefix = '\n';
  } catch {
    // a new file
  }
  fs.appendFileSync(file, `${prefix}${knownHostLine(host, port, key)}\n`, { mode: 0o600 });
}

export type TunnelState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'connecting'; readonly attempt: number }
  | { readonly kind: 'connected'; readonly since: Date; readonly reconnected: boolean }
  /** The connection dropped; the next channel re-dials. */
  | { readonly kind: 'down'; readonly error?: EngineError }
  | { readonly kind: 'closed' };

export interface SshTunnelOptions {
  /** ssh://[user@]host[:port][/socket] */
  readonly endpointHost: string;
  /** SSH_AUTH_SOCK and the like (default: none). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** known_hosts files (default: UserKnownHostsFile of the config, else OpenSSH's under homeDir). */
  readonly knownHostsFiles?: readonly string[];
  /** The ssh client config (default: homeDir/.ssh/config); a file that does not exist is no config. */
  readonly sshConfigFile?: string;
  /** `~` of the config and the default identity files (default: the user's home). */
  readonly homeDir?: string;
  /** Bound on one login (TCP connect, handshake, authentication). Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** After a drop: how long re-dialling may go on before requests fail. Default 20 s. */
  readonly reconnectBudgetMs?: number;
  /** Where a detail goes (the Berth log); default nowhere. */
  readonly log?: (line: string) => void;
}

const RETRYABLE = (err: EngineError): boolean =>
  !(err instanceof HostKeyError) && !(err instanceof SshAuthError) && err.code !== 'bad-config';

/** Channel open failure reasons of RFC 4254. */
const ADMINISTRATIVELY_PROHIBITED = 1;

interface Connection {
  readonly client: Client;
  /** Every ssh client of the route (jump hosts first): all are ended together. */
  readonly clients: readonly Client[];
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function globFiles(pattern: string): string[] {
  if (!/[*?]/.test(path.basename(pattern))) return [pattern];
  const dir = path.dirname(pattern);
  const re = new RegExp(
    `^${path
      .basename(pattern)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

/** Read ~/.ssh/config (or the given file) and plan the route to an ssh:// engine. */
export function routeFor(
  endpointHost: string,
  options: Pick<SshTunnelOptions, 'sshConfigFile' | 'homeDir'> = {},
): { route: SshRoute; configFile: string } {
  const home = options.homeDir ?? os.homedir();
  const configFile = options.sshConfigFile ?? path.join(home, '.ssh', 'config');
  const text = readIfExists(configFile);
  const blocks = text === undefined ? [] : parseSshConfig(text, configFile, { home, readFile: readIfExists, glob: globFiles });
  let localUser = 'root';
  try {
    localUser = os.userInfo().username;
  } catch {
    // no passwd entry: ssh would fail too; "root" is only a default for the user name
  }
  return { route: planSshRoute(endpointHost, blocks, { home, localUser }), configFile };
}

/** The ssh connection of one engine, and the local socket that carries requests over it. */
export class SshTunnel extends EventEmitter {
  readonly route: SshRoute;
  /** The local unix socket dockerode connects to. */
  readonly socketPath: string;
  private readonly dir: string;
  private readonly server: net.Server;
  private readonly listening: Promise<void>;
  private connection: Connection | undefined;
  private dialling: Promise<Connection> | undefined;
  private mode: 'streamlocal' | 'exec' = 'streamlocal';
  /** Why stream-local forwarding was given up, for the message when dial-stdio fails too. */
  private streamlocalRefusal: string | undefined;
  private current: TunnelState = { kind: 'idle' };
  private logins = 0;
  private closed = false;
  /** Why the last channel could not be opened; what a failed request is explained with. */
  private failure: EngineError | undefined;
  private readonly forwards = new Set<net.Server>();
  /** The ports reach() opened, one per remote address, kept until the tunnel closes. */
  private readonly reached = new Map<string, Promise<number>>();
  private readonly connectTimeoutMs: number;
  private readonly reconnectBudgetMs: number;

  constructor(private readonly options: SshTunnelOptions) {
    super();
    this.route = routeFor(options.endpointHost, options).route;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.reconnectBudgetMs = options.reconnectBudgetMs ?? 20_000;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ssh-'));
    fs.chmodSync(this.dir, 0o700);
    this.socketPath = path.join(this.dir, 'docker.sock');
    this.server = net.createServer((local) => void this.carry(local, (client) => this.openEngineChannel(client)));
    this.listening = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // the tunnel alone never keeps the process alive: requests in flight do
    this.server.unref();
  }

  get state(): TunnelState {
    return this.current;
  }

  /** How many ssh logins this tunnel has made (one per (re)connection and hop). */
  get loginCount(): number {
    return this.logins;
  }

  /** The endpoint host with the route, for messages. */
  get host(): string {
    return this.options.endpointHost;
  }

  /** Connect now (one attempt, bounded): the typed error when the host key, the login or the host fails. */
  async ready(): Promise<void> {
    await this.listening;
    await this.connected(0);
  }

  /** The typed error behind a request that failed on the local socket, when the tunnel knows it. */
  readonly explain = (err: unknown): EngineError | undefined => {
    const failure = this.failure;
    if (failure === undefined || err === null || typeof err !== 'object') return undefined;
    const { code, message } = err as { code?: unknown; message?: unknown };
    const transport =
      (typeof code === 'string' && /^(ECONNRESET|EPIPE|ECONNREFUSED|ENOENT|ECONNABORTED)$/.test(code)) ||
      (typeof message === 'string' && /socket hang up|ECONNRESET/i.test(message));
    return transport ? failure : undefined;
  };

  /**
   * A 127.0.0.1 port whose connections reach remoteHost:remotePort as seen from the engine's host
   * (a container's published port), each over a channel of the one ssh connection.
   */
  async forwardPort(remotePort: number, remoteHost = '127.0.0.1'): Promise<{ localPort: number; close(): void }> {
    const server = net.createServer((local) => {
      const { port } = local.address() as net.AddressInfo;
      void this.carry(local, (client) => this.openChannel((cb) => client.forwardOut('127.0.0.1', port, remoteHost, remotePort, cb)));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    this.forwards.add(server);
    return {
      localPort: (server.address() as net.AddressInfo).port,
      close: () => {
        this.forwards.delete(server);
        server.close();
      },
    };
  }

  /**
   * The local port that reaches remoteHost:remotePort on the engine's host: one forward per remote
   * address, opened on first use and shared by every later caller until the tunnel closes.
   */
  reach(remotePort: number, remoteHost = '127.0.0.1'): Promise<number> {
    const key = `${remoteHost}|${remotePort}`;
    let port = this.reached.get(key);
    if (port === undefined) {
      port = this.forwardPort(remotePort, remoteHost).then((f) => f.localPort);
      this.reached.set(key, port);
      port.catch(() => this.reached.delete(key));
    }
    return port;
  }

  /** End the ssh connection, the local socket and every forwarded port. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.forwards) f.close();
    this.forwards.clear();
    this.reached.clear();
    this.server.close();
    this.drop(undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.set({ kind: 'closed' });
  }

  private set(state: TunnelState): void {
    this.current = state;
    this.emit('state', state);
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Pipe a local connection through a channel; a failure is kept for explain() and ends the local side. */
  private async carry(local: net.Socket, open: (client: Client) => Promise<Duplex>): Promise<void> {
    local.on('error', () => undefined);
    // an idle keep-alive connection of the HTTP client must not keep the process alive either
    local.unref();
    local.pause();
    let channel: Duplex;
    try {
      const connection = await this.connected(this.reconnectBudgetMs);
      channel = await open(connection.client);
    } catch (err) {
      this.failure = err instanceof EngineError ? err : new EngineUnreachableError(this.host, String(err), err);
      this.log(`ssh ${this.host}: ${this.failure.message}`);
      local.destroy();
      return;
    }
    this.failure = undefined;
    channel.on('error', () => local.destroy());
    local.on('close', () => channel.destroy());
    // the local side ends when the channel closes, not at its EOF: a dial-stdio that failed has
    // reported its exit status (and so the reason a request is explained with) by then
    channel.on('close', () => local.end());
    local.pipe(channel);
    channel.pipe(local, { end: false });
    local.resume();
  }

  /** A channel to the remote engine: stream-local forwarding, else `docker system dial-stdio`. */
  private async openEngineChannel(client: Client): Promise<Duplex> {
    const { socketPath } = this.route;
    if (this.mode === 'streamlocal') {
      try {
        return await this.openChannel((cb) => client.openssh_forwardOutStreamLocal(socketPath, cb));
      } catch (err) {
        // a connection-level failure (no reason code) is not the server's answer about the socket
        const reason = (err as { reason?: unknown }).reason;
        if (typeof reason !== 'number') throw err;
        // OpenSSH answers "connect failed" both when forwarding is disabled and when the socket is
        // missing: the remote docker CLI, pointed at the same socket, may still reach the engine
        this.streamlocalRefusal =
          reason === ADMINISTRATIVELY_PROHIBITED
            ? `the ssh server refuses to forward to ${socketPath}`
            : `the ssh server could not connect to ${socketPath} on ${hopLabel(this.target)} (no Docker socket there, no permission to use it, or stream-local forwarding disabled)`;
        this.log(`ssh ${this.host}: ${this.streamlocalRefusal}; using "${dialStdioCommand(this.route)}" instead`);
        this.mode = 'exec';
      }
    }
    return this.dialStdio(client, this.streamlocalRefusal);
  }

  private get target(): SshHop {
    return this.route.hops[this.route.hops.length - 1] as SshHop;
  }

  /** `docker system dial-stdio` on the remote host; when it fails at once, the typed reason. */
  private async dialStdio(client: Client, before?: string): Promise<Duplex> {
    const command = dialStdioCommand(this.route);
    const channel = await this.openChannel((cb) => client.exec(command, cb));
    let stderr = '';
    channel.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    channel.once('exit', (code: number | null) => {
      if (code === 0 || code === null) return;
      const text = stderr.trim().split('\n').slice(-2).join(' ');
      const missing = code === 127 || /command not found|docker: not found/i.test(text);
      const first = before === undefined ? '' : `${before}; and `;
      const detail = missing
        ? `${first}there is no docker CLI on ${hopLabel(this.target)} to reach the engine with ("${command}": ${text || 'command not found'}). Install Docker there, or name the engine's socket in the host: ssh://host/path/to/docker.sock`
        : `${first}"${command}" failed on ${hopLabel(this.target)} (exit ${code}): ${text}`;
      this.failure = new EngineUnreachableError(this.host, detail);
      this.log(`ssh ${this.host}: ${detail}`);
    });
    return channel;
  }

  /** Open a channel, bounded: a connection that cannot open one in time is dropped (the next re-dials). */
  private openChannel(open: (cb: (err: Error | undefined, channel: ClientChannel) => void) => void): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new EngineUnreachableError(this.host, `the ssh connection did not open a channel within ${this.connectTimeoutMs} ms`);
        this.drop(error);
        reject(error);
      }, this.connectTimeoutMs);
      try {
        open((err, channel) => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve(channel);
        });
      } catch (err) {
        // ssh2 throws when the connection is no longer usable
        clearTimeout(timer);
        this.drop(undefined);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * The live connection, dialling when there is none. A first connection is one attempt; after a
   * drop, attempts repeat with backoff for up to budgetMs. Host key and login refusals never repeat.
   */
  private connected(budgetMs: number): Promise<Connection> {
    if (this.closed) return Promise.reject(new EngineUnreachableError(this.host, 'the ssh tunnel is closed'));
    if (this.connection) return Promise.resolve(this.connection);
    this.dialling ??= this.dialWithBackoff(budgetMs).finally(() => (this.dialling = undefined));
    return this.dialling;
  }

  private async dialWithBackoff(budgetMs: number): Promise<Connection> {
    const reconnected = this.logins > 0;
    const deadline = Date.now() + budgetMs;
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      this.set({ kind: 'connecting', attempt });
      try {
        const connection = await this.dial();
        if (this.closed) {
          for (const c of connection.clients) c.end();
          throw new EngineUnreachableError(this.host, 'the ssh tunnel is closed');
        }
        this.connection = connection;
        this.set({ kind: 'connected', since: new Date(), reconnected });
        return connection;
      } catch (err) {
        const error = err instanceof EngineError ? err : new EngineUnreachableError(this.host, String(err), err);
        const left = deadline - Date.now();
        if (!RETRYABLE(error) || left <= 0 || this.closed) {
          const final =
            attempt > 1 && RETRYABLE(error)
              ? new EngineUnreachableError(
                  this.host,
                  `the ssh connection dropped and could not be made again within ${Math.round(budgetMs / 1000)} s (${attempt} attempts): ${error.message}`,
                  error,
                )
              : error;
          this.set({ kind: 'down', error: final });
          throw final;
        }
        this.log(`ssh ${this.host}: attempt ${attempt} failed (${error.message}); again in ${delay} ms`);
        await new Promise((r) => setTimeout(r, Math.min(delay, left)));
        delay = Math.min(delay * 2, 4000);
      }
    }
  }

  /** Forget the connection (it dropped, or is closing); the next channel re-dials. */
  private drop(error: EngineError | undefined): void {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      for (const c of [...connection.clients].reverse()) c.end();
      if (!this.closed) this.set({ kind: 'down', ...(error ? { error } : {}) });
    }
  }

  /** Log in through every hop; the last hop's client carries the engine's channels. */
  private async dial(): Promise<Connection> {
    const clients: Client[] = [];
    try {
      let sock: Duplex | undefined;
      const hops = this.route.hops;
      for (const [i, hop] of hops.entries()) {
        const client = await this.login(hop, sock);
        clients.push(client);
        const next = hops[i + 1];
        if (next) {
          sock = await this.openChannel((cb) => client.forwardOut('127.0.0.1', 0, next.host, next.port, cb)).catch((err: unknown) => {
            throw new EngineUnreachableError(
              this.host,
              `the jump host ${hopLabel(hop)} could not connect to ${next.host}:${next.port}: ${(err as Error).message}`,
              err,
            );
          });
        }
      }
      const client = clients[clients.length - 1] as Client;
      const connection: Connection = { client, clients };
      for (const c of clients) {
        c.on('close', () => {
          if (this.connection === connection) {
            this.log(`ssh ${this.host}: the connection closed`);
            this.drop(new EngineUnreachableError(this.host, 'the ssh connection closed'));
          }
        });
      }
      return connection;
    } catch (err) {
      for (const c of clients.reverse()) c.end();
      throw err;
    }
  }

  private knownHostsFor(hop: SshHop): string[] {
    const home = this.options.homeDir ?? os.homedir();
    if (this.options.knownHostsFiles) return [...this.options.knownHostsFiles];
    if (hop.knownHostsFiles.length > 0) return [...hop.knownHostsFiles, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];
    return defaultKnownHostsFiles(home);
  }

  /** One ssh login (over `sock` when it goes through a jump host), bounded by connectTimeoutMs. */
  private async login(hop: SshHop, through: Duplex | undefined): Promise<Client> {
    const guard = new HostKeyGuard(
      this.host,
      {
        host: hop.host,
        port: hop.port,
        username: hop.username,
        files: this.knownHostsFor(hop),
      },
      hop.strictHostKeyChecking,
      (line) => this.log(line),
    );
    const agent = this.options.env?.SSH_AUTH_SOCK;
    const { methods, tried } = authMethods(hop, agent, (file) => {
      try {
        return fs.readFileSync(file);
      } catch {
        return undefined;
      }
    });
    const sock = through ?? (await this.tcp(hop));
    const prefer = preferredHostKeyAlgorithms(guard.entries(), hop.host, hop.port);
    const client = new ssh2.Client();
    const config: ConnectConfig = {
      sock,
      host: hop.host,
      port: hop.port,
      username: hop.username,
      hostVerifier: guard.verify,
      readyTimeout: this.connectTimeoutMs,
      authHandler: methods,
      ...(prefer.length > 0 ? { algorithms: { serverHostKey: { prepend: prefer } } as unknown as Algorithms } : {}),
    };
    return new Promise<Client>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        client.end();
        sock.destroy();
        reject(this.loginError(hop, guard, tried, err));
      };
      client.once('ready', () => {
        if (settled) return;
        settled = true;
        this.logins++;
        client.on('error', (err) => this.log(`ssh ${this.host}: ${err.message}`));
        resolve(client);
      });
      client.on('error', fail);
      client.once('close', () => fail(new Error('the ssh server closed the connection during login')));
      if (methods.length === 0) {
        fail(Object.assign(new Error('no authentication methods'), { level: 'client-authentication' }));
        return;
      }
      client.connect(config);
    });
  }

  /** A TCP connection to a hop, bounded; unref'd so an idle tunnel does not keep the process alive. */
  private tcp(hop: SshHop): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: hop.host, port: hop.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new EngineUnreachableError(this.host, `no answer from ${hop.host}:${hop.port} within ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setKeepAlive(true, 15_000);
        socket.setNoDelay(true);
        socket.unref();
        resolve(socket);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new EngineUnreachableError(
            this.host,
            `ssh connection to ${hop.host}:${hop.port} failed (${err.code === 'ECONNREFUSED' ? 'connection refused' : err.code === 'ENOTFOUND' ? 'host name not found' : err.message})`,
            err,
          ),
        );
      });
    });
  }

  private loginError(hop: SshHop, guard: HostKeyGuard, tried: readonly string[], err: unknown): EngineError {
    if (err instanceof EngineError) return err;
    const refused = guard.explain(err);
    if (refused) return refused;
    const { level, message } = (err ?? {}) as { level?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : String(err);
    if (level === 'client-authentication') {
      return new SshAuthError(
        this.host,
        `${lookupName(hop.host, hop.port)} refused the ssh login as ${hop.username}: tried ${tried.length > 0 ? tried.join(', ') : 'nothing (no SSH_AUTH_SOCK, and no identity file could be read)'}. ` +
          `Check that the key is in ~/.ssh/authorized_keys of ${hop.username} there, or set IdentityFile for ${hop.alias} in ~/.ssh/config.`,
        err,
      );
    }
    if (level === 'client-timeout' || /timed out/i.test(text)) {
      return new EngineUnreachableError(
        this.host,
        `${hopLabel(hop)} did not complete the ssh handshake within ${this.connectTimeoutMs} ms (is it an ssh server?)`,
        err,
      );
    }
    return new EngineUnreachableError(this.host, `ssh connection to ${hopLabel(hop)} failed: ${text}`, err);
  }
}

function poolKey(options: SshTunnelOptions): string {
  return JSON.stringify([
    options.endpointHost,
    options.env?.SSH_AUTH_SOCK ?? '',
    options.knownHostsFiles ?? null,
    options.sshConfigFile ?? null,
    options.homeDir ?? null,
  ]);
}

/**
 * Tunnels shared by the engines of one endpoint, so that a session that reconnects, or a second
 * client of the same engine, reuses the one ssh connection. Owned by a service; the last engine to
 * let go of a tunnel closes it.
 */
export class SshTunnelPool {
  private readonly tunnels = new Map<string, { tunnel: SshTunnel; users: number }>();

  /** The tunnel for an endpoint, made on first use; give it back with release. */
  acquire(options: SshTunnelOptions): SshTunnel {
    const key = poolKey(options);
    const entry = this.tunnels.get(key);
    if (entry && entry.tunnel.state.kind !== 'closed') {
      entry.users++;
      return entry.tunnel;
    }
    const tunnel = new SshTunnel(options);
    this.tunnels.set(key, { tunnel, users: 1 });
    return tunnel;
  }

  /** One user fewer; the last one closes the tunnel. */
  release(tunnel: SshTunnel): void {
    for (const [key, entry] of this.tunnels) {
      if (entry.tunnel !== tunnel) continue;
      entry.users--;
      if (entry.users <= 0) {
        this.tunnels.delete(key);
        tunnel.close();
      }
      return;
    }
    tunnel.close();
  }

  /** Close every tunnel (the extension is deactivating). */
  dispose(): void {
    for (const { tunnel } of this.tunnels.values()) tunnel.close();
    this.tunnels.clear();
  }
}
