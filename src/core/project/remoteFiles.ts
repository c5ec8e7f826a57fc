/**
 * Files for an engine on another machine. A run bind-mounts folders and a model file of this
 * machine, which do not exist on a remote host; there they go into named volumes instead, through
 * the Engine API only: a short-lived helper container (the run's own image, never started) with
 * the volume mounted, a tar put into it, the helper removed.
 *
 * - A read-only folder (the workspace, data/) is uploaded as its .dockerignore leaves it, into a
 *   volume labelled with a digest of its manifest (paths, sizes, modification times): an
 *   unchanged folder is found by that label and not sent again; the folder's older volume goes.
 * - A read-only model file goes into a volume per sha256 of its content, found by that digest on
 *   every later run, mounted at the folder of the path the bind mount had, so the file keeps its path.
 *   Several model files mounted in one folder (a profile's `models:`, all in /models) share one
 *   volume, per digest of their names and contents, so each keeps its path too.
 * - A writable folder (a batch job's output/, a comparison's scratch folder) is a fresh volume
 *   per run, writable by any user as /tmp is; what the run wrote is read back with an archive and
 *   unpacked into the local folder, bounded in size, then the volume is removed.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import * as tarFs from 'tar-fs';
import * as tarStream from 'tar-stream';
import { isLocalEndpoint, type EngineEndpoint } from '../engine/connection';
import type { ContainerCreateOptions, Engine } from '../engine/engine';
import { BERTH_LABEL } from '../engine/labels';
import type { RunPlan } from '../engine/run';
import { scanContext } from './buildContext';
import { sha256File } from './release';

/** berth.engine.remoteFiles: auto uploads when the engine is not on this machine. */
export type RemoteFilesSetting = 'auto' | 'upload' | 'bind';

export function remoteFilesMode(setting: RemoteFilesSetting, endpoint: EngineEndpoint): 'upload' | 'bind' {
  if (setting !== 'auto') return setting;
  return isLocalEndpoint(endpoint) ? 'bind' : 'upload';
}

/** Labels on the volumes (and helpers) made here, besides berth.managed and berth.project. */
export const FILES_LABEL = {
  /** folder | model | output | helper */
  role: 'berth.files.role',
  /** sha256:… of a folder's manifest or of a model file's content. */
  digest: 'berth.files.digest',
  /** The local folder (folder, output) or the model's file name in its volume (model). */
  source: 'berth.files.source',
} as const;

/** Where the helper container mounts a volume it fills or reads. */
const HELPER_MOUNT = '/berth-files';
/** A writable volume is first mounted here in its helper: the engine gives an empty volume the image's /tmp mode (1777). */
const WRITABLE_MOUNT = '/tmp';
/** What a run may write and have brought back, by default (bytes). */
export const DEFAULT_MAX_RESULT_BYTES = 2 * 2 ** 30;

export class RemoteFilesError extends Error {
  override readonly name = 'RemoteFilesError';
}

