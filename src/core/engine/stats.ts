/**
 * Container resource statistics, computed the way `docker stats` does (docker/cli
 * cli/command/container/stats_helpers.go): CPU % from the delta against the previous sample,
 * memory without the page cache, network and block I/O summed.
 */
import type { Engine } from './engine';
import { abortable, dockerodeOf } from './engine';
import { jsonLines } from './streams';

export interface RawStats {
  read?: string;
  preread?: string;
  pids_stats?: { current?: number };
  cpu_stats?: RawCpu;
  precpu_stats?: RawCpu;
  memory_stats?: {
    usage?: number;
    limit?: number;
    stats?: Record<string, number>;
    privateworkingset?: number;
    commitbytes?: number;
  };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
  storage_stats?: { read_size_bytes?: number; write_size_bytes?: number };
  num_procs?: number;
}

interface RawCpu {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface ContainerStats {
  /** Sample time as the engine reported it. */
  readonly read: string;
  /** Percent of one CPU × number of CPUs (200 = two full cores), like `docker stats`. */
  readonly cpuPercent: number;
  /** Bytes in use, page cache excluded. */
  readonly memoryUsage: number;
  /** The container's memory limit, or the host's memory when it has none. */
  readonly memoryLimit: number;
  readonly memoryPercent: number;
  readonly networkRx: number;
  readonly networkTx: number;
  readonly blockRead: number;
  readonly blockWrite: number;
  readonly pids: number;
}

/** Memory in use without the page cache (cgroup v1: total_inactive_file; v2: inactive_file). */
export function memoryUsageNoCache(memory: RawStats['memory_stats']): number {
  const usage = memory?.usage ?? 0;
  const stats = memory?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file;
  if (v2 !== undefined && v2 < usage) return usage - v2;
  return usage;
}

export function cpuPercent(stats: RawStats): number {
  const cpu = stats.cpu_stats;
  const pre = stats.precpu_stats;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  const onlineCpus = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * onlineCpus * 100;
  return 0;
}

export function computeStats(raw: RawStats): ContainerStats {
  const memoryUsage = memoryUsageNoCache(raw.memory_stats);
  const memoryLimit = raw.memory_stats?.limit ?? 0;
  let networkRx = 0;
  let networkTx = 0;
  for (const net of Object.values(raw.networks ?? {})) {
    networkRx += net.rx_bytes ?? 0;
    networkTx += net.tx_bytes ?? 0;
  }
  let blockRead = 0;
  let blockWrite = 0;
  for (const entry of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = (entry.op ?? '').toLowerCase();
    if (op === 'read') blockRead += entry.value ?? 0;
    else if (op === 'write') blockWrite += entry.value ?? 0;
  }
  return {
    read: raw.read ?? '',
    cpuPercent: cpuPercent(raw),
    memoryUsage,
    memoryLimit,
    memoryPercent: memoryLimit > 0 ? (memoryUsage / memoryLimit) * 100 : 0,
    networkRx,
    networkTx,
    blockRead,
    blockWrite,
    pids: raw.pids_stats?.current ?? 0,
  };
}

/** Live stats, one sample a second, until the signal aborts or the container stops. */
export async function* containerStats(engine: Engine, id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<ContainerStats> {
  const stream = await engine.openStream({
    path: `/containers/${encodeURIComponent(id)}/stats`,
    operation: `stats of ${id}`,
    query: { stream: true },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    for await (const raw of jsonLines<RawStats>(stream)) {
      // a stopped container keeps streaming zeroed samples: stop there
      if (raw.read === undefined || raw.read.startsWith('0001-01-01')) return;
      yield computeStats(raw);
    }
  } catch (err) {
    if (options.signal?.aborted === true) return;
    throw engine.translate(err, `stats of ${id}`);
  } finally {
    stream.destroy();
  }
}

/** One sample (the engine waits a second to have a CPU delta). */
export async function sampleStats(engine: Engine, id: string, signal?: AbortSignal): Promise<ContainerStats> {
  const raw = await engine.call(
    `stats of ${id}`,
    (s) =>
      dockerodeOf(engine)
        .getContainer(id)
        .stats({ stream: false, ...abortable(s) }),
    signal,
  );
  return computeStats(raw);
}

/**
 * One raw sample at once: the `one-shot` read (API 1.41+) does not wait a second for a CPU delta,
 * so its `precpu_stats` is empty and the caller takes the delta against its own previous read (an
 * older engine ignores `one-shot` and waits, then fills `precpu_stats`).
 */
export async function statsOnce(engine: Engine, id: string, signal?: AbortSignal): Promise<RawStats> {
  const stream = await engine.openStream({
    path: `/containers/${encodeURIComponent(id)}/stats`,
    operation: `stats of ${id}`,
    query: { stream: false, 'one-shot': true },
    ...(signal ? { signal } : {}),
  });
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as RawStats;
  } catch (err) {
    throw engine.translate(err, `stats of ${id}`);
  } finally {
    stream.destroy();
  }
}
