/**
 * What a build would send to the engine: the context folder minus `.dockerignore`, measured
 * before anything is sent, with the model weights and datasets that would ride along called out —
 * ML projects often hold gigabytes of them, which belong in a mount, not in the image.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore from '@balena/dockerignore';

/** Weight and dataset files that should be mounted at run time rather than baked into an image. */
export const WEIGHT_EXTENSIONS = [
  '.pt',
  '.pth',
  '.safetensors',
  '.onnx',
  '.bin',
  '.ckpt',
  '.h5',
  '.keras',
  '.gguf',
  '.pkl',
  '.joblib',
  '.npz',
  '.parquet',
] as const;
/** A weight file at least this large is worth a warning (default 10 MiB). */
export const DEFAULT_WEIGHT_THRESHOLD_BYTES = 10 * 2 ** 20;

export interface ContextFile {
  /** Relative to the context, with forward slashes. */
  readonly path: string;
  readonly bytes: number;
}

export interface ContextScan {
  readonly contextDir: string;
  /** Files that would be sent, in a stable order. */
  readonly files: readonly ContextFile[];
  readonly totalBytes: number;
  /** Files left out by .dockerignore. */
  readonly ignoredCount: number;
  readonly ignoredBytes: number;
  /** Large weight/data files that would be sent. */
  readonly weights: readonly ContextFile[];
  readonly hasDockerignore: boolean;
}

export function isWeightFile(file: string): boolean {
  const lower = file.toLowerCase();
  return WEIGHT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Read the context's .dockerignore (if any) as a filter: true = sent. */
export function contextFilter(contextDir: string, dockerfile: string): { accepts: (rel: string) => boolean; hasDockerignore: boolean } {
  let text: string | undefined;
  try {
    text = fs.readFileSync(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) return { accepts: () => true, hasDockerignore: false };
  const ig = ignore({ ignorecase: false }).add(text);
  const dockerfileRel = toPosix(path.relative(contextDir, path.resolve(contextDir, dockerfile)));
  // the engine always receives the Dockerfile and .dockerignore, whatever .dockerignore says
  return { accepts: (rel) => rel === dockerfileRel || rel === '.dockerignore' || !ig.ignores(rel), hasDockerignore: true };
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** Walk the context as the engine would receive it. Symlinks are sent as links, not followed. */
export function scanContext(
  contextDir: string,
  dockerfile = 'Dockerfile',
  weightThresholdBytes = DEFAULT_WEIGHT_THRESHOLD_BYTES,
): ContextScan {
  const { accepts, hasDockerignore } = contextFilter(contextDir, dockerfile);
  const files: ContextFile[] = [];
  let ignoredCount = 0;
  let ignoredBytes = 0;
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, entry.name);
      const rel = toPosix(path.relative(contextDir, abs));
      if (entry.isDirectory()) {
        walk(abs);
        continue;
      }
      const bytes = entry.isFile() ? fs.statSync(abs).size : 0;
      if (accepts(rel)) files.push({ path: rel, bytes });
      else {
        ignoredCount++;
        ignoredBytes += bytes;
      }
    }
  };
  walk(contextDir);
  const weights = files.filter((f) => isWeightFile(f.path) && f.bytes >= weightThresholdBytes).sort((a, b) => b.bytes - a.bytes);
  return {
    contextDir,
    files,
    totalBytes: files.reduce((n, f) => n + f.bytes, 0),
    ignoredCount,
    ignoredBytes,
    weights,
    hasDockerignore,
  };
}

/**
 * Lines to add to .dockerignore so the weights stay out of the image: their folders when every
 * file in a folder is a weight file, otherwise the files themselves.
 */
export function ignoreLinesFor(scan: ContextScan): string[] {
  const lines = new Set<string>();
  const byDir = new Map<string, ContextFile[]>();
  for (const f of scan.files) {
    const dir = path.posix.dirname(f.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  for (const w of scan.weights) {
    const dir = path.posix.dirname(w.path);
    const siblings = byDir.get(dir) ?? [];
    if (dir !== '.' && siblings.every((f) => isWeightFile(f.path))) lines.add(`${dir}/`);
    else lines.add(w.path);
  }
  return [...lines];
}
