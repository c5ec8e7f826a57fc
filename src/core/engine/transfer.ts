/**
 * Push and pull through the engine (POST /images/{name}/push, POST /images/create), with the
 * credential in X-Registry-Auth (never in a URL or a log). The engine reports per-layer progress
 * in its JSON stream ("Preparing", "Pushing 12 MB/170 MB", "Pushed", "Layer already exists",
 * "Downloading", "Extracting", "Pull complete"): it is folded into one TransferProgress (layers
 * done of all, bytes) for a progress bar. The engine answers 200 and reports a failure inside the
 * stream (`errorDetail`): that becomes a TransferError with its reason. Cancelling tears the
 * request down; the engine then abandons the transfer.
 */
import type { Readable } from 'node:stream';
import { dockerodeOf, type Engine } from './engine';
import { CancelledError, EngineError } from './errors';
import { jsonLines } from './streams';

/** The engine's AuthConfig for one registry, in Berth's names. */
export interface RegistryAuth {
  /** The registry as the engine names it: host[:port], or https://index.docker.io/v1/ for Docker Hub. */
  readonly serverAddress: string;
  readonly username?: string;
  readonly password?: string;
  /** An identity (refresh) token instead of a password. */
  readonly identityToken?: string;
}

export interface LayerProgress {
  /** The short layer id the engine prints. */
  readonly id: string;
  /** The engine's last word on it: Preparing, Waiting, Pushing, Pushed, Layer already exists, Downloading, Extracting, Pull complete, … */
  readonly status: string;
  readonly current?: number;
  readonly total?: number;
  readonly done: boolean;
}

export interface TransferProgress {
  readonly kind: 'push' | 'pull';
  readonly ref: string;
  readonly layers: readonly LayerProgress[];
  readonly layersDone: number;
  readonly layersTotal: number;
  /** Bytes moved, over the layers whose size is known so far (a done layer counts whole). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The last line that is not about one layer, e.g. "The push refers to repository […]". */
  readonly status?: string;
}

export interface TransferOptions {
  readonly auth?: RegistryAuth;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TransferProgress) => void;
}

export interface TransferResult {
  readonly ref: string;
  /** The manifest's digest (sha256:…): always for a push; for a pull when the engine said it. */
  readonly digest?: string;
}

export type TransferFailure = 'unauthorized' | 'denied' | 'not-found' | 'no-space' | 'failed';

export class TransferError extends EngineError {
  constructor(
    readonly reason: TransferFailure,
    readonly ref: string,
    readonly kind: 'push' | 'pull',
    /** The engine's own message. */
    readonly engineMessage: string,
  ) {
    super('request', transferMessage(reason, ref, kind, engineMessage));
  }
}

/** A cancelled push: the registry writes the tag only after every layer, so it holds no partial tag. */
export class TransferCancelledError extends CancelledError {
  constructor(
    readonly ref: string,
    readonly kind: 'push' | 'pull',
    cause?: unknown,
  ) {
    super(`the ${kind} of ${ref}`, cause);
    this.message =
      kind === 'push'
        ? `The push of ${ref} was cancelled. The registry was not given the tag (a tag is written only after all layers); layers already uploaded stay until its garbage collection.`
        : `The pull of ${ref} was cancelled; the image was not tagged locally.`;
  }
}

function transferMessage(reason: TransferFailure, ref: string, kind: 'push' | 'pull', said: string): string {
  const verb = kind === 'push' ? 'Push of' : 'Pull of';
  switch (reason) {
    case 'unauthorized':
      return `${verb} ${ref} failed: the registry needs valid credentials (${said}). Log in to the registry and try again.`;
    case 'denied':
      return `${verb} ${ref} was denied by the registry (${said}): this account may not ${kind} that repository.`;
    case 'not-found':
      return kind === 'push'
        ? `${verb} ${ref} failed: ${said}.`
        : `${verb} ${ref} failed: the registry has no such repository or tag (${said}).`;
    case 'no-space':
      return `${verb} ${ref} failed: no space left on device — free space on the ${kind === 'pull' ? "engine's" : "registry's"} disk and try again (${said}).`;
    default:
      return `${verb} ${ref} failed: ${said}`;
  }
}

