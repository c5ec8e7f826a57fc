/**
 * The comparison's scratch folders: a private root per user, checked with lstat and its owner;
 * nothing followed through a symbolic link, nothing made open to every user.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  accessFor,
  checkOwnDir,
  createRunDir,
  currentIds,
  notebookScratch,
  parseContainerUser,
  pruneRuns,
  scratchRoot,
  ScratchError,
  type Ids,
} from '../../../../src/core/notebook/scratch';

const me = currentIds();
const mode = (p: string): number => fs.lstatSync(p).mode & 0o777;
const dirs: string[] = [];
const temp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scratch-test-'));
  dirs.push(d);
  return d;
};
/** A folder of "the victim": what a planted link points to. */
const victim = (): string => {
  const d = path.join(temp(), 'victim');
  fs.mkdirSync(path.join(d, 'older', 'deep'), { recursive: true });
  fs.writeFileSync(path.join(d, 'older', 'deep', 'precious.txt'), 'keep me');
  fs.chmodSync(d, 0o700);
  return d;
};

after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('scratchRoot and notebookScratch: a private root, a checked folder per notebook folder', () => {
  test('made fresh: the root is 0700 and the notebook folder 0711, both owned by this user; the same folder again next time', () => {
    const base = temp();
    const root = scratchRoot(base);
    assert.equal(mode(root), 0o700);
    const dir = notebookScratch(root, '/work/project/notebooks');
    assert.equal(path.dirname(dir), root);
    assert.equal(mode(dir), 0o711);
    if (me) assert.equal(fs.lstatSync(dir).uid, me.uid);
    assert.equal(notebookScratch(root, '/work/project/notebooks'), dir);
    assert.notEqual(notebookScratch(root, '/work/project/other'), dir);
  });

  test('a planted symbolic link as the root: refused, the folder it points to untouched', () => {
    const base = temp();
    const target = victim();
    fs.symlinkSync(target, path.join(base, `berth-compare-${me?.uid ?? 'user'}`));
    assert.throws(
      () => scratchRoot(base),
      (err: Error) => err instanceof ScratchError && /symbolic link/.test(err.message),
    );
    assert.equal(mode(target), 0o700);
    assert.ok(fs.existsSync(path.join(target, 'older', 'deep', 'precious.txt')));
  });

  test('a planted symbolic link as the notebook folder: refused, the folder it points to untouched', () => {
    const root = scratchRoot(temp());
    const target = victim();
    const probe = notebookScratch(root, '/planted');
    fs.rmdirSync(probe);
    fs.symlinkSync(target, probe);
    assert.throws(
      () => notebookScratch(root, '/planted'),
      (err: Error) => err instanceof ScratchError && /symbolic link/.test(err.message),
    );
    assert.equal(mode(target), 0o700);
  });

  test('a planted symbolic link as the run folder: refused, nothing handed over', () => {
    const dir = notebookScratch(scratchRoot(temp()), '/nb');
    const target = victim();
    fs.symlinkSync(target, path.join(dir, 'run-1'));
    assert.throws(
      () => createRunDir(dir, 'run-1', { uid: 4242, gid: 4242 }),
      (err: Error) => err instanceof ScratchError && /already exists/.test(err.message),
    );
    assert.notEqual(fs.lstatSync(target).uid, 4242);
    assert.equal(mode(target), 0o700);
  });

  test(
    'a root owned by another user: refused, naming its owner',
    { skip: me?.uid !== 0 && 'needs root to make a folder of another user' },
    () => {
      const base = temp();
      const root = path.join(base, `berth-compare-${me?.uid ?? 'user'}`);
      fs.mkdirSync(root, { mode: 0o700 });
      fs.chownSync(root, 4242, 4242);
      assert.throws(
        () => scratchRoot(base),
        (err: Error) => err instanceof ScratchError && /belongs to another user \(uid 4242/.test(err.message),
      );
      // the same for a notebook folder
      const mine = scratchRoot(temp());
      const dir = notebookScratch(mine, '/nb');
      fs.chownSync(dir, 4242, 4242);
      assert.throws(
        () => notebookScratch(mine, '/nb'),
        (err: Error) => err instanceof ScratchError && /another user/.test(err.message),
      );
    },
  );

  test('a root open to the group or to everyone: refused, naming its mode; a notebook folder others may write: refused', () => {
    for (const open of [0o777, 0o770, 0o750, 0o705]) {
      const base = temp();
      const root = path.join(base, `berth-compare-${me?.uid ?? 'user'}`);
      fs.mkdirSync(root);
      fs.chmodSync(root, open);
      assert.throws(
        () => scratchRoot(base),
        (err: Error) => err instanceof ScratchError && err.message.includes(`mode 0${open.toString(8)}`),
        `mode ${open.toString(8)}`,
      );
    }
    const root = scratchRoot(temp());
    const dir = notebookScratch(root, '/nb');
    fs.chmodSync(dir, 0o777);
    assert.throws(
      () => notebookScratch(root, '/nb'),
      (err: Error) => err instanceof ScratchError && /open to other users/.test(err.message),
    );
    fs.chmodSync(dir, 0o711);
    assert.doesNotThrow(() => checkOwnDir(dir, me, { private: false }));
  });
});

describe('createRunDir and pruneRuns', () => {
  test('a run folder is 0700; handed to the container user when asked (root only), never opened to all', () => {
    const dir = notebookScratch(scratchRoot(temp()), '/nb');
    const own = createRunDir(dir, 'run-own');
    assert.equal(mode(own), 0o700);
    if (me?.uid === 0) {
      const theirs = createRunDir(dir, 'run-theirs', { uid: 1234, gid: 1234 });
      assert.equal(mode(theirs), 0o700);
      assert.equal(fs.lstatSync(theirs).uid, 1234);
      assert.equal(fs.lstatSync(theirs).gid, 1234);
    }
  });

  test('pruning keeps the newest, removes real folders only, and never follows a link', () => {
    const dir = notebookScratch(scratchRoot(temp()), '/nb');
    const target = victim();
    fs.symlinkSync(target, path.join(dir, 'planted'));
    const runs = ['a', 'b', 'c', 'd'].map((n, k) => {
      const d = createRunDir(dir, n);
      // a link inside a run folder: removing the folder removes the link, not its target
      fs.symlinkSync(target, path.join(d, 'link'));
      const t = new Date(Date.now() - (10 - k) * 60_000);
      fs.utimesSync(d, t, t);
      return d;
    });
    // the planted link is the "newest" entry of all
    fs.lutimesSync(path.join(dir, 'planted'), new Date(), new Date());
    pruneRuns(dir, 2);
    assert.deepEqual(
      runs.map((d) => fs.existsSync(d)),
      [false, false, true, true],
    );
    assert.ok(fs.lstatSync(path.join(dir, 'planted')).isSymbolicLink());
    assert.ok(fs.existsSync(path.join(target, 'older', 'deep', 'precious.txt')));
    pruneRuns(dir, 0);
    assert.ok(fs.existsSync(path.join(target, 'older', 'deep', 'precious.txt')));
    assert.deepEqual(fs.readdirSync(dir), ['planted']);
  });
});

describe('the user the container writes as', () => {
  const host: Ids = { uid: 1000, gid: 1000 };
  const root: Ids = { uid: 0, gid: 0 };
  const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\nbroken\n';

  test('parseContainerUser: empty and root are root; numbers; names from passwd; unknown names stay names', () => {
    assert.deepEqual(parseContainerUser(''), { kind: 'root' });
    assert.deepEqual(parseContainerUser(undefined), { kind: 'root' });
    assert.deepEqual(parseContainerUser('root'), { kind: 'root' });
    assert.deepEqual(parseContainerUser('0:0'), { kind: 'root' });
    assert.deepEqual(parseContainerUser('1000'), { kind: 'ids', uid: 1000 });
    assert.deepEqual(parseContainerUser('1000:100'), { kind: 'ids', uid: 1000, gid: 100 });
    assert.deepEqual(parseContainerUser('app', passwd), { kind: 'ids', uid: 1001, gid: 1002 });
    assert.deepEqual(parseContainerUser('app:7', passwd), { kind: 'ids', uid: 1001, gid: 7 });
    assert.deepEqual(parseContainerUser('app'), { kind: 'name', name: 'app' });
    assert.deepEqual(parseContainerUser('ghost', passwd), { kind: 'name', name: 'ghost' });
  });

  test('accessFor: root containers and the same uid need nothing; Berth as root hands the folder over; otherwise the container runs as the host user', () => {
    assert.deepEqual(accessFor({ kind: 'root' }, host), {});
    assert.deepEqual(accessFor({ kind: 'ids', uid: 1000 }, host), {});
    assert.deepEqual(accessFor({ kind: 'ids', uid: 1001, gid: 1002 }, root), { owner: { uid: 1001, gid: 1002 } });
    assert.deepEqual(accessFor({ kind: 'ids', uid: 1001 }, root), { owner: { uid: 1001, gid: 1001 } });
    const other = accessFor({ kind: 'ids', uid: 1001 }, host);
    assert.equal(other.user, '1000:1000');
    assert.match(other.note ?? '', /uid 1001/);
    assert.equal(accessFor({ kind: 'name', name: 'ghost' }, host).user, '1000:1000');
    assert.equal(accessFor({ kind: 'name', name: 'ghost' }, root).user, '0:0');
    assert.deepEqual(accessFor({ kind: 'ids', uid: 5 }, undefined), {});
  });
});
