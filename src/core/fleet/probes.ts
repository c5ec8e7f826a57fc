/**
 * How the fleet model reaches the engine: a container's published port, a one-shot stats read,
 * `nvidia-smi` in a container, the host's memory. One interface so that unit tests can stand in.
 */
import type { PortRoute } from '../engine/contract';
import type { Engine } from '../engine/engine';
import { runExec } from '../engine/exec';
import { statsOnce, type RawStats } from '../engine/stats';

/** GPU figures of a container, summed over its GPUs; or why there are none. */
export type GpuReadout = { readonly percent: number; readonly memoryBytes: number } | { readonly note: string; readonly final: boolean };

export interface FleetProbes {
  reachPort(host: string, port: number): Promise<PortRoute>;
  /** One stats read of a running container (no wait for a second sample). */
  stats(id: string, signal: AbortSignal): Promise<RawStats>;
  /** `nvidia-smi` in the container. */
  gpu(id: string, signal: AbortSignal): Promise<GpuReadout>;
  /** The engine host's memory: a stats limit equal to it means "no limit". */
  hostMemoryBytes(signal: AbortSignal): Promise<number | undefined>;
}

const MIB = 1024 * 1024;

/** Parse `nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits`, summed over GPUs. */
export function parseGpuQuery(csv: string): { percent: number; memoryBytes: number } | undefined {
  let percent = 0;
  let memoryBytes = 0;
  let gpus = 0;
  for (const line of csv.split('\n')) {
    if (line.trim() === '') continue;
    const [u = '', used = ''] = line.split(',').map((f) => f.trim());
    const [pu, pm] = [Number(u), Number(used)];
    if (u === '' || used === '' || !Number.isFinite(pu) || !Number.isFinite(pm)) return undefined;
    percent += pu;
    memoryBytes += pm * MIB;
    gpus++;
  }
  return gpus === 0 ? undefined : { percent, memoryBytes };
}

/** The probes of a real engine. */
export function engineProbes(engine: Engine): FleetProbes {
  return {
    reachPort: (host, port) => engine.reachPort(host, port),
    stats: (id, signal) => statsOnce(engine, id, signal),
    async gpu(id, signal) {
      const r = await runExec(engine, id, {
        cmd: ['nvidia-smi', '--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits'],
        signal,
      });
      if (r.exitCode !== 0) {
        const missing = r.exitCode === 126 || r.exitCode === 127 || /not found|no such file/i.test(r.stdout + r.stderr);
        return missing
          ? { note: 'nvidia-smi is not in this image: no GPU figures', final: true }
          : { note: `nvidia-smi failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 200)}`, final: false };
      }
      return parseGpuQuery(r.stdout) ?? { note: `nvidia-smi said something unexpected: ${r.stdout.trim().slice(0, 200)}`, final: false };
    },
    async hostMemoryBytes(signal) {
      return (await engine.info(signal)).memoryBytes;
    },
  };
}
