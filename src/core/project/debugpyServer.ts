/**
 * Waiting for debugpy in a debug run's container to take a client — without connecting to it:
 * debugpy's adapter serves one debug session, and a client that connects and leaves before the
 * program has reached the adapter ends the adapter and the program with it. A published port is no
 * sign either (the engine's proxy accepts connections while nothing listens inside). So the wait
 * reads the container's own socket table (/proc/net/tcp and tcp6, through exec with the python3
 * the run needs anyway) for a socket listening on debugpy's port; in between, a container that
 * ended is reported with what it printed.
 */
import type { ContainerRecord } from '../engine/containerStore';
import type { Engine } from '../engine/engine';
import { CancelledError } from '../engine/errors';
import { runExec } from '../engine/exec';
import { containerLogs } from '../engine/logs';
import { delay } from '../engine/streams';
import { DEBUGPY_PORT, endedBeforeAttach, publishedDebugPort } from './debugRun';

/** The container ended (or never got debugpy listening) before the debugger attached. */
export class DebugpyUnavailableError extends Error {
  constructor(
    message: string,
    readonly reason: 'exited' | 'timeout',
    /** What the container printed, for the log. */
    readonly output: string,
    readonly exitCode?: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface WaitForDebugpyOptions {
  readonly timeoutMs: number;
  /** The image, for the message when it has no debugpy. */
  readonly image: string;
  readonly signal?: AbortSignal;
  /** Between two looks; default 250 ms. */
  readonly intervalMs?: number;
  /** debugpy's port in the container; default 5678. */
  readonly debugPort?: number;
}

/** The address that reaches debugpy from here, and the port the engine published for it. */
export interface DebugpyRoute {
  readonly host: string;
  readonly port: number;
  /** Set when the route is a forward (an ssh engine's). */
  readonly via?: string;
  readonly published: { readonly host: string; readonly port: number };
}

/**
 * Whether a /proc/net/tcp or tcp6 table has a socket listening (state 0A) on the port, on any
 * local address.
 */
export function listensOn(table: string, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return table.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st ...: local_address is ADDRESS:PORT in hex
    const local = fields[1];
    return fields[3] === '0A' && local !== undefined && local.toUpperCase().endsWith(`:${hexPort}`);
  });
}

/** The container's TCP socket tables, read by its python3 (the run has it; a shell may not be there). */
const READ_SOCKETS = [
  'python3',
  '-c',
  "import sys\nfor f in ('/proc/net/tcp', '/proc/net/tcp6'):\n    try: sys.stdout.write(open(f).read())\n    except OSError: pass",
];

/** The container's output so far (stdout and stderr, in order), bounded to its last lines. */
export async function containerOutput(engine: Engine, id: string, tail = 200): Promise<string> {
  const lines: string[] = [];
  try {
    for await (const line of containerLogs(engine, id, { tail })) lines.push(line.text);
  } catch {
    // a container removed meanwhile has no output to give
  }
  return lines.join('\n');
}

/** A DebugpyUnavailableError when the container has ended (with what it printed), else undefined. */
async function ended(engine: Engine, record: ContainerRecord, image: string): Promise<DebugpyUnavailableError | undefined> {
  if (record.state !== 'exited' && record.state !== 'dead') return undefined;
  const output = await containerOutput(engine, record.id);
  const code = record.exitCode ?? -1;
  return new DebugpyUnavailableError(endedBeforeAttach(image, code, output), 'exited', output, code);
}

/**
 * Where debugpy's published port is reached from here (through the engine's route: an ssh
 * engine's ports come through a forward), once debugpy in the container takes connections.
 * Rejects with DebugpyUnavailableError when the container ends first (no debugpy in the image,
 * python3 missing) or after timeoutMs, CancelledError when the signal aborts.
 */
export async function waitForDebugpy(engine: Engine, id: string, options: WaitForDebugpyOptions): Promise<DebugpyRoute> {
  const { timeoutMs, signal, intervalMs = 250, debugPort = DEBUGPY_PORT } = options;
  const deadline = Date.now() + timeoutMs;
  let route: DebugpyRoute | undefined;
  for (;;) {
    if (signal?.aborted === true) throw new CancelledError('waiting for debugpy', signal.reason);
    // the state first: a container that ended has no ports, and a proxy may hold a connection a moment
    const record = await engine.inspectContainer(id, signal);
    const gone = await ended(engine, record, options.image);
    if (gone) throw gone;
    if (route === undefined) {
      const published = publishedDebugPort(record.ports, debugPort);
      if (published) {
        const reached = await engine.reachPort(published.host, published.port);
        if ('error' in reached) throw new Error(`Cannot reach debugpy's port ${published.host}:${published.port}: ${reached.error}`);
        route = { ...reached, published };
      }
    }
    if (route) {
      const sockets = await runExec(engine, id, { cmd: READ_SOCKETS, ...(signal ? { signal } : {}) }).catch(() => undefined);
      if (sockets?.exitCode === 0 && listensOn(sockets.stdout, debugPort)) return route;
    }
    if (Date.now() >= deadline) {
      const output = await containerOutput(engine, id);
      const where = route ? `on port ${debugPort}` : `(the engine published no port for ${debugPort})`;
      throw new DebugpyUnavailableError(
        `debugpy in the container was not listening ${where} within ${Math.round(timeoutMs / 1000)} s. The log has the container's output.`,
        'timeout',
        output,
      );
    }
    try {
      await delay(Math.min(intervalMs, Math.max(0, deadline - Date.now())), signal);
    } catch (err) {
      throw new CancelledError('waiting for debugpy', err);
    }
  }
}