/** One entry of a run's Binds. */
export interface HostBind {
  /** An absolute path on this machine, or a named volume. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export function parseBind(bind: string): HostBind {
  const [source = '', target = '', options = ''] = bind.split(':');
  return { source, target, readOnly: options.split(',').includes('ro') };
}

/** What happens to each of a run's Binds on a remote engine. */
export type MountStep =
  /** A named volume: the engine has it already. */
  | { readonly kind: 'keep'; readonly bind: string }
  /** A read-only folder: uploaded (as its .dockerignore leaves it) unless an unchanged copy is there. */
  | { readonly kind: 'folder'; readonly source: string; readonly target: string }
  /** A read-only file: uploaded once per content digest, its volume mounted at the target's folder. */
  | { readonly kind: 'model'; readonly source: string; readonly target: string; readonly mountAt: string; readonly fileName: string }
  /** Read-only files mounted in one folder: uploaded together once per digest of their names and contents. */
  | { readonly kind: 'models'; readonly files: readonly ModelFile[]; readonly mountAt: string }
  /** A writable folder: a fresh volume, its contents brought back after the run. */
  | { readonly kind: 'output'; readonly source: string; readonly target: string };

/** A model file and its name in the container's folder. */
export interface ModelFile {
  readonly source: string;
  readonly fileName: string;
}

export type PathKind = 'file' | 'dir' | undefined;

export const pathKind = (p: string): PathKind => {
  try {
    const stat = fs.statSync(p);
    return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
};

/** Which of a run's Binds become volumes, and how. Pure but for `kind`, which says what a local path is. */
export function planMounts(binds: readonly string[], kind: (p: string) => PathKind = pathKind): MountStep[] {
  const steps = binds.map((bind): MountStep => {
    const b = parseBind(bind);
    if (!path.posix.isAbsolute(b.source) && !path.isAbsolute(b.source)) return { kind: 'keep', bind };
    const what = kind(b.source);
    if (!b.readOnly) {
      if (what === 'file')
        throw new RemoteFilesError(
          `${b.source} is mounted writable at ${b.target}: on a remote engine Berth brings back folders, not single files. Mount its folder, or make it read-only.`,
        );
      return { kind: 'output', source: b.source, target: b.target };
    }
    if (what === 'dir') return { kind: 'folder', source: b.source, target: b.target };
    if (what === 'file') {
      const mountAt = path.posix.dirname(b.target);
      if (mountAt === '/')
        throw new RemoteFilesError(
          `The model ${b.source} is mounted at ${b.target}: on a remote engine it goes into a volume mounted at its folder, so give it a folder of its own (e.g. /models/${path.posix.basename(b.target)}).`,
        );
      return { kind: 'model', source: b.source, target: b.target, mountAt, fileName: path.posix.basename(b.target) };
    }
    throw new RemoteFilesError(`${b.source} (mounted at ${b.target}) does not exist on this machine, so there is nothing to upload.`);
  });
  const grouped = groupModels(steps);
  const targets = grouped.map((s) =>
    s.kind === 'keep' ? parseBind(s.bind).target : s.kind === 'model' || s.kind === 'models' ? s.mountAt : s.target,
  );
  const clash = targets.find((t, i) => targets.indexOf(t) !== i);
  if (clash !== undefined)
    throw new RemoteFilesError(
      `Two mounts would share ${clash} in the container once uploaded into volumes: give the model a folder of its own.`,
    );
  return grouped;
}

/** Model files mounted in the same folder become one step (one volume), in place of the first of them. */
function groupModels(steps: readonly MountStep[]): MountStep[] {
  const byFolder = new Map<string, ModelFile[]>();
  for (const s of steps) if (s.kind === 'model') byFolder.set(s.mountAt, [...(byFolder.get(s.mountAt) ?? []), s]);
  const out: MountStep[] = [];
  for (const s of steps) {
    const together = s.kind === 'model' ? byFolder.get(s.mountAt) : undefined;
    if (!together || together.length < 2) out.push(s);
    else if (together[0] === s)
      out.push({ kind: 'models', files: together.map((f) => ({ source: f.source, fileName: f.fileName })), mountAt: s.mountAt });
  }
  return out;
}

export interface ManifestEntry {
  /** Relative, with forward slashes. */
  readonly path: string;
  readonly bytes: number;
  readonly mtimeMs: number;
}

/** A folder's content as far as a re-upload is concerned: its path, and each file's path, size and modification time. */
export function manifestDigest(source: string, entries: readonly ManifestEntry[]): string {
  const hash = crypto.createHash('sha256').update(`berth-folder-v1\0${source}\n`);
  for (const e of [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)))
    hash.update(`${e.path}\0${e.bytes}\0${Math.trunc(e.mtimeMs)}\n`);
  return `sha256:${hash.digest('hex')}`;
}

/** The folder as .dockerignore leaves it, with modification times. */
export function folderManifest(source: string): ManifestEntry[] {
  return scanContext(source).files.map((f) => ({ ...f, mtimeMs: fs.lstatSync(path.join(source, f.path)).mtimeMs }));
}

/** A volume name the engine accepts, from a role, a digest and (for a model) the file name. */
export function volumeName(prefix: string, role: 'folder' | 'model' | 'output', id: string, fileName?: string): string {
  const hex = id.replace(/^sha256:/, '').slice(0, 16);
  const file = fileName ? `-${fileName.replace(/[^a-zA-Z0-9_.-]/g, '_')}` : '';
  return `${prefix}-${role}-${hex}${file}`.slice(0, 200);
}

export interface FilesProgress {
  readonly phase: 'upload' | 'download';
  /** What moves: the local folder or file. */
  readonly what: string;
  readonly bytes: number;
  readonly totalBytes?: number;
}

export interface FilesContext {
  /** The project folder (labelled berth.project). */
  readonly projectDir: string;
  /** The image the helpers are created from (the run's own, which the engine has). */
  readonly image: string;
  /** Labels added to every volume and helper (tests label theirs; lookups include them). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Volume name prefix (default "berth"). */
  readonly namePrefix?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FilesProgress) => void;
  /** Called with each upload started (what, the volume): a second run of an unchanged workspace calls it for nothing. */
  readonly onUpload?: (what: string, volume: string) => void;
}

