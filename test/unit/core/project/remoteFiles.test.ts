import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import * as tarStream from 'tar-stream';
import type { EngineEndpoint } from '../../../../src/core/engine/connection';
import type { Engine } from '../../../../src/core/engine/engine';
import type { VolumeRecord } from '../../../../src/core/engine/contract';
import {
  ensureFolder,
  FILES_LABEL,
  folderManifest,
  manifestDigest,
  planMounts,
  placeFiles,
  remoteFilesMode,
  RemoteFilesError,
  unpack,
  volumeName,
  type PathKind,
} from '../../../../src/core/project/remoteFiles';
import { toCreateOptions } from '../../../../src/core/project/createOptions';
import { batchProfile } from '../../../../src/core/project/batchProfile';
import { parseBerthConfig } from '../../../../src/core/project/runProfile';

const endpoint = (host: string): EngineEndpoint => ({ host, source: 'default' }) as unknown as EngineEndpoint;

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'berth-remote-files-'));
}

describe('remoteFilesMode: auto uploads when the engine is not on this machine', () => {
  test('auto follows the endpoint; upload and bind are as set', () => {
    assert.equal(remoteFilesMode('auto', endpoint('unix:///var/run/docker.sock')), 'bind');
    assert.equal(remoteFilesMode('auto', endpoint('tcp://127.0.0.1:2375')), 'bind');
    assert.equal(remoteFilesMode('auto', endpoint('ssh://gpu-box')), 'upload');
    assert.equal(remoteFilesMode('auto', endpoint('tcp://10.0.0.5:2376')), 'upload');
    assert.equal(remoteFilesMode('upload', endpoint('unix:///var/run/docker.sock')), 'upload');
    assert.equal(remoteFilesMode('bind', endpoint('ssh://gpu-box')), 'bind');
  });
});

