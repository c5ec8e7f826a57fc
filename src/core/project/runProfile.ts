/**
 * Run profiles: what a run needs, saved per workspace in `berth.yaml`, validated with every
 * problem reported at its line. Pure: no vscode, no I/O.
 *
 *   version: 1
 *   profiles:
 *     serve:
 *       build: { dockerfile: Dockerfile, context: ., args: { BASE: python:3.12-slim } }
 *       ports: ["8000"]                 # → 127.0.0.1:8000:8000 unless a host IP is given
 *       model: { path: model, mountAt: /models, env: MODEL_PATH }
 *       models: [model/iris.npz, { name: v2, path: model/iris-v2.npz }]   # or several, in one server
 *       gpus: all                        # none | all | <count> | [device ids]
 *       gpuFallback: cpu                 # cpu: "GPU if available"; fail: refuse to run without
 *       shmSize: 1g
 *       memory: 4g
 *       cpus: 2
 *       healthcheck: { http: /health, port: 8000 }
 *       ipc: host                        # escape hatches the form does not show: ipc, ulimits,
 *       ulimits: { nofile: 65536 }       # devices, runtime, network, entrypoint, labels
 *
 * The format is schemas/berth.schema.json: the document is checked against it first (shapes,
 * types, fixed values, unknown keys), then read here, with the checks a schema cannot make
 * (port and volume syntax, sizes, clashing model names, settings that exclude each other).
 */
import { parseDocument } from 'yaml';
import { checkBerthSchema } from './berthSchema';
import { parseDuration, parseSize } from './units';

export interface PortSpec {
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
  /** undefined: the same as the container port. 0: any free port. */
  readonly hostPort?: number;
  readonly hostIp: string;
}

