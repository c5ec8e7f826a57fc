/**
 * From a run profile to the Engine API's create options: GPU device requests (or CDI devices),
 * shared memory, limits, loopback port bindings, the model mounted read-only at a known path and
 * named in an env var (or several models, each at /models/<file name>, named in MODELS), a health
 * check, restart policy and Berth's labels, and the escape hatches the run form does not show (IPC
 * namespace, ulimits, host devices, runtime, network, entrypoint, the profile's own labels). Pure:
 * tested without an engine; the runs that use it are tested against one.
 */
import * as path from 'node:path';
import { MODELS_ENV, MODELS_MOUNT, type ModelEntry, type RunProfile } from './runProfile';
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
  const { exposed, bindings } = portBindings(profile);
  const gpu = gpuRequest(profile, ctx);
  const healthcheck = healthcheckOf(profile);
  const options: ContainerCreateOptions = {
    Image: ctx.image,
    ...(ctx.name ? { name: ctx.name } : {}),
    ...(profile.command ? { Cmd: [...profile.command] } : {}),
    ...(profile.workdir ? { WorkingDir: profile.workdir } : {}),
    ...(profile.user ? { User: profile.user } : {}),
    ...(profile.entrypoint ? { Entrypoint: [...profile.entrypoint] } : {}),
    Env: Object.entries(environment(profile, ctx)).map(([k, v]) => `${k}=${v}`),
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
      Binds: binds(profile, ctx.projectDir),
      PortBindings: bindings,
      ShmSize: profile.shmSizeBytes,
      ...(profile.memoryBytes === undefined ? {} : { Memory: profile.memoryBytes, MemorySwap: profile.memoryBytes }),
      ...(profile.nanoCpus === undefined ? {} : { NanoCpus: profile.nanoCpus }),
      RestartPolicy: restartPolicy(profile.restart),
      ...(gpu.deviceRequests ? { DeviceRequests: gpu.deviceRequests } : {}),
      ...(gpu.devices || profile.devices ? { Devices: [...(gpu.devices ?? []), ...hostDevices(profile)] } : {}),
      ...(profile.ipc ? { IpcMode: profile.ipc } : {}),
      ...(profile.ulimits ? { Ulimits: profile.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) } : {}),
      ...(profile.runtime ? { Runtime: profile.runtime } : {}),
      ...(profile.network ? { NetworkMode: profile.network } : {}),
    },
  };
  return { options, usesGpu: gpu.usesGpu, notes: gpu.notes };
}

/** The profile's host devices, as the engine takes them. */
function hostDevices(profile: RunProfile): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] {
  return (profile.devices ?? []).map((d) => ({
    PathOnHost: d.pathOnHost,
    PathInContainer: d.pathInContainer,
    CgroupPermissions: d.permissions,
  }));
}

/** Where one of several models is in the container: /models/<its file name>. */
export function modelMountPoint(model: ModelEntry): string {
  return path.posix.join(MODELS_MOUNT, path.basename(model.path));
}

/** MODELS for the sample server (and any server that reads it): name=path pairs, comma-separated, in the profile's order. */
export function modelsEnv(models: readonly ModelEntry[]): string {
  return models.map((m) => `${m.name}=${modelMountPoint(m)}`).join(',');
}

/** The env files' variables, then the profile's, then the model's mount point under its variable name (or MODELS). */
function environment(profile: RunProfile, ctx: RunContext): Record<string, string> {
  const env: Record<string, string> = { ...(ctx.envFromFiles ?? {}), ...profile.env };
  if (profile.model) env[profile.model.env] = profile.model.mountAt;
  if (profile.models) env[MODELS_ENV] = modelsEnv(profile.models);
  return env;
}

/** The profile's volumes (host paths from the project folder, named volumes as they are), then the model(s), read-only. */
function binds(profile: RunProfile, projectDir: string): string[] {
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(projectDir, p));
  // a named volume has no slash and does not start with a dot
  const isNamedVolume = (s: string): boolean => !s.includes('/') && !s.startsWith('.');
  const mounts = profile.volumes.map(
    (v) => `${isNamedVolume(v.source) ? v.source : resolve(v.source)}:${v.target}${v.readOnly ? ':ro' : ''}`,
  );
  if (profile.model) mounts.push(`${resolve(profile.model.path)}:${profile.model.mountAt}:ro`);
  for (const model of profile.models ?? []) mounts.push(`${resolve(model.path)}:${modelMountPoint(model)}:ro`);
  return mounts;
}

/** Each port exposed, and bound on the host: to the same port, to any free one (0), or to the one asked for. */
function portBindings(profile: RunProfile): {
  exposed: Record<string, object>;
  bindings: Record<string, { HostIp: string; HostPort: string }[]>;
} {
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
  return { exposed, bindings };
}

interface GpuRequest {
  readonly usesGpu: boolean;
  readonly deviceRequests?: ReturnType<typeof deviceRequest>;
  readonly devices?: ReturnType<typeof cdiDevices>;
  /** Why the GPU request was left out, when it was. */
  readonly notes: string[];
}

/** The GPU as the engine asks for it (device requests or CDI devices), or left out with a note: CPU chosen, or no GPU and the profile allows CPU. */
function gpuRequest(profile: RunProfile, ctx: RunContext): GpuRequest {
  if (profile.gpus.kind === 'none') return { usesGpu: false, notes: [] };
  if (ctx.forceCpu === true) return { usesGpu: false, notes: ['running on CPU, as chosen: the GPU request is left out'] };
  if (ctx.gpu && !ctx.gpu.available && profile.gpuFallback === 'cpu')
    return {
      usesGpu: false,
      notes: [`no GPU on this engine (${ctx.gpu.reasons[0] ?? 'not detected'}): running on CPU ("GPU if available")`],
    };
  if (ctx.gpu?.requestStyle === 'cdi') return { usesGpu: true, devices: cdiDevices(profile, ctx.gpu), notes: [] };
  return { usesGpu: true, deviceRequests: deviceRequest(profile), notes: [] };
}

/** The profile's health check: none, the image's own (undefined), or an HTTP probe run by the image's python3. */
function healthcheckOf(profile: RunProfile): ContainerCreateOptions['Healthcheck'] {
  const health = profile.healthcheck;
  if (health.kind === 'none') return { Test: ['NONE'] };
  if (health.kind !== 'http') return undefined;
  const port = health.port ?? profile.ports[0]?.containerPort ?? 8000;
  const url = `http://127.0.0.1:${port}${health.path}`;
  // python's urllib is in every Python image; images without python keep curl or wget
  const probe = `import sys,urllib.request\ntry: urllib.request.urlopen(${JSON.stringify(url)}, timeout=${Math.max(1, Math.round(health.timeoutMs / 1000))})\nexcept Exception: sys.exit(1)`;
  return {
    Test: ['CMD', 'python3', '-c', probe],
    Interval: health.intervalMs * NS_PER_MS,
    Timeout: health.timeoutMs * NS_PER_MS,
    Retries: health.retries,
    StartPeriod: health.startPeriodMs * NS_PER_MS,
  };
}

function restartPolicy(restart: RunProfile['restart']): NonNullable<ContainerCreateOptions['HostConfig']>['RestartPolicy'] {
  return restart.name === 'on-failure'
    ? { Name: 'on-failure', MaximumRetryCount: restart.maxRetries }
    : { Name: restart.name === 'no' ? '' : restart.name };
}
