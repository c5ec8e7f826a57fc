/**
 * Shared set-up for the engine tier: a real engine resolved as the docker CLI would, the locally
 * built base images, and a run label on everything created so that only that is removed.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { resolveEndpoint, type EngineEndpoint } from '../../src/core/engine/connection';
import { Engine, type ContainerCreateOptions } from '../../src/core/engine/engine';

export const BUSYBOX = process.env.BERTH_BUSYBOX_IMAGE ?? 'berth-busybox:latest';
export const PYTHON = process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest';
/** The Python image with Debian's IPython: notebooks run through IPython's own shell. */
export const IPYTHON = process.env.BERTH_IPYTHON_IMAGE ?? 'berth-python-ipython:latest';
/** Debian's redis-server and prometheus on the Python base (scripts/images), for the AI stack. */
export const REDIS = process.env.BERTH_REDIS_IMAGE ?? 'berth-redis:latest';
export const PROMETHEUS = process.env.BERTH_PROMETHEUS_IMAGE ?? 'berth-prometheus:latest';
export const TEST_LABEL = 'berth.test';
export const RUN_ID = `${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

export function localEndpoint(): EngineEndpoint {
  return resolveEndpoint({
    env: process.env,
    homeDir: os.homedir(),
    platform: process.platform,
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
  });
}

let shared: Promise<Engine> | undefined;
export function connect(): Promise<Engine> {
  shared ??= Engine.connect(localEndpoint(), { timeoutMs: 15_000, env: process.env });
  return shared;
}

export const labels = (extra: Record<string, string> = {}): Record<string, string> => ({ [TEST_LABEL]: RUN_ID, ...extra });

/** Create (and by default start) a labelled container. */
export async function run(engine: Engine, options: Partial<ContainerCreateOptions> & { start?: boolean } = {}): Promise<string> {
  const { start = true, ...create } = options;
  const id = await engine.createContainer({
    Image: BUSYBOX,
    Cmd: ['sleep', '300'],
    StopSignal: 'SIGKILL',
    ...create,
    Labels: { ...labels(), ...(create.Labels ?? {}) },
  });
  if (start) await engine.startContainer(id);
  return id;
}

/** Remove everything this run labelled (containers, volumes, networks) — nothing else. */
export async function cleanup(engine: Engine): Promise<void> {
  const filter = { label: [`${TEST_LABEL}=${RUN_ID}`] };
  for (const c of await engine.listContainers({ filters: filter })) {
    await engine.removeContainer(c.id, { force: true, volumes: true }).catch(() => undefined);
  }
  for (const v of await engine.listVolumes({ filters: filter })) {
    await engine.removeVolume(v.name).catch(() => undefined);
  }
  for (const n of await engine.listNetworks({ filters: filter })) {
    await engine.removeNetwork(n.id).catch(() => undefined);
  }
}

/** Collect an async iterable into an array (up to `limit` items). */
export async function collect<T>(source: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}
