/**
 * Running a Compose command: output lines streamed as progress (Compose writes its progress to
 * stderr), cancellable, bounded in time and output, failures as a typed error with the exit
 * code, the tail of stderr and the errors Compose attributed to a service.
 */
import type { ComposeCommand } from './composeArgs';

/** A failure Compose attributed to one service. */
export interface ServiceError {
  readonly service: string;
  readonly message: string;
  /** "127.0.0.1:8080" when the failure is a host port already taken. */
  readonly portInUse?: string;
}

/** The host address and port a "port in use" error names (the engine's two wordings). */
export function portInUse(message: string): string | undefined {
  return (
    /listen tcp[46]? ([^\s]+:\d+): bind: address already in use/.exec(message)?.[1] ??
    /Bind for ([^\s]+:\d+) failed: port is already allocated/.exec(message)?.[1]
  );
}

export class ComposeCommandError extends Error {
  override readonly name = 'ComposeCommandError';
  constructor(
    message: string,
    readonly verb: string,
    readonly exitCode: number | undefined,
    readonly stderrTail: string,
    readonly serviceErrors: readonly ServiceError[],
  ) {
    super(message);
  }
}

export class ComposeCancelledError extends Error {
  override readonly name = 'ComposeCancelledError';
  constructor(readonly verb: string) {
    super(`compose ${verb} was cancelled`);
  }
}

export interface RunOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Every output line as it comes, stdout and stderr. */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** The project's services and name, to pick out per-service errors. */
  readonly services?: readonly string[];
  readonly projectName?: string;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const MAX_BUFFER_CHARS = 16 * 1024 * 1024;
const TAIL_LINES = 20;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** "proj_web_1" / "proj-web-1" → "web", when it names a container of one of the services. */
function serviceOfContainer(name: string, services: readonly string[], project: string | undefined): string | undefined {
  for (const svc of services) {
    const pre = project === undefined ? '[\\w.-]+' : escapeRegExp(project);
    if (new RegExp(`^${pre}[_-]${escapeRegExp(svc)}[_-]\\d+$`).test(name)) return svc;
  }
  return undefined;
}

/**
 * The errors Compose names a service in, from its output: v1's "ERROR: for <svc>  …" (its
 * "ERROR: for <container>  …" twin is folded into it), "Cannot start service <svc>: …", an error
 * after "Pulling <svc> (…)…", v2's `service "<svc>" …` and "<svc> Error …" progress lines, and
 * "Error response from daemon: …" naming one of the service's containers. One entry per service.
 */
export function serviceErrors(output: string, services: readonly string[], projectName?: string): ServiceError[] {
  const known = new Set(services);
  const found = new Map<string, string>();
  const add = (svc: string | undefined, message: string): void => {
    if (svc === undefined || !known.has(svc) || found.has(svc)) return;
    found.set(svc, message.trim());
  };
  let pulling: string | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    let m = /^(?:ERROR: )?for (\S+)\s+(.+)$/.exec(line);
    if (m?.[1] && m[2]) {
      add(known.has(m[1]) ? m[1] : serviceOfContainer(m[1], services, projectName), m[2]);
      continue;
    }
    m = /Cannot start service ([\w.-]+):\s*(.+)$/.exec(line);
    if (m?.[1] && m[2]) {
      add(m[1], line);
      continue;
    }
    m = /^Pulling ([\w.-]+) \(([^)]*)\)\.\.\.$/.exec(line);
    if (m?.[1]) {
      pulling = m[1];
      continue;
    }
    m = /\bservice "([^"]+)"\s*(.*)$/.exec(line);
    if (m?.[1]) {
      add(m[1], line);
      continue;
    }
    m = /^(?:[✘✔⠿]\s*)?(?:Container\s+)?([\w.-]+)\s+Error\b\s*(.*)$/.exec(line);
    if (m?.[1] && (known.has(m[1]) || serviceOfContainer(m[1], services, projectName) !== undefined)) {
      add(known.has(m[1]) ? m[1] : serviceOfContainer(m[1], services, projectName), m[2] || line);
      continue;
    }
    if (/Error response from daemon/i.test(line)) {
      const named = [...line.matchAll(/[\w.-]+/g)].map((x) => serviceOfContainer(x[0], services, projectName)).find((s) => s !== undefined);
      if (named !== undefined) {
        add(named, line);
        continue;
      }
    }
    // v1 prints the failed pull's error on the line after "Pulling <svc> (…)…"
    if (
      pulling !== undefined &&
      !/^[\w.-]+: Pull(ing)? /i.test(line) &&
      /error|denied|not found|no such host|manifest unknown|does not exist/i.test(line)
    ) {
      add(pulling, `pull failed: ${line}`);
      pulling = undefined;
    }
  }
  return [...found].map(([service, message]) => {
    const port = portInUse(message);
    return { service, message, ...(port !== undefined ? { portInUse: port } : {}) };
  });
}

/** The last lines of a text, without blank ones. */
export function tail(text: string, lines = TAIL_LINES): string {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .join('\n');
}

/** Run one command; resolves with its output, rejects with ComposeCommandError or ComposeCancelledError. */
export async function runCompose(cmd: ComposeCommand, options: RunOptions): Promise<RunResult> {
  const { execa } = await import('execa');
  const onLine = options.onLine;
  const tap = (stream: 'stdout' | 'stderr') =>
    function* (line: unknown): Generator<unknown> {
      if (onLine && typeof line === 'string') onLine(line, stream);
      yield line;
    };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = await execa(cmd.file, [...cmd.args], {
    env: options.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: timeoutMs,
    maxBuffer: MAX_BUFFER_CHARS,
    forceKillAfterDelay: 5_000,
    stdout: [tap('stdout')],
    stderr: [tap('stderr')],
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  if (result.isCanceled) throw new ComposeCancelledError(cmd.verb);
  const stdout = String(result.stdout);
  const stderr = String(result.stderr);
  if (!result.failed) return { stdout, stderr };
  const errors = serviceErrors(`${stdout}\n${stderr}`, options.services ?? [], options.projectName);
  const stderrTail = tail(stderr);
  let message: string;
  if (result.timedOut) message = `compose ${cmd.verb} did not finish within ${Math.round(timeoutMs / 1000)} s`;
  else if (result.exitCode === undefined) message = `compose ${cmd.verb} could not run: ${result.shortMessage}`;
  else if (errors.length > 0) message = errors.map((e) => `${e.service}: ${e.message}`).join('\n');
  else message = tail(stderr, 3) || `compose ${cmd.verb} failed (exit code ${result.exitCode})`;
  throw new ComposeCommandError(message, cmd.verb, result.exitCode, stderrTail, errors);
}
