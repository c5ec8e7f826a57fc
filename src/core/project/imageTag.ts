/** The tag Berth proposes for a project's image: folder name and git state. */
import * as path from 'node:path';

/** A valid repository name from a folder name: lower case, [a-z0-9._-], no leading separator. */
export function repositoryName(folder: string): string {
  const name = path
    .basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '');
  return name === '' ? 'project' : name;
}

/** "<folder>:<short sha>[-dirty]", or "<folder>:dev" outside git. */
export function proposeTag(folder: string, git: { sha?: string; dirty?: boolean } | undefined): string {
  const repo = repositoryName(folder);
  if (!git?.sha) return `${repo}:dev`;
  return `${repo}:${git.sha.slice(0, 12)}${git.dirty === true ? '-dirty' : ''}`;
}

/** Read the git state of a folder with the git CLI (no shell); undefined outside a repository. */
export async function gitState(folder: string): Promise<{ sha: string; dirty: boolean } | undefined> {
  const { execa } = await import('execa');
  try {
    const sha = (await execa('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: folder, timeout: 5000 })).stdout.trim();
    const status = (await execa('git', ['status', '--porcelain', '--', '.'], { cwd: folder, timeout: 5000 })).stdout;
    return sha === '' ? undefined : { sha, dirty: status.trim() !== '' };
  } catch {
    return undefined;
  }
}
