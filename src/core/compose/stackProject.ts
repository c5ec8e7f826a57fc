/**
 * What New AI Stack reads from a project folder: its Dockerfile (port, MODEL_PATH, health path,
 * Python or not), the berth.yaml profile that builds it (build arguments, port, model) and the
 * model on disk — the same places Berth's run profiles look.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isWeightFile } from '../project/buildContext';
import { exposedPorts } from '../project/projectLayout';
import { DEFAULT_MODEL_MOUNT, parseBerthConfig, type RunProfile } from '../project/runProfile';
import type { StackProject } from './newStack';

const DEFAULT_PORT = 8000;
const MODEL_FOLDERS = ['model', 'models', 'weights'];

/** `ENV NAME=value` or `ENV NAME value` in a Dockerfile (the last one wins). */
export function dockerfileEnv(text: string, name: string): string | undefined {
  let found: string | undefined;
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split(/\r?\n/)) {
    const m = /^\s*ENV\s+(.+)$/i.exec(line);
    if (!m?.[1]) continue;
    const body = m[1].trim();
    const pairs = [...body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S+)/g)];
    if (pairs.length > 0) {
      for (const p of pairs) if (p[1] === name && p[2] !== undefined) found = p[2].replace(/^["']|["']$/g, '');
    } else {
      const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.+)$/.exec(body);
      if (legacy?.[1] === name && legacy[2] !== undefined) found = legacy[2].trim();
    }
  }
  return found;
}

/** The HTTP path a Dockerfile's HEALTHCHECK asks for, if it asks for one. */
export function healthPathOf(dockerfileText: string): string | undefined {
  const joined = dockerfileText.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split(/\r?\n/)) {
    if (!/^\s*HEALTHCHECK\s/i.test(line) || /\sNONE\s*$/i.test(line)) continue;
    const m = /https?:\/\/[^/\s'"]+(\/[A-Za-z0-9_\-./]*)/.exec(line);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

function profileFor(dir: string, dockerfile: string): RunProfile | undefined {
  const file = path.join(dir, 'berth.yaml');
  if (!fs.existsSync(file)) return undefined;
  const { profiles } = parseBerthConfig(fs.readFileSync(file, 'utf8'));
  return (
    profiles.find((p) => p.build && path.resolve(dir, p.build.context, p.build.dockerfile) === path.resolve(dir, dockerfile)) ??
    profiles.find((p) => p.model !== undefined)
  );
}

/** The model on the host: the profile's, else a model folder, else a weights file at the top. */
function modelOnDisk(dir: string, profile: RunProfile | undefined): string | undefined {
  if (profile?.model && fs.existsSync(path.resolve(dir, profile.model.path))) return profile.model.path.replace(/^\.\//, '');
  for (const name of MODEL_FOLDERS) {
    const p = path.join(dir, name);
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) return name;
  }
  return fs.readdirSync(dir).find((f) => isWeightFile(f) && fs.statSync(path.join(dir, f)).isFile());
}

/**
 * Where the model goes in the container. The image's own MODEL_PATH wins: a folder is mounted
 * over the folder that holds the file it names (when that file is in it), a file over the file.
 */
export function modelMount(
  dir: string,
  hostPath: string,
  imageModelPath: string | undefined,
): { hostPath: string; mountAt: string; modelPath: string } {
  const abs = path.resolve(dir, hostPath);
  const isDir = fs.existsSync(abs) && fs.statSync(abs).isDirectory();
  if (imageModelPath !== undefined) {
    const base = path.posix.basename(imageModelPath);
    if (!isDir) return { hostPath, mountAt: imageModelPath, modelPath: imageModelPath };
    if (fs.existsSync(path.join(abs, base))) {
      return { hostPath, mountAt: path.posix.dirname(imageModelPath), modelPath: imageModelPath };
    }
  }
  if (!isDir) {
    const mountAt = `${DEFAULT_MODEL_MOUNT}/${path.basename(abs)}`;
    return { hostPath, mountAt, modelPath: mountAt };
  }
  const weights = fs.readdirSync(abs).filter(isWeightFile);
  const only = weights.length === 1 ? weights[0] : undefined;
  return { hostPath, mountAt: DEFAULT_MODEL_MOUNT, modelPath: only ? `${DEFAULT_MODEL_MOUNT}/${only}` : DEFAULT_MODEL_MOUNT };
}

/** The stack's view of the project in `dir` whose Dockerfile is `dockerfile` (relative to `dir`). */
export function stackProjectOf(dir: string, dockerfile = 'Dockerfile'): StackProject {
  const text = fs.readFileSync(path.join(dir, dockerfile), 'utf8');
  const profile = profileFor(dir, dockerfile);
  const port = exposedPorts(text)[0] ?? profile?.ports[0]?.containerPort ?? DEFAULT_PORT;
  const profileHealth = profile?.healthcheck.kind === 'http' ? profile.healthcheck.path : undefined;
  const healthPath = healthPathOf(text) ?? profileHealth;
  const hostModel = modelOnDisk(dir, profile);
  const imageModelPath = dockerfileEnv(text, profile?.model?.env ?? 'MODEL_PATH');
  return {
    dir,
    dockerfile: dockerfile.split(path.sep).join('/'),
    buildArgs: profile?.build ? { ...profile.build.args } : {},
    port,
    ...(hostModel !== undefined ? { model: modelMount(dir, hostModel, imageModelPath) } : {}),
    ...(healthPath !== undefined ? { healthPath } : {}),
    python: /python/i.test(text),
  };
}