export interface VolumeSpec {
  /** A path (relative to the project) or a named volume. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export type GpuSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'all' }
  | { readonly kind: 'count'; readonly count: number }
  | { readonly kind: 'devices'; readonly ids: readonly string[] };

export type HealthSpec =
  | { readonly kind: 'image' }
  | { readonly kind: 'none' }
  | {
      readonly kind: 'http';
      readonly path: string;
      readonly port?: number;
      readonly intervalMs: number;
      readonly timeoutMs: number;
      readonly retries: number;
      readonly startPeriodMs: number;
    };

export type RestartSpec =
  { readonly name: 'no' | 'unless-stopped' | 'always' } | { readonly name: 'on-failure'; readonly maxRetries: number };

export interface BuildSpec {
  readonly dockerfile: string;
  readonly context: string;
  readonly target?: string;
  readonly args: Readonly<Record<string, string>>;
}

/** One of several models a profile serves from one container. */
export interface ModelEntry {
  /** The name it is served under (/models/<name>/predict): the file's name without its extension unless given. */
  readonly name: string;
  /** The model file, relative to the project (or absolute). */
  readonly path: string;
}

/** A resource limit in the container (ulimits), -1 for unlimited. */
export interface UlimitSpec {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

/** A host device given to the container (devices: "/dev/host[:/dev/container[:rwm]]"). */
export interface DeviceSpec {
  readonly pathOnHost: string;
  readonly pathInContainer: string;
  /** r, w and m (mknod): the cgroup permissions. */
  readonly permissions: string;
}

export interface RunProfile {
  readonly name: string;
  readonly image?: string;
  readonly build?: BuildSpec;
  readonly command?: readonly string[];
  readonly workdir?: string;
  /** uid[:gid] or a user name in the image; by default the image's USER. */
  readonly user?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly envFiles: readonly string[];
  readonly ports: readonly PortSpec[];
  readonly volumes: readonly VolumeSpec[];
  readonly model?: { readonly path: string; readonly mountAt: string; readonly env: string };
  /**
   * Several models served by one container: each file mounted read-only at /models/<file name>,
   * and all named in MODELS (name=/models/<file name>, comma-separated) for the server to load.
   */
  readonly models?: readonly ModelEntry[];
  readonly gpus: GpuSpec;
  readonly gpuCapabilities: readonly string[];
  /** cpu: run without the GPU when there is none ("GPU if available"); fail: refuse. */
  readonly gpuFallback: 'cpu' | 'fail';
  readonly shmSizeBytes: number;
  readonly memoryBytes?: number;
  readonly nanoCpus?: number;
  readonly restart: RestartSpec;
  readonly healthcheck: HealthSpec;
  readonly labels: Readonly<Record<string, string>>;
  /** The IPC namespace: host, private, shareable, none or container:<name>; by default the engine's. */
  readonly ipc?: string;
  readonly ulimits?: readonly UlimitSpec[];
  readonly devices?: readonly DeviceSpec[];
  /** The OCI runtime (e.g. nvidia); by default the engine's. */
  readonly runtime?: string;
  /** bridge, host, none, a network's name or container:<name>; by default the engine's (bridge). */
  readonly network?: string;
  /** Replaces the image's ENTRYPOINT; [""] clears it. */
  readonly entrypoint?: readonly string[];
}

export interface ConfigProblem {
  /** 1-based */
  readonly line: number;
  readonly column: number;
  /** Where in the document, e.g. profiles.serve.gpus */
  readonly path: string;
  readonly message: string;
}

export interface BerthConfig {
  readonly profiles: readonly RunProfile[];
  readonly problems: readonly ConfigProblem[];
}

/** ML frameworks need far more shared memory than Docker's 64 MB default (DataLoader workers). */
export const DEFAULT_SHM_BYTES = 1 * 2 ** 30;
export const DEFAULT_MODEL_MOUNT = '/models';
export const DEFAULT_MODEL_ENV = 'MODEL_PATH';
/** The variable naming a multi-model profile's models: name=path pairs, comma-separated. */
export const MODELS_ENV = 'MODELS';
/** Where a multi-model profile's model files are mounted, each under its file name. */
export const MODELS_MOUNT = '/models';
/** A model's name in MODELS and in /models/<name>/predict. */
export const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const LOOPBACK = '127.0.0.1';

/**
 * The line of a key path in block-style YAML, found by indentation; the nearest ancestor's line
 * when the exact key cannot be placed (flow style, anchors).
 */
export function lineOf(text: string, path: readonly (string | number)[]): { line: number; column: number } {
  const lines = text.split(/\r?\n/);
  let from = 0;
  let indent = -1;
  let found = { line: 1, column: 1 };
  for (const key of path) {
    let hit: { index: number; indent: number } | undefined;
    for (let i = from; i < lines.length; i++) {
      const raw = lines[i] ?? '';
      if (/^\s*(#|$)/.test(raw)) continue;
      const ind = raw.length - raw.trimStart().length;
      if (i > from && ind <= indent && indent >= 0) break; // left the parent's block
      const body = raw.trimStart();
      const matches =
        typeof key === 'number'
          ? body.startsWith('- ') || body === '-'
          : new RegExp(`^(- )?["']?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`).test(body);
      if (matches && ind > indent) {
        if (typeof key === 'number') {
          // count list items at this indentation
          let n = -1;
          for (let j = i; j < lines.length; j++) {
            const r = lines[j] ?? '';
            if (/^\s*(#|$)/.test(r)) continue;
            const ji = r.length - r.trimStart().length;
            if (ji < ind) break;
            if (ji === ind && r.trimStart().startsWith('-')) n++;
            if (n === key) {
              hit = { index: j, indent: ji };
              break;
            }
          }
        } else hit = { index: i, indent: ind };
        break;
      }
    }
    if (!hit) return found;
    found = { line: hit.index + 1, column: hit.indent + 1 };
    from = hit.index;
    indent = hit.indent;
  }
  return found;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Problems at their places in the document. */
class Validator {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly text: string) {}

  problem(path: (string | number)[], message: string): void {
    const { line, column } = lineOf(this.text, path);
    this.problems.push({ line, column, path: path.join('.'), message });
  }

  isObject(v: Json | undefined): v is { [key: string]: Json } {
    return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
  }
}

/** A string setting (a number is taken as its text); blank is absent. The schema has checked its type. */
function text(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? (v.trim() === '' ? undefined : v) : typeof v === 'number' ? String(v) : undefined;
}

/** Names to values: a mapping, or a list of KEY=VALUE (as in compose). */
function stringMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const m = typeof item === 'string' ? /^([^=]+)=(.*)$/.exec(item) : null;
      if (m?.[1] !== undefined) out[m[1]] = m[2] ?? '';
    }
  } else if (v !== null && v !== undefined && typeof v === 'object') {
    for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined && typeof val !== 'object') out[k] = String(val);
  }
  return out;
}

/** A list of strings, or one. */
function stringList(v: Json | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return [];
  return v.flatMap((item) => (typeof item === 'string' || typeof item === 'number' ? [String(item)] : []));
}

/** "8000", "8080:8000", "127.0.0.1:8080:8000", "0.0.0.0::8000", "8000/udp", or a mapping. */
export function parsePort(spec: Json, defaultIp = LOOPBACK): PortSpec | string {
  if (typeof spec === 'number') spec = String(spec);
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const container = Number(spec.container ?? spec.containerPort);
    const host = spec.host ?? spec.hostPort;
    const hostPort = host === undefined || host === null ? undefined : Number(host);
    const protocol = spec.protocol === 'udp' ? 'udp' : 'tcp';
    if (!validPort(container)) return 'container must be a port number (1-65535)';
    if (hostPort !== undefined && hostPort !== 0 && !validPort(hostPort))
      return 'host must be a port number (1-65535), or 0 for any free port';
    const hostIp = typeof spec.hostIp === 'string' ? spec.hostIp : defaultIp;
    return { containerPort: container, protocol, ...(hostPort === undefined ? {} : { hostPort }), hostIp };
  }
  if (typeof spec !== 'string') return 'a port is "8000", "8080:8000", "127.0.0.1:8080:8000" or a mapping';
  const [body = '', proto = 'tcp'] = spec.trim().split('/');
  if (proto !== 'tcp' && proto !== 'udp') return `unknown protocol "${proto}" (tcp or udp)`;
  // an IPv6 host IP comes in brackets: [::1]:8080:8000
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(?:(\d*):)?(\d+)$/.exec(body);
  if (!m?.[3]) return `"${spec}" is not a port mapping ("8000", "8080:8000" or "127.0.0.1:8080:8000")`;
  let hostIp = defaultIp;
  let host: string | undefined;
  if (m[2] !== undefined) {
    hostIp = m[1] === undefined || m[1] === '' ? defaultIp : m[1].replace(/^\[|\]$/g, '');
    host = m[2];
  } else if (m[1] !== undefined) {
    host = m[1];
  }
  const containerPort = Number(m[3]);
  if (!validPort(containerPort)) return `${m[3]} is not a port number (1-65535)`;
  const hostPort = host === undefined ? undefined : host === '' ? 0 : Number(host);
  if (hostPort !== undefined && hostPort !== 0 && !validPort(hostPort)) return `${host ?? ''} is not a port number (1-65535)`;
  return { containerPort, protocol: proto, ...(hostPort === undefined ? {} : { hostPort }), hostIp };
}

function validPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/** "./data:/data:ro", "cache:/root/.cache", or a mapping. */
export function parseVolume(spec: Json): VolumeSpec | string {
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) {
    const source = spec.source;
    const target = spec.target;
    if (typeof source !== 'string' || typeof target !== 'string') return 'a volume needs source and target';
    if (!target.startsWith('/')) return `target ${target} must be an absolute path in the container`;
    return { source, target, readOnly: spec.readOnly === true || spec.readonly === true };
  }
  if (typeof spec !== 'string') return 'a volume is "source:target[:ro]" or a mapping';
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) return `"${spec}" is not source:target[:ro]`;
  const [source = '', target = '', mode] = parts;
  if (!target.startsWith('/')) return `target ${target} must be an absolute path in the container`;
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return `mode "${mode}" must be ro or rw`;
  return { source, target, readOnly: mode === 'ro' };
}

