/**
 * TLS engines for tests, with certificates made by openssl in a temporary folder (a CA, another
 * CA, the engine's and a client's): the real engine behind a TLS front on 127.0.0.1, and a second
 * dockerd serving TLS itself (`--tlsverify`) in a network namespace of its own, reached through
 * a relay on 127.0.0.1.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TlsEngine {
  readonly port: number;
  readonly dir: string;
  /** DOCKER_CERT_PATH folders: the right CA and a client certificate it signed; another CA and the same client certificate; the right CA alone. */
  readonly certs: { readonly good: string; readonly otherCa: string; readonly noClient: string };
  close(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and certificates it signs (EC keys: quick to make). */
function makeCa(dir: string, name: string): void {
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}.pem`,
  );
}
function signed(dir: string, ca: string, name: string, ext: string): void {
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}-key.pem`,
    '-out',
    `${name}.csr`,
  );
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}-key.pem`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}
/** A DOCKER_CERT_PATH folder as the docker CLI expects it: ca.pem, cert.pem, key.pem. */
function certDir(dir: string, name: string, files: { ca?: string; client?: string }): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  if (files.ca) fs.copyFileSync(path.join(dir, `${files.ca}.pem`), path.join(d, 'ca.pem'));
  if (files.client) {
    fs.copyFileSync(path.join(dir, `${files.client}.pem`), path.join(d, 'cert.pem'));
    fs.copyFileSync(path.join(dir, `${files.client}-key.pem`), path.join(d, 'key.pem'));
  }
  return d;
}

/**
 * The real engine behind a TLS front on 127.0.0.1, as `dockerd --tlsverify` serves it: the engine's
 * certificate signed by our CA, client certificates required and checked, and a plain-HTTP request
 * answered as Go's server does ("Client sent an HTTP request to an HTTPS server.").
 */
function tlsFront(dir: string, socketPath: string): Promise<{ port: number; close(): void }> {
  const read = (f: string): Buffer => fs.readFileSync(path.join(dir, f));
  const secure = https.createServer(
    { key: read('server-key.pem'), cert: read('server.pem'), ca: read('ca.pem'), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const upstream = http.request({ socketPath, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      // a stream the client drops (events, logs) must not stay open on the engine's side
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    },
  );
  secure.on('tlsClientError', () => undefined);
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === 0x16) secure.emit('connection', socket);
      else socket.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n');
    });
  });
  return new Promise((resolve) =>
    front.listen(0, '127.0.0.1', () =>
      resolve({
        port: (front.address() as net.AddressInfo).port,
        close() {
          sockets.forEach((s) => s.destroy());
          front.close();
          secure.close();
        },
      }),
    ),
  );
}

/** The CAs, the engine's and the client's certificates, and the DOCKER_CERT_PATH folders. */
function makeCertificates(dir: string): TlsEngine['certs'] {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  signed(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
  return {
    good: certDir(dir, 'good', { ca: 'ca', client: 'client' }),
    otherCa: certDir(dir, 'other', { ca: 'other-ca', client: 'client' }),
    noClient: certDir(dir, 'no-client', { ca: 'ca' }),
  };
}

/** Make the certificates and start the TLS front for the engine on `socketPath`. */
export async function startTlsEngine(socketPath: string): Promise<TlsEngine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-tls-'));
  const certs = makeCertificates(dir);
  const front = await tlsFront(dir, socketPath);
  return {
    port: front.port,
    dir,
    certs,
    close() {
      front.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const REPO = path.resolve(__dirname, '../..');

/** Copies bytes between stdin/stdout and 127.0.0.1:2376 of the namespace it runs in. */
const RELAY = `const s = require('net').connect(2376, '127.0.0.1');
process.stdin.pipe(s); s.pipe(process.stdout);
s.on('error', () => process.exit(1)); s.on('close', () => process.exit(0));
process.stdin.on('end', () => s.end());`;

export interface TlsDockerd extends TlsEngine {
  /** The same engine's unix socket (no TLS), for setting up what the tests look for. */
  readonly unixHost: string;
}

/**
 * A second dockerd that serves TLS itself: `dockerd --tlsverify` on 127.0.0.1:2376 of its own
 * network namespace (scripts/fault-engine.sh with its own state folder), reached from here
 * through a relay on 127.0.0.1 that copies bytes into the namespace, so the TLS handshake is
 * dockerd's own. Needs root and util-linux (secondEngineSkip says when it cannot run).
 */
export async function startTlsDockerd(): Promise<TlsDockerd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-tlsd-'));
  const certs = makeCertificates(dir);
  const env = { ...process.env, BERTH_STATE_DIR: path.join(dir, 'state'), BERTH_ENGINE_TLS_DIR: dir };
  const script = (command: string): string =>
    execFileSync('bash', [path.join(REPO, 'scripts/fault-engine.sh'), command], { env, encoding: 'utf8', timeout: 180_000, stdio: 'pipe' });
  const stop = (): void => {
    try {
      script('stop');
    } catch {
      // stopped already, or never started
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  let out: string;
  try {
    script('start');
    out = script('env');
  } catch (err) {
    stop();
    throw err;
  }
  const unixHost = /^DOCKER_HOST=(.+)$/m.exec(out)?.[1] ?? '';
  const netns = /^BERTH_ENGINE_NETNS=(.+)$/m.exec(out)?.[1] ?? '';
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((socket) => {
    sockets.add(socket);
    const child = spawn('nsenter', [`--net=${netns}`, process.execPath, '-e', RELAY], { stdio: ['pipe', 'pipe', 'ignore'] });
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    socket.on('error', () => child.kill());
    socket.on('close', () => {
      sockets.delete(socket);
      child.kill();
    });
    child.on('exit', () => socket.end());
    child.stdin.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    dir,
    certs,
    unixHost,
    close() {
      sockets.forEach((s) => s.destroy());
      relay.close();
      stop();
    },
  };
}