describe('planMounts: which binds become volumes', () => {
  const kinds: Record<string, PathKind> = {
    '/p': 'dir',
    '/p/data': 'dir',
    '/p/output': 'dir',
    '/p/model/iris.npz': 'file',
    '/p/notes.txt': 'file',
  };
  const kind = (p: string): PathKind => kinds[p];

  test("a batch job's mounts: the workspace and data/ uploaded, output/ brought back, the model by digest, named volumes kept", () => {
    const steps = planMounts(
      ['/p:/workspace:ro', '/p/data:/input:ro', '/p/output:/output', 'cache:/root/.cache', '/p/model/iris.npz:/models/iris.npz:ro'],
      kind,
    );
    assert.deepEqual(steps, [
      { kind: 'folder', source: '/p', target: '/workspace' },
      { kind: 'folder', source: '/p/data', target: '/input' },
      { kind: 'output', source: '/p/output', target: '/output' },
      { kind: 'keep', bind: 'cache:/root/.cache' },
      { kind: 'model', source: '/p/model/iris.npz', target: '/models/iris.npz', mountAt: '/models', fileName: 'iris.npz' },
    ]);
  });

  test('a writable folder that does not exist yet is an output too', () => {
    assert.deepEqual(planMounts(['/p/new:/out'], kind), [{ kind: 'output', source: '/p/new', target: '/out' }]);
  });

  test('refused, with the reason: a missing read-only path, a writable file, a model at the root, two mounts on one folder', () => {
    assert.throws(() => planMounts(['/p/missing:/x:ro'], kind), /does not exist on this machine/);
    assert.throws(() => planMounts(['/p/notes.txt:/notes.txt'], kind), /folders, not single files/);
    assert.throws(() => planMounts(['/p/model/iris.npz:/iris.npz:ro'], kind), /a folder of its own/);
    assert.throws(() => planMounts(['/p/output:/models', '/p/model/iris.npz:/models/iris.npz:ro'], kind), RemoteFilesError);
  });

  test('the plans Berth makes: the profile model and the batch folders', () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'model'));
    fs.writeFileSync(path.join(dir, 'model', 'iris.npz'), 'weights');
    fs.mkdirSync(path.join(dir, 'data'));
    fs.mkdirSync(path.join(dir, 'output'));
    const { profiles } = parseBerthConfig(
      'profiles:\n  serve:\n    image: x\n    model: { path: model/iris.npz, mountAt: /models/iris.npz }\n',
    );
    const plan = toCreateOptions(batchProfile(profiles[0]!, dir, path.join(dir, 'run.py')), { image: 'x', projectDir: dir });
    const kindsOf = planMounts(plan.options.HostConfig?.Binds ?? []).map(
      (s) => `${s.kind}:${s.kind === 'keep' ? s.bind : s.kind === 'models' ? s.mountAt : s.target}`,
    );
    assert.deepEqual(kindsOf, ['folder:/workspace', 'folder:/input', 'output:/output', 'model:/models/iris.npz']);
  });

  test("a profile's models: the files in /models become one volume, each keeping its file name", () => {
    const dir = tmpDir();
    fs.mkdirSync(path.join(dir, 'model'));
    fs.writeFileSync(path.join(dir, 'model', 'iris.npz'), 'weights');
    fs.writeFileSync(path.join(dir, 'model', 'iris-v2.npz'), 'weights 2');
    const { profiles } = parseBerthConfig('profiles:\n  serve:\n    image: x\n    models: [model/iris.npz, model/iris-v2.npz]\n');
    const plan = toCreateOptions(profiles[0]!, { image: 'x', projectDir: dir });
    assert.deepEqual(planMounts(plan.options.HostConfig?.Binds ?? []), [
      {
        kind: 'models',
        mountAt: '/models',
        files: [
          { source: path.join(dir, 'model', 'iris.npz'), fileName: 'iris.npz' },
          { source: path.join(dir, 'model', 'iris-v2.npz'), fileName: 'iris-v2.npz' },
        ],
      },
    ]);
    // a single model in /models stays a model step; another mount on /models still clashes with the set
    assert.equal(planMounts([`${path.join(dir, 'model', 'iris.npz')}:/models/iris.npz:ro`])[0]?.kind, 'model');
    assert.throws(() => planMounts([...(plan.options.HostConfig?.Binds ?? []), `${dir}:/models:ro`]), /Two mounts would share \/models/);
  });
});

describe('the digest of a folder: what makes it send again', () => {
  test('the same files give the same digest in any order; a size, a time, a path or the folder changes it', () => {
    const a = { path: 'a.py', bytes: 10, mtimeMs: 1000.4 };
    const b = { path: 'm/b.npz', bytes: 20, mtimeMs: 2000 };
    const d = manifestDigest('/p', [a, b]);
    assert.match(d, /^sha256:[0-9a-f]{64}$/);
    assert.equal(manifestDigest('/p', [b, a]), d);
    assert.notEqual(manifestDigest('/p', [{ ...a, bytes: 11 }, b]), d);
    assert.notEqual(manifestDigest('/p', [{ ...a, mtimeMs: 1001 }, b]), d);
    assert.notEqual(manifestDigest('/p', [{ ...a, path: 'c.py' }, b]), d);
    assert.notEqual(manifestDigest('/q', [a, b]), d);
    assert.notEqual(manifestDigest('/p', [a]), d);
  });

  test('the manifest is the folder as .dockerignore leaves it: an ignored file changing does not change the digest', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, '.dockerignore'), 'data/\n*.ipynb\n');
    fs.writeFileSync(path.join(dir, 'serve.py'), 'print(1)\n');
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'big.csv'), 'x\n');
    fs.writeFileSync(path.join(dir, 'train.ipynb'), '{}');
    const paths = folderManifest(dir).map((e) => e.path);
    assert.deepEqual(paths, ['.dockerignore', 'serve.py']);
    const before = manifestDigest(dir, folderManifest(dir));
    fs.writeFileSync(path.join(dir, 'data', 'big.csv'), 'x\ny\n');
    assert.equal(manifestDigest(dir, folderManifest(dir)), before);
    fs.writeFileSync(path.join(dir, 'serve.py'), 'print(2)\n');
    fs.utimesSync(path.join(dir, 'serve.py'), new Date(), new Date(Date.now() + 5000));
    assert.notEqual(manifestDigest(dir, folderManifest(dir)), before);
  });

  test('volume names are ones the engine accepts', () => {
    assert.equal(
      volumeName('berth', 'model', `sha256:${'ab'.repeat(32)}`, 'my model (v2).npz'),
      `berth-model-${'ab'.repeat(8)}-my_model__v2_.npz`,
    );
    assert.match(volumeName('berth', 'folder', `sha256:${'cd'.repeat(32)}`), /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
  });
});

