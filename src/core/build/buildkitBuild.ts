/**
 * A build through a docker CLI with BuildKit: `docker buildx build --load` or `DOCKER_BUILDKIT=1
 * docker build`, run by execa with an argument list (no shell), against the engine Berth uses
 * (`cliEnv`). Progress is BuildKit's plain output, parsed as it arrives (`PlainProgress`). Secrets
 * travel only in the child's environment (`--secret id=X,env=VAR`), never in argv, a file or the
 * events. Cancel kills the CLI's process group; the engine ends the build when the CLI's session
 * goes away.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildFailedError, type BuildOptions } from '../engine/build';
import type { EngineEndpoint } from '../engine/connection';
import { buildKitNeeds } from '../engine/dockerfile';
import { CancelledError } from '../engine/errors';
import { cliEnv, engineFrontendHasHeredocs, type BuildKitCli } from './dockerCli';
import { PlainProgress } from './plainProgress';

/** A secret for `RUN --mount=type=secret,id=…`; its value stays in memory and the child's environment. */
export interface BuildSecret {
  readonly id: string;
  readonly value: string;
}

export interface BuildKitOptions extends BuildOptions {
  readonly secrets?: readonly BuildSecret[];
  /** `--ssh` values: "default" (the agent at SSH_AUTH_SOCK) or "id=/path/to/key-or-socket". */
  readonly ssh?: readonly string[];
  /** The environment the CLI starts from (SSH_AUTH_SOCK, DOCKER_CONFIG, PATH, HOME). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const KILL_AFTER_MS = 3000;
const SECRET_ID = /^[A-Za-z0-9_.-]+$/;

/** The CLI's arguments and environment for a build (pure; exported for tests). */
export function buildKitCommand(
  cli: BuildKitCli,
  endpoint: EngineEndpoint,
  options: BuildKitOptions,
): { file: string; args: string[]; env: Record<string, string> } {
  const env = cliEnv(endpoint, options.env ?? process.env);
  const args = cli.mode === 'buildx' ? ['buildx', 'build', '--load'] : ['build'];
  if (cli.mode === 'built-in') env.DOCKER_BUILDKIT = '1';
  args.push('--progress=plain', '-f', path.join(options.scan.contextDir, options.dockerfile), '-t', options.tag);
  if (options.target) args.push('--target', options.target);
  for (const [k, v] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries(options.labels ?? {})) args.push('--label', `${k}=${v}`);
  if (options.noCache === true) args.push('--no-cache');
  for (const [i, secret] of (options.secrets ?? []).entries()) {
    if (!SECRET_ID.test(secret.id)) throw new BuildFailedError(`the secret id "${secret.id}" is not a valid id`, undefined, []);
    const name = `BERTH_BUILD_SECRET_${i}`;
    env[name] = secret.value;
    args.push('--secret', `id=${secret.id},env=${name}`);
  }
  for (const ssh of options.ssh ?? []) {
    // an id without a path ("default", "deploy") forwards the agent at SSH_AUTH_SOCK
    if (!ssh.includes('=') && (env.SSH_AUTH_SOCK ?? '') === '')
      throw new BuildFailedError(
        `the Dockerfile forwards ssh (RUN --mount=type=ssh${ssh === 'default' ? '' : `,id=${ssh}`}) through your ssh agent, and SSH_AUTH_SOCK is not set: start an agent (ssh-agent), add your key (ssh-add) and start VS Code from that shell`,
        undefined,
        [],
      );
    args.push('--ssh', ssh);
  }
  args.push(options.scan.contextDir);
  return { file: cli.path, args, env };
}

function readDockerfile(options: BuildOptions): string | undefined {
  try {
    return fs.readFileSync(path.join(options.scan.contextDir, options.dockerfile), 'utf8');
  } catch {
    return undefined;
  }
}

/** The `# syntax=` directive at the top of a Dockerfile, with its line. */
export function syntaxDirective(text: string): { line: number; image: string } | undefined {
  const need = buildKitNeeds(text).find((n) => n.what.startsWith('# syntax='));
  const image = need ? /^# syntax=(\S+)/.exec(need.what)?.[1] : undefined;
  return need && image ? { line: need.line, image } : undefined;
}

/**
 * What the engine's built-in Dockerfile frontend cannot read, said before the build starts:
 * heredocs need the dockerfile:1.4+ frontend (a `# syntax=` image, or the one built into Docker
 * Engine 23+), which the built-in one of older engines (20.10 here) predates.
 */
export function refuseForBuiltInFrontend(cli: BuildKitCli, dockerfile: string, text: string): void {
  if (syntaxDirective(text) !== undefined || engineFrontendHasHeredocs(cli.engineVersion)) return;
  const heredocs = buildKitNeeds(text).filter((n) => n.what.endsWith('<<heredoc'));
  if (heredocs.length === 0) return;
  const lines = heredocs.map((n) => n.line).join(', ');
  throw new BuildFailedError(
    `${dockerfile} uses heredocs (line${heredocs.length > 1 ? 's' : ''} ${lines}), which need the dockerfile:1.4+ frontend; ` +
      `the built-in BuildKit that ${cli.path} ${cli.version.replace(/\+.*$/, '')} uses (${cli.engineVersion === undefined ? 'an engine of unknown version' : `Docker Engine ${cli.engineVersion.replace(/\+.*$/, '')}`}) has an older one. ` +
      'Write those lines as plain RUN/COPY instructions, or add "# syntax=docker/dockerfile:1.4" at the top where the frontend image can be pulled from a registry.',
    undefined,
    [],
  );
}

/** A failure explained when the Dockerfile's `# syntax=` frontend image could not be fetched. */
function explainFrontend(err: BuildFailedError, progress: PlainProgress, dockerfile: string, text: string | undefined): BuildFailedError {
  const syntax = text === undefined ? undefined : syntaxDirective(text);
  const failed = progress.failedVertex;
  if (!syntax || failed === undefined || !/^resolve image config for /.test(failed.name)) return err;
  const why = failed.error ?? progress.lastWord ?? '';
  const unreachable = /no such host|dial tcp|i\/o timeout|connection refused|TLS handshake|network is unreachable/i.test(why);
  return new BuildFailedError(
    `line ${syntax.line} of ${dockerfile}, "# syntax=${syntax.image}", asks BuildKit to pull that frontend image from a registry, ` +
      `${unreachable ? 'and the registry cannot be reached' : 'and that failed'} (${why}). ` +
      'Remove the line to build with the built-in frontend, or make the image available (a reachable registry or mirror).',
    undefined,
    failed.output,
  );
}

/** Split a stream's chunks into lines. */
async function* lines(source: AsyncIterable<unknown>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of source) {
    rest += String(chunk);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
    }
  }
  if (rest !== '') yield rest;
}

