/**
 * A model release: an image re-labelled with what it serves (the model file and its sha256, the
 * git commit, the run profile) and tagged with a version. Labels are part of the image config, so
 * the release image is a one-line build `FROM <image>` plus `LABEL …`, through the engine's classic
 * builder with a context holding only that Dockerfile.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildImage, type BuildEvent } from '../engine/build';
import type { Engine } from '../engine/engine';

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** "v" when the tag was written v1.2.3. */
  readonly prefix: '' | 'v';
}

export type Bump = 'patch' | 'minor' | 'major';

const SEMVER = /^(v?)(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** A release tag (1.2.3 or v1.2.3); anything else (pre-releases, latest, a commit) is not one. */
export function parseSemver(tag: string): Semver | undefined {
  const m = SEMVER.exec(tag);
  if (!m) return undefined;
  return { prefix: m[1] === 'v' ? 'v' : '', major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4]) };
}

export function formatSemver(v: Semver): string {
  return `${v.prefix}${v.major}.${v.minor}.${v.patch}`;
}

function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The highest release among a repository's tags, or undefined when none is a release. */
export function latestRelease(tags: readonly string[]): Semver | undefined {
  let best: Semver | undefined;
  for (const tag of tags) {
    const v = parseSemver(tag);
    if (v && (!best || compareSemver(v, best) > 0)) best = v;
  }
  return best;
}

/** The next version after the latest release (its v prefix kept); the first release is 0.1.0 (1.0.0 for major). */
export function nextVersion(tags: readonly string[], bump: Bump = 'patch'): string {
  const latest = latestRelease(tags);
  if (!latest) return bump === 'major' ? '1.0.0' : '0.1.0';
  const next: Semver =
    bump === 'major'
      ? { ...latest, major: latest.major + 1, minor: 0, patch: 0 }
      : bump === 'minor'
        ? { ...latest, minor: latest.minor + 1, patch: 0 }
        : { ...latest, patch: latest.patch + 1 };
  return formatSemver(next);
}

/** A tag as Docker accepts it ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}) from `git describe` output. */
export function gitVersionTag(describe: string): string {
  const cleaned = describe
    .trim()
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[.-]+/, '');
  return (cleaned === '' ? 'dev' : cleaned).slice(0, 128);
}

/** A valid image tag? (the part after the colon) */
export function isValidTag(tag: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag);
}

/** What git says about the project for a release: the full commit, `describe`, the remote (without credentials). */
export interface GitRelease {
  readonly commit: string;
  readonly describe: string;
  readonly dirty: boolean;
  readonly remote?: string;
}

/** A remote URL fit for a label: user and password dropped (https://user:token@host/… → https://host/…). */
export function publicRemote(url: string): string | undefined {
  const trimmed = url.trim();
  if (trimmed === '') return undefined;
  try {
    const u = new URL(trimmed);
    if (u.protocol === 'file:') return undefined;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    // scp-like git@host:owner/repo.git carries no secret (keys live elsewhere); a local path is not a source
    return /^[\w.-]+@[\w.-]+:/.test(trimmed) ? trimmed : undefined;
  }
}

/** Read the git state of a project with the git CLI (no shell); undefined outside a repository. */
export async function gitRelease(folder: string): Promise<GitRelease | undefined> {
  const { execa } = await import('execa');
  const git = async (args: string[]): Promise<string | undefined> => {
    const r = await execa('git', args, { cwd: folder, timeout: 5000, reject: false });
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  };
  const commit = await git(['rev-parse', 'HEAD']);
  if (!commit) return undefined;
  const describe = (await git(['describe', '--tags', '--always', '--dirty'])) ?? commit.slice(0, 12);
  const status = (await git(['status', '--porcelain'])) ?? '';
  const remoteName = (await git(['remote']))?.split('\n')[0];
  const remote = remoteName ? await git(['remote', 'get-url', remoteName]) : undefined;
  const source = remote === undefined ? undefined : publicRemote(remote);
  return { commit, describe, dirty: status !== '', ...(source ? { remote: source } : {}) };
}

/** The labels a release carries (OCI's image annotations, as labels, and Berth's own). */
export const RELEASE_LABEL = {
  version: 'org.opencontainers.image.version',
  revision: 'org.opencontainers.image.revision',
  created: 'org.opencontainers.image.created',
  source: 'org.opencontainers.image.source',
  modelFile: 'berth.model.file',
  modelSha256: 'berth.model.sha256',
  profile: 'berth.profile',
} as const;

export interface ReleaseFacts {
  readonly version: string;
  readonly created: Date;
  readonly git?: GitRelease;
  /** The model file, relative to the project (forward slashes). */
  readonly modelFile?: string;
  readonly modelSha256?: string;
  readonly profile?: string;
}

export function releaseLabels(facts: ReleaseFacts): Record<string, string> {
  const labels: Record<string, string> = {
    [RELEASE_LABEL.version]: facts.version,
    [RELEASE_LABEL.created]: facts.created.toISOString(),
  };
  if (facts.git) labels[RELEASE_LABEL.revision] = facts.git.commit;
  if (facts.git?.remote) labels[RELEASE_LABEL.source] = facts.git.remote;
  if (facts.modelFile !== undefined) labels[RELEASE_LABEL.modelFile] = facts.modelFile;
  if (facts.modelSha256 !== undefined) labels[RELEASE_LABEL.modelSha256] = facts.modelSha256;
  if (facts.profile !== undefined) labels[RELEASE_LABEL.profile] = facts.profile;
  return labels;
}