/** Which failure an `errorDetail` message is (the engine's and the registry's wording). */
export function classifyTransferError(message: string): TransferFailure {
  if (/no space left on device/i.test(message)) return 'no-space';
  if (/unauthorized|authentication required|no basic auth credentials|incorrect username or password/i.test(message)) return 'unauthorized';
  if (/denied/i.test(message)) return 'denied';
  if (/manifest unknown|not found|does not exist|no such image|unknown blob|name unknown/i.test(message)) return 'not-found';
  return 'failed';
}

/** repo, tag and digest of a reference; the tag separator is the last ':' after the last '/'. */
export function splitReference(ref: string): { repo: string; tag?: string; digest?: string } {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const colon = rest.lastIndexOf(':');
  const slash = rest.lastIndexOf('/');
  const tag = colon > slash ? rest.slice(colon + 1) : undefined;
  const repo = colon > slash ? rest.slice(0, colon) : rest;
  return { repo, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The engine's AuthConfig from a username and secret (username `<token>`: an identity token, the CLI's convention). */
export function toRegistryAuth(serverAddress: string, cred: { readonly username: string; readonly secret: string }): RegistryAuth {
  return cred.username === '<token>'
    ? { serverAddress, identityToken: cred.secret }
    : { serverAddress, username: cred.username, password: cred.secret };
}

/**
 * The X-Registry-Auth JSON the engine expects. Without credentials it is `{}`, as the CLI sends:
 * an engine of API 1.41 refuses a push without the header ("missing X-Registry-Auth").
 */
function engineAuth(auth: RegistryAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  return {
    serveraddress: auth.serverAddress,
    ...(auth.username === undefined ? {} : { username: auth.username }),
    ...(auth.password === undefined ? {} : { password: auth.password }),
    ...(auth.identityToken === undefined ? {} : { identitytoken: auth.identityToken }),
  };
}

interface RawTransferMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

const LAYER_STATUSES =
  /^(Preparing|Waiting|Pushing|Pushed|Layer already exists|Mounted from .*|Pulling fs layer|Downloading|Verifying Checksum|Download complete|Extracting|Pull complete|Already exists|Retrying in .*)$/;
const LAYER_DONE = /^(Pushed|Layer already exists|Mounted from .*|Pull complete|Already exists)$/;
const DIGEST = /(?:^|\s)digest: (sha256:[0-9a-f]{64})/i;

/** Folds the engine's messages into one TransferProgress (exported for tests of the parser alone). */
export class TransferTracker {
  readonly #layers = new Map<string, { status: string; current?: number; total?: number; done: boolean }>();
  #status: string | undefined;
  digest: string | undefined;

  constructor(
    readonly kind: 'push' | 'pull',
    readonly ref: string,
  ) {}

  /** Apply one message; true when the progress changed. Throws TransferError for an error message. */
  apply(message: RawTransferMessage): boolean {
    if (message.error !== undefined || message.errorDetail !== undefined) {
      const said = (message.errorDetail?.message ?? message.error ?? 'unknown error').trim();
      throw new TransferError(classifyTransferError(said), this.ref, this.kind, said);
    }
    if (message.aux?.Digest) this.digest = message.aux.Digest;
    const status = message.status;
    if (status === undefined) return false;
    const digest = DIGEST.exec(status)?.[1];
    if (digest) this.digest = digest;
    if (message.id !== undefined && LAYER_STATUSES.test(status)) {
      const layer = this.#layers.get(message.id) ?? { status, done: false };
      layer.status = status;
      const detail = message.progressDetail;
      // bytes count from the transfer itself (push: Pushing; pull: Downloading), not from Extracting
      if ((status === 'Pushing' || status === 'Downloading') && detail) {
        if (typeof detail.total === 'number' && detail.total > 0) layer.total = detail.total;
        if (typeof detail.current === 'number') layer.current = detail.current;
      } else if (status === 'Extracting' && layer.total === undefined && typeof detail?.total === 'number' && detail.total > 0) {
        // a layer small enough to come in one read is never reported Downloading
        layer.total = detail.total;
      }
      if (LAYER_DONE.test(status)) {
        layer.done = true;
        if (layer.total !== undefined) layer.current = layer.total;
      }
      this.#layers.set(message.id, layer);
      return true;
    }
    this.#status = status;
    return true;
  }

  progress(): TransferProgress {
    const layers: LayerProgress[] = [...this.#layers].map(([id, l]) => ({
      id,
      status: l.status,
      done: l.done,
      ...(l.current === undefined ? {} : { current: l.current }),
      ...(l.total === undefined ? {} : { total: l.total }),
    }));
    let bytesDone = 0;
    let bytesTotal = 0;
    for (const l of layers) {
      if (l.total === undefined) continue;
      bytesTotal += l.total;
      bytesDone += Math.min(l.current ?? 0, l.total);
    }
    return {
      kind: this.kind,
      ref: this.ref,
      layers,
      layersDone: layers.filter((l) => l.done).length,
      layersTotal: layers.length,
      bytesDone,
      bytesTotal,
      ...(this.#status === undefined ? {} : { status: this.#status }),
    };
  }
}

