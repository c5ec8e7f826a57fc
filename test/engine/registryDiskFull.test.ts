/**
 * A pull onto a full disk: the fault engine (scripts/fault-engine.sh: its own network namespace,
 * a 160 MiB tmpfs data root) pulls the Python base image (~170 MB unpacked) from a registry
 * running in that namespace on its 127.0.0.1, serving the storage the main engine pushed into.
 * The pull fails with "no space left on device", named as such, and the engine keeps working.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveEndpoint } from '../../src/core/engine/connection';
import { Engine } from '../../src/core/engine/engine';
import { TransferError, pullImage, pushImage, tagImage } from '../../src/core/engine/transfer';
import { BUSYBOX, PYTHON, RUN_ID, cleanup, connect } from './harness';
import { engineScript, secondEngineSkip } from './secondEngines';
import { sharedRegistry, startRegistry } from './registries';

const script = (command: 'start' | 'stop' | 'env'): Promise<string> => engineScript('fault-engine.sh', command);
const skipReason = secondEngineSkip('registryDiskFull.test.ts', 'fault engine', ['unshare', 'nsenter']);

describe('registry: a pull onto a full disk', { timeout: 300_000, skip: skipReason }, () => {
  let faulty: Engine;
  let startedHere = false;
  let storage: string;
  const made: string[] = [];

  before(async () => {
    const out = await script('start');
    startedHere = /^fault-engine: started /m.test(out);
    const host = /^DOCKER_HOST=(.+)$/m.exec(await script('env'))?.[1];
    assert.ok(host, 'fault-engine.sh env prints DOCKER_HOST');
    faulty = await Engine.connect(
      resolveEndpoint({ env: { DOCKER_HOST: host }, homeDir: os.homedir(), platform: process.platform, readFile: () => undefined }),
      {
        timeoutMs: 15_000,
        env: {},
      },
    );
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registry-storage-'));
  });
  after(async () => {
    const engine = await connect();
    for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    if (faulty) await cleanup(faulty).catch(() => undefined);
    if (startedHere) await script('stop');
    fs.rmSync(storage, { recursive: true, force: true });
  });

  test('the pull fails with "no space left on device", says to free space, and the engine keeps working', async () => {
    const { bin } = await sharedRegistry();
    const engine = await connect();
    const name = `berth-test/${RUN_ID}-full`;
    // the main engine pushes into the storage folder through a registry on the host
    const host = await startRegistry(bin, { deleteEnabled: false, storage });
    try {
      const ref = `${host.addr}/${name}:1`;
      await tagImage(engine, PYTHON, ref);
      made.push(ref);
      await pushImage(engine, ref);
    } finally {
      await host.stop();
    }
    // the fault engine's namespace has its own 127.0.0.1: a registry there serves the same storage
    const runDir = /^unix:\/\/(.+)\/docker\.sock$/.exec(faulty.endpoint.host)?.[1];
    assert.ok(runDir, faulty.endpoint.host);
    const inside = await startRegistry(bin, { deleteEnabled: false, storage, netns: path.join(runDir, 'netns') });
    try {
      const ref = `${inside.addr}/${name}:1`;
      let failure: unknown;
      try {
        await pullImage(faulty, ref);
      } catch (err) {
        failure = err;
      }
      console.log(`full disk: ${String(failure)}`);
      assert.ok(failure instanceof TransferError, String(failure));
      assert.equal(failure.reason, 'no-space');
      assert.match(failure.message, /no space left on device — free space on the engine's disk/);
      await faulty.removeImage(ref, { force: true }).catch(() => undefined);
      // the engine still answers and still runs what it has
      assert.ok((await faulty.listImages()).some((i) => i.tags.includes(BUSYBOX)));
    } finally {
      await inside.stop();
    }
  });
});
