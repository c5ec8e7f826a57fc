/**
 * A batch job for a Python file: the project mounted read-only at /workspace, its data/ folder (if
 * any) read-only at /input and an output/ folder writable at /output, named in INPUT_DIR and
 * OUTPUT_DIR, and the file run with python3 from /workspace.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunProfile } from './runProfile';

export const WORKSPACE_MOUNT = '/workspace';

export function batchProfile(base: RunProfile, projectDir: string, file: string | undefined): RunProfile {
  const volumes = [{ source: '.', target: WORKSPACE_MOUNT, readOnly: true }];
  const env: Record<string, string> = { ...base.env, OUTPUT_DIR: '/output' };
  if (fs.existsSync(path.join(projectDir, 'data'))) {
    volumes.push({ source: './data', target: '/input', readOnly: true });
    env.INPUT_DIR = '/input';
  }
  volumes.push({ source: './output', target: '/output', readOnly: false });
  const script = file && file.endsWith('.py') ? path.relative(projectDir, file).split(path.sep).join('/') : undefined;
  return {
    ...base,
    name: `${base.name}-batch`,
    ...(script ? { command: ['python3', `${WORKSPACE_MOUNT}/${script}`], workdir: WORKSPACE_MOUNT } : {}),
    volumes: [...base.volumes, ...volumes],
    env,
    ports: [],
    restart: { name: 'no' },
    healthcheck: { kind: 'none' },
  };
}