export function parseGpus(v: Json | undefined): GpuSpec | string {
  if (v === undefined || v === null || v === false || v === 'none' || v === 0) return { kind: 'none' };
  if (v === true || v === 'all' || v === -1) return { kind: 'all' };
  if (typeof v === 'number')
    return Number.isInteger(v) && v > 0 ? { kind: 'count', count: v } : 'gpus must be none, all, a count or a list of device ids';
  if (typeof v === 'string' && /^\d+$/.test(v)) return { kind: 'count', count: Number(v) };
  if (typeof v === 'string' && v.startsWith('device='))
    return {
      kind: 'devices',
      ids: v
        .slice('device='.length)
        .split(',')
        .filter((s) => s !== ''),
    };
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' || typeof x === 'number'))
    return { kind: 'devices', ids: v.map(String) };
  return 'gpus must be none, all, a count or a list of device ids';
}

type Path = (string | number)[];
type Mapping = { [key: string]: Json };

/** One profile, each setting read in turn; problems are reported in the order of the settings. */
function parseProfile(name: string, raw: Json, v: Validator): RunProfile | undefined {
  const at = ['profiles', name];
  if (!v.isObject(raw)) return undefined;

  const image = text(raw.image);
  const build = parseBuild(raw.build);
  if (!image && !build) v.problem(at, `profile ${name} needs an image or a build`);
  const command = raw.command === undefined || raw.command === null ? undefined : stringList(raw.command);
  const ports = parseEach(raw.ports, parsePort, [...at, 'ports'], v);
  const volumes = parseEach(raw.volumes, parseVolume, [...at, 'volumes'], v);
  const model = parseModel(raw.model);
  const models = parseModels(raw.models, [...at, 'models'], v);
  if (model && models) v.problem([...at, 'models'], 'use model (one) or models (several), not both');
  const gpus = parseGpus(raw.gpus);
  if (typeof gpus === 'string') v.problem([...at, 'gpus'], gpus);
  const limits = parseLimits(raw, at, v);
  const workdir = text(raw.workdir);
  const user = text(raw.user);
  const escapes = parseEscapes(raw, at, ports.length > 0, v);
  return {
    name,
    ...(image ? { image } : {}),
    ...(build ? { build } : {}),
    ...(command ? { command } : {}),
    ...(workdir ? { workdir } : {}),
    ...(user ? { user } : {}),
    env: stringMap(raw.env),
    envFiles: stringList(raw.envFiles),
    ports,
    volumes,
    ...(model ? { model } : {}),
    ...(models ? { models } : {}),
    gpus: typeof gpus === 'string' ? { kind: 'none' } : gpus,
    gpuCapabilities: raw.gpuCapabilities === undefined || raw.gpuCapabilities === null ? ['gpu'] : stringList(raw.gpuCapabilities),
    gpuFallback: raw.gpuFallback === 'cpu' ? 'cpu' : 'fail',
    ...limits,
    restart: parseRestart(raw.restart),
    healthcheck: parseHealthcheck(raw.healthcheck, [...at, 'healthcheck'], v),
    labels: stringMap(raw.labels),
    ...escapes,
  };
}

