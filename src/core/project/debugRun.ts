/**
 * Debug in Container, without an editor: a Python file of the project run in its profile's
 * container under debugpy (`python3 -m debugpy --listen 0.0.0.0:5678 --wait-for-client <file>`),
 * the project at /workspace as a batch job has it, debugpy's port published on the loopback; the
 * attach arguments that map the project to /workspace; and why a container that ended before the
 * debugger attached ended.
 */
import * as path from 'node:path';
import type { PortBinding } from '../engine/containerStore';
import { WORKSPACE_MOUNT, batchProfile } from './batchProfile';
import { onAnyFreePort } from './projectRun';
import { LOOPBACK, type RunProfile } from './runProfile';

/** debugpy's port in the container. */
export const DEBUGPY_PORT = 5678;

export interface DebugTarget {
  /** The Python file to run, absolute, inside the project. */
  readonly program: string;
  /** A host port for debugpy; undefined or 0: any free one. */
  readonly hostPort?: number;
  /** debugpy's port in the container. */
  readonly debugPort?: number;
}

/** The file's path in the container: the project is at /workspace. */
export function containerPath(projectDir: string, file: string): string {
  const relative = path.relative(projectDir, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative))
    throw new Error(`${file} is not inside the project ${projectDir}: Debug in Container runs a Python file of the project.`);
  return path.posix.join(WORKSPACE_MOUNT, relative.split(path.sep).join('/'));
}

/** The command: the file under debugpy, listening on every address of the container, waiting for the client. */
export function debugpyCommand(script: string, port = DEBUGPY_PORT): string[] {
  return ['python3', '-m', 'debugpy', '--listen', `0.0.0.0:${port}`, '--wait-for-client', script];
}

/**
 * The profile a debug run starts: the batch job's mounts (the project read-only at /workspace,
 * data/ at /input, output/ at /output) and the file under debugpy from /workspace; the profile's
 * own ports on any free host port (a server being debugged is reachable, and a running one is not
 * in the way); debugpy's port on 127.0.0.1; no health check, no restart.
 */
export function debugProfile(base: RunProfile, projectDir: string, target: DebugTarget): RunProfile {
  if (!target.program.endsWith('.py'))
    throw new Error(`Debug in Container runs a Python file; ${path.basename(target.program)} is not one.`);
  const debugPort = target.debugPort ?? DEBUGPY_PORT;
  const script = containerPath(projectDir, target.program);
  const batch = batchProfile(base, projectDir, target.program);
  const served = onAnyFreePort(base).ports.filter((p) => !(p.containerPort === debugPort && p.protocol === 'tcp'));
  return {
    ...batch,
    name: `${base.name}-debug`,
    command: debugpyCommand(script, debugPort),
    workdir: WORKSPACE_MOUNT,
    ports: [...served, { containerPort: debugPort, protocol: 'tcp', hostIp: LOOPBACK, hostPort: target.hostPort ?? 0 }],
  };
}

/** debugpy's `pathMappings`: the project folder on this machine is /workspace in the container. */
export function pathMappings(projectDir: string): { localRoot: string; remoteRoot: string }[] {
  return [{ localRoot: projectDir, remoteRoot: WORKSPACE_MOUNT }];
}

/** Where the engine published debugpy's port: the host address and port, or undefined when it is not published. */
export function publishedDebugPort(
  ports: readonly PortBinding[],
  debugPort = DEBUGPY_PORT,
): { readonly host: string; readonly port: number } | undefined {
  const bound = ports.filter((p) => p.containerPort === debugPort && p.protocol === 'tcp' && p.hostPort !== undefined && p.hostPort > 0);
  // an IPv4 binding first: the plan asks for 127.0.0.1
  const chosen =
    bound.find((p) => p.hostIp === LOOPBACK) ?? bound.find((p) => p.hostIp !== undefined && !p.hostIp.includes(':')) ?? bound[0];
  if (chosen?.hostPort === undefined) return undefined;
  const host = chosen.hostIp === undefined || chosen.hostIp === '' || chosen.hostIp === '0.0.0.0' ? LOOPBACK : chosen.hostIp;
  return { host, port: chosen.hostPort };
}

/** The image has no debugpy: what python3 says when `-m debugpy` finds no module. */
export function lacksDebugpy(output: string): boolean {
  return /No module named debugpy\b/.test(output);
}

/**
 * Why the container ended before the debugger attached, for the one message the user sees: no
 * debugpy in the image (and how to add it), no python3, or the exit code and the output's last line.
 */
export function endedBeforeAttach(image: string, exitCode: number, output: string): string {
  if (lacksDebugpy(output))
    return `The image ${image} has no debugpy: add it to the image (Debian: apt-get install python3-debugpy; pip: pip install debugpy) and run Debug in Container again.`;
  if (exitCode === 127 || /executable file not found|python3: not found|no such file or directory.*python3/i.test(output))
    return `The image ${image} has no python3: Debug in Container runs the file with python3 -m debugpy.`;
  const last = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .at(-1);
  return `The program ended (exit code ${exitCode}) before the debugger attached${last ? `: ${last}` : ''}. The log has its output.`;
}
