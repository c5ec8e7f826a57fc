/**
 * Can this engine give a container a GPU? Three signals, each reported with why or why not:
 * an `nvidia` runtime in the engine's info, CDI specs naming GPU devices (/etc/cdi,
 * /var/run/cdi, or the dirs the engine reports), and `nvidia-smi` on the engine host when the
 * engine is local. On Podman the runtime counts for nothing: its Docker-compatible API drops
 * Docker's GPU request (DeviceRequests), so only CDI devices can give a container a GPU there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadYaml } from './yamlText';
import type { EngineInfo } from './engine';
import { PODMAN_CDI_HINT } from './podman';

export interface GpuDevice {
  readonly index: string;
  readonly name: string;
  readonly memoryMiB?: number;
  readonly driverVersion?: string;
}

export type GpuSignal = 'nvidia-runtime' | 'cdi' | 'nvidia-smi';

export interface GpuDetection {
  /** True when a GPU request is expected to work on this engine. */
  readonly available: boolean;
  /** One line for a status bar: "GPU: 2 × NVIDIA A100" or "no GPU". */
  readonly summary: string;
  /** The signals that were found. */
  readonly found: readonly GpuSignal[];
  /** GPUs seen by nvidia-smi on the engine host. */
  readonly devices: readonly GpuDevice[];
  /** Fully qualified CDI device names, e.g. "nvidia.com/gpu=all". */
  readonly cdiDevices: readonly string[];
  /** Why each missing signal is missing, or why the GPU is not usable; empty when all is well. */
  readonly reasons: readonly string[];
  /** How a run should ask for the GPU on this engine. */
  readonly requestStyle: 'device-requests' | 'cdi' | 'none';
}

export interface GpuProbe {
  readonly info: Pick<EngineInfo, 'runtimes' | 'cdiSpecDirs'>;
  /** The engine runs on this machine, so host files and tools describe it. */
  readonly local: boolean;
  /** List a directory's file names, or undefined when it does not exist. */
  readonly listDir: (dir: string) => string[] | undefined;
  readonly readFile: (file: string) => string | undefined;
  /** nvidia-smi's CSV output, undefined when it is not installed; throws with a message when it fails. */
  readonly nvidiaSmi: () => Promise<string | undefined>;
  /** Which engine answers (its version's flavour); Docker when not given. */
  readonly flavour?: 'docker' | 'podman';
}

export const DEFAULT_CDI_DIRS = ['/etc/cdi', '/var/run/cdi'] as const;

interface CdiSpec {
  kind?: unknown;
  devices?: { name?: unknown }[];
}

/** CDI device names from spec files (YAML or JSON) in the given dirs. */
export function readCdiDevices(
  dirs: readonly string[],
  listDir: GpuProbe['listDir'],
  readFile: GpuProbe['readFile'],
): { devices: string[]; errors: string[] } {
  const devices: string[] = [];
  const errors: string[] = [];
  for (const dir of dirs) {
    for (const name of (listDir(dir) ?? []).sort()) {
      if (!/\.(ya?ml|json)$/i.test(name)) continue;
      const file = path.join(dir, name);
      const text = readFile(file);
      if (text === undefined) continue;
      let spec: CdiSpec;
      try {
        spec = loadYaml(text) as CdiSpec;
      } catch (err) {
        errors.push(`${file}: ${(err as Error).message.split('\n')[0] ?? ''}`);
        continue;
      }
      if (typeof spec?.kind !== 'string' || !/gpu/i.test(spec.kind)) continue;
      const kind = spec.kind;
      for (const device of spec.devices ?? []) {
        if (typeof device.name === 'string') devices.push(`${kind}=${device.name}`);
      }
    }
  }
  return { devices, errors };
}