/** build: a Dockerfile path, or a mapping of dockerfile, context, target and args. */
function parseBuild(raw: Json | undefined): BuildSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  const b: Mapping = typeof raw === 'string' ? { dockerfile: raw } : typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const target = text(b.target);
  return {
    dockerfile: text(b.dockerfile) ?? 'Dockerfile',
    context: text(b.context) ?? '.',
    ...(target ? { target } : {}),
    args: stringMap(b.args),
  };
}

/** A list (or a single entry) parsed entry by entry; an entry that does not parse is a problem at its index. */
function parseEach<T>(raw: Json | undefined, parse: (entry: Json) => T | string, at: Path, v: Validator): T[] {
  const entries = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const out: T[] = [];
  entries.forEach((entry, i) => {
    if (entry === undefined) return; // refused by the schema
    const r = parse(entry);
    if (typeof r === 'string') v.problem(Array.isArray(raw) ? [...at, i] : at, r);
    else out.push(r);
  });
  return out;
}

/** model: a path, or a mapping of path, mountAt and env. */
function parseModel(raw: Json | undefined): RunProfile['model'] {
  if (raw === undefined || raw === null) return undefined;
  const m: Mapping = typeof raw === 'string' ? { path: raw } : typeof raw === 'object' && !Array.isArray(raw) ? raw : {};
  const path = text(m.path);
  if (!path) return undefined;
  return { path, mountAt: text(m.mountAt) ?? DEFAULT_MODEL_MOUNT, env: text(m.env) ?? DEFAULT_MODEL_ENV };
}

