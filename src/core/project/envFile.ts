/** .env files as Docker reads them (`--env-file`): KEY=VALUE lines, # comments, no shell expansion. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface EnvFileProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function parseEnvFile(text: string, file: string): { env: Record<string, string>; problems: EnvFileProblem[] } {
  const env: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/.exec(line);
    if (!m?.[1]) {
      problems.push({ file, line: i + 1, message: `not KEY=VALUE: ${line.slice(0, 40)}` });
      return;
    }
    const value = m[2] ?? '';
    env[m[1]] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
  });
  return { env, problems };
}

/** Read a profile's env files (relative to the project); later files win. Throws with file:line on a bad line. */
export function readEnvFiles(projectDir: string, files: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of files) {
    const file = path.resolve(projectDir, f);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new Error(`The env file ${f} named in berth.yaml does not exist.`);
    }
    const parsed = parseEnvFile(text, f);
    const first = parsed.problems[0];
    if (first) throw new Error(`${first.file}:${first.line}: ${first.message}`);
    Object.assign(env, parsed.env);
  }
  return env;
}
