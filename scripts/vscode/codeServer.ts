/**
 * Launch a real VS Code (code-server, installed by scripts/vscode/install.sh) with Berth installed:
 * a fresh user-data, extensions and XDG folder per launch, bound to 127.0.0.1 without auth. Used by
 * `npm start` and the e2e tests.
 */
import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER_BIN = path.join(
  process.env.BERTH_CODE_SERVER_DIR ?? path.join(REPO_ROOT, '.vscode-test/code-server'),
  'node_modules/.bin/code-server',
);

/** User settings that keep a fresh VS Code quiet: no welcome page, no update or telemetry prompts. */
export const QUIET_SETTINGS: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  // the workspace may sit inside a git repository (the sample project does): no prompt about it
  'git.openRepositoryInParentFolders': 'never',
};

export interface LaunchOptions {
  /** Folder to open. */
  readonly workspace: string;
  /** A packaged extension to install (`--install-extension`). */
  readonly vsixPath?: string;
  /** Or an unpacked extension folder (package.json, dist/, media/) copied into the extensions dir. */
  readonly extensionDir?: string;
  /** Extra environment for code-server and so the extension host, e.g. DOCKER_HOST. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Port on 127.0.0.1; 0 or absent picks a free one. */
  readonly port?: number;
  /** Merged over QUIET_SETTINGS into the user settings.json. */
  readonly userSettings?: Readonly<Record<string, unknown>>;
  /** Where the user data, extensions and XDG folders go (default: a fresh temp folder, removed by stop()). */
  readonly dataDir?: string;
  /** Keep dataDir after stop() (logs for a failed test). */
  readonly keepDataDir?: boolean;
  /** Milliseconds to wait for /healthz (default 60 s). */
  readonly startTimeoutMs?: number;
  /** code-server binary (default: the one install.sh puts into .vscode-test/). */
  readonly bin?: string;
}

export interface CodeServer {
  /** The workbench with the workspace open: http://127.0.0.1:PORT/?folder=... */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  readonly workspace: string;
  /** code-server's own output (stdout and stderr). */
  readonly logFile: string;
  /** Folder with VS Code's logs (extension host, window, ...). */
  readonly logsDir: string;
  /** Stop code-server and everything it started (its process group); idempotent. */
  stop(): Promise<void>;
}

