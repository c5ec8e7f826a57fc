/**
 * The project model, from `<compose> config` only: Compose itself has resolved env files, anchors,
 * `extends` and profiles; this turns its output (v2's JSON, v1's YAML) into Berth's records.
 */
import { loadYaml } from '../engine/yamlText';
import type { ComposeFlavour } from './composeCli';

export interface ComposePort {
  readonly hostIp?: string;
  /** "18080" or a range; undefined when Compose picks one. */
  readonly published?: string;
  readonly target: number;
  readonly protocol: string;
}

export interface GpuReservation {
  readonly driver?: string;
  /** A number, or 'all'. */
  readonly count?: number | 'all';
  readonly deviceIds?: readonly string[];
  readonly capabilities: readonly string[];
}

export interface ComposeHealthcheck {
  readonly test: readonly string[];
  readonly interval?: string;
  readonly timeout?: string;
  readonly retries?: number;
  readonly startPeriod?: string;
  readonly disabled: boolean;
}

export interface ServiceVolume {
  /** Named volume or host path; undefined for an anonymous volume. */
  readonly source?: string;
  readonly target: string;
  /** 'volume', 'bind', 'tmpfs', … as Compose says. */
  readonly type: string;
  readonly readOnly: boolean;
}

export interface ComposeService {
  readonly name: string;
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile?: string; readonly target?: string };
  readonly ports: readonly ComposePort[];
  readonly profiles: readonly string[];
  readonly dependsOn: readonly { readonly service: string; readonly condition: string }[];
  readonly gpus: readonly GpuReservation[];
  readonly limits: { readonly cpus?: number; readonly memoryBytes?: number };
  readonly healthcheck?: ComposeHealthcheck;
  readonly volumes: readonly ServiceVolume[];
  readonly networks: readonly string[];
}

export interface ComposeProject {
  /** From v2's config, or what the caller knows (-p, or v1's default from the folder name). */
  readonly name?: string;
  readonly services: readonly ComposeService[];
  readonly volumes: readonly string[];
  readonly networks: readonly string[];
}

export class ComposeConfigParseError extends Error {
  override readonly name = 'ComposeConfigParseError';
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(str).filter((s): s is string => s !== undefined) : []);