/** What a run on a remote engine mounts instead, and what to bring back after it. */
export interface PlacedFiles {
  /** The plan with its Binds on volumes. */
  readonly plan: RunPlan;
  /** Writable folders: the volume and the local folder its contents go back to. */
  readonly outputs: readonly { readonly volume: string; readonly source: string }[];
  /** Volumes uploaded now (what was sent) and those found unchanged. */
  readonly uploaded: readonly string[];
  readonly reused: readonly string[];
}

/** Upload what the plan's Binds need and rewrite them onto volumes; nothing else in the plan changes. */
export async function placeFiles(engine: Engine, plan: RunPlan, ctx: FilesContext): Promise<PlacedFiles> {
  const steps = planMounts(plan.options.HostConfig?.Binds ?? []);
  const binds: string[] = [];
  const outputs: { volume: string; source: string }[] = [];
  const uploaded: string[] = [];
  const reused: string[] = [];
  const note = (r: { volume: string; uploaded: boolean }): string => {
    (r.uploaded ? uploaded : reused).push(r.volume);
    return r.volume;
  };
  try {
    for (const step of steps) {
      ctx.signal?.throwIfAborted();
      if (step.kind === 'keep') binds.push(step.bind);
      else if (step.kind === 'folder') binds.push(`${note(await ensureFolder(engine, step.source, ctx))}:${step.target}:ro`);
      else if (step.kind === 'model') binds.push(`${note(await ensureModel(engine, step.source, step.fileName, ctx))}:${step.mountAt}:ro`);
      else if (step.kind === 'models') binds.push(`${note(await ensureModels(engine, step.files, ctx))}:${step.mountAt}:ro`);
      else {
        const volume = await writableVolume(engine, step.source, ctx);
        outputs.push({ volume, source: step.source });
        binds.push(`${volume}:${step.target}`);
      }
    }
  } catch (err) {
    await removeOutputs(engine, { outputs });
    throw err;
  }
  const host = plan.options.HostConfig ?? {};
  return { plan: { ...plan, options: { ...plan.options, HostConfig: { ...host, Binds: binds } } }, outputs, uploaded, reused };
}

const labelFilter = (labels: Readonly<Record<string, string>>): string[] => Object.entries(labels).map(([k, v]) => `${k}=${v}`);

function baseLabels(ctx: FilesContext): Record<string, string> {
  return { ...(ctx.labels ?? {}), [BERTH_LABEL.managed]: 'true', [BERTH_LABEL.project]: ctx.projectDir };
}

/** A folder's volume: found by its manifest's digest, or made and filled now (older copies of the folder removed). */
export async function ensureFolder(
  engine: Engine,
  source: string,
  ctx: FilesContext,
): Promise<{ volume: string; uploaded: boolean; digest: string }> {
  const entries = folderManifest(source);
  const digest = manifestDigest(source, entries);
  const identity = { ...(ctx.labels ?? {}), [BERTH_LABEL.managed]: 'true', [FILES_LABEL.role]: 'folder', [FILES_LABEL.source]: source };
  const found = await engine.listVolumes({ filters: { label: labelFilter({ ...identity, [FILES_LABEL.digest]: digest }) } }, ctx.signal);
  const existing = found[0];
  if (existing) return { volume: existing.name, uploaded: false, digest };
  const volume = volumeName(ctx.namePrefix ?? 'berth', 'folder', digest);
  const totalBytes = entries.reduce((n, e) => n + e.bytes, 0);
  await fillVolume(
    engine,
    volume,
    { ...baseLabels(ctx), ...identity, [FILES_LABEL.digest]: digest },
    ctx,
    source,
    () => tarFs.pack(source, { entries: entries.map((e) => e.path), readable: true, map: ownedByRoot }),
    totalBytes,
  );
  // the folder's earlier copies, unless a container still uses one
  for (const old of await engine.listVolumes({ filters: { label: labelFilter(identity) } }).catch(() => []))
    if (old.name !== volume && old.labels[FILES_LABEL.digest] !== digest) await engine.removeVolume(old.name).catch(() => undefined);
  return { volume, uploaded: true, digest };
}

