/**
 * Berth's command line, for CI: `node dist/cli.js compare NOTEBOOK --image IMAGE` runs the
 * notebook's code cells in the image, compares them with the saved outputs, prints a table and
 * exits 0 when everything matches within tolerance, 1 when cells differ (or the run did not
 * complete), 2 for a usage error or a run that could not start. Same core as the extension; no
 * VS Code needed. The engine is found as the docker CLI finds it (DOCKER_HOST, DOCKER_CONTEXT…).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveEndpoint } from './core/engine/connection';
import { Engine } from './core/engine/engine';
import { DEFAULT_SETTINGS, type CompareSettings } from './core/notebook/compareCells';
import { compareNotebook, formatReport, readNotebook, type CompareInput, type ComparisonReport } from './core/notebook/comparison';
import { probeLocalPython } from './core/notebook/localProbe';
import { KEEP_RUNS, notebookScratch, pruneRuns, runName, scratchRoot } from './core/notebook/scratch';
import { parseSize } from './core/project/units';

const USAGE = `Usage: node dist/cli.js compare NOTEBOOK --image IMAGE [options]

Runs the notebook's code cells in IMAGE (one Python process, the workspace mounted read-only,
the notebook's folder as working directory) and compares each cell with its saved outputs.

Options:
  --image IMAGE          image to run in (needs python3)                          (required)
  --workspace DIR        folder mounted read-only at /workspace    (default: the git root, else the notebook's folder)
  --output DIR           writable folder mounted at /output, named in OUTPUT_DIR
                         (default: a private run folder under $TMPDIR/berth-compare-<uid>)
  --json FILE            write the full report as JSON ("-" for stdout)
  --rtol N --atol N      numeric tolerances                            (default: ${DEFAULT_SETTINGS.tolerance.rtol}, ${DEFAULT_SETTINGS.tolerance.atol})
  --pixel-ratio N        share of pixels an image may differ by                     (default: ${DEFAULT_SETTINGS.pixelRatio})
  --timeout SECONDS      per-cell timeout, 0 for none                             (default: ${DEFAULT_SETTINGS.timeoutSeconds})
  --memory SIZE          memory limit for the container, e.g. 2g
  --compare-stderr       count stderr differences as differences
  --allow-nondeterministic
                         a cell that differs and is likely nondeterministic (an unseeded random
                         generator, the clock, …) counts as nondeterministic: it does not fail
  --local-python PATH    also list this local interpreter's versions
  --host HOST            Docker host (else as the docker CLI resolves it)
  --context NAME         Docker context
Exit status: 0 all cells match within tolerance (or are nondeterministic, when allowed); 1 cells differ or the run did not complete; 2 usage or run error.`;

export class UsageError extends Error {}

function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, not "${value}".`);
  return n;
}

function gitRoot(start: string): string | undefined {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

function parseCommandLine(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      image: { type: 'string' },
      workspace: { type: 'string' },
      output: { type: 'string' },
      json: { type: 'string' },
      rtol: { type: 'string' },
      atol: { type: 'string' },
      'pixel-ratio': { type: 'string' },
      timeout: { type: 'string' },
      memory: { type: 'string' },
      'compare-stderr': { type: 'boolean' },
      'allow-nondeterministic': { type: 'boolean' },
      'local-python': { type: 'string' },
      host: { type: 'string' },
      context: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

type Options = ReturnType<typeof parseCommandLine>['values'];

/** What the command line asks for: a comparison, or only the usage (on stdout for --help, with exit 0; else on stderr, exit 2). */
type Command =
  | { readonly kind: 'compare'; readonly notebookArg: string; readonly image: string; readonly options: Options }
  | { readonly kind: 'usage'; readonly exitCode: 0 | 2; readonly text: string };

function readCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (e) {
    return { kind: 'usage', exitCode: 2, text: `${(e as Error).message}\n\n${USAGE}\n` };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'usage', exitCode: 0, text: `${USAGE}\n` };
  const [command, notebookArg, ...extra] = positionals;
  if (command !== 'compare' || !notebookArg || extra.length > 0 || !values.image)
    return { kind: 'usage', exitCode: 2, text: `${command && command !== 'compare' ? `Unknown command "${command}".\n\n` : ''}${USAGE}\n` };
  return { kind: 'compare', notebookArg, image: values.image, options: values };
}

