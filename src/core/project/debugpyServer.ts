/**
 * Waiting for debugpy in a debug run's container to take a client. A published port accepts
 * connections as soon as the container starts (the engine's proxy answers for it) and drops them
 * while nothing listens inside — or, while the container's network comes up, holds them without a
 * word. debugpy's adapter, once listening, says who it is (its telemetry events) before the client
 * says anything. So a probe that gets bytes has reached debugpy (one kept silent several times in a
 * row is taken as a debugpy that does not greet); one that is dropped has not — and in between, a
 * container that ended is reported with what it printed.
 */
import * as net from 'node:net';
import type { Engine } from '../engine/engine';
import { CancelledError } from '../engine/errors';
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
  /** Between two probes; default 250 ms. */
  readonly intervalMs?: number;
  /** How long a connection that says nothing must stay up to count as debugpy's; default 750 ms. */
  readonly settleMs?: number;
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

/** What one probe found: debugpy speaking, a connection kept without a word, or none kept. */
export type Probe = 'speaks' | 'silent' | 'dropped';

/**
 * One probe of the port, saying nothing itself so that debugpy keeps waiting for the real client:
 * `speaks` when bytes came (debugpy's adapter greets every client with its telemetry events),
 * `silent` when the connection stayed up for `settleMs` without a word, `dropped` when it was
 * refused or closed (the engine's proxy with nothing listening behind it).
 */
export function probeDebugpy(host: string, port: number, settleMs = 750): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    let done = false;
    const finish = (found: Probe): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(found);
    };
    const timer = setTimeout(() => finish(socket.readyState === 'open' ? 'silent' : 'dropped'), settleMs);
    socket.once('data', () => finish('speaks'));
    socket.once('error', () => finish('dropped'));
    socket.once('close', () => finish('dropped'));
  });
}

/**
 * How many silent probes in a row count as a debugpy that does not greet: a proxy whose dial into
 * a starting container hangs is silent too, but not for long.
 */
const SILENT_PROBES = 4;

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

/** A DebugpyUnavailableError when the container is no longer running (with what it printed), else undefined. */
async function ended(engine: Engine, id: string, image: string, signal?: AbortSignal): Promise<DebugpyUnavailableError | undefined> {
  const details = await engine.inspectContainerJson(id, signal);
  if (details.State.Running) return undefined;
  const output = await containerOutput(engine, id);
  const code = details.State.ExitCode;
  return new DebugpyUnavailableError(endedBeforeAttach(image, code, output), 'exited', output, code);
}

/**
 * Where debugpy's published port is reached from here (through the engine's route: an ssh
 * engine's ports come through a forward), once debugpy in the container takes connections.
 * Rejects with DebugpyUnavailableError when the container ends first (no debugpy in the image,
 * python3 missing) or after timeoutMs, CancelledError when the signal aborts.
 */
export async function waitForDebugpy(engine: Engine, id: string, options: WaitForDebugpyOptions): Promise<DebugpyRoute> {
  const { timeoutMs, signal, intervalMs = 250, settleMs = 750, debugPort = DEBUGPY_PORT } = options;
  const deadline = Date.now() + timeoutMs;
  let route: DebugpyRoute | undefined;
  let silent = 0;
  for (;;) {
    if (signal?.aborted === true) throw new CancelledError('waiting for debugpy', signal.reason);
    // the state first: a container that ended has no ports, and a proxy may hold a connection a moment
    const gone = await ended(engine, id, options.image, signal);
    if (gone) throw gone;
    if (route === undefined) {
      const published = publishedDebugPort((await engine.inspectContainer(id, signal)).ports, debugPort);
      if (published) {
        const reached = await engine.reachPort(published.host, published.port);
        if ('error' in reached) throw new Error(`Cannot reach debugpy's port ${published.host}:${published.port}: ${reached.error}`);
        route = { ...reached, published };
      }
    }
    if (route) {
      const found = await probeDebugpy(route.host, route.port, settleMs);
      silent = found === 'silent' ? silent + 1 : 0;
      if (found === 'speaks' || silent >= SILENT_PROBES) return route;
    }
    if (Date.now() >= deadline) {
      const output = await containerOutput(engine, id);
      const where = route ? `on ${route.published.host}:${route.published.port}` : `(the engine published no port for ${debugPort})`;
      throw new DebugpyUnavailableError(
        `debugpy did not take a connection ${where} within ${Math.round(timeoutMs / 1000)} s. The log has the container's output.`,
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