/** A model file's volume: one per sha256 of its content (and the name it has in the container), made once. */
export async function ensureModel(
  engine: Engine,
  source: string,
  fileName: string,
  ctx: FilesContext,
): Promise<{ volume: string; uploaded: boolean; digest: string }> {
  const digest = `sha256:${await sha256File(source, ctx.signal)}`;
  const identity = {
    ...(ctx.labels ?? {}),
    [BERTH_LABEL.managed]: 'true',
    [FILES_LABEL.role]: 'model',
    [FILES_LABEL.digest]: digest,
    [FILES_LABEL.source]: fileName,
  };
  const found = await engine.listVolumes({ filters: { label: labelFilter(identity) } }, ctx.signal);
  const existing = found[0];
  if (existing) return { volume: existing.name, uploaded: false, digest };
  const volume = volumeName(ctx.namePrefix ?? 'berth', 'model', digest, fileName);
  const size = fs.statSync(source).size;
  await fillVolume(engine, volume, { ...baseLabels(ctx), ...identity }, ctx, source, () => fileTar(source, fileName, size), size);
  return { volume, uploaded: true, digest };
}

/**
 * Model files that share a folder in the container: one volume per digest of their names and
 * contents, made once; an unchanged set is found by it on every later run.
 */
export async function ensureModels(
  engine: Engine,
  files: readonly ModelFile[],
  ctx: FilesContext,
): Promise<{ volume: string; uploaded: boolean; digest: string }> {
  const sorted = [...files].sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
  const hash = crypto.createHash('sha256').update('berth-models-v1\n');
  for (const f of sorted) hash.update(`${f.fileName}\0${await sha256File(f.source, ctx.signal)}\n`);
  const digest = `sha256:${hash.digest('hex')}`;
  const names = sorted.map((f) => f.fileName).join('+');
  const identity = {
    ...(ctx.labels ?? {}),
    [BERTH_LABEL.managed]: 'true',
    [FILES_LABEL.role]: 'model',
    [FILES_LABEL.digest]: digest,
    [FILES_LABEL.source]: names,
  };
  const found = await engine.listVolumes({ filters: { label: labelFilter(identity) } }, ctx.signal);
  const existing = found[0];
  if (existing) return { volume: existing.name, uploaded: false, digest };
  const volume = volumeName(ctx.namePrefix ?? 'berth', 'model', digest, names);
  const sized = sorted.map((f) => ({ ...f, size: fs.statSync(f.source).size }));
  const total = sized.reduce((n, f) => n + f.size, 0);
  const what = files.map((f) => f.source).join(', ');
  await fillVolume(engine, volume, { ...baseLabels(ctx), ...identity }, ctx, what, () => filesTar(sized), total);
  return { volume, uploaded: true, digest };
}

/** Files arrive owned by root and readable by all, whoever the container runs as (as a bind mount of the user's files reads). */
function ownedByRoot(header: tarFs.Headers): tarFs.Headers {
  return { ...header, uid: 0, gid: 0 };
}

/** One file as a tar, streamed. */
function fileTar(source: string, fileName: string, size: number): Readable {
  const pack = tarStream.pack();
  const entry = pack.entry({ name: fileName, size, mode: 0o644, mtime: fs.statSync(source).mtime, uid: 0, gid: 0 }, (err) => {
    if (err) pack.destroy(err);
    else pack.finalize();
  });
  fs.createReadStream(source)
    .on('error', (err) => pack.destroy(err))
    .pipe(entry);
  return pack;
}