/**
 * Build and tag an image with BuildKit through the CLI; resolves to its id as the output named it
 * (undefined when it did not, as with buildx's other drivers: ask the engine for the tag's).
 */
export async function buildWithBuildKit(endpoint: EngineEndpoint, cli: BuildKitCli, options: BuildKitOptions): Promise<string | undefined> {
  const { signal } = options;
  // a function, not a narrowed property: the signal can fire while we await
  const aborted = (): boolean => signal?.aborted === true;
  if (aborted()) throw new CancelledError('the build');
  const text = readDockerfile(options);
  if (text !== undefined) refuseForBuiltInFrontend(cli, options.dockerfile, text);
  const command = buildKitCommand(cli, endpoint, options);
  const { execa } = await import('execa');
  const child = execa(command.file, command.args, {
    env: command.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
    // its own process group: a cancel ends the CLI and anything it started
    detached: true,
    cleanup: true,
    ...(signal ? { cancelSignal: signal } : {}),
    forceKillAfterDelay: KILL_AFTER_MS,
  });
  const progress = new PlainProgress();
  const emit = options.onEvent ?? (() => undefined);
  // the CLI and all it started (one process group): TERM, then KILL for what ignores it; and stop
  // reading, since a straggler would hold the output pipe open
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  const killGroup = (): void => {
    signalGroup('SIGTERM');
    setTimeout(() => signalGroup('SIGKILL'), KILL_AFTER_MS).unref();
    child.all?.destroy();
  };
  signal?.addEventListener('abort', killGroup, { once: true });
  try {
    if (child.all) {
      try {
        for await (const line of lines(child.all)) for (const e of progress.push(line)) emit(e);
      } catch (err) {
        if (!aborted()) throw err;
      }
    }
    for (const e of progress.end()) emit(e);
    const result = await child;
    if (aborted()) throw new CancelledError('the build');
    if (result.exitCode !== 0) {
      if (result.exitCode === undefined) throw new BuildFailedError(`${cli.path} could not be run: ${result.shortMessage}`, undefined, []);
      throw explainFrontend(progress.failure(result.exitCode), progress, options.dockerfile, text);
    }
  } finally {
    signal?.removeEventListener('abort', killGroup);
  }
  return progress.imageId;
}
