/**
 * The local side of the environment diff: the same runner, in probe mode, run with a local Python
 * interpreter (the one VS Code's Python extension selected, or one the user names). Never through
 * a shell.
 */
import { parseRunnerLine, runnerSource, type PythonEnvironment } from './containerRun';

export async function probeLocalPython(interpreter: string, modules: readonly string[], signal?: AbortSignal): Promise<PythonEnvironment> {
  const { execa } = await import('execa');
  const result = await execa(interpreter, ['-c', runnerSource(), '--probe', ...modules], {
    timeout: 20_000,
    reject: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  for (const line of String(result.stdout).split('\n')) {
    const message = parseRunnerLine(line);
    if (message?.t === 'hello') {
      const { t: _t, ...env } = message;
      return env;
    }
  }
  throw new Error(
    `${interpreter} did not report its environment (exit ${String(result.exitCode)}): ${String(result.stderr).slice(0, 300)}`,
  );
}
