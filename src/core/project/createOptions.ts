/**
 * From a run profile to the Engine API's create options: GPU device requests (or CDI devices),
 * shared memory, limits, loopback port bindings, the model mounted read-only at a known path and
 * named in an env var, a health check, restart policy and Berth's labels. Pure: tested without
 * an engine; the runs that use it are tested against one.
 */
import * as path from 'node:path';
import type { RunProfile } from './runProfile';
import type { ContainerCreateOptions } from '../engine/engine';
import type { GpuDetection } from '../engine/gpu';
import { BERTH_LABEL } from '../engine/labels';
import type { RunPlan } from '../engine/run';

export type { RunPlan } from '../engine/run';
export { isGpuRefusal } from '../engine/run';

export interface RunContext {
  readonly image: string;
  /** Absolute path of the workspace folder: relative paths in the profile start here. */
  readonly projectDir: string;
  readonly name?: string;
  /** What the engine can do about GPUs; undefined when not known (the request is sent as asked). */
  readonly gpu?: GpuDetection;
  /** Run without the GPU even though the profile asks for one (the user chose "Run on CPU"). */
  readonly forceCpu?: boolean;
  /** Variables read from the profile's env files, lowest precedence. */
  readonly envFromFiles?: Readonly<Record<string, string>>;
  readonly extraLabels?: Readonly<Record<string, string>>;
}

/** The profile wants a GPU, the engine has none, and the profile does not allow running on CPU. */
export function gpuUnavailable(profile: RunProfile, gpu: GpuDetection | undefined): boolean {
  return profile.gpus.kind !== 'none' && gpu !== undefined && !gpu.available && profile.gpuFallback !== 'cpu';
}

function deviceRequest(profile: RunProfile): NonNullable<ContainerCreateOptions['HostConfig']>['DeviceRequests'] {
  const g = profile.gpus;
  const capabilities = [profile.gpuCapabilities.length > 0 ? [...profile.gpuCapabilities] : ['gpu']];
  if (g.kind === 'devices') return [{ Driver: 'nvidia', Count: 0, DeviceIDs: [...g.ids], Capabilities: capabilities, Options: {} }];
  return [
    {
      Driver: 'nvidia',
      Count: g.kind === 'count' ? g.count : -1,
      DeviceIDs: null,
      Capabilities: capabilities,
      Options: {},
    },
  ];
}

function cdiDevices(
  profile: RunProfile,
  detection: GpuDetection,
): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] {
  const g = profile.gpus;
  const kind = detection.cdiDevices[0]?.split('=')[0] ?? 'nvidia.com/gpu';
  const names =
    g.kind === 'devices'
      ? g.ids.map((id) => `${kind}=${id}`)
      : g.kind === 'count'
        ? detection.cdiDevices.filter((d) => !d.endsWith('=all')).slice(0, g.count)
        : [`${kind}=all`];
  return names.map((name) => ({ PathOnHost: name, PathInContainer: '', CgroupPermissions: '' }));
}

const NS_PER_MS = 1_000_000;

export function toCreateOptions(profile: RunProfile, ctx: RunContext): RunPlan {
  const notes: string[] = [];
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(ctx.projectDir, p));
  // a named volume has no slash and does not start with a dot
  const isNamedVolume = (s: string): boolean => !s.includes('/') && !s.startsWith('.');

  const env: Record<string, string> = { ...(ctx.envFromFiles ?? {}), ...profile.env };
  const binds: string[] = profile.volumes.map(
    (v) => `${isNamedVolume(v.source) ? v.source : resolve(v.source)}:${v.target}${v.readOnly ? ':ro' : ''}`,
  );
  if (profile.model) {
    const host = resolve(profile.model.path);
    binds.push(`${host}:${profile.model.mountAt}:ro`);
    env[profile.model.env] = profile.model.mountAt;
  }

  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of profile.ports) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: p.hostIp,
      HostPort: p.hostPort === undefined ? String(p.containerPort) : p.hostPort === 0 ? '' : String(p.hostPort),
    });
  }

  let usesGpu = false;
  let deviceRequests: ReturnType<typeof deviceRequest> | undefined;
  let devices: ReturnType<typeof cdiDevices> | undefined;
  if (profile.gpus.kind !== 'none') {
    if (ctx.forceCpu === true) notes.push('running on CPU, as chosen: the GPU request is left out');
    else if (ctx.gpu && !ctx.gpu.available && profile.gpuFallback === 'cpu')
      notes.push(`no GPU on this engine (${ctx.gpu.reasons[0] ?? 'not detected'}): running on CPU ("GPU if available")`);
    else if (ctx.gpu?.requestStyle === 'cdi') {
      devices = cdiDevices(profile, ctx.gpu);
      usesGpu = true;
    } else {
      deviceRequests = deviceRequest(profile);
      usesGpu = true;
    }
  }

  const health = profile.healthcheck;
  let healthcheck: ContainerCreateOptions['Healthcheck'];
  if (health.kind === 'none') healthcheck = { Test: ['NONE'] };
  else if (health.kind === 'http') {
    const port = health.port ?? profile.ports[0]?.containerPort ?? 8000;
    const url = `http://127.0.0.1:${port}${health.path}`;
    // python's urllib is in every Python image; images without python keep curl or wget
    const probe = `import sys,urllib.request\ntry: urllib.request.urlopen(${JSON.stringify(url)}, timeout=${Math.max(1, Math.round(health.timeoutMs / 1000))})\nexcept Exception: sys.exit(1)`;
    healthcheck = {
      Test: ['CMD', 'python3', '-c', probe],
      Interval: health.intervalMs * NS_PER_MS,
      Timeout: health.timeoutMs * NS_PER_MS,
      Retries: health.retries,
      StartPeriod: health.startPeriodMs * NS_PER_MS,
    };
  }

  const restart = profile.restart;
  const options: ContainerCreateOptions = {
    Image: ctx.image,
    ...(ctx.name ? { name: ctx.name } : {}),
    ...(profile.command ? { Cmd: [...profile.command] } : {}),
    ...(profile.workdir ? { WorkingDir: profile.workdir } : {}),
    ...(profile.user ? { User: profile.user } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: exposed,
    Labels: {
      ...profile.labels,
      ...(ctx.extraLabels ?? {}),
      [BERTH_LABEL.managed]: 'true',
      [BERTH_LABEL.profile]: profile.name,
      [BERTH_LABEL.project]: ctx.projectDir,
    },
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    HostConfig: {
      Binds: binds,
      PortBindings: bindings,
      ShmSize: profile.shmSizeBytes,
      ...(profile.memoryBytes === undefined ? {} : { Memory: profile.memoryBytes, MemorySwap: profile.memoryBytes }),
      ...(profile.nanoCpus === undefined ? {} : { NanoCpus: profile.nanoCpus }),
      RestartPolicy:
        restart.name === 'on-failure'
          ? { Name: 'on-failure', MaximumRetryCount: restart.maxRetries }
          : { Name: restart.name === 'no' ? '' : restart.name },
      ...(deviceRequests ? { DeviceRequests: deviceRequests } : {}),
      ...(devices ? { Devices: devices } : {}),
    },
  };
  return { options, usesGpu, notes };
}
