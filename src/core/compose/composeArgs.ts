/**
 * Compose command lines as argument lists (no shell), for v1 (`docker-compose` 1.29) and v2
 * (`docker compose`). Pure: the runner executes them.
 */
import type { ComposeCli, ComposeFlavour } from './composeCli';

/** Which project: its files, name, folder, env file and the profiles to enable. */
export interface ComposeTarget {
  readonly files: readonly string[];
  readonly projectName?: string;
  readonly projectDirectory?: string;
  readonly envFile?: string;
  readonly profiles?: readonly string[];
}

/** A command to run: the executable and its full argument list. */
export interface ComposeCommand {
  readonly file: string;
  readonly args: readonly string[];
  /** "up", "down", …: what the runner reports. */
  readonly verb: string;
}

export interface UpOptions {
  readonly services?: readonly string[];
  readonly build?: boolean;
  readonly noDeps?: boolean;
}

export interface DownOptions {
  readonly volumes?: boolean;
  readonly timeoutSeconds?: number;
}

function globalArgs(target: ComposeTarget): string[] {
  const args: string[] = [];
  for (const f of target.files) args.push('-f', f);
  if (target.projectName !== undefined) args.push('-p', target.projectName);
  if (target.projectDirectory !== undefined) args.push('--project-directory', target.projectDirectory);
  if (target.envFile !== undefined) args.push('--env-file', target.envFile);
  // v1 reads --profile from 1.28 on, as a global option like v2
  for (const p of target.profiles ?? []) args.push('--profile', p);
  return args;
}

function command(cli: Pick<ComposeCli, 'file' | 'baseArgs'>, target: ComposeTarget, verb: string, rest: readonly string[]): ComposeCommand {
  return { file: cli.file, args: [...cli.baseArgs, ...globalArgs(target), verb, ...rest], verb };
}

type Cli = Pick<ComposeCli, 'file' | 'baseArgs' | 'flavour'>;

/** The resolved model: JSON on v2, YAML on v1 (which has no --format). */
export function configArgs(cli: Cli, target: ComposeTarget): ComposeCommand {
  return command(cli, target, 'config', cli.flavour === 'v2' ? ['--format', 'json'] : []);
}

export function upArgs(cli: Cli, target: ComposeTarget, options: UpOptions = {}): ComposeCommand {
  return command(cli, target, 'up', [
    '-d',
    ...(options.build ? ['--build'] : []),
    ...(options.noDeps ? ['--no-deps'] : []),
    ...(options.services ?? []),
  ]);
}

export function downArgs(cli: Cli, target: ComposeTarget, options: DownOptions = {}): ComposeCommand {
  return command(cli, target, 'down', [
    ...(options.volumes ? ['-v'] : []),
    ...(options.timeoutSeconds !== undefined ? ['-t', String(options.timeoutSeconds)] : []),
  ]);
}

export type ServiceVerb = 'start' | 'stop' | 'restart';

export function serviceArgs(cli: Cli, target: ComposeTarget, verb: ServiceVerb, service: string, timeoutSeconds?: number): ComposeCommand {
  const timeout = verb !== 'start' && timeoutSeconds !== undefined ? ['-t', String(timeoutSeconds)] : [];
  return command(cli, target, verb, [...timeout, service]);
}

export function buildArgs(cli: Cli, target: ComposeTarget, services: readonly string[] = []): ComposeCommand {
  return command(cli, target, 'build', services);
}

export function pullArgs(cli: Cli, target: ComposeTarget, services: readonly string[] = []): ComposeCommand {
  return command(cli, target, 'pull', services);
}

/** Scale one service without recreating the others' containers (`scale` itself is deprecated in both). */
export function scaleArgs(cli: Cli, target: ComposeTarget, service: string, replicas: number): ComposeCommand {
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError(`replicas must be a whole number ≥ 0, not ${replicas}`);
  return command(cli, target, 'up', ['-d', '--scale', `${service}=${replicas}`, '--no-recreate', service]);
}

/** The project's container ids, one a line (both flavours print the same). */
export function psArgs(cli: Cli, target: ComposeTarget): ComposeCommand {
  return command(cli, target, 'ps', ['-a', '-q']);
}

export type { ComposeFlavour };
