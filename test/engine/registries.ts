/**
 * Registries for the engine tier: the shared one `scripts/registry.sh start` runs (htpasswd basic
 * auth, deleting allowed; its address and test user in .berth-state/registry.env), and registries
 * a test starts for itself on 127.0.0.1 from the same docker-registry binary — without deleting,
 * or with token (Bearer) auth — ended by their PID when the test is done.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SharedRegistry {
  readonly addr: string;
  readonly user: string;
  readonly password: string;
  readonly bin: string;
}

const ENV_FILE = path.join(__dirname, '../../.berth-state/registry.env');

/** The shared test registry; fails (never skips) when it was not started. */
export async function sharedRegistry(): Promise<SharedRegistry> {
  let text: string;
  try {
    text = await fs.readFile(ENV_FILE, 'utf8');
  } catch {
    throw new Error(`no test registry: ${ENV_FILE} is missing — run: bash scripts/registry.sh start`);
  }
  const env = Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const { REGISTRY_ADDR: addr, REGISTRY_USER: user, REGISTRY_PASSWORD: password, REGISTRY_BIN: bin } = env;
  if (!addr || !user || !password || !bin)
    throw new Error(`${ENV_FILE} lacks REGISTRY_ADDR/USER/PASSWORD/BIN — run: bash scripts/registry.sh start`);
  return { addr, user, password, bin };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface OwnRegistry {
  readonly addr: string;
  stop(): Promise<void>;
}

/**
 * A registry of this test's own, with empty storage: deleting as asked; no auth, htpasswd (bcrypt)
 * basic auth for one user, or the auth given as a YAML block (token auth).
 */
export async function startRegistry(
  bin: string,
  options: {
    deleteEnabled: boolean;
    basicAuth?: { user: string; password: string };
    authYaml?: string;
    /** Serve this storage folder (kept when the registry stops) instead of an empty one. */
    storage?: string;
    /** Run inside this network namespace (a bind-mounted netns file), on its 127.0.0.1:5000. */
    netns?: string;
  },
): Promise<OwnRegistry> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-registry-'));
  let authYaml = options.authYaml;
  if (options.basicAuth) {
    const { execa } = await import('execa');
    const htpasswd = path.join(dir, 'htpasswd');
    // -i: the password from stdin, never on a command line
    await execa('htpasswd', ['-Bic', htpasswd, options.basicAuth.user], { input: options.basicAuth.password });
    authYaml = ['auth:', '  htpasswd:', '    realm: berth-test-registry', `    path: ${htpasswd}`].join('\n');
  }
  const port = options.netns ? 5000 : await freePort();
  const addr = `127.0.0.1:${port}`;
  const config = path.join(dir, 'config.yml');
  await fs.writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${options.storage ?? path.join(dir, 'data')}`,
      '  delete:',
      `    enabled: ${options.deleteEnabled}`,
      'http:',
      `  addr: ${addr}`,
      `  secret: ${crypto.randomBytes(12).toString('hex')}`,
      ...(authYaml ? [authYaml] : []),
      '',
    ].join('\n'),
  );
  // nsenter execs the registry: the child's PID is the registry's
  const child: ChildProcess = options.netns
    ? spawn('nsenter', [`--net=${options.netns}`, bin, 'serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(bin, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await fs.rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited: ${stderr}`);
    }
    const status = options.netns ? await statusInNetns(options.netns, `http://${addr}/v2/`) : await statusOf(`http://${addr}/v2/`);
    if (status !== 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on ${addr}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { addr, stop };
}

function statusOf(url: string): Promise<number> {
  return new Promise<number>((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

async function statusInNetns(netns: string, url: string): Promise<number> {
  const { execa } = await import('execa');
  const result = await execa('nsenter', [`--net=${netns}`, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', url], {
    reject: false,
  });
  return Number(result.stdout) || 0;
}
