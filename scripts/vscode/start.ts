/**
 * `npm start` (through scripts/start.mjs): set up what is missing — the packaged extension, a
 * Docker engine, the local base images, code-server and Chromium — then run VS Code in the browser
 * with Berth installed and the sample project open, until Ctrl-C. Everything started here is
 * stopped again on exit: code-server's process group, and dockerd only if this run started it.
 *
 *   npm start [-- --port N]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, launchCodeServer, REPO_ROOT, type CodeServer } from './codeServer';

const VSIX = path.join(REPO_ROOT, 'berth.vsix');
const DEFAULT_PORT = 8080;
/** What goes into berth.vsix: when any of it is newer than the .vsix, package again. */
const PACKAGE_INPUTS = [
  'src',
  'webview',
  'media',
  'package.json',
  'package.nls.json',
  'l10n',
  'package-lock.json',
  'scripts/build.mjs',
  'README.md',
  'LICENSE',
  '.vscodeignore',
];
/** The sample project; until it exists, the nearest folder that does. */
const WORKSPACES = ['examples/iris-classifier', 'examples', '.'];

const t0 = Number(process.env.BERTH_START_T0 ?? Date.now());
const say = (message: string): void => console.log(`start: ${message}`);
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

interface Args {
  port?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = arg.startsWith('--port=') ? arg.slice('--port='.length) : arg === '--port' ? argv[++i] : undefined;
    if (value !== undefined) {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`--port needs a port number, not ${JSON.stringify(value)}`);
      args.port = port;
    } else if (arg === '-h' || arg === '--help') {
      usage();
    } else {
      usage(`unknown argument ${arg}`);
    }
  }
  return args;
}

function usage(error?: string): never {
  if (error) console.error(`start: ${error}`);
  console.error('usage: npm start [-- --port N]   (default port 8080, or a free one when 8080 is taken)');
  process.exit(error ? 2 : 0);
}

/** Run a command with its output passed through (and kept, for the caller to read). */
function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    });
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Run a command quietly; its output is shown only when it fails. */
function runQuiet(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}\n` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function newestInput(): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  const visit = (file: string): void => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const entry of fs.readdirSync(file)) visit(path.join(file, entry));
    else if (stat.mtimeMs > newest.mtimeMs) newest = { file, mtimeMs: stat.mtimeMs };
  };
  for (const input of PACKAGE_INPUTS) visit(path.join(REPO_ROOT, input));
  return newest;
}

async function ensurePackage(): Promise<void> {
  const vsix = fs.statSync(VSIX, { throwIfNoEntry: false });
  const newest = newestInput();
  if (vsix && vsix.mtimeMs >= newest.mtimeMs) {
    say('berth.vsix is up to date');
    return;
  }
  const start = Date.now();
  say(vsix ? `npm run package (${path.relative(REPO_ROOT, newest.file)} is newer than berth.vsix)` : 'npm run package (no berth.vsix yet)');
  const { code, output } = await runQuiet('npm', ['run', '-s', 'package']);
  if (code !== 0 || !fs.existsSync(VSIX)) {
    process.stderr.write(output);
    throw new Error('npm run package failed');
  }
  say(`packaged berth.vsix (${Math.round(fs.statSync(VSIX).size / 1024)} KiB) in ${seconds(start)}`);
}

/** `engine.sh ensure`; true when it started a dockerd that we must stop again. */
async function ensureEngine(): Promise<{ ok: boolean; started: boolean }> {
  const { code, output } = await run('bash', ['scripts/engine.sh', 'ensure']);
  return { ok: code === 0, started: code === 0 && /^engine: started /m.test(output) };
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function choosePort(requested: number | undefined): Promise<number> {
  if (requested !== undefined) {
    if (!(await portIsFree(requested))) throw new Error(`port ${requested} on 127.0.0.1 is in use; choose another with --port N`);
    return requested;
  }
  return (await portIsFree(DEFAULT_PORT)) ? DEFAULT_PORT : freePort();
}

function workspaceFolder(): string {
  for (const candidate of WORKSPACES) {
    const folder = path.join(REPO_ROOT, candidate);
    if (fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) return path.resolve(folder);
  }
  return REPO_ROOT;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let server: CodeServer | undefined;
  let engineStarted = false;
  let stopping = false;

  const shutdown = async (why: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping`);
    if (server) {
      await server.stop();
      say('code-server stopped');
    }
    if (engineStarted) await run('bash', ['scripts/engine.sh', 'stop']);
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(signal, signal === 'SIGINT' ? 130 : 143));
  }

  try {
    await ensurePackage();

    const engine = await ensureEngine();
    engineStarted = engine.started;
    if (engine.ok) {
      if ((await run('bash', ['scripts/base-images.sh'])).code !== 0) say('warning: the local base images could not be built');
    } else {
      say('warning: no Docker engine answers; Berth will say so, and recover once one does');
    }
    if (stopping) return;

    if ((await run('bash', ['scripts/vscode/install.sh'])).code !== 0) throw new Error('scripts/vscode/install.sh failed');
    if (stopping) return;

    const port = await choosePort(args.port);
    const workspace = workspaceFolder();
    server = await launchCodeServer({ workspace, vsixPath: VSIX, port });
    if (stopping) {
      await server.stop();
      return;
    }
    const setup = seconds(t0);
    console.log('');
    say(`VS Code with Berth is running (set-up took ${setup})`);
    console.log('');
    console.log(`    ${server.url}`);
    console.log('');
    say(`workspace: ${path.relative(REPO_ROOT, workspace) || '.'}; code-server pid ${server.pid}, log ${server.logFile}`);
    say('using VS Code on the desktop? Install the extension there instead: code --install-extension berth.vsix');
    say(`Ctrl-C stops code-server${engineStarted ? ' and the dockerd this run started' : ''}`);

    // Stay up until a signal. If code-server dies on its own, say so and clean up; if our parent
    // (npm) goes away without passing a signal on, do not outlive it.
    const parent = process.ppid;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (stopping) return;
      if (process.ppid !== parent) await shutdown(`the parent process (pid ${parent}) exited`, 1);
      try {
        process.kill(server.pid, 0);
      } catch {
        const log = fs.readFileSync(server.logFile, 'utf8').trimEnd().split('\n').slice(-20).join('\n');
        console.error(`start: code-server (pid ${server.pid}) exited; its last output:\n${log}`);
        await shutdown('code-server exited', 1);
      }
    }
  } catch (err) {
    console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
    await shutdown('set-up failed', 1);
  }
}

void main();
