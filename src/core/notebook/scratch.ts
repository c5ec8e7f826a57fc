/**
 * The comparison's scratch folders on the host, where what a notebook writes to OUTPUT_DIR lands.
 *
 * Layout: a private root for this user (`$TMPDIR/berth-compare-<uid>`, mode 0700), one folder per
 * notebook folder inside it (mode 0711: the container's user may pass through, nobody may list
 * it; the same folder from run to run, so a container started ahead fits the next run) and one
 * folder per run (mode 0700, owned by the user the container writes as).
 *
 * Nothing here follows a symbolic link: a folder that already exists is checked with lstat (a
 * real folder, owned by this user, writable by nobody else) before it is used, and pruning
 * removes only real folders. Other users cannot reach anything below the private root, so once it
 * is checked nothing below it can be swapped.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A scratch folder that is not safe to use, in words the user can act on. */
export class ScratchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScratchError';
  }
}

export interface Ids {
  readonly uid: number;
  readonly gid: number;
}

/** This process's user and group; undefined where there are none (Windows). */
export function currentIds(): Ids | undefined {
  return typeof process.getuid === 'function' && typeof process.getgid === 'function'
    ? { uid: process.getuid(), gid: process.getgid() }
    : undefined;
}

const octal = (mode: number): string => `0${(mode & 0o777).toString(8)}`;

/**
 * Check that `dir` is a real folder owned by `ids.uid` that no other user may write to (and, for a
 * private one, enter). Throws a ScratchError saying what is wrong and what to do.
 */
export function checkOwnDir(dir: string, ids: Ids | undefined, options: { private: boolean }): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    throw new ScratchError(`Berth's scratch folder ${dir} cannot be read: ${(err as Error).message}`);
  }
  if (st.isSymbolicLink())
    throw new ScratchError(
      `Berth's scratch folder ${dir} is a symbolic link (to ${safeReadlink(dir)}); Berth does not follow it. Remove it (another user may have planted it) and compare again.`,
    );
  if (!st.isDirectory()) throw new ScratchError(`Berth's scratch folder ${dir} exists and is not a folder: remove it and compare again.`);
  if (!ids) return;
  if (st.uid !== ids.uid)
    throw new ScratchError(
      `Berth's scratch folder ${dir} belongs to another user (uid ${st.uid}, not ${ids.uid}); Berth does not use it. Remove it (another user may have planted it) and compare again.`,
    );
  const forbidden = options.private ? 0o077 : 0o022;
  if ((st.mode & forbidden) !== 0)
    throw new ScratchError(
      `Berth's scratch folder ${dir} is open to other users (mode ${octal(st.mode)}); Berth does not use it. Remove it or make it private (chmod 700) and compare again.`,
    );
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}

