/**
 * Which docker CLI builds with BuildKit against Berth's engine: every `docker` on PATH (and
 * /usr/bin/docker, and the one a setting names) is asked for its version — through the same
 * endpoint Berth uses, so a CLI that cannot reach the engine is rejected — and whether it has the
 * buildx plugin. buildx wins; else a client 18.09–22.x has BuildKit built into `docker build`
 * (DOCKER_BUILDKIT=1). From 23.0 on `docker build` reaches BuildKit only through buildx, so such a
 * client without the plugin cannot. The decision (`chooseCli`) is pure, tested on recorded outputs;
 * `probeCli` runs the two commands.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cliEnv } from '../engine/cliEnv';
import type { EngineEndpoint } from '../engine/connection';

export type CliMode = 'buildx' | 'built-in';

/** A CLI that builds with BuildKit, and how. */
export interface BuildKitCli {
  readonly path: string;
  readonly version: string;
  readonly mode: CliMode;
  /** buildx's version when mode is buildx. */
  readonly buildxVersion?: string;
  /** The engine's version, as the CLI saw it (its BuildKit's Dockerfile frontend goes with it). */
  readonly engineVersion?: string;
}

export interface Rejected {
  readonly path: string;
  readonly why: string;
}

export interface CliDecision {
  /** Undefined: no CLI here builds with BuildKit against this engine (see `why`). */
  readonly cli?: BuildKitCli;
  readonly rejected: readonly Rejected[];
  /** One sentence: which CLI and why, or why none. */
  readonly why: string;
}

/** What one candidate answered: `docker version --format '{{json .}}'` and `docker buildx version`. */
export interface CliProbe {
  readonly path: string;
  /** Undefined: the CLI could not be run at all. */
  readonly version?: { readonly exitCode: number; readonly stdout: string; readonly stderr: string };
  readonly buildx?: { readonly exitCode: number; readonly stdout: string; readonly stderr: string };
  /** Why it could not run (ENOENT, EACCES, timeout). */
  readonly runError?: string;
}

interface VersionJson {
  Client?: { Version?: string } | null;
  Server?: { Version?: string; Os?: string } | null;
}

/** "20.10.24+dfsg1" → [20, 10]; CalVer 18.09 too. */
export function majorMinor(version: string): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return m?.[1] && m[2] ? [Number(m[1]), Number(m[2])] : undefined;
}

function atLeast(version: string, major: number, minor: number): boolean {
  const v = majorMinor(version);
  return v !== undefined && (v[0] > major || (v[0] === major && v[1] >= minor));
}

/** The CLI's `docker version` JSON (printed even when the server part failed). */
function parseVersion(stdout: string): VersionJson | undefined {
  const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as VersionJson;
  } catch {
    return undefined;
  }
}