/** Launch code-server and wait until it answers /healthz. */
export async function launchCodeServer(options: LaunchOptions): Promise<CodeServer> {
  const bin = options.bin ?? CODE_SERVER_BIN;
  if (!fs.existsSync(bin)) {
    throw new Error(`code-server is not installed (${path.relative(process.cwd(), bin)} is missing): run bash scripts/vscode/install.sh`);
  }
  const workspace = path.resolve(options.workspace);
  if (!fs.statSync(workspace, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`workspace ${workspace} is not a folder`);

  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'berth-vscode-'));
  const dirs = {
    userData: path.join(dataDir, 'user-data'),
    extensions: path.join(dataDir, 'extensions'),
    xdgConfig: path.join(dataDir, 'xdg-config'),
    xdgData: path.join(dataDir, 'xdg-data'),
    xdgCache: path.join(dataDir, 'xdg-cache'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  const settingsFile = path.join(dirs.userData, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.writeFileSync(settingsFile, JSON.stringify({ ...QUIET_SETTINGS, ...options.userSettings }, null, 2));
  // an explicit (empty) config: otherwise code-server writes one with a password into XDG_CONFIG_HOME
  const configFile = path.join(dataDir, 'config.yaml');
  fs.writeFileSync(configFile, '');

  const env = childEnv(options.env, dirs);
  const common = ['--config', configFile, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
  const cleanUp = (): void => {
    if (ownDataDir && !options.keepDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    if (options.vsixPath !== undefined) {
      const vsix = path.resolve(options.vsixPath);
      if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run npm run package`);
      await run(bin, [...common, '--install-extension', vsix, '--force'], env);
    } else if (options.extensionDir !== undefined) {
      copyExtension(path.resolve(options.extensionDir), dirs.extensions);
    }
  } catch (err) {
    cleanUp();
    throw err;
  }

  const logFile = path.join(dataDir, 'code-server.log');
  for (let attempt = 1; ; attempt++) {
    const port = options.port ? options.port : await freePort();
    const out = fs.openSync(logFile, 'a');
    const child = spawn(
      bin,
      [
        ...common,
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        workspace,
      ],
      // detached: its own process group, so stop() also ends the watcher and extension host it forks
      { env, detached: true, stdio: ['ignore', out, out] },
    );
    fs.closeSync(out);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${bin}`);
    child.unref();
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? '?')));

    let stopped: Promise<void> | undefined;
    // if the caller dies without stop(), do not leave a server behind
    const killOnExit = (): void => {
      killGroup(pid, 'SIGKILL');
    };
    process.once('exit', killOnExit);
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        process.removeListener('exit', killOnExit);
        await stopGroup(pid);
        cleanUp();
      })();
      return stopped;
    };

    try {
      await waitForHealth(port, exited, options.startTimeoutMs ?? 60_000);
    } catch (err) {
      await stop();
      const log = readTail(logFile);
      // another process took the port between freePort() and the bind: try another one
      if (!options.port && attempt < 3 && /EADDRINUSE/.test(log)) continue;
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- code-server output ---\n${log}`);
    }
    return {
      url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace).replace(/%2F/g, '/')}`,
      port,
      pid,
      dataDir,
      workspace,
      logFile,
      logsDir: path.join(dirs.userData, 'logs'),
      stop,
    };
  }
}

/** The environment of code-server: ours, minus what would tie it to another VS Code, plus the extras. */
function childEnv(extra: LaunchOptions['env'], dirs: { xdgConfig: string; xdgData: string; xdgCache: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // VSCODE_IPC_HOOK_CLI (a VS Code terminal) would hand the folder to that VS Code instead;
    // NODE_TEST_CONTEXT/NODE_OPTIONS belong to the test runner, not to code-server's Node.
    if (/^(VSCODE_|ELECTRON_)/.test(key) || key === 'NODE_TEST_CONTEXT' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  Object.assign(env, {
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
  });
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Copy an unpacked extension into the extensions folder as <publisher>.<name>-<version>. */
function copyExtension(source: string, extensionsDir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as {
    publisher?: string;
    name?: string;
    version?: string;
  };
  if (!manifest.publisher || !manifest.name || !manifest.version)
    throw new Error(`${source}/package.json lacks publisher, name or version`);
  const target = path.join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`);
  for (const entry of ['package.json', 'package.nls.json', 'l10n', 'README.md', 'LICENSE', 'dist', 'media']) {
    const from = path.join(source, entry);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(target, entry), { recursive: true });
  }
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve();
    });
  });
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

async function waitForHealth(port: number, exited: Promise<number | string>, timeoutMs: number): Promise<void> {
  let exit: number | string | undefined;
  void exited.then((code) => (exit = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`code-server exited (${exit}) before it answered on port ${port}`);
    if ((await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200) return;
    await delay(200);
  }
  throw new Error(`code-server did not answer http://127.0.0.1:${port}/healthz within ${timeoutMs / 1000} s`);
}

function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Whether a live (not zombie) process of the group remains; /proc where there is one. */
export function groupAlive(pgid: number): boolean {
  if (!fs.existsSync('/proc/self/stat')) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

/** SIGTERM the process group, SIGKILL what is left after 5 s, wait until it is gone. */
async function stopGroup(pid: number): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < deadline) await delay(100);
  if (groupAlive(pid)) {
    killGroup(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5000;
    while (groupAlive(pid) && Date.now() < killDeadline) await delay(50);
  }
}

function readTail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