/** Create `dir` with `mode` unless it exists (mkdir never follows a link: a planted one is EEXIST), then check it. */
function ensureDir(dir: string, mode: number, ids: Ids | undefined, options: { private: boolean }): void {
  try {
    fs.mkdirSync(dir, { mode });
    // the umask may have taken bits away; this sets exactly `mode` on the folder just made
    fs.chmodSync(dir, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new ScratchError(`Berth cannot create its scratch folder ${dir}: ${(err as Error).message}`);
  }
  checkOwnDir(dir, ids, options);
}

/** This user's private scratch root under `base` (the system temp folder by default), created 0700. */
export function scratchRoot(base: string = os.tmpdir(), ids: Ids | undefined = currentIds()): string {
  const root = path.join(base, `berth-compare-${ids ? ids.uid : 'user'}`);
  ensureDir(root, 0o700, ids, { private: true });
  return root;
}

/** The folder for one notebook folder's runs, inside a checked private root: mode 0711. */
export function notebookScratch(root: string, notebookDir: string, ids: Ids | undefined = currentIds()): string {
  checkOwnDir(root, ids, { private: true });
  const dir = path.join(root, crypto.createHash('sha256').update(notebookDir).digest('hex').slice(0, 16));
  ensureDir(dir, 0o711, ids, { private: false });
  return dir;
}

/**
 * A fresh private folder for one run, mkdtemp-style (0700), under a folder only this user can write;
 * the container must be able to pass through `parent` (0711). Where the container writes as
 * another user, the folder is handed to that user (`owner`; needs root) — see accessFor.
 */
export function createRunDir(parent: string, name: string, owner?: Ids, ids: Ids | undefined = currentIds()): string {
  checkOwnDir(parent, ids, { private: false });
  const dir = path.join(parent, name);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    throw new ScratchError(
      (err as NodeJS.ErrnoException).code === 'EEXIST'
        ? `Berth's run folder ${dir} already exists; Berth does not reuse it. Compare again.`
        : `Berth cannot create the run folder ${dir}: ${(err as Error).message}`,
    );
  }
  if (owner && ids && (owner.uid !== ids.uid || owner.gid !== ids.gid)) fs.lchownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Run folders of earlier comparisons kept per notebook folder (the newest ones). */
export const KEEP_RUNS = 10;

/** A run folder's name: the notebook's and the time. */
export function runName(notebookPath: string, at: Date): string {
  return `${path.basename(notebookPath, '.ipynb')}-${at.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Remove all but the newest `keep` run folders of `parent`. Only real folders are removed
 * (a symbolic link is left alone and never followed); best effort: what resists is left for the
 * system's temp cleaning.
 */
export function pruneRuns(parent: string, keep: number): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(parent, { withFileTypes: true });
  } catch {
    return;
  }
  const runs: { dir: string; mtime: number }[] = [];
  for (const e of entries) {
    const dir = path.join(parent, e.name);
    try {
      const st = fs.lstatSync(dir);
      if (st.isDirectory() && !st.isSymbolicLink()) runs.push({ dir, mtime: st.mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  runs.sort((a, b) => b.mtime - a.mtime);
  for (const old of runs.slice(keep)) {
    try {
      // rm removes links inside the folder, never what they point to
      fs.rmSync(old.dir, { recursive: true, force: true });
    } catch {
      // left for the system's temp cleaning
    }
  }
}

/** The user a container runs as, from its `User` (the profile's, else the image's). */
export type ContainerUser =
  | { readonly kind: 'root' }
  | { readonly kind: 'ids'; readonly uid: number; readonly gid?: number }
  /** A user name that could not be turned into numbers. */
  | { readonly kind: 'name'; readonly name: string };

/** Parse a container's `User` ("", "root", "1000", "1000:100", "app", "app:staff"); `passwd` resolves names. */
export function parseContainerUser(user: string | undefined, passwd?: string): ContainerUser {
  const spec = (user ?? '').trim();
  if (spec === '') return { kind: 'root' };
  const [name = '', group] = spec.split(':', 2);
  const entries = new Map<string, { uid: number; gid: number }>();
  for (const line of (passwd ?? '').split('\n')) {
    const f = line.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f[0] && Number.isInteger(uid) && Number.isInteger(gid)) entries.set(f[0], { uid, gid });
  }
  const known = entries.get(name);
  const uid = /^\d+$/.test(name) ? Number(name) : name === 'root' ? 0 : known?.uid;
  if (uid === undefined) return { kind: 'name', name: spec };
  const gid = group !== undefined && /^\d+$/.test(group) ? Number(group) : group === undefined ? known?.gid : undefined;
  if (uid === 0) return { kind: 'root' };
  return { kind: 'ids', uid, ...(gid === undefined ? {} : { gid }) };
}

/** How the container gets to write its run folder without the folder being open to everyone. */
export interface RunAccess {
  /** Hand the run folder to this user and group (Berth runs as root). */
  readonly owner?: Ids;
  /** Run the container as this user instead of its own (Berth is not root and cannot hand the folder over). */
  readonly user?: string;
  /** Why, for the log. */
  readonly note?: string;
}

/**
 * Who owns the run folder, and as whom the container runs:
 * - the container runs as root (root in the container may write any folder), or as this user: the
 *   folder stays this user's;
 * - Berth runs as root: the folder is handed to the container's user (chown);
 * - otherwise Berth cannot hand it over, so the container runs as this user (uid:gid) instead —
 *   the notebook's files then belong to the user who compares, as they do when it runs locally.
 */
export function accessFor(container: ContainerUser, ids: Ids | undefined): RunAccess {
  if (!ids || container.kind === 'root') return {};
  if (container.kind === 'ids') {
    if (container.uid === ids.uid) return {};
    if (ids.uid === 0) return { owner: { uid: container.uid, gid: container.gid ?? container.uid } };
  }
  const who = container.kind === 'ids' ? `uid ${container.uid}` : `user ${container.name}`;
  return {
    user: `${ids.uid}:${ids.gid}`,
    note: `the image runs as ${who}, which cannot write to a folder of uid ${ids.uid} and Berth cannot hand one over without root: the comparison runs as ${ids.uid}:${ids.gid}`,
  };
}