/** "github.com/docker/buildx v0.12.1 30feaa1" → "0.12.1". */
export function buildxVersion(stdout: string): string | undefined {
  return /\bv?(\d+\.\d+\.\d+[\w.+-]*)/.exec(stdout.trim())?.[1];
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** True when the engine's own BuildKit reads heredocs (BuildKit 0.10, Docker Engine 23.0). */
export function engineFrontendHasHeredocs(engineVersion: string | undefined): boolean {
  return engineVersion !== undefined && atLeast(engineVersion, 23, 0);
}

/** Decide on one candidate: the CLI and mode, or why not. */
function judge(probe: CliProbe): BuildKitCli | Rejected {
  const { path: cli } = probe;
  if (probe.version === undefined) return { path: cli, why: `cannot be run (${probe.runError ?? 'unknown error'})` };
  const parsed = parseVersion(probe.version.stdout);
  const client = parsed?.Client?.Version;
  if (client === undefined) return { path: cli, why: `\`docker version\` failed: ${firstLine(probe.version.stderr) || 'no output'}` };
  const server = parsed?.Server?.Version;
  if (server === undefined || probe.version.exitCode !== 0)
    return { path: cli, why: `docker ${client} cannot reach the engine: ${firstLine(probe.version.stderr) || 'no server version'}` };
  if (!atLeast(server, 18, 9)) return { path: cli, why: `the engine (${server}) is older than 18.09 and has no BuildKit` };
  if (parsed?.Server?.Os === 'windows') return { path: cli, why: `the engine runs Windows containers, which BuildKit does not build here` };
  const bx = probe.buildx;
  if (bx !== undefined && bx.exitCode === 0) {
    const v = buildxVersion(bx.stdout);
    return { path: cli, version: client, mode: 'buildx', ...(v === undefined ? {} : { buildxVersion: v }), engineVersion: server };
  }
  if (atLeast(client, 18, 9) && !atLeast(client, 23, 0)) return { path: cli, version: client, mode: 'built-in', engineVersion: server };
  if (!atLeast(client, 18, 9)) return { path: cli, why: `docker ${client} is older than 18.09 and has no BuildKit` };
  return {
    path: cli,
    why: `docker ${client} has no buildx plugin, and from 23.0 on \`docker build\` reaches BuildKit only through buildx`,
  };
}

/** The CLI to build with: the first candidate with buildx, else the first with built-in BuildKit. */
export function chooseCli(probes: readonly CliProbe[]): CliDecision {
  const rejected: Rejected[] = [];
  const usable: BuildKitCli[] = [];
  for (const probe of probes) {
    const verdict = judge(probe);
    if ('why' in verdict) rejected.push(verdict);
    else usable.push(verdict);
  }
  const cli = usable.find((c) => c.mode === 'buildx') ?? usable[0];
  const others = rejected.map((r) => `${r.path}: ${r.why}`).join('; ');
  if (cli === undefined)
    return {
      rejected,
      why:
        probes.length === 0 ? 'no docker CLI found (none on PATH or in /usr/bin)' : `no docker CLI here builds with BuildKit (${others})`,
    };
  return { cli, rejected, why: `${describeCli(cli)}${others === '' ? '' : ` (not ${others})`}` };
}

/** "BuildKit via /usr/bin/docker 20.10.24 (built-in)". */
export function describeCli(cli: BuildKitCli): string {
  const how = cli.mode === 'buildx' ? `buildx${cli.buildxVersion ? ` ${cli.buildxVersion}` : ''}` : 'built-in';
  return `BuildKit via ${cli.path} ${cli.version.replace(/\+.*$/, '')} (${how})`;
}

/**
 * The CLIs to try, in order: the setting's, then every `docker` on PATH, then /usr/bin/docker;
 * each once (by real path: /bin/docker is /usr/bin/docker on merged-/usr systems).
 */
export function candidates(options: {
  setting?: string;
  pathEnv?: string;
  platform?: NodeJS.Platform;
  extra?: readonly string[];
}): string[] {
  const exe = (options.platform ?? process.platform) === 'win32' ? 'docker.exe' : 'docker';
  const list: string[] = [];
  if (options.setting !== undefined && options.setting.trim() !== '') list.push(options.setting.trim());
  for (const dir of (options.pathEnv ?? '').split(path.delimiter)) if (dir !== '') list.push(path.join(dir, exe));
  list.push(...(options.extra ?? ['/usr/bin/docker']));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const file of list) {
    let real: string;
    try {
      fs.accessSync(file, fs.constants.X_OK);
      real = fs.realpathSync(file);
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(file);
  }
  return out;
}

/** The endpoint's environment for a docker CLI (shared with Compose, so it lives in the engine layer). */
export { cliEnv };

const PROBE_TIMEOUT_MS = 15_000;

/** Run the two probe commands of one CLI (no shell). */
export async function probeCli(cli: string, env: Readonly<Record<string, string>>): Promise<CliProbe> {
  const { execa } = await import('execa');
  const run = async (args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> => {
    const r = await execa(cli, args, { env, extendEnv: false, reject: false, timeout: PROBE_TIMEOUT_MS, stdin: 'ignore' });
    if (r.failed && r.exitCode === undefined) throw new Error(r.shortMessage);
    return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
  try {
    const version = await run(['version', '--format', '{{json .}}']);
    const buildx = await run(['buildx', 'version']);
    return { path: cli, version, buildx };
  } catch (err) {
    return { path: cli, runError: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The CLI decision per engine endpoint, made once per session (each probe runs a CLI twice); the
 * owner (a service) forgets it when the endpoint or the setting changes.
 */
export class BuildKitFinder {
  readonly #decisions = new Map<string, Promise<CliDecision>>();

  constructor(private readonly probe: (cli: string, env: Readonly<Record<string, string>>) => Promise<CliProbe> = probeCli) {}

  find(endpoint: EngineEndpoint, list: readonly string[], baseEnv: Readonly<Record<string, string | undefined>>): Promise<CliDecision> {
    const key = `${endpoint.host}\n${list.join('\n')}`;
    let decision = this.#decisions.get(key);
    if (decision === undefined) {
      const env = cliEnv(endpoint, baseEnv);
      decision = Promise.all(list.map((cli) => this.probe(cli, env))).then(chooseCli);
      this.#decisions.set(key, decision);
    }
    return decision;
  }

  forget(): void {
    this.#decisions.clear();
  }
}