/** Several files as one tar, streamed one after the other. */
function filesTar(files: readonly (ModelFile & { readonly size: number })[]): Readable {
  const pack = tarStream.pack();
  const next = (i: number): void => {
    const f = files[i];
    if (!f) {
      pack.finalize();
      return;
    }
    const header = { name: f.fileName, size: f.size, mode: 0o644, mtime: fs.statSync(f.source).mtime, uid: 0, gid: 0 };
    const entry = pack.entry(header, (err) => {
      if (err) pack.destroy(err);
      else next(i + 1);
    });
    fs.createReadStream(f.source)
      .on('error', (err) => pack.destroy(err))
      .pipe(entry);
  };
  next(0);
  return pack;
}

/** A tar stream counted as it goes. */
function counted(tar: Readable, onBytes: (n: number) => void): Readable {
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      onBytes(bytes);
      done(null, chunk);
    },
  });
  tar.on('error', (err) => counter.destroy(err));
  return tar.pipe(counter);
}

/** Create a volume and fill it through a helper; a volume whose upload failed is removed, so it is never taken for complete. */
async function fillVolume(
  engine: Engine,
  volume: string,
  labels: Record<string, string>,
  ctx: FilesContext,
  what: string,
  tar: () => Readable,
  totalBytes: number,
): Promise<void> {
  await engine.createVolume({ name: volume, labels }, ctx.signal);
  ctx.onUpload?.(what, volume);
  try {
    await withHelper(engine, ctx, `${volume}:${HELPER_MOUNT}`, async (helper) => {
      const stream = counted(tar(), (bytes) => ctx.onProgress?.({ phase: 'upload', what, bytes, totalBytes }));
      await engine.putArchiveStream(helper, HELPER_MOUNT, stream, ctx.signal);
    });
  } catch (err) {
    await engine.removeVolume(volume).catch(() => undefined);
    throw err;
  }
}

/** A fresh volume for what a run writes, writable by any user (the run's user is the image's, not this machine's). */
export async function writableVolume(engine: Engine, source: string, ctx: FilesContext): Promise<string> {
  const volume = volumeName(ctx.namePrefix ?? 'berth', 'output', crypto.randomBytes(8).toString('hex'));
  await engine.createVolume(
    { name: volume, labels: { ...baseLabels(ctx), [FILES_LABEL.role]: 'output', [FILES_LABEL.source]: source } },
    ctx.signal,
  );
  try {
    // an empty volume takes the mode of the image's folder it is first mounted on: /tmp's, 1777
    await withHelper(engine, ctx, `${volume}:${WRITABLE_MOUNT}`, () => Promise.resolve());
  } catch (err) {
    await engine.removeVolume(volume).catch(() => undefined);
    throw err;
  }
  return volume;
}

/** A container made only to reach a volume: never started, removed after. */
async function withHelper<T>(engine: Engine, ctx: FilesContext, bind: string, use: (id: string) => Promise<T>): Promise<T> {
  const options: ContainerCreateOptions = {
    Image: ctx.image,
    Entrypoint: ['/berth-files-helper-never-started'],
    Cmd: [],
    Labels: { ...baseLabels(ctx), [FILES_LABEL.role]: 'helper' },
    HostConfig: { Binds: [bind], NetworkMode: 'none' },
  };
  const id = await engine.createContainer(options, ctx.signal);
  try {
    return await use(id);
  } finally {
    await engine.removeContainer(id, { force: true }).catch(() => undefined);
  }
}

export interface BringBackOptions {
  /** Only this folder of the volume (relative), into the same folder under the local one. */
  readonly subPath?: string;
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: FilesProgress) => void;
}

/** What came back from a volume. */
export interface BroughtBack {
  readonly files: number;
  readonly bytes: number;
}

/**
 * A writable volume's contents unpacked into its local folder, as a bind mount would have left
 * them: files and folders only (links are skipped), nothing outside the folder, at most maxBytes.
 */