export async function main(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const command = readCommand(argv);
  if (command.kind === 'usage') {
    (command.exitCode === 0 ? out : err).write(command.text);
    return command.exitCode;
  }
  const { options } = command;
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const input = await comparisonInput(command.notebookArg, command.image, options);
    const engine = await connectEngine(options);
    const progress = (text: string): void => {
      if ((err as NodeJS.WriteStream).isTTY) err.write(`\r\x1b[2K${text}`);
    };
    const report = await compareNotebook(engine, input, {
      signal: controller.signal,
      onCellStart: (plan, done) => progress(`cell ${plan.ordinal} (${done} done)…`),
    });
    progress('');
    if (input.outputRun) err.write(`berth compare: the notebook's files are in ${path.join(input.outputDir, input.outputRun)}\n`);
    writeReport(report, options.json, out);
    if (controller.signal.aborted) return 130;
    return report.passed ? 0 : 1;
  } catch (e) {
    err.write(`${e instanceof UsageError ? `${e.message}\n\n${USAGE}` : `berth compare: ${(e as Error).message}`}\n`);
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The comparison the options ask for: the notebook read, the workspace, settings and limits, the local interpreter, the output folder. */
async function comparisonInput(
  notebookArg: string,
  image: string,
  options: Options,
): Promise<CompareInput & { readonly outputDir: string }> {
  const notebookPath = path.resolve(notebookArg);
  if (!fs.existsSync(notebookPath)) throw new UsageError(`${notebookArg} does not exist.`);
  const workspaceDir = path.resolve(options.workspace ?? gitRoot(path.dirname(notebookPath)) ?? path.dirname(notebookPath));
  const settings = compareSettings(options);
  const memoryBytes = memoryLimit(options.memory);
  const prepared = readNotebook(notebookPath);
  const local = options['local-python'] ? await probeLocalPython(options['local-python'], prepared.modules) : undefined;
  const { outputDir, outputRun } = outputFolder(options.output, notebookPath);
  return {
    notebookPath,
    workspaceDir,
    image,
    settings,
    outputDir,
    ...(outputRun ? { outputRun } : {}),
    labels: { 'berth.cli': 'compare' },
    ...(memoryBytes === undefined ? {} : { memoryBytes }),
    ...(local ? { local } : {}),
    prepared,
  };
}

/** The defaults, with the tolerances, pixel ratio, timeout and stderr choice the options give. */
function compareSettings(options: Options): CompareSettings {
  return {
    ...DEFAULT_SETTINGS,
    tolerance: {
      rtol: number(options.rtol, 'rtol', DEFAULT_SETTINGS.tolerance.rtol),
      atol: number(options.atol, 'atol', DEFAULT_SETTINGS.tolerance.atol),
    },
    pixelRatio: number(options['pixel-ratio'], 'pixel-ratio', DEFAULT_SETTINGS.pixelRatio),
    timeoutSeconds: number(options.timeout, 'timeout', DEFAULT_SETTINGS.timeoutSeconds),
    compareStderr: options['compare-stderr'] ?? false,
    allowNondeterministic: options['allow-nondeterministic'] ?? false,
  };
}

function memoryLimit(memory: string | undefined): number | undefined {
  if (memory === undefined) return undefined;
  const bytes = parseSize(memory);
  if (bytes === undefined) throw new UsageError(`--memory "${memory}" is not a size such as 512m or 2g.`);
  return bytes;
}

/** --output: the user's folder, used as it is; otherwise a private run folder (see notebook/scratch), older runs pruned. */
function outputFolder(output: string | undefined, notebookPath: string): { outputDir: string; outputRun?: string } {
  if (output) {
    const outputDir = path.resolve(output);
    fs.mkdirSync(outputDir, { recursive: true });
    return { outputDir };
  }
  const outputDir = notebookScratch(scratchRoot(), path.dirname(notebookPath));
  const outputRun = runName(notebookPath, new Date());
  pruneRuns(outputDir, KEEP_RUNS - 1);
  return { outputDir, outputRun };
}

/** The engine as the docker CLI finds it, unless --host or --context says otherwise. */
async function connectEngine(options: Options): Promise<Engine> {
  const endpoint = resolveEndpoint({
    env: process.env,
    homeDir: os.homedir(),
    platform: process.platform,
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
    ...(options.host ? { host: options.host } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
  return Engine.connect(endpoint, { env: process.env });
}

/** The table on stdout, and the JSON report to a file; with --json -, only the JSON, on stdout. */
function writeReport(report: ComparisonReport, json: string | undefined, out: NodeJS.WritableStream): void {
  if (json === '-') {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  out.write(`${formatReport(report)}\n`);
  if (json) fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