/** A model's name from its file: model/iris-v2.npz → iris-v2. */
export function modelName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** A model file's name (its mount point is /models/<this>). */
const fileNameOf = (file: string): string => file.split(/[\\/]/).pop() ?? file;

/**
 * models: a list of model files, each a path or a mapping of name and path; the names (from the
 * file names unless given) and the file names (their mount points) must differ.
 */
function parseModels(raw: Json | undefined, at: Path, v: Validator): readonly ModelEntry[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: ModelEntry[] = [];
  const names = new Map<string, number>();
  const files = new Map<string, number>();
  raw.forEach((item, i) => {
    const entry = typeof item === 'string' ? { path: item } : v.isObject(item) ? item : undefined;
    const file = text(entry?.path);
    if (!entry || !file) return; // refused by the schema
    const name = text(entry.name) ?? modelName(file);
    if (!MODEL_NAME.test(name)) {
      v.problem([...at, i], `model name "${name}": use letters, digits, ".", "_" and "-" (give it a name: { name, path })`);
      return;
    }
    const sameName = names.get(name);
    const fileName = fileNameOf(file);
    const sameFile = files.get(fileName);
    if (sameName !== undefined)
      v.problem([...at, i], `two models named "${name}" (entries ${sameName + 1} and ${i + 1}): give one another name`);
    else if (sameFile !== undefined)
      v.problem(
        [...at, i],
        `two model files named ${fileName} (entries ${sameFile + 1} and ${i + 1}) would share ${MODELS_MOUNT}/${fileName}: rename one of the files`,
      );
    else {
      names.set(name, i);
      files.set(fileName, i);
      out.push({ name, path: file });
    }
  });
  return out.length > 0 ? out : undefined;
}

/** shmSize, memory and cpus. */
function parseLimits(raw: Mapping, at: Path, v: Validator): Pick<RunProfile, 'shmSizeBytes' | 'memoryBytes' | 'nanoCpus'> {
  const size = (key: string): number | undefined => {
    const value = raw[key];
    return typeof value === 'string' || typeof value === 'number' ? parseSize(value) : undefined;
  };
  const shm = size('shmSize');
  const memory = size('memory');
  const cpus = raw.cpus === undefined || raw.cpus === null ? undefined : Number(raw.cpus);
  const nanoCpus = cpus !== undefined && Number.isFinite(cpus) && cpus > 0 ? Math.round(cpus * 1e9) : undefined;
  if (memory !== undefined && memory < 6 * 2 ** 20) v.problem([...at, 'memory'], 'memory below 6m is refused by the engine');
  return {
    shmSizeBytes: shm ?? DEFAULT_SHM_BYTES,
    ...(memory === undefined ? {} : { memoryBytes: memory }),
    ...(nanoCpus === undefined ? {} : { nanoCpus }),
  };
}

/** restart: no (the default), always, unless-stopped or on-failure[:max]. */
function parseRestart(raw: Json | undefined): RestartSpec {
  const m = typeof raw === 'string' ? /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(raw) : null;
  if (!m?.[1]) return { name: 'no' };
  return m[1] === 'on-failure'
    ? { name: 'on-failure', maxRetries: Number(m[2] ?? 0) }
    : { name: m[1] as 'no' | 'always' | 'unless-stopped' };
}

/** healthcheck: the image's (the default), none, an http path, or a mapping with http, port and timings. */
function parseHealthcheck(h: Json | undefined, at: Path, v: Validator): HealthSpec {
  if (h === false || h === 'none') return { kind: 'none' };
  if (typeof h === 'string' && h.startsWith('/'))
    return { kind: 'http', path: h, intervalMs: 2000, timeoutMs: 2000, retries: 3, startPeriodMs: 5000 };
  if (!v.isObject(h) || typeof h.http !== 'string') return { kind: 'image' };
  const dur = (key: string, fallback: number): number => {
    const value = h[key];
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    return ms ?? fallback;
  };
  const port = h.port === undefined || h.port === null ? undefined : Number(h.port);
  if (port !== undefined && !validPort(port)) v.problem([...at, 'port'], 'healthcheck.port must be a port number');
  return {
    kind: 'http',
    path: h.http,
    ...(port !== undefined && validPort(port) ? { port } : {}),
    intervalMs: dur('interval', 2000),
    timeoutMs: dur('timeout', 2000),
    retries: typeof h.retries === 'number' ? h.retries : 3,
    startPeriodMs: dur('startPeriod', 5000),
  };
}

