/**
 * The user's Compose CLI: `docker compose` (the v2 plugin) when the docker CLI has it, else
 * `docker-compose` (v1, or a standalone v2). Asked through execa with argument lists, in the
 * engine endpoint's environment (`cliEnv`), so it talks to the engine Berth talks to.
 */
import { cliEnv } from '../engine/cliEnv';
import type { EngineEndpoint } from '../engine/connection';

export type ComposeFlavour = 'v1' | 'v2';

/** A Compose CLI that answered: run `file` with `baseArgs` then the command's arguments. */
export interface ComposeCli {
  readonly file: string;
  readonly baseArgs: readonly string[];
  readonly flavour: ComposeFlavour;
  /** "1.29.2", "2.24.5". */
  readonly version: string;
  /** "docker-compose 1.29.2 (Compose v1)". */
  readonly description: string;
}

/** No Compose CLI could be run: the message says how to install one. */
export class ComposeNotFoundError extends Error {
  override readonly name = 'ComposeNotFoundError';
  constructor(
    /** What each candidate answered, for the log. */
    readonly tried: readonly string[],
  ) {
    super(
      'No Compose CLI found: neither `docker compose` nor `docker-compose` runs here. Install the Compose v2 plugin ' +
        '(https://docs.docker.com/compose/install/linux/), or on Debian/Ubuntu `apt-get install docker-compose` (Compose v1).',
    );
  }
}

/** The version in `docker compose version` / `docker-compose version` output, or undefined. */
export function parseComposeVersion(stdout: string): string | undefined {
  return /\bversion\s+v?(\d+\.\d+\.\d+[\w.+-]*)/i.exec(stdout)?.[1]?.replace(/,$/, '');
}

/** A CLI from what it answered; undefined when it did not answer with a version. */
export function composeCliFrom(file: string, baseArgs: readonly string[], stdout: string): ComposeCli | undefined {
  const version = parseComposeVersion(stdout);
  if (version === undefined) return undefined;
  const flavour: ComposeFlavour = Number(version.split('.')[0]) >= 2 ? 'v2' : 'v1';
  const name = [file.split('/').pop() ?? file, ...baseArgs].join(' ');
  return { file, baseArgs, flavour, version, description: `${name} ${version} (Compose ${flavour})` };
}

export interface DetectOptions {
  /** The environment the CLI runs in (`composeEnv`); its PATH finds the CLIs. */
  readonly env: Readonly<Record<string, string>>;
  readonly docker?: string;
  readonly dockerCompose?: string;
  readonly timeoutMs?: number;
}

/** The engine endpoint's environment for Compose: DOCKER_HOST/TLS set, DOCKER_CONTEXT dropped. */
export function composeEnv(endpoint: EngineEndpoint, base: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return cliEnv(endpoint, base);
}

/** `docker compose version` first, then `docker-compose version`; ComposeNotFoundError when neither answers. */
export async function detectCompose(options: DetectOptions): Promise<ComposeCli> {
  const { execa } = await import('execa');
  const tried: string[] = [];
  const candidates: [string, string[]][] = [
    [options.docker ?? 'docker', ['compose']],
    [options.dockerCompose ?? 'docker-compose', []],
  ];
  for (const [file, baseArgs] of candidates) {
    const r = await execa(file, [...baseArgs, 'version'], {
      env: options.env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: options.timeoutMs ?? 15_000,
    });
    const cli = r.exitCode === 0 ? composeCliFrom(file, baseArgs, r.stdout) : undefined;
    if (cli !== undefined) return cli;
    tried.push(`${[file, ...baseArgs].join(' ')}: ${(r.stderr || r.shortMessage || 'no version').split('\n')[0] ?? ''}`);
  }
  throw new ComposeNotFoundError(tried);
}