/** The release labels among an image's labels, in RELEASE_LABEL's order, for a tooltip. */
export function releaseLabelsOf(labels: Readonly<Record<string, string>>): [string, string][] {
  return Object.values(RELEASE_LABEL).flatMap((k) => (labels[k] === undefined ? [] : [[k, labels[k]] as [string, string]]));
}

/** A Dockerfile string literal: quoted, with backslash, quote and $ escaped and line breaks flattened. */
function dockerfileString(value: string): string {
  return `"${value
    .replace(/[\r\n]+/g, ' ')
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')}"`;
}

/** `FROM <image>` and one LABEL instruction with every label. */
export function releaseDockerfile(baseImage: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${dockerfileString(k)}=${dockerfileString(v)}`);
  return `FROM ${baseImage}\n${pairs.length > 0 ? `LABEL ${pairs.join(' \\\n      ')}\n` : ''}`;
}

/**
 * Build the release image: `FROM base` + the labels, tagged `tag`. The context sent is a temporary
 * folder holding only the Dockerfile. Resolves to the new image's id.
 */
export async function buildReleaseImage(
  engine: Engine,
  options: {
    readonly base: string;
    readonly tag: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly signal?: AbortSignal;
    readonly onEvent?: (event: BuildEvent) => void;
  },
): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-release-'));
  try {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), releaseDockerfile(options.base, options.labels));
    return await buildImage(engine, {
      scan: { contextDir: dir, files: [{ path: 'Dockerfile' }] },
      dockerfile: 'Dockerfile',
      tag: options.tag,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A file's sha256 (hex), streamed. */
export async function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  const hash = crypto.createHash('sha256');
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** One cached digest: valid while the file keeps its size and modification time. */
export interface CachedDigest {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

/** Where digests are kept between uses (a Map, or the workspace's state). */
export interface DigestStore {
  get(file: string): CachedDigest | undefined;
  set(file: string, digest: CachedDigest): void;
}

/**
 * Model digests computed once per file version: the cache is keyed by absolute path and trusted
 * while size and mtime are unchanged (as make and git trust them).
 */
export class ModelDigests {
  /** How many digests were computed (not served from the cache). */
  computed = 0;

  constructor(private readonly store: DigestStore = new Map<string, CachedDigest>()) {}

  async sha256(file: string, signal?: AbortSignal): Promise<string> {
    const abs = path.resolve(file);
    const stat = await fs.promises.stat(abs);
    const cached = this.store.get(abs);
    if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs) return cached.sha256;
    const sha256 = await sha256File(abs, signal);
    this.computed += 1;
    this.store.set(abs, { size: stat.size, mtimeMs: stat.mtimeMs, sha256 });
    return sha256;
  }
}

/** The model path as a label: relative to the project, forward slashes. */
export function modelLabelPath(projectDir: string, modelFile: string): string {
  return path.relative(projectDir, path.resolve(projectDir, modelFile)).split(path.sep).join('/');
}

/** A version a release could take, as the version picker offers it. */
export interface VersionProposal {
  readonly version: string;
  readonly label: string;
  readonly detail: string;
}

/**
 * The versions to offer: the latest release bumped (patch first, then minor and major), then the
 * git version (describe: the nearest tag, commits since, the commit; -dirty when changed).
 */
export function versionProposals(tags: readonly string[], git: Pick<GitRelease, 'describe'> | undefined): VersionProposal[] {
  const latest = latestRelease(tags);
  const since = latest ? `after ${formatSemver(latest)}` : 'first release';
  const proposals: VersionProposal[] = (['patch', 'minor', 'major'] as const).map((bump) => ({
    version: nextVersion(tags, bump),
    label: nextVersion(tags, bump),
    detail: `${bump} ${since}`,
  }));
  if (git) {
    const version = gitVersionTag(git.describe);
    if (!proposals.some((p) => p.version === version)) proposals.push({ version, label: version, detail: 'git describe' });
  }
  // a version the repository already has is no proposal (git describe can name an existing tag)
  const out: VersionProposal[] = [];
  for (const p of proposals) if (!tags.includes(p.version) && !out.some((o) => o.version === p.version)) out.push(p);
  return out;
}

/**
 * The model file a release names when a profile's model path is a folder: its largest weight file
 * (searched `depth` folders down; an absolute path), or undefined when it holds none.
 */
export function largestWeightFile(dir: string, isWeight: (file: string) => boolean, depth = 3): string | undefined {
  let best: { file: string; size: number } | undefined;
  const walk = (folder: string, left: number): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() && left > 0) walk(full, left - 1);
      else if (entry.isFile() && isWeight(entry.name)) {
        const size = fs.statSync(full).size;
        if (!best || size > best.size) best = { file: full, size };
      }
    }
  };
  walk(dir, depth);
  return best?.file;
}
