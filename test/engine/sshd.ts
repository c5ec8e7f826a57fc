/**
 * A private OpenSSH server for ssh:// engine tests: its own host key, config and authorized key
 * in a temporary folder, listening on 127.0.0.1 only, with an ssh-agent holding the client key.
 * Both processes are started here and stopped by their PID; the user's ~/.ssh is never read.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

export interface Sshd {
  readonly dir: string;
  readonly port: number;
  readonly user: string;
  /** The server's host key, as a known_hosts line for [127.0.0.1]:port. */
  readonly knownHostsLine: string;
  /** `ssh-keygen -l` of the host key: "SHA256:…". */
  readonly fingerprint: string;
  /** SSH_AUTH_SOCK of an agent holding the authorised client key. */
  readonly agentSocket: string;
  /** The authorised client key (private key file; `.pub` beside it). */
  readonly clientKey: string;
  /** PID of the listening sshd (its children are the per-connection sessions). */
  readonly pid: number;
  /** What sshd has logged so far (LogLevel VERBOSE: one "Accepted publickey" per login). */
  log(): string;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** More sshd_config lines (e.g. "AllowStreamLocalForwarding no"). */
  readonly extraConfig?: readonly string[];
}

/** Why sshd cannot run here, or undefined when it can (installing it first when missing). */
export function sshdUnavailable(): string | undefined {
  if (!fs.existsSync(SSHD)) {
    try {
      execFileSync('bash', [path.join(__dirname, '../../scripts/sshd.sh'), 'install'], { stdio: 'pipe' });
    } catch (err) {
      return `OpenSSH's sshd is not installed and could not be installed (scripts/sshd.sh install): ${(err as Error).message}`;
    }
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ready: () => Promise<boolean>, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${log()}`);
    if (await ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up in 10 s: ${log()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid as number, 'SIGTERM');
  });
}

/** The PIDs of the sessions a running sshd has forked (its children). */
function sessionPids(sshd: ChildProcess): number[] {
  if (sshd.pid === undefined || sshd.exitCode !== null || sshd.signalCode !== null) return [];
  try {
    return execFileSync('pgrep', ['-P', String(sshd.pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

export function keygen(file: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', '', '-f', file]);
  return fs.readFileSync(`${file}.pub`, 'utf8').trim();
}

/** `ssh-keygen -l`'s fingerprint of a public key file. */
export function sshFingerprint(pubFile: string): string {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile], { encoding: 'utf8' });
  const fp = /SHA256:\S+/.exec(out)?.[0];
  if (fp === undefined) throw new Error(`no fingerprint in: ${out}`);
  return fp;
}

export async function startSshd(options: SshdOptions = {}): Promise<Sshd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-sshd-'));
  fs.chmodSync(dir, 0o700);
  const hostKey = path.join(dir, 'host_ed25519');
  const [hostType, hostBlob] = keygen(hostKey).split(/\s+/);
  const clientKey = path.join(dir, 'client_ed25519');
  fs.writeFileSync(path.join(dir, 'authorized_keys'), `${keygen(clientKey)}\n`, { mode: 0o600 });
  const user = os.userInfo().username;
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  fs.writeFileSync(
    config,
    [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
      `AllowUsers ${user}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'LogLevel VERBOSE',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  // sshd refuses to start without its privilege separation folder (the ssh service makes it)
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  let sshdLog = '';
  const sshd = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr?.on('data', (d: Buffer) => (sshdLog += d.toString()));
  // a session that outlives the test (a client that keeps its ssh connection) holds this pipe too:
  // it must not keep the test process alive
  (sshd.stderr as net.Socket | null)?.unref();
  const agentSocket = path.join(dir, 'agent.sock');
  let agent: ChildProcess | undefined;
  try {
    await waitFor(
      'sshd',
      () => accepts(port),
      sshd,
      () => sshdLog,
    );
    let agentLog = '';
    agent = spawn('ssh-agent', ['-D', '-a', agentSocket], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent.stderr?.on('data', (d: Buffer) => (agentLog += d.toString()));
    await waitFor(
      'ssh-agent',
      () => Promise.resolve(fs.existsSync(agentSocket)),
      agent,
      () => agentLog,
    );
    execFileSync('ssh-add', ['-q', clientKey], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, stdio: 'pipe' });
  } catch (err) {
    await stopChild(sshd);
    if (agent) await stopChild(agent);
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const started = agent;
  return {
    dir,
    port,
    user,
    knownHostsLine: `[127.0.0.1]:${port} ${hostType} ${hostBlob}`,
    fingerprint: sshFingerprint(`${hostKey}.pub`),
    agentSocket,
    clientKey,
    pid: sshd.pid ?? 0,
    log: () => sshdLog,
    async stop() {
      // the per-connection sessions this sshd forked end with it (by their PID), as ssh clients expect of a stopped server
      for (const pid of sessionPids(sshd)) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      await stopChild(sshd);
      await stopChild(started);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