/** Parse `nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(csv: string): GpuDevice[] {
  return csv
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [index = '', name = '', memory = '', driver = ''] = line.split(',').map((f) => f.trim());
      const memoryMiB = Number(memory);
      return {
        index,
        name,
        ...(Number.isFinite(memoryMiB) && memory !== '' ? { memoryMiB } : {}),
        ...(driver === '' ? {} : { driverVersion: driver }),
      };
    });
}

export async function detectGpu(probe: GpuProbe): Promise<GpuDetection> {
  const found: GpuSignal[] = [];
  const reasons: string[] = [];
  const runtimes = probe.info.runtimes;
  const podman = probe.flavour === 'podman';
  // Podman lists runtimes it is configured for, and drops DeviceRequests whatever they are
  const hasRuntime = !podman && runtimes.some((r) => r.startsWith('nvidia'));
  if (hasRuntime) found.push('nvidia-runtime');
  else if (podman) reasons.push(`the engine is Podman, which ignores Docker's GPU request (--gpus); ${PODMAN_CDI_HINT}`);
  else
    reasons.push(
      `the engine has no "nvidia" runtime (runtimes: ${runtimes.join(', ') || 'none'}) — install the NVIDIA Container Toolkit and run "nvidia-ctk runtime configure"`,
    );

  let cdiDevices: string[] = [];
  let devices: GpuDevice[] = [];
  if (probe.local) {
    const dirs = probe.info.cdiSpecDirs.length > 0 ? probe.info.cdiSpecDirs : [...DEFAULT_CDI_DIRS];
    const cdi = readCdiDevices(dirs, probe.listDir, probe.readFile);
    cdiDevices = cdi.devices;
    reasons.push(...cdi.errors.map((e) => `unreadable CDI spec ${e}`));
    if (cdiDevices.length > 0) found.push('cdi');
    else reasons.push(`no CDI GPU devices in ${dirs.join(' or ')}`);

    try {
      const out = await probe.nvidiaSmi();
      if (out === undefined) reasons.push('nvidia-smi is not installed on the engine host (no NVIDIA driver)');
      else {
        devices = parseNvidiaSmi(out);
        if (devices.length > 0) found.push('nvidia-smi');
        else reasons.push('nvidia-smi found no GPU');
      }
    } catch (err) {
      reasons.push(`nvidia-smi failed: ${(err as Error).message}`);
    }
  } else {
    reasons.push('the engine is remote: its host was not inspected for CDI specs or nvidia-smi');
  }

  const engineCanRequest = hasRuntime || cdiDevices.length > 0;
  const hostHasGpu = !probe.local || devices.length > 0 || cdiDevices.length > 0;
  const available = engineCanRequest && hostHasGpu;
  if (!available && probe.local && devices.length > 0 && !engineCanRequest) {
    reasons.unshift(`${devices.length} GPU(s) on the host, but the engine is not set up to hand them to containers`);
  }
  const requestStyle = !available ? 'none' : hasRuntime ? 'device-requests' : 'cdi';
  const summary = available
    ? devices.length > 0
      ? `GPU: ${devices.length} × ${devices[0]?.name ?? 'GPU'}`
      : cdiDevices.length > 0
        ? `GPU: ${cdiDevices.length} CDI device(s)`
        : 'GPU: nvidia runtime'
    : 'no GPU';
  return { available, summary, found, devices, cdiDevices, reasons: available ? [] : reasons, requestStyle };
}

/** The probe for a real engine: host files and nvidia-smi via execa (no shell). */
export function hostGpuProbe(
  info: Pick<EngineInfo, 'runtimes' | 'cdiSpecDirs'>,
  local: boolean,
  timeoutMs = 5000,
  flavour: 'docker' | 'podman' = 'docker',
): GpuProbe {
  return {
    info,
    local,
    flavour,
    listDir: (dir) => {
      try {
        return fs.readdirSync(dir);
      } catch {
        return undefined;
      }
    },
    readFile: (file) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    nvidiaSmi: async () => {
      const { execa } = await import('execa');
      try {
        const result = await execa('nvidia-smi', ['--query-gpu=index,name,memory.total,driver_version', '--format=csv,noheader,nounits'], {
          timeout: timeoutMs,
          reject: true,
        });
        return result.stdout;
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return undefined;
        const shortMessage = (err as { shortMessage?: string }).shortMessage;
        throw new Error(shortMessage ?? (err as Error).message, { cause: err });
      }
    },
  };
}
