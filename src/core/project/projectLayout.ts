/**
 * Where a project starts for a file the user clicked, and the run profile Berth proposes for it
 * the first time: the Dockerfile's port, the model mounted read-only, "GPU if available".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isWeightFile } from './buildContext';

/** The nearest folder from `file` up to `root` holding berth.yaml or a Dockerfile (else root). */
export function projectDirFor(file: string, root: string): string {
  let dir = fs.existsSync(file) && fs.statSync(file).isDirectory() ? file : path.dirname(file);
  const top = path.resolve(root);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'berth.yaml')) || fs.existsSync(path.join(dir, 'Dockerfile'))) return dir;
    if (path.resolve(dir) === top || path.dirname(dir) === dir) return top;
    dir = path.dirname(dir);
  }
}

/** Ports a Dockerfile EXPOSEs (tcp ones). */
export function exposedPorts(dockerfileText: string): number[] {
  const ports: number[] = [];
  for (const line of dockerfileText.split(/\r?\n/)) {
    const m = /^\s*EXPOSE\s+(.+)$/i.exec(line);
    for (const token of m?.[1]?.split(/\s+/) ?? []) {
      const p = /^(\d+)(?:\/tcp)?$/.exec(token);
      if (p?.[1]) ports.push(Number(p[1]));
    }
  }
  return ports;
}

/** The model a run should mount when the user clicked `file`: the file itself when it is weights. */
export function modelFor(projectDir: string, file: string): { path: string; mountAt: string } | undefined {
  if (!isWeightFile(file)) return undefined;
  const rel = path.relative(projectDir, file).split(path.sep).join('/');
  return { path: rel, mountAt: `/models/${path.basename(file)}` };
}

/** berth.yaml text for a first run: what can be inferred, nothing else. */
export function defaultProfileYaml(projectDir: string, clicked: string): string {
  const lines = [
    '# Berth run profiles (see the Berth README). Written on the first run; edit freely.',
    'version: 1',
    'profiles:',
    '  default:',
  ];
  const dockerfile = path.join(projectDir, 'Dockerfile');
  if (fs.existsSync(dockerfile)) {
    lines.push('    build:', '      dockerfile: Dockerfile', '      context: .');
    const ports = exposedPorts(fs.readFileSync(dockerfile, 'utf8'));
    if (ports.length > 0) lines.push(`    ports: [${ports.map((p) => `'${p}'`).join(', ')}]`);
  }
  const model = modelFor(projectDir, clicked);
  if (model) lines.push(`    model: { path: '${model.path}', mountAt: '${model.mountAt}' }`);
  lines.push(
    '    gpus: all',
    '    gpuFallback: cpu   # "GPU if available": runs on CPU when the engine has no GPU',
    '    healthcheck: image',
    '',
  );
  return lines.join('\n');
}