/** An engine that keeps volumes and counts uploads in memory: for the decisions of placeFiles, not the Engine API (the engine tier tests that). */
function memoryEngine(): { engine: Engine; volumes: VolumeRecord[]; uploads: string[]; helpers: Set<string> } {
  const volumes: VolumeRecord[] = [];
  const uploads: string[] = [];
  const helpers = new Set<string>();
  const binds = new Map<string, string>();
  let n = 0;
  const matches = (v: VolumeRecord, filters: string[]): boolean =>
    filters.every((f) => {
      const [k = '', ...rest] = f.split('=');
      return v.labels[k] === rest.join('=');
    });
  const engine = {
    listVolumes: (o: { filters?: { label?: string[] } } = {}) => Promise.resolve(volumes.filter((v) => matches(v, o.filters?.label ?? []))),
    createVolume: (o: { name: string; labels?: Record<string, string> }) => {
      const v: VolumeRecord = { name: o.name, driver: 'local', mountpoint: '', scope: 'local', labels: o.labels ?? {} };
      volumes.push(v);
      return Promise.resolve(v);
    },
    removeVolume: (name: string) => {
      const i = volumes.findIndex((v) => v.name === name);
      if (i >= 0) volumes.splice(i, 1);
      return Promise.resolve();
    },
    createContainer: (o: { HostConfig?: { Binds?: string[] } }) => {
      const id = `helper-${++n}`;
      helpers.add(id);
      binds.set(id, o.HostConfig?.Binds?.[0] ?? '');
      return Promise.resolve(id);
    },
    removeContainer: (id: string) => {
      helpers.delete(id);
      return Promise.resolve();
    },
    putArchiveStream: async (id: string, _dir: string, tar: Readable) => {
      for await (const _chunk of tar) void _chunk;
      uploads.push(binds.get(id)?.split(':')[0] ?? '');
    },
  };
  return { engine: engine as unknown as Engine, volumes, uploads, helpers };
}

