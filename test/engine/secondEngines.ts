/**
 * The second engines the engine tier starts (scripts/fault-engine.sh, scripts/gpu-engine.sh): each a
 * dockerd of its own, in its own network namespace, which needs root and util-linux. One place says
 * when they can run and drives their scripts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && fs.existsSync(path.join(dir, tool)));
}

/** Why a second engine cannot run here (undefined: it can), said once on the console for `file`. */
export function secondEngineSkip(file: string, which: string, tools: readonly string[]): string | undefined {
  const missing = tools.filter((t) => !onPath(t));
  const reason =
    process.getuid?.() !== 0
      ? `the ${which} is a second dockerd, which needs root`
      : missing.length > 0
        ? `${missing.join(' and ')} (util-linux) ${missing.length > 1 ? 'are' : 'is'} not installed`
        : undefined;
  if (reason) console.log(`${file} skipped: ${reason}`);
  return reason;
}

/** Run `scripts/<script> <command>`; its stdout, or a failed assertion with all it printed. */
export async function engineScript(script: 'fault-engine.sh' | 'gpu-engine.sh', command: string, timeoutMs = 180_000): Promise<string> {
  const { execa } = await import('execa');
  const result = await execa('bash', [path.join(REPO, 'scripts', script), command], {
    cwd: REPO,
    timeout: timeoutMs,
    all: true,
    reject: false,
  });
  assert.equal(result.exitCode, 0, `${script} ${command} failed:\n${result.all}`);
  return result.stdout;
}
