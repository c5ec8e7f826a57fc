import * as vscode from 'vscode';
import { RegistryClient } from '../../core/registry/client';
import {
  CredentialHelperError,
  credentialsFor,
  eraseCredentials,
  helperFor,
  storeCredentials,
  type RegistryCredential,
} from '../../core/registry/credentials';
import {
  displayServer,
  listRegistries,
  normaliseServer,
  readDockerConfig,
  registryOfReference,
  type DockerConfig,
  type RegistryEntry,
} from '../../core/registry/dockerConfig';
import { toRegistryAuth, type RegistryAuth } from '../../core/engine/transfer';
import { ModelDigests, type CachedDigest } from '../../core/project/release';

/** A registry the view lists: from the docker config, or logged in to through Berth (SecretStorage). */
export interface KnownRegistry {
  readonly server: string;
  readonly display: string;
  readonly source: RegistryEntry['source'] | 'berth';
  readonly helper?: string;
}

const SECRET_PREFIX = 'berth.registry.credential:';
const SERVERS_KEY = 'berth.registries.servers';
const REPOSITORIES_KEY = 'berth.registries.repositories';
const DIGESTS_KEY = 'berth.release.modelDigests';

/** Where a login was kept: the docker credential store (named) or VS Code's SecretStorage. */
export type StoredIn = { readonly kind: 'helper'; readonly helper: string } | { readonly kind: 'secrets' };

/**
 * Registries and their credentials, shared by the Registries view, Log In, push, pull and
 * releases. Credentials live in the docker credential store when the docker config names one
 * (credsStore / credHelpers), else in SecretStorage (one key per server); the names of the servers
 * logged in through Berth and the repositories added by hand are kept in globalState (no secrets).
 */
export class Registries implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a login, logout or remembered repository changes what the view shows. */
  readonly onDidChange = this.changed.event;
  /** The models' sha256, computed once per file version (kept in the workspace's state). */
  readonly digests: ModelDigests;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    const state = context.workspaceState;
    this.digests = new ModelDigests({
      get: (file) => state.get<Record<string, CachedDigest>>(DIGESTS_KEY, {})[file],
      set: (file, digest) =>
        void state.update(DIGESTS_KEY, { ...state.get<Record<string, CachedDigest>>(DIGESTS_KEY, {}), [file]: digest }),
    });
  }

  /** The docker config as the CLI reads it ($DOCKER_CONFIG, else ~/.docker). */
  config(): Promise<DockerConfig> {
    return readDockerConfig(this.env);
  }

  private berthServers(): string[] {
    return this.context.globalState.get<string[]>(SERVERS_KEY, []);
  }

  /** Every registry to show: the docker config's, then those logged in through Berth. */
  async list(): Promise<KnownRegistry[]> {
    const config = await this.config();
    const entries: KnownRegistry[] = listRegistries(config).map((e) => ({
      server: e.server,
      display: e.display,
      source: e.source,
      ...(e.helper ? { helper: e.helper } : {}),
    }));
    for (const server of this.berthServers()) {
      if (!entries.some((e) => e.server === server)) entries.push({ server, display: displayServer(server), source: 'berth' });
    }
    return entries;
  }

  private async secret(server: string): Promise<RegistryCredential | undefined> {
    const text = await this.context.secrets.get(SECRET_PREFIX + server);
    if (!text) return undefined;
    const parsed = JSON.parse(text) as Partial<RegistryCredential>;
    return typeof parsed.username === 'string' && typeof parsed.secret === 'string'
      ? { username: parsed.username, secret: parsed.secret }
      : undefined;
  }

  /** The credential for a server: the docker config's (auths or its helper), else Berth's SecretStorage. */
  async credential(server: string): Promise<RegistryCredential | undefined> {
    const key = normaliseServer(server);
    return credentialsFor(await this.config(), key, (s) => this.secret(s), { env: this.env });
  }

  /** A Registry API client for a server, with its credential. */
  async client(server: string): Promise<RegistryClient> {
    const credential = await this.credential(server);
    return new RegistryClient({ server, ...(credential ? { credential } : {}) });
  }

  /** The engine's authconfig for pushing or pulling a reference (undefined: anonymous). */
  async authFor(ref: string): Promise<RegistryAuth | undefined> {
    const server = registryOfReference(ref);
    const credential = await this.credential(server);
    return credential ? toRegistryAuth(server, credential) : undefined;
  }

  /**
   * Verify the credential against the registry, then keep it: the docker credential store when one
   * is configured, else SecretStorage. A refused credential throws (the registry's typed error) and
   * nothing is stored.
   */
  async login(server: string, credential: RegistryCredential, signal?: AbortSignal): Promise<StoredIn> {
    const key = normaliseServer(server);
    await new RegistryClient({ server: key, credential }).ping(signal);
    const config = await this.config();
    const inHelper = await storeCredentials(config, key, credential, { env: this.env });
    if (!inHelper) await this.context.secrets.store(SECRET_PREFIX + key, JSON.stringify(credential));
    await this.context.globalState.update(SERVERS_KEY, [...new Set([...this.berthServers(), key])]);
    this.changed.fire();
    return inHelper ? { kind: 'helper', helper: helperFor(config, key) ?? 'credential helper' } : { kind: 'secrets' };
  }

  /** Erase the credential wherever Berth could have kept it. */
  async logout(server: string): Promise<void> {
    const key = normaliseServer(server);
    try {
      await eraseCredentials(await this.config(), key, { env: this.env });
    } catch (err) {
      // the helper has nothing for it (the login may be in SecretStorage): that is logged out too
      if (!(err instanceof CredentialHelperError && /credentials not found/i.test(err.message))) throw err;
    }
    await this.context.secrets.delete(SECRET_PREFIX + key);
    await this.context.globalState.update(
      SERVERS_KEY,
      this.berthServers().filter((s) => s !== key),
    );
    this.changed.fire();
  }

  /** Repositories added by hand (registries without a catalog) or pushed to through Berth. */
  rememberedRepositories(server: string): string[] {
    return this.context.globalState.get<Record<string, string[]>>(REPOSITORIES_KEY, {})[normaliseServer(server)] ?? [];
  }

  async rememberRepository(server: string, repository: string): Promise<void> {
    const key = normaliseServer(server);
    const all = this.context.globalState.get<Record<string, string[]>>(REPOSITORIES_KEY, {});
    if (all[key]?.includes(repository)) return;
    await this.context.globalState.update(REPOSITORIES_KEY, { ...all, [key]: [...(all[key] ?? []), repository].sort() });
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