/** A device: "/dev/host[:/dev/container[:rwm]]"; the same path in the container, rwm, unless given. */
export function parseDevice(spec: string): DeviceSpec | string {
  const [host = '', container, permissions, ...more] = spec.split(':');
  if (more.length > 0 || !host.startsWith('/') || (container !== undefined && !container.startsWith('/')))
    return `"${spec}" is not a device ("/dev/host[:/dev/container[:rwm]]")`;
  if (permissions !== undefined && !/^[rwm]{1,3}$/.test(permissions)) return `permissions "${permissions}" must be made of r, w and m`;
  return { pathOnHost: host, pathInContainer: container || host, permissions: permissions ?? 'rwm' };
}

/** Networks with which a container has no ports of its own to publish. */
const PORTLESS_NETWORK = /^(host|none|container:.*)$/;

/** The escape hatches: ipc, ulimits, devices, runtime, network and entrypoint, as the engine takes them. */
function parseEscapes(
  raw: Mapping,
  at: Path,
  publishes: boolean,
  v: Validator,
): Pick<RunProfile, 'ipc' | 'ulimits' | 'devices' | 'runtime' | 'network' | 'entrypoint'> {
  const ipc = text(raw.ipc);
  const runtime = text(raw.runtime);
  const network = text(raw.network);
  if (network !== undefined && publishes && PORTLESS_NETWORK.test(network))
    v.problem(
      [...at, 'network'],
      `with network: ${network} the container has no ports of its own to publish: remove ports, or use another network`,
    );
  const ulimits: UlimitSpec[] = [];
  if (v.isObject(raw.ulimits))
    for (const [name, value] of Object.entries(raw.ulimits)) {
      const limit = typeof value === 'number' ? { soft: value, hard: value } : v.isObject(value) ? value : undefined;
      if (typeof limit?.soft !== 'number' || typeof limit.hard !== 'number') continue; // refused by the schema
      if (limit.hard !== -1 && (limit.soft === -1 || limit.soft > limit.hard))
        v.problem([...at, 'ulimits', name], `ulimits.${name}: soft (${limit.soft}) must not be above hard (${limit.hard})`);
      else ulimits.push({ name, soft: limit.soft, hard: limit.hard });
    }
  const devices = parseEach(raw.devices, (d) => (typeof d === 'string' ? parseDevice(d) : 'a device is a string'), [...at, 'devices'], v);
  const entrypoint =
    typeof raw.entrypoint === 'string' ? [raw.entrypoint] : Array.isArray(raw.entrypoint) ? stringList(raw.entrypoint) : undefined;
  return {
    ...(ipc ? { ipc } : {}),
    ...(ulimits.length > 0 ? { ulimits } : {}),
    ...(devices.length > 0 ? { devices } : {}),
    ...(runtime ? { runtime } : {}),
    ...(network ? { network } : {}),
    ...(entrypoint ? { entrypoint } : {}),
  };
}

/** Parse and validate a berth.yaml; every problem comes with its line. */
export function parseBerthConfig(text: string): BerthConfig {
  // YAML 1.2's core schema (`yes`/`on` are strings), one document, no duplicate keys
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    const reason = syntax.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
    return {
      profiles: [],
      problems: [{ line: at?.line ?? 1, column: at?.col ?? 1, path: '', message: `YAML syntax: ${reason}` }],
    };
  }
  const data = (doc.toJS({ maxAliasCount: 10_000 }) ?? null) as Json;
  if (data === null) return { profiles: [], problems: [] };
  const v = new Validator(text);
  const { issues, valid } = checkBerthSchema(data);
  for (const issue of issues) v.problem([...issue.path], issue.message);
  const checked = valid as Json;
  const profiles: RunProfile[] = [];
  if (v.isObject(checked) && v.isObject(checked.profiles))
    for (const [name, raw] of Object.entries(checked.profiles)) {
      const p = parseProfile(name, raw, v);
      if (p) profiles.push(p);
    }
  return { profiles, problems: v.problems.sort((a, b) => a.line - b.line || a.column - b.column) };
}