/** Bytes from "64M", "1.5g", "67108864" or a number (Compose's units: b, k, m, g, kb, mb, gb …). */
export function parseBytes(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(v);
  if (!m?.[1]) return undefined;
  const power = ['', 'k', 'm', 'g', 't'].indexOf((m[2] ?? '').toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** v1's "127.0.0.1:18080:8080/tcp" or v2's long form. */
export function parsePort(v: unknown): ComposePort | undefined {
  if (isObj(v)) {
    const target = Number(v.target);
    if (!Number.isFinite(target)) return undefined;
    const hostIp = str(v.host_ip);
    const published = str(v.published);
    return { ...(hostIp ? { hostIp } : {}), ...(published ? { published } : {}), target, protocol: str(v.protocol) ?? 'tcp' };
  }
  const s = str(v);
  if (s === undefined) return undefined;
  const [spec = '', protocol = 'tcp'] = s.split('/');
  const parts = spec.startsWith('[') ? (/^\[([^\]]+)\]:(.*)$/.exec(spec)?.slice(1) ?? [spec]) : spec.split(':');
  let hostIp: string | undefined;
  let published: string | undefined;
  let container: string | undefined;
  if (spec.startsWith('[')) {
    hostIp = parts[0];
    const rest = (parts[1] ?? '').split(':');
    [published, container] = rest.length === 2 ? rest : [undefined, rest[0]];
  } else if (parts.length === 3) [hostIp, published, container] = parts;
  else if (parts.length === 2) [published, container] = parts;
  else container = parts[0];
  const target = Number((container ?? '').split('-')[0]);
  if (!Number.isFinite(target)) return undefined;
  return { ...(hostIp ? { hostIp } : {}), ...(published ? { published } : {}), target, protocol };
}

function parseVolume(v: unknown): ServiceVolume | undefined {
  if (isObj(v)) {
    const target = str(v.target);
    if (target === undefined) return undefined;
    const source = str(v.source);
    return { ...(source ? { source } : {}), target, type: str(v.type) ?? 'volume', readOnly: v.read_only === true };
  }
  const s = str(v);
  if (s === undefined) return undefined;
  const parts = s.split(':');
  if (parts.length === 1) return { target: s, type: 'volume', readOnly: false };
  const [source = '', target = '', mode = 'rw'] = parts;
  const bind = source.startsWith('/') || source.startsWith('.') || source.startsWith('~');
  return { source, target, type: bind ? 'bind' : 'volume', readOnly: mode.split(',').includes('ro') };
}

function parseDevices(v: unknown): GpuReservation[] {
  if (!Array.isArray(v)) return [];
  return v.filter(isObj).map((d) => {
    const driver = str(d.driver);
    const ids = strings(d.device_ids);
    const count =
      d.count === 'all' || d.count === -1 ? 'all' : typeof d.count === 'number' ? d.count : str(d.count) ? Number(d.count) : undefined;
    return {
      ...(driver ? { driver } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(ids.length > 0 ? { deviceIds: ids } : {}),
      capabilities: Array.isArray(d.capabilities) ? strings(d.capabilities.flat()) : [],
    };
  });
}

function parseHealthcheck(v: unknown): ComposeHealthcheck | undefined {
  if (!isObj(v)) return undefined;
  const test = Array.isArray(v.test) ? strings(v.test) : str(v.test) !== undefined ? ['CMD-SHELL', String(v.test)] : [];
  const retries = typeof v.retries === 'number' ? v.retries : undefined;
  const opt = (k: string, val: unknown): Record<string, string> => (str(val) !== undefined ? { [k]: String(str(val)) } : {});
  return {
    test,
    ...opt('interval', v.interval),
    ...opt('timeout', v.timeout),
    ...opt('startPeriod', v.start_period),
    ...(retries !== undefined ? { retries } : {}),
    disabled: v.disable === true || test[0] === 'NONE',
  };
}

function parseService(name: string, s: Json): ComposeService {
  const image = str(s.image);
  const build = isObj(s.build) ? s.build : typeof s.build === 'string' ? { context: s.build } : undefined;
  const deploy = isObj(s.deploy) && isObj(s.deploy.resources) ? s.deploy.resources : {};
  const limits = isObj(deploy.limits) ? deploy.limits : {};
  const cpus = limits.cpus !== undefined ? Number(limits.cpus) : undefined;
  const memoryBytes = parseBytes(limits.memory);
  const dependsOn = Array.isArray(s.depends_on)
    ? strings(s.depends_on).map((service) => ({ service, condition: 'service_started' }))
    : isObj(s.depends_on)
      ? Object.entries(s.depends_on).map(([service, d]) => ({
          service,
          condition: (isObj(d) ? str(d.condition) : undefined) ?? 'service_started',
        }))
      : [];
  const healthcheck = parseHealthcheck(s.healthcheck);
  const dockerfile = build ? str(build.dockerfile) : undefined;
  const target = build ? str(build.target) : undefined;
  return {
    name,
    ...(image ? { image } : {}),
    ...(build
      ? { build: { context: str(build.context) ?? '.', ...(dockerfile ? { dockerfile } : {}), ...(target ? { target } : {}) } }
      : {}),
    ports: (Array.isArray(s.ports) ? s.ports : []).map(parsePort).filter((p): p is ComposePort => p !== undefined),
    profiles: strings(s.profiles),
    dependsOn,
    gpus: parseDevices(isObj(deploy.reservations) ? deploy.reservations.devices : undefined),
    limits: { ...(cpus !== undefined && Number.isFinite(cpus) ? { cpus } : {}), ...(memoryBytes !== undefined ? { memoryBytes } : {}) },
    ...(healthcheck ? { healthcheck } : {}),
    volumes: (Array.isArray(s.volumes) ? s.volumes : []).map(parseVolume).filter((v): v is ServiceVolume => v !== undefined),
    networks: Array.isArray(s.networks) ? strings(s.networks) : isObj(s.networks) ? Object.keys(s.networks) : [],
  };
}

/** The document `config` printed → the project. `name` is used when the output has none (v1). */
export function projectFromConfig(output: string, flavour: ComposeFlavour, name?: string): ComposeProject {
  let doc: unknown;
  try {
    doc = flavour === 'v2' ? JSON.parse(output) : loadYaml(output);
  } catch (err) {
    throw new ComposeConfigParseError(`compose config printed what Berth cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObj(doc)) throw new ComposeConfigParseError('compose config printed no project');
  const services = isObj(doc.services) ? doc.services : {};
  const projectName = str(doc.name) ?? name;
  return {
    ...(projectName ? { name: projectName } : {}),
    services: Object.entries(services)
      .filter((e): e is [string, Json] => isObj(e[1]))
      .map(([n, s]) => parseService(n, s))
      .sort((a, b) => a.name.localeCompare(b.name)),
    volumes: isObj(doc.volumes) ? Object.keys(doc.volumes).sort() : [],
    networks: isObj(doc.networks) ? Object.keys(doc.networks).sort() : [],
  };
}

/** v1's default project name: the folder's name, lower case, without other characters than [-_a-z0-9]. */
export function defaultProjectName(directory: string): string {
  const base =
    directory
      .replace(/[\\/]+$/, '')
      .split(/[\\/]/)
      .pop() ?? '';
  return base.toLowerCase().replace(/[^-_a-z0-9]/g, '');
}

/**
 * The requested profiles no service of the project has. Compose starts nothing more for them
 * and says nothing (v1 1.29.2 starts the services without a profile), so the caller can.
 */
export function unknownProfiles(project: ComposeProject, requested: readonly string[]): string[] {
  const known = new Set(project.services.flatMap((s) => s.profiles));
  return requested.filter((p) => p !== '*' && !known.has(p));
}