describe('placeFiles: uploads only what changed, and the plan mounts volumes where it had binds', () => {
  test('a second run of an unchanged workspace uploads nothing; a changed model gets a new volume; helpers are removed', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'serve.py'), 'print(1)\n');
    // the model outside the workspace: a model inside it is part of the workspace's manifest too
    const model = path.join(tmpDir(), 'iris.npz');
    fs.writeFileSync(model, 'weights-1');
    const plan = {
      options: { Image: 'img', HostConfig: { Binds: [`${dir}:/workspace:ro`, `${model}:/models/iris.npz:ro`], Memory: 5 } },
      usesGpu: false,
      notes: [],
    };
    const { engine, volumes, uploads, helpers } = memoryEngine();
    const ctx = { projectDir: dir, image: 'img' };

    const first = await placeFiles(engine, plan, ctx);
    assert.equal(uploads.length, 2);
    assert.equal(first.uploaded.length, 2);
    assert.deepEqual(first.reused, []);
    const binds = first.plan.options.HostConfig?.Binds ?? [];
    assert.equal(binds.length, 2);
    assert.ok(
      binds.every((b) => !b.startsWith('/')),
      `no host path left: ${binds.join(' ')}`,
    );
    assert.match(binds[0]!, /^berth-folder-[0-9a-f]{16}:\/workspace:ro$/);
    assert.match(binds[1]!, /^berth-model-[0-9a-f]{16}-iris\.npz:\/models:ro$/);
    assert.equal(first.plan.options.HostConfig?.Memory, 5);
    assert.equal(helpers.size, 0);
    const modelVolume = volumes.find((v) => v.labels[FILES_LABEL.role] === 'model');
    assert.match(modelVolume?.labels[FILES_LABEL.digest] ?? '', /^sha256:/);
    assert.equal(modelVolume?.labels['berth.managed'], 'true');

    const second = await placeFiles(engine, plan, ctx);
    assert.equal(uploads.length, 2, 'nothing sent again');
    assert.deepEqual(second.reused, first.uploaded);
    assert.deepEqual(second.plan.options.HostConfig?.Binds, binds);

    fs.writeFileSync(model, 'weights-2');
    const third = await placeFiles(engine, plan, ctx);
    assert.equal(uploads.length, 3, 'only the model again');
    assert.notEqual(third.plan.options.HostConfig?.Binds?.[1], binds[1]);
    assert.equal(third.plan.options.HostConfig?.Binds?.[0], binds[0]);

    fs.writeFileSync(path.join(dir, 'serve.py'), 'print(22)\n');
    const fourth = await placeFiles(engine, plan, ctx);
    assert.equal(uploads.length, 4);
    assert.equal(volumes.filter((v) => v.labels[FILES_LABEL.role] === 'folder').length, 1, "the folder's earlier copy is removed");
    assert.notEqual(fourth.plan.options.HostConfig?.Binds?.[0], binds[0]);
  });

  test('a failed upload leaves no volume that a later run could take for complete', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    const { engine, volumes } = memoryEngine();
    (engine as unknown as { putArchiveStream: () => Promise<void> }).putArchiveStream = () => Promise.reject(new Error('connection lost'));
    await assert.rejects(ensureFolder(engine, dir, { projectDir: dir, image: 'img' }), /connection lost/);
    assert.deepEqual(volumes, []);
  });
});

function archiveOf(entries: { name: string; body?: string; type?: 'file' | 'directory' | 'symlink'; linkname?: string }[]): Readable {
  const pack = tarStream.pack();
  for (const e of entries)
    pack.entry({ name: e.name, type: e.type ?? 'file', ...(e.linkname ? { linkname: e.linkname } : {}), mode: 0o644 }, e.body ?? '');
  pack.finalize();
  return pack;
}

describe('unpack: the results as a bind mount would have left them', () => {
  test('files and folders under the folder archived, its own name stripped; links skipped', async () => {
    const dir = tmpDir();
    const back = await unpack(
      archiveOf([
        { name: 'berth-files/', type: 'directory' },
        { name: 'berth-files/predictions.csv', body: 'species,predicted\n' },
        { name: 'berth-files/plots/a.txt', body: 'x' },
        { name: 'berth-files/link', type: 'symlink', linkname: '/etc/passwd' },
      ]),
      dir,
      1000,
    );
    assert.deepEqual(back, { files: 2, bytes: 19 });
    assert.equal(fs.readFileSync(path.join(dir, 'predictions.csv'), 'utf8'), 'species,predicted\n');
    assert.equal(fs.readFileSync(path.join(dir, 'plots', 'a.txt'), 'utf8'), 'x');
    assert.equal(fs.existsSync(path.join(dir, 'link')), false);
  });

  test('nothing outside the folder; and a bound on the size', async () => {
    const dir = tmpDir();
    await assert.rejects(unpack(archiveOf([{ name: 'berth-files/../../escape.txt', body: 'x' }]), path.join(dir, 'out'), 1000), /outside/);
    assert.equal(fs.existsSync(path.join(dir, 'escape.txt')), false);
    await assert.rejects(
      unpack(
        archiveOf([
          { name: 'berth-files/a', body: 'x'.repeat(600) },
          { name: 'berth-files/b', body: 'y'.repeat(600) },
        ]),
        dir,
        1000,
      ),
      /more than/,
    );
    assert.equal(fs.existsSync(path.join(dir, 'b')), false);
  });
});
