/**
 * Which image scanners are installed, and running one: an argument list through execa (no
 * shell), bounded by a timeout, cancelled by a signal, its JSON report parsed into Findings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScanReport, ScannerName } from './finding';
import { PARSERS, ScanParseError } from './parsers';

export const SCANNER_NAMES: readonly ScannerName[] = ['trivy', 'grype', 'docker-scout'];

/** Where each scanner comes from, for the message shown when none is installed. */
export const INSTALL_LINKS: Readonly<Record<ScannerName, { readonly label: string; readonly url: string }>> = {
  trivy: { label: 'Trivy', url: 'https://trivy.dev/latest/getting-started/installation/' },
  grype: { label: 'Grype', url: 'https://github.com/anchore/grype#installation' },
  'docker-scout': { label: 'Docker Scout', url: 'https://docs.docker.com/scout/install/' },
};

/** A scanner found on this machine: the program to run and the arguments before the image. */
export interface Scanner {
  readonly name: ScannerName;
  readonly file: string;
  readonly args: (image: string) => string[];
}

export interface Lookup {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly exists?: (file: string) => boolean;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first `name` on PATH, as a shell would find it. */
export function onPath(name: string, lookup: Lookup): string | undefined {
  const exists = lookup.exists ?? isExecutable;
  const exts = process.platform === 'win32' ? (lookup.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (lookup.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      if (exists(file)) return file;
    }
  }
  return undefined;
}

/** The docker CLI's plugin folders, as the CLI searches them (user's first). */
export function cliPluginDirs(lookup: Lookup): string[] {
  const config = lookup.env.DOCKER_CONFIG ?? path.join(lookup.homeDir, '.docker');
  return [
    path.join(config, 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
}

/** Every scanner installed here, in Berth's order of preference. */
export function findScanners(lookup: Lookup): Scanner[] {
  const exists = lookup.exists ?? isExecutable;
  const found: Scanner[] = [];
  const trivy = onPath('trivy', lookup);
  if (trivy) found.push({ name: 'trivy', file: trivy, args: (image) => ['image', '--format', 'json', '--quiet', image] });
  const grype = onPath('grype', lookup);
  // docker: reads the image from the local engine (no registry pull)
  if (grype) found.push({ name: 'grype', file: grype, args: (image) => [`docker:${image}`, '-o', 'json', '--quiet'] });
  const docker = onPath('docker', lookup);
  const plugin = cliPluginDirs(lookup)
    .map((dir) => path.join(dir, 'docker-scout'))
    .find(exists);
  if (docker && plugin) {
    found.push({ name: 'docker-scout', file: docker, args: (image) => ['scout', 'cves', '--format', 'sarif', image] });
  }
  return found;
}

/** The scanner to run: the one the setting names (when installed), else the first installed. */
export function chooseScanner(found: readonly Scanner[], preferred: ScannerName | 'auto'): Scanner | undefined {
  return preferred === 'auto' ? found[0] : found.find((s) => s.name === preferred);
}

export class ScanFailedError extends Error {
  constructor(
    readonly scanner: ScannerName,
    message: string,
    readonly detail: string,
  ) {
    super(message);
    this.name = 'ScanFailedError';
  }
}

export class ScanCancelledError extends Error {
  constructor(readonly scanner: ScannerName) {
    super(`The ${scanner} scan was cancelled`);
    this.name = 'ScanCancelledError';
  }
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** A first scan downloads the vulnerability database: minutes, not seconds. */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export const SCAN_TIMEOUT_MS = 15 * 60_000;
/** Reports of big images run to tens of MB. */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

const tail = (text: string, lines = 20): string => text.trim().split('\n').slice(-lines).join('\n');

/** Run the scanner on an image and parse its report. */
export async function runScan(scanner: Scanner, image: string, options: RunOptions = {}): Promise<ScanReport> {
  const { execa } = await import('execa');
  const timeoutMs = options.timeoutMs ?? SCAN_TIMEOUT_MS;
  const result = await execa(scanner.file, scanner.args(image), {
    reject: false,
    timeout: timeoutMs,
    maxBuffer: MAX_REPORT_BYTES,
    stdin: 'ignore',
    ...(options.signal ? { cancelSignal: options.signal } : {}),
    ...(options.env ? { env: options.env, extendEnv: false } : {}),
  });
  const command = `${path.basename(scanner.file)} ${scanner.args(image).join(' ')}`;
  if (result.isCanceled) throw new ScanCancelledError(scanner.name);
  if (result.timedOut) {
    throw new ScanFailedError(
      scanner.name,
      `${scanner.name} did not finish scanning ${image} within ${timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`}`,
      command,
    );
  }
  if (result.exitCode !== 0) {
    const stderr = tail(String(result.stderr ?? ''));
    const reason = stderr.split('\n').at(-1) ?? '';
    throw new ScanFailedError(
      scanner.name,
      `${scanner.name} could not scan ${image} (exit ${result.exitCode ?? result.signal ?? '?'})${reason ? `: ${reason}` : ''}`,
      `${command}\n${stderr}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(String(result.stdout));
  } catch (err) {
    throw new ScanParseError(scanner.name, `its output is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return { scanner: scanner.name, image, findings: PARSERS[scanner.name](json) };
}