async function follow(
  engine: Engine,
  kind: 'push' | 'pull',
  ref: string,
  options: TransferOptions,
  open: (signal: AbortSignal | undefined) => Promise<NodeJS.ReadableStream>,
): Promise<TransferResult> {
  const { signal } = options;
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) throw new TransferCancelledError(ref, kind);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await open(signal);
  } catch (err) {
    if (aborted()) throw new TransferCancelledError(ref, kind, err);
    const translated = engine.translate(err, `${kind} ${ref}`);
    // the engine refused before streaming (a pull's unknown tag or wrong password, a push of a missing image)
    if (translated.statusCode !== undefined)
      throw new TransferError(classifyTransferError(translated.message), ref, kind, translated.message);
    throw translated;
  }
  const tracker = new TransferTracker(kind, ref);
  // a push whose digest was reported has put its manifest: the tag exists, a late cancel changes nothing
  const pushed = (): boolean => kind === 'push' && tracker.digest !== undefined;
  try {
    for await (const message of jsonLines<RawTransferMessage>(stream as AsyncIterable<Buffer>)) {
      if (tracker.apply(message)) options.onProgress?.(tracker.progress());
    }
  } catch (err) {
    if (err instanceof TransferError) throw err;
    if (aborted() && !pushed()) throw new TransferCancelledError(ref, kind, err);
    if (!aborted()) throw engine.translate(err, `${kind} ${ref}`);
  } finally {
    (stream as Readable).destroy();
  }
  if (aborted() && !pushed()) throw new TransferCancelledError(ref, kind);
  if (kind === 'push' && tracker.digest === undefined) {
    throw new TransferError('failed', ref, kind, 'the engine ended the push without reporting a digest');
  }
  return { ref, ...(tracker.digest === undefined ? {} : { digest: tracker.digest }) };
}

/** Push a local image (repo:tag) to its registry; resolves with the pushed manifest's digest. */
export function pushImage(engine: Engine, ref: string, options: TransferOptions = {}): Promise<TransferResult & { digest: string }> {
  const { repo, tag } = splitReference(ref);
  return follow(engine, 'push', ref, options, async (signal) => {
    const docker = dockerodeOf(engine);
    return docker.getImage(repo).push({
      tag: tag ?? 'latest',
      authconfig: engineAuth(options.auth),
      ...(signal ? { abortSignal: signal } : {}),
    });
  }) as Promise<TransferResult & { digest: string }>;
}

/** Pull an image (repo:tag or repo@digest) into the engine. */
export function pullImage(engine: Engine, ref: string, options: TransferOptions = {}): Promise<TransferResult> {
  const { repo, tag, digest } = splitReference(ref);
  return follow(engine, 'pull', ref, options, async (signal) => {
    const docker = dockerodeOf(engine);
    const create = docker.createImage.bind(docker) as (auth: object | undefined, opts: object) => Promise<NodeJS.ReadableStream>;
    return create(engineAuth(options.auth), {
      fromImage: repo,
      tag: digest ?? tag ?? 'latest',
      ...(signal ? { abortSignal: signal } : {}),
    });
  });
}

/** Tag a local image as `target` (repo[:tag], the tag defaulting to latest). */
export function tagImage(engine: Engine, source: string, target: string, signal?: AbortSignal): Promise<void> {
  const { repo, tag } = splitReference(target);
  return engine.tagImage(source, { repo, tag: tag ?? 'latest' }, signal);
}
