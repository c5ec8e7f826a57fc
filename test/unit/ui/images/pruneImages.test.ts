/**
 * Prune Dangling Images, Prune Build Cache and Remove Volume in the VS Code layer (the vscode
 * stand-in) against a Docker API stand-in on a unix socket that answers with JSON captured from
 * Docker Engine 20.10 (test/fixtures/engine: system-df, images-prune, build-prune, volume-in-use):
 * the confirmation says what will be freed (from GET /system/df), nothing is pruned unless it is
 * confirmed, and the report says what the engine freed (SpaceReclaimed).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { resolveEndpoint } from '../../../../src/core/engine/connection';
import { Engine } from '../../../../src/core/engine/engine';
import type { CommandContext } from '../../../../src/ui/commands';
import { diskSummary } from '../../../../src/ui/images/diskUsage';
import { pruneBuildCache, pruneDanglingImages } from '../../../../src/ui/images/pruneImages';
import { pruneUnusedVolumes, removeVolume } from '../../../../src/ui/images/removeVolume';
import type { VolumeNode } from '../../../../src/ui/images/resourceTrees';
import { diskUsageFromRaw, type RawDiskUsage } from '../../../../src/core/engine/records';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/engine');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const RUNNING = '68447f799afda63a8fd58e6155668c6d702082fd6366a51225177d5364f6b28f';

describe('prune and remove volume commands', { timeout: 20_000 }, () => {
  let dir = '';
  let server: http.Server;
  let engine: Engine;
  const requests: string[] = [];
  const reloads: string[] = [];
  let ctx: CommandContext;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-prune-'));
    const socket = path.join(dir, 'docker.sock');
    // the dangling images as GET /images/json?filters={"dangling":["true"]} lists them: those of the df capture
    const dangling = (JSON.parse(fixture('system-df.json')) as { Images: { RepoTags: string[] }[] }).Images.filter((i) =>
      i.RepoTags.includes('<none>:<none>'),
    );
    // the volumes of the df capture: one the running container mounts, one unused
    const volumes = (JSON.parse(fixture('system-df.json')) as { Volumes: object[] }).Volumes;
    const container = {
      ...(JSON.parse(fixture('containers.json')) as object[])[0],
      Id: RUNNING,
      Names: ['/berth-fixture-df-running'],
      Mounts: [
        {
          Type: 'volume',
          Name: 'berth-fixture-df-used',
          Source: '',
          Destination: '/data',
          Driver: 'local',
          Mode: 'z',
          RW: true,
          Propagation: '',
        },
      ],
    };
    server = http.createServer((req, res) => {
      const url = (req.url ?? '').replace(/^\/v[\d.]+/, '');
      requests.push(`${req.method ?? ''} ${decodeURIComponent(url)}`);
      const send = (status: number, body: string): void => void res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
      if (url.startsWith('/_ping')) res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
      else if (url.startsWith('/version')) send(200, fixture('version.json'));
      else if (url.startsWith('/system/df')) send(200, fixture('system-df.json'));
      else if (url.startsWith('/images/json')) send(200, JSON.stringify(dangling));
      else if (url.startsWith('/images/prune')) send(200, fixture('images-prune.json'));
      else if (url.startsWith('/build/prune')) send(200, fixture('build-prune.json'));
      else if (url.startsWith('/volumes/prune')) send(200, fixture('volumes-prune.json'));
      else if (url === '/volumes' || url.startsWith('/volumes?')) send(200, JSON.stringify({ Volumes: volumes, Warnings: null }));
      else if (url.startsWith('/volumes/berth-fixture-df-used')) send(409, fixture('volume-in-use.json'));
      else if (url.startsWith('/volumes/')) res.writeHead(204).end();
      else if (url.startsWith('/containers/json')) send(200, JSON.stringify([container]));
      else send(404, '{"message":"not here"}');
    });
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const endpoint = resolveEndpoint({
      env: { DOCKER_HOST: `unix://${socket}` },
      homeDir: dir,
      platform: process.platform,
      readFile: () => undefined,
    });
    engine = await Engine.connect(endpoint, { timeoutMs: 5000, env: {} });
    const log = { info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as vscode.LogOutputChannel;
    ctx = {
      log,
      session: { requireEngine: () => engine },
      trees: {
        images: { reload: () => void reloads.push('images') },
        volumes: { reload: () => void reloads.push('volumes') },
      },
    } as unknown as CommandContext;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    standIn.reset();
    requests.length = 0;
    reloads.length = 0;
  });

  const prunes = (): string[] => requests.filter((r) => r.startsWith('POST') && r.includes('/prune'));

  test('Prune Dangling Images: the count and size df gives, confirmed; then what the engine freed', async () => {
    standIn.answer('window.showWarningMessage', () => 'Remove');
    await pruneDanglingImages(ctx);
    const [[question, options] = []] = standIn.callsTo('window.showWarningMessage');
    assert.equal(question, 'Remove 1 dangling image? This frees about 300 KiB.');
    assert.equal((options as { modal: boolean }).modal, true);
    assert.deepEqual(prunes(), ['POST /images/prune?filters={"dangling":["true"]}']);
    assert.deepEqual(standIn.callsTo('window.showInformationMessage'), [['Removed 1 dangling image; freed 300 KiB.']]);
    assert.deepEqual(reloads, ['images']);
  });

  test('dismissed: nothing is pruned', async () => {
    await pruneDanglingImages(ctx);
    await pruneBuildCache(ctx);
    assert.equal(standIn.callsTo('window.showWarningMessage').length, 2);
    assert.deepEqual(prunes(), []);
  });

  test('Prune Build Cache: the reclaimable size and records, confirmed; all unused cache pruned; what it freed', async () => {
    standIn.answer('window.showWarningMessage', () => 'Remove');
    await pruneBuildCache(ctx);
    const [[question] = []] = standIn.callsTo('window.showWarningMessage');
    assert.equal(question, 'Remove the unused build cache? This frees about 700 KiB (6 records).');
    assert.deepEqual(prunes(), ['POST /build/prune?all=true']);
    assert.deepEqual(standIn.callsTo('window.showInformationMessage'), [['Removed 6 build cache records; freed 1.2 MiB.']]);
  });

  test('Remove Volume: confirmed, removed; a volume the view shows in use is refused naming its containers, before any request', async () => {
    standIn.answer('window.showWarningMessage', () => 'Remove');
    const node = (name: string, users: string[]): VolumeNode => ({
      kind: 'volume',
      volume: { name, driver: 'local', mountpoint: '/x', scope: 'local', labels: {} },
      users,
    });
    await removeVolume(ctx, node('berth-fixture-df-unused', []));
    assert.deepEqual(
      requests.filter((r) => r.startsWith('DELETE')),
      ['DELETE /volumes/berth-fixture-df-unused'],
    );
    assert.deepEqual(standIn.callsTo('window.showInformationMessage'), [['Removed volume berth-fixture-df-unused.']]);

    standIn.reset();
    requests.length = 0;
    await removeVolume(ctx, node('data', ['trainer', 'server']));
    assert.deepEqual(standIn.callsTo('window.showErrorMessage'), [
      ['Volume data is in use by containers trainer, server. Remove those containers first, then remove the volume.'],
    ]);
    assert.deepEqual(standIn.callsTo('window.showWarningMessage'), [], 'not asked');
    assert.deepEqual(requests, []);
  });

  test("Remove Volume: the engine's refusal (409 with container ids) becomes the containers' names", async () => {
    standIn.answer('window.showWarningMessage', () => 'Remove');
    await assert.rejects(
      removeVolume(ctx, {
        kind: 'volume',
        volume: { name: 'berth-fixture-df-used', driver: 'local', mountpoint: '/x', scope: 'local', labels: {} },
        users: [],
      }),
      { message: 'Volume berth-fixture-df-used is in use by container berth-fixture-df-running. Remove it first, then remove the volume.' },
    );
  });

  test('Remove Unused Volumes: the unused ones named and their size, confirmed; then what the engine freed', async () => {
    standIn.answer('window.showWarningMessage', () => 'Remove');
    await pruneUnusedVolumes(ctx);
    const [[question, options] = []] = standIn.callsTo('window.showWarningMessage');
    // (the df capture's unused volume was empty; the prune capture's held 64 KiB: two moments)
    assert.equal(question, 'Remove 1 unused volume? This frees about 0 B.');
    assert.equal(
      (options as { detail: string }).detail,
      'Their data is deleted: berth-fixture-df-unused. No container, running or stopped, mounts them.',
    );
    assert.deepEqual(prunes(), ['POST /volumes/prune']);
    assert.deepEqual(standIn.callsTo('window.showInformationMessage'), [['Removed 1 unused volume; freed 64 KiB.']]);
    assert.deepEqual(reloads.sort(), ['images', 'volumes']);
  });

  test('the disk usage row as the Images view shows it', () => {
    const usage = diskUsageFromRaw(JSON.parse(fixture('system-df.json')) as RawDiskUsage);
    assert.equal(
      diskSummary(usage),
      'images 3.0 MiB (2.7 MiB reclaimable) · build cache 700 KiB (700 KiB reclaimable) · volumes 100 KiB · containers 50 KiB (50 KiB reclaimable)',
    );
  });
});
