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
 */
import * as yaml from 'js-yaml';
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

class Validator {
  readonly problems: ConfigProblem[] = [];
  constructor(private readonly text: string) {}

  problem(path: (string | number)[], message: string): void {
    const { line, column } = lineOf(this.text, path);
    this.problems.push({ line, column, path: path.join('.'), message });
  }

  isObject(v: Json | undefined): v is { [key: string]: Json } {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  string(v: Json | undefined, path: (string | number)[], what: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (typeof v === 'number') return String(v);
    this.problem(path, `${what} must be a non-empty string`);
    return undefined;
  }

  stringMap(v: Json | undefined, path: (string | number)[], what: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    if (Array.isArray(v)) {
      // KEY=VALUE list, as in compose
      const out: Record<string, string> = {};
      v.forEach((item, i) => {
        const m = typeof item === 'string' ? /^([^=]+)=(.*)$/.exec(item) : null;
        if (m?.[1] !== undefined) out[m[1]] = m[2] ?? '';
        else this.problem([...path, i], `${what} entries must be KEY=VALUE`);
      });
      return out;
    }
    if (!this.isObject(v)) {
      this.problem(path, `${what} must be a mapping of names to values`);
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (val === null || typeof val === 'object') this.problem([...path, k], `${what} ${k}: the value must be a string or number`);
      else out[k] = String(val);
    }
    return out;
  }

  stringList(v: Json | undefined, path: (string | number)[], what: string): string[] {
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (!Array.isArray(v)) {
      this.problem(path, `${what} must be a list`);
      return [];
    }
    return v.flatMap((item, i) => {
      if (typeof item === 'string' || typeof item === 'number') return [String(item)];
      this.problem([...path, i], `${what} entries must be strings`);
      return [];
    });
  }
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

const PROFILE_SETTINGS: readonly string[] = [
  'image',
  'build',
  'command',
  'workdir',
  'user',
  'env',
  'envFiles',
  'ports',
  'volumes',
  'model',
  'models',
  'gpus',
  'gpuCapabilities',
  'gpuFallback',
  'shmSize',
  'memory',
  'cpus',
  'restart',
  'healthcheck',
  'labels',
];

/** One profile, each setting read in turn; problems are reported in the order of the settings. */
function parseProfile(name: string, raw: Json, v: Validator): RunProfile | undefined {
  const at = ['profiles', name];
  if (!v.isObject(raw)) {
    v.problem(at, `profile ${name} must be a mapping`);
    return undefined;
  }
  for (const key of Object.keys(raw))
    if (!PROFILE_SETTINGS.includes(key)) v.problem([...at, key], `unknown setting "${key}" (known: ${PROFILE_SETTINGS.join(', ')})`);

  const image = v.string(raw.image, [...at, 'image'], 'image');
  const build = parseBuild(raw.build, [...at, 'build'], v);
  if (!image && !build) v.problem(at, `profile ${name} needs an image or a build`);
  const command = parseCommand(raw.command, [...at, 'command'], v);
  const ports = parseEach(raw.ports, parsePort, [...at, 'ports'], v);
  const volumes = parseEach(raw.volumes, parseVolume, [...at, 'volumes'], v);
  const model = parseModel(raw.model, [...at, 'model'], v);
  const models = parseModels(raw.models, [...at, 'models'], v);
  if (model && models) v.problem([...at, 'models'], 'use model (one) or models (several), not both');
  const gpus = parseGpus(raw.gpus);
  if (typeof gpus === 'string') v.problem([...at, 'gpus'], gpus);
  const gpuFallback = parseGpuFallback(raw.gpuFallback, [...at, 'gpuFallback'], v);
  const limits = parseLimits(raw, at, v);
  const restart = parseRestart(raw.restart, [...at, 'restart'], v);
  const healthcheck = parseHealthcheck(raw.healthcheck, [...at, 'healthcheck'], v);
  const workdir = v.string(raw.workdir, [...at, 'workdir'], 'workdir');
  const user = v.string(raw.user, [...at, 'user'], 'user');
  return {
    name,
    ...(image ? { image } : {}),
    ...(build ? { build } : {}),
    ...(command ? { command } : {}),
    ...(workdir ? { workdir } : {}),
    ...(user ? { user } : {}),
    env: v.stringMap(raw.env, [...at, 'env'], 'env'),
    envFiles: v.stringList(raw.envFiles, [...at, 'envFiles'], 'envFiles'),
    ports,
    volumes,
    ...(model ? { model } : {}),
    ...(models ? { models } : {}),
    gpus: typeof gpus === 'string' ? { kind: 'none' } : gpus,
    gpuCapabilities:
      raw.gpuCapabilities === undefined ? ['gpu'] : v.stringList(raw.gpuCapabilities, [...at, 'gpuCapabilities'], 'gpuCapabilities'),
    gpuFallback,
    ...limits,
    restart,
    healthcheck,
    labels: v.stringMap(raw.labels, [...at, 'labels'], 'label'),
  };
}

/** build: a Dockerfile path, or a mapping of dockerfile, context, target and args. */
function parseBuild(raw: Json | undefined, at: Path, v: Validator): BuildSpec | undefined {
  if (raw === undefined || raw === null) return undefined;
  const b = typeof raw === 'string' ? { dockerfile: raw } : raw;
  if (!v.isObject(b)) {
    v.problem(at, 'build must be a Dockerfile path or a mapping (dockerfile, context, target, args)');
    return undefined;
  }
  const target = v.string(b.target, [...at, 'target'], 'build.target');
  return {
    dockerfile: v.string(b.dockerfile, [...at, 'dockerfile'], 'build.dockerfile') ?? 'Dockerfile',
    context: v.string(b.context, [...at, 'context'], 'build.context') ?? '.',
    ...(target ? { target } : {}),
    args: v.stringMap(b.args, [...at, 'args'], 'build arg'),
  };
}

/** command: a list; a shell string is refused. */
function parseCommand(raw: Json | undefined, at: Path, v: Validator): string[] | undefined {
  if (typeof raw === 'string') {
    v.problem(at, 'command must be a list (["python3", "serve.py"]): Berth never runs a shell string');
    return undefined;
  }
  if (raw === undefined || raw === null) return undefined;
  return v.stringList(raw, at, 'command');
}

/** A list (or a single entry) parsed entry by entry; an entry that does not parse is a problem at its index. */
function parseEach<T>(raw: Json | undefined, parse: (entry: Json) => T | string, at: Path, v: Validator): T[] {
  const entries = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const out: T[] = [];
  entries.forEach((entry, i) => {
    const r = parse(entry);
    if (typeof r === 'string') v.problem([...at, i], r);
    else out.push(r);
  });
  return out;
}

/** model: a path, or a mapping of path, mountAt and env. */
function parseModel(raw: Json | undefined, at: Path, v: Validator): RunProfile['model'] {
  if (raw === undefined || raw === null) return undefined;
  const m = typeof raw === 'string' ? { path: raw } : raw;
  const path = v.isObject(m) ? v.string(m.path, [...at, 'path'], 'model.path') : undefined;
  if (!v.isObject(m) || !path) {
    v.problem(at, 'model must be a path, or a mapping with path (and mountAt, env)');
    return undefined;
  }
  const mountAt = v.string(m.mountAt, [...at, 'mountAt'], 'model.mountAt') ?? DEFAULT_MODEL_MOUNT;
  if (!mountAt.startsWith('/')) v.problem([...at, 'mountAt'], 'model.mountAt must be an absolute path in the container');
  return { path, mountAt, env: v.string(m.env, [...at, 'env'], 'model.env') ?? DEFAULT_MODEL_ENV };
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
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    v.problem(at, 'models must be a list of model files (a path, or a mapping with name and path)');
    return undefined;
  }
  const out: ModelEntry[] = [];
  const names = new Map<string, number>();
  const files = new Map<string, number>();
  raw.forEach((item, i) => {
    const entry = typeof item === 'string' ? { path: item } : item;
    if (!v.isObject(entry)) {
      v.problem([...at, i], 'a model is a path, or a mapping with name and path');
      return;
    }
    for (const key of Object.keys(entry))
      if (key !== 'name' && key !== 'path') v.problem([...at, i, key], `unknown model setting "${key}" (name, path)`);
    const file = v.string(entry.path, [...at, i, 'path'], 'models path');
    if (!file) {
      if (entry.path === undefined) v.problem([...at, i], 'a model needs a path');
      return;
    }
    const name = v.string(entry.name, [...at, i, 'name'], 'models name') ?? modelName(file);
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

/** gpuFallback: cpu or fail (the default). */
function parseGpuFallback(raw: Json | undefined, at: Path, v: Validator): 'cpu' | 'fail' {
  const fallback = raw === undefined || raw === null ? 'fail' : raw;
  if (fallback !== 'cpu' && fallback !== 'fail') v.problem(at, 'gpuFallback must be cpu or fail');
  return fallback === 'cpu' ? 'cpu' : 'fail';
}

/** shmSize, memory and cpus. */
function parseLimits(raw: Mapping, at: Path, v: Validator): Pick<RunProfile, 'shmSizeBytes' | 'memoryBytes' | 'nanoCpus'> {
  const size = (key: string, what: string): number | undefined => {
    const value = raw[key];
    if (value === undefined || value === null) return undefined;
    const n = typeof value === 'string' || typeof value === 'number' ? parseSize(value) : undefined;
    if (n === undefined) v.problem([...at, key], `${what} must be a size such as 512m or 2g`);
    return n;
  };
  const shm = size('shmSize', 'shmSize');
  const memory = size('memory', 'memory');
  let nanoCpus: number | undefined;
  if (raw.cpus !== undefined && raw.cpus !== null) {
    const cpus = Number(raw.cpus);
    if (!Number.isFinite(cpus) || cpus <= 0) v.problem([...at, 'cpus'], 'cpus must be a positive number, e.g. 0.5 or 2');
    else nanoCpus = Math.round(cpus * 1e9);
  }
  if (memory !== undefined && memory < 6 * 2 ** 20) v.problem([...at, 'memory'], 'memory below 6m is refused by the engine');
  return {
    shmSizeBytes: shm ?? DEFAULT_SHM_BYTES,
    ...(memory === undefined ? {} : { memoryBytes: memory }),
    ...(nanoCpus === undefined ? {} : { nanoCpus }),
  };
}

/** restart: no (the default), always, unless-stopped or on-failure[:max]. */
function parseRestart(raw: Json | undefined, at: Path, v: Validator): RestartSpec {
  if (raw === undefined || raw === null) return { name: 'no' };
  const m = typeof raw === 'string' ? /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(raw) : null;
  if (!m?.[1]) {
    v.problem(at, 'restart must be no, always, unless-stopped or on-failure[:max]');
    return { name: 'no' };
  }
  return m[1] === 'on-failure'
    ? { name: 'on-failure', maxRetries: Number(m[2] ?? 0) }
    : { name: m[1] as 'no' | 'always' | 'unless-stopped' };
}

/** healthcheck: the image's (the default), none, an http path, or a mapping with http, port and timings. */
function parseHealthcheck(h: Json | undefined, at: Path, v: Validator): HealthSpec {
  if (h === false || h === 'none') return { kind: 'none' };
  if (typeof h === 'string' && h.startsWith('/'))
    return { kind: 'http', path: h, intervalMs: 2000, timeoutMs: 2000, retries: 3, startPeriodMs: 5000 };
  if (!v.isObject(h)) {
    if (h !== undefined && h !== null && h !== 'image') v.problem(at, 'healthcheck must be image, none, an http path or a mapping');
    return { kind: 'image' };
  }
  const path = v.string(h.http, [...at, 'http'], 'healthcheck.http');
  if (!path?.startsWith('/')) {
    v.problem(at, 'healthcheck needs http: /path');
    return { kind: 'image' };
  }
  const dur = (key: string, fallback: number): number => {
    const value = h[key];
    if (value === undefined || value === null) return fallback;
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    if (ms === undefined) v.problem([...at, key], `healthcheck.${key} must be a duration such as 2s`);
    return ms ?? fallback;
  };
  const port = h.port === undefined || h.port === null ? undefined : Number(h.port);
  if (port !== undefined && !validPort(port)) v.problem([...at, 'port'], 'healthcheck.port must be a port number');
  return {
    kind: 'http',
    path,
    ...(port !== undefined && validPort(port) ? { port } : {}),
    intervalMs: dur('interval', 2000),
    timeoutMs: dur('timeout', 2000),
    retries: Number(h.retries ?? 3),
    startPeriodMs: dur('startPeriod', 5000),
  };
}

/** Parse and validate a berth.yaml; every problem comes with its line. */
export function parseBerthConfig(text: string): BerthConfig {
  const v = new Validator(text);
  let doc: Json;
  try {
    doc = (yaml.load(text, { schema: yaml.CORE_SCHEMA }) ?? null) as Json;
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? (err as Error).message;
    return {
      profiles: [],
      problems: [{ line: (mark?.line ?? 0) + 1, column: (mark?.column ?? 0) + 1, path: '', message: `YAML syntax: ${reason}` }],
    };
  }
  if (doc === null) return { profiles: [], problems: [] };
  if (!v.isObject(doc))
    return { profiles: [], problems: [{ line: 1, column: 1, path: '', message: 'berth.yaml must be a mapping with "profiles"' }] };
  if (doc.version !== undefined && doc.version !== 1) v.problem(['version'], `version ${JSON.stringify(doc.version)} is not supported (1)`);
  for (const key of Object.keys(doc))
    if (key !== 'version' && key !== 'profiles') v.problem([key], `unknown top-level key "${key}" (version, profiles)`);
  const profiles: RunProfile[] = [];
  if (doc.profiles !== undefined && doc.profiles !== null) {
    if (!v.isObject(doc.profiles)) v.problem(['profiles'], 'profiles must be a mapping of profile names to settings');
    else
      for (const [name, raw] of Object.entries(doc.profiles)) {
        const p = parseProfile(name, raw, v);
        if (p) profiles.push(p);
      }
  }
  return { profiles, problems: v.problems.sort((a, b) => a.line - b.line || a.column - b.column) };
}