export async function bringBack(
  engine: Engine,
  output: { readonly volume: string; readonly source: string },
  ctx: Pick<FilesContext, 'image' | 'projectDir' | 'labels'>,
  options: BringBackOptions = {},
): Promise<BroughtBack> {
  const max = options.maxBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const sub = options.subPath ? path.posix.normalize(options.subPath).replace(/^\/+|\/+$/g, '') : '';
  if (sub.startsWith('..')) throw new RemoteFilesError(`${options.subPath} is outside the output folder.`);
  const inside = sub ? `${HELPER_MOUNT}/${sub}` : HELPER_MOUNT;
  const localRoot = sub ? path.join(output.source, ...sub.split('/')) : output.source;
  return withHelper(
    engine,
    { ...ctx, ...(options.signal ? { signal: options.signal } : {}) },
    `${output.volume}:${HELPER_MOUNT}:ro`,
    async (helper) => {
      const archive = await engine.getArchive(helper, inside, options.signal);
      return unpack(
        archive,
        localRoot,
        max,
        (bytes) => options.onProgress?.({ phase: 'download', what: output.source, bytes }),
        options.signal,
      );
    },
  );
}

/** Unpack an archive of one folder (its first path component stripped) into `dir`. */
export async function unpack(
  archive: Readable,
  dir: string,
  maxBytes: number,
  onBytes: (bytes: number) => void = () => undefined,
  signal?: AbortSignal,
): Promise<BroughtBack> {
  const root = path.resolve(dir);
  fs.mkdirSync(root, { recursive: true });
  const extract = tarStream.extract();
  let files = 0;
  let bytes = 0;
  const done = new Promise<BroughtBack>((resolve, reject) => {
    const fail = (err: Error): void => {
      archive.destroy();
      extract.destroy(err);
      reject(err);
    };
    const onAbort = (): void => fail(new RemoteFilesError('Bringing the results back was cancelled.'));
    signal?.addEventListener('abort', onAbort, { once: true });
    extract.on('entry', (header, stream, next) => {
      const rel = header.name
        .split('/')
        .slice(1)
        .filter((p) => p !== '' && p !== '.');
      const target = path.join(root, ...rel);
      if (rel.includes('..') || (target !== root && !target.startsWith(root + path.sep))) {
        stream.resume();
        return fail(new RemoteFilesError(`The results hold a path outside the output folder: ${header.name}`));
      }
      if (header.type === 'directory') {
        fs.mkdirSync(target, { recursive: true });
        stream.resume();
        stream.on('end', next);
        return;
      }
      if (header.type !== 'file') {
        stream.resume();
        stream.on('end', next);
        return;
      }
      bytes += header.size ?? 0;
      if (bytes > maxBytes) {
        stream.resume();
        return fail(
          new RemoteFilesError(
            `The run wrote more than ${Math.round(maxBytes / 2 ** 20)} MiB: Berth stopped bringing it back. What came back so far is in ${root}.`,
          ),
        );
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const out = fs.createWriteStream(target, { mode: (header.mode ?? 0o644) & 0o777 });
      stream.pipe(out);
      out.on('error', (err) => fail(err));
      out.on('finish', () => {
        files++;
        onBytes(bytes);
        if (header.mtime) fs.utimesSync(target, header.mtime, header.mtime);
        next();
      });
    });
    extract.on('finish', () => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ files, bytes });
    });
    extract.on('error', (err: Error) => fail(err));
    archive.on('error', (err) => fail(err));
  });
  archive.pipe(extract);
  return done;
}

/** Remove a run's writable volumes (after their contents came back, or when the run did not start). */
export async function removeOutputs(engine: Engine, placed: Pick<PlacedFiles, 'outputs'>): Promise<void> {
  for (const o of placed.outputs) await engine.removeVolume(o.volume).catch(() => undefined);
}

/** The earlier runs' writable volumes of the same local folder; one a container still uses stays. */
export async function removeStaleOutputs(
  engine: Engine,
  current: { readonly volume: string; readonly source: string },
  projectDir: string,
  labels: Readonly<Record<string, string>> = {},
): Promise<void> {
  const identity = {
    ...labels,
    [BERTH_LABEL.managed]: 'true',
    [BERTH_LABEL.project]: projectDir,
    [FILES_LABEL.role]: 'output',
    [FILES_LABEL.source]: current.source,
  };
  for (const old of await engine.listVolumes({ filters: { label: labelFilter(identity) } }).catch(() => []))
    if (old.name !== current.volume) await engine.removeVolume(old.name).catch(() => undefined);
}
