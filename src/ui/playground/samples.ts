/**
 * Where the playground reads a project's sample requests from. A container's `berth.project`
 * label names a folder, but any image can set that label: samples are read only from a folder
 * inside an open workspace folder (real paths, so no symlink or `..` leads out of it). No vscode
 * import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Sample files larger than this are not read (a request body, not a data set). */
export const MAX_SAMPLE_BYTES = 1024 * 1024;

export interface SamplesFolder {
  /** The project folder whose requests/ the playground reads; undefined: none. */
  readonly dir: string | undefined;
  /** Why the label's folder was not used (for the log); undefined when it was, or there was none. */
  readonly refused?: string;
}

/** Whether `child` is `root` or inside it (both real, absolute paths). */
function within(root: string, child: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function real(p: string, realpath: (p: string) => string): string | undefined {
  try {
    return realpath(p);
  } catch {
    return undefined;
  }
}

/** The real path of the workspace folder that holds `p` (a real path), if any. */
export function workspaceRootOf(
  p: string,
  workspaceFolders: readonly string[],
  realpath: (p: string) => string = fs.realpathSync,
): string | undefined {
  for (const folder of workspaceFolders) {
    const root = real(folder, realpath);
    if (root !== undefined && within(root, p)) return root;
  }
  return undefined;
}

/**
 * The project folder to read samples from: the label's folder when it lies inside an open
 * workspace folder, else the first workspace folder (and why the label's was refused).
 */
export function samplesFolder(
  labelDir: string | undefined,
  workspaceFolders: readonly string[],
  realpath: (p: string) => string = fs.realpathSync,
): SamplesFolder {
  const fallback = workspaceFolders[0];
  if (labelDir === undefined || labelDir === '') return { dir: fallback };
  const refuse = (why: string): SamplesFolder => ({
    dir: fallback,
    refused: `the container's berth.project label names ${JSON.stringify(labelDir)}, ${why}: its samples are not read${
      fallback ? ` (samples come from ${fallback})` : ''
    }`,
  });
  if (!path.isAbsolute(labelDir)) return refuse('which is not an absolute path');
  if (labelDir.split(/[\\/]/).includes('..')) return refuse('which contains ".."');
  const resolved = real(labelDir, realpath);
  if (resolved === undefined) return refuse('which does not exist');
  if (workspaceRootOf(resolved, workspaceFolders, realpath) === undefined)
    return refuse(workspaceFolders.length === 0 ? 'and no workspace folder is open' : 'which is outside the open workspace folders');
  return { dir: resolved };
}

export interface ProjectSample {
  readonly name: string;
  readonly body: string;
}

/**
 * The project's requests/*.json, each read only when its real path is inside the workspace folder
 * that holds the project (a symlinked folder or file leading out is skipped) and it is a regular
 * file of at most MAX_SAMPLE_BYTES. `skipped` says what was left out and why.
 */
export function readProjectSamples(
  projectDir: string,
  workspaceFolders: readonly string[],
): { samples: ProjectSample[]; skipped: string[] } {
  const samples: ProjectSample[] = [];
  const skipped: string[] = [];
  const projectReal = real(projectDir, fs.realpathSync);
  const root = projectReal === undefined ? undefined : workspaceRootOf(projectReal, workspaceFolders);
  if (projectReal === undefined || root === undefined) return { samples, skipped: [`${projectDir}: not inside an open workspace folder`] };
  const dir = path.join(projectReal, 'requests');
  const dirReal = real(dir, fs.realpathSync);
  if (dirReal === undefined) return { samples, skipped };
  if (!within(root, dirReal)) return { samples, skipped: [`${dir}: leads outside the workspace folder (to ${dirReal})`] };
  let names: string[];
  try {
    names = fs.readdirSync(dirReal).filter((n) => n.endsWith('.json'));
  } catch (err) {
    return { samples, skipped: [`${dir}: ${(err as Error).message}`] };
  }
  for (const name of names.sort()) {
    const file = path.join(dirReal, name);
    const fileReal = real(file, fs.realpathSync);
    if (fileReal === undefined) continue;
    if (!within(root, fileReal)) {
      skipped.push(`${file}: leads outside the workspace folder (to ${fileReal})`);
      continue;
    }
    const stat = fs.statSync(fileReal);
    if (!stat.isFile()) continue;
    if (stat.size > MAX_SAMPLE_BYTES) {
      skipped.push(`${file}: ${stat.size} bytes, more than a sample request (${MAX_SAMPLE_BYTES})`);
      continue;
    }
    samples.push({ name, body: fs.readFileSync(fileReal, 'utf8') });
  }
  return { samples, skipped };
}
