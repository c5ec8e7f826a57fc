/**
 * GET /system/df, POST /images/prune, POST /build/prune and a refused volume removal, as Docker
 * Engine 20.10 (API 1.41) answered them (test/fixtures/engine/system-df.json and the others; see
 * the README there), turned into Berth's records. The expected figures are those `docker system df`
 * printed for the same engine at the same moment: images 5 / 2 active / 3.111 MB / 2.803 MB
 * reclaimable, containers 2 / 1 / 51.2 kB / 51.2 kB, volumes 2 / 1 / 102.4 kB / 0 B, build cache
 * 6 / 0 / 716.9 kB / 716.9 kB; and the dangling image's prune freed 307204 bytes.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  diskUsageFromRaw,
  pruneFromRaw,
  volumeInUseIds,
  type RawDiskUsage,
  type RawPruneReport,
} from '../../../../src/core/engine/records';

const fixture = <T>(name: string): T => JSON.parse(fs.readFileSync(path.join(__dirname, '../../../fixtures/engine', name), 'utf8')) as T;

test('disk usage: each kind counted, sized and reclaimable as `docker system df` shows it', () => {
  const df = diskUsageFromRaw(fixture<RawDiskUsage>('system-df.json'));
  assert.deepEqual(df.images, { count: 5, active: 2, size: 3110649, reclaimable: 2803445 });
  assert.deepEqual(df.containers, { count: 2, active: 1, size: 51203, reclaimable: 51200 });
  assert.deepEqual(df.volumes, { count: 2, active: 1, size: 102400, reclaimable: 0 });
  // shared records (the layers images keep) are not counted; the cache mount (700 KiB) and the context are
  assert.deepEqual(df.buildCache, { count: 6, active: 0, size: 716894, reclaimable: 716894 });
});

test('disk usage: the dangling image and its own bytes, which are what its prune freed', () => {
  const df = diskUsageFromRaw(fixture<RawDiskUsage>('system-df.json'));
  const pruned = pruneFromRaw(fixture<RawPruneReport>('images-prune.json'));
  assert.deepEqual(df.dangling, { count: 1, size: 307204 });
  assert.equal(pruned.spaceReclaimed, df.dangling.size);
});

test('disk usage: an engine that sends nulls and -1 (not computed) gives zeros, never negatives', () => {
  const df = diskUsageFromRaw({
    LayersSize: null,
    Images: null,
    Containers: [{ State: 'running', SizeRw: null }],
    Volumes: [{ Name: 'v', Driver: 'local', Mountpoint: '/x', UsageData: { Size: -1, RefCount: -1 } }],
    BuildCache: null,
  });
  assert.deepEqual(df.images, { count: 0, active: 0, size: 0, reclaimable: 0 });
  assert.deepEqual(df.containers, { count: 1, active: 1, size: 0, reclaimable: 0 });
  assert.deepEqual(df.volumes, { count: 1, active: 0, size: 0, reclaimable: 0 });
  assert.deepEqual(df.buildCache, { count: 0, active: 0, size: 0, reclaimable: 0 });
  assert.deepEqual(df.dangling, { count: 0, size: 0 });
});

test('an image prune: images counted among the dangling ids (the layer ids it also lists are not images)', () => {
  const raw = fixture<RawPruneReport>('images-prune.json');
  const dangling = new Set(['sha256:e3493b58000b1f8d77abbef9e27a64721f0599ac12ed3e54f4ebd680e41e590e']);
  assert.deepEqual(pruneFromRaw(raw, dangling), { removed: 1, spaceReclaimed: 307204 });
  assert.equal(pruneFromRaw(raw).removed, 2, 'without the ids every Deleted entry counts');
});

test('a build cache prune: the records deleted and the bytes freed', () => {
  assert.deepEqual(pruneFromRaw(fixture<RawPruneReport>('build-prune.json')), { removed: 6, spaceReclaimed: 1228894 });
  assert.deepEqual(pruneFromRaw({ SpaceReclaimed: null }), { removed: 0, spaceReclaimed: 0 });
});

test('a volume prune: the volumes deleted and the bytes freed', () => {
  assert.deepEqual(pruneFromRaw(fixture<RawPruneReport>('volumes-prune.json')), { removed: 1, spaceReclaimed: 65536 });
});

test("a volume in use: the container ids of the engine's refusal", () => {
  const { message } = fixture<{ message: string }>('volume-in-use.json');
  assert.deepEqual(volumeInUseIds(message), ['68447f799afda63a8fd58e6155668c6d702082fd6366a51225177d5364f6b28f']);
  assert.deepEqual(volumeInUseIds('remove v: volume is in use - [aaaaaaaaaaaa, bbbbbbbbbbbbbbbb]'), ['aaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb']);
  assert.deepEqual(volumeInUseIds('no such volume'), []);
});
