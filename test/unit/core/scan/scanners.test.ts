/**
 * Finding and running a scanner with real executables: scripts named `trivy`, `grype`, `docker`
 * (and a `docker-scout` CLI plugin) in a temporary folder put first on PATH. They stand in for
 * the scanners, which cannot be installed here, only to prove the invocation (program, argument
 * list, no shell), the bounds (timeout, cancel, a failing exit) and the parsing path: the `trivy`
 * one prints test/fixtures/scan/trivy.json when asked for the image it expects.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { summarise } from '../../../../src/core/scan/finding';
import { ScanParseError } from '../../../../src/core/scan/parsers';
import { chooseScanner, findScanners, runScan, ScanCancelledError, ScanFailedError } from '../../../../src/core/scan/scanners';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/scan');
const dirs: string[] = [];
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function bin(scripts: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-'));
  dirs.push(dir);
  for (const [name, body] of Object.entries(scripts)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  return dir;
}

/** Records its argv (one per line) next to itself, then prints the fixture for the expected image only. */
const TRIVY = (dir: string): string =>
  `printf '%s\\n' "$@" > "${dir}/argv"\n` +
  `[ "$1 $2 $3 $4 $5" = "image --format json --quiet berth-sample:dev" ] || { echo "FATAL unexpected arguments: $*" >&2; exit 1; }\n` +
  `cat "${FIXTURES}/trivy.json"`;

function lookup(dir: string, extra: Record<string, string> = {}): { env: Record<string, string>; homeDir: string } {
  return { env: { PATH: `${dir}${path.delimiter}/nonexistent`, ...extra }, homeDir: dir };
}

test('a trivy on PATH is found and run with its argument list; its report becomes findings', async () => {
  const dir = bin({});
  fs.writeFileSync(path.join(dir, 'trivy'), `#!/bin/sh\n${TRIVY(dir)}\n`, { mode: 0o755 });
  const found = findScanners(lookup(dir));
  assert.deepEqual(
    found.map((s) => [s.name, s.file]),
    [['trivy', path.join(dir, 'trivy')]],
  );
  const scanner = chooseScanner(found, 'auto');
  assert.ok(scanner);
  const report = await runScan(scanner, 'berth-sample:dev');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'argv'), 'utf8').trim().split('\n'), [
    'image',
    '--format',
    'json',
    '--quiet',
    'berth-sample:dev',
  ]);
  assert.equal(report.scanner, 'trivy');
  assert.deepEqual(summarise(report.findings).counts, { critical: 1, high: 2, medium: 1, low: 1, unknown: 0 });
});

test('an image name is one argument, never shell text', async () => {
  const dir = bin({});
  fs.writeFileSync(path.join(dir, 'trivy'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\necho '{"SchemaVersion":2,"Results":[]}'\n`, {
    mode: 0o755,
  });
  const [scanner] = findScanners(lookup(dir));
  assert.ok(scanner);
  const hostile = 'x:1; touch pwned $(touch pwned2)';
  const report = await runScan(scanner, hostile);
  assert.equal(fs.readFileSync(path.join(dir, 'argv'), 'utf8').trim().split('\n').at(-1), hostile);
  assert.ok(!fs.existsSync('pwned') && !fs.existsSync('pwned2'));
  assert.deepEqual(report.findings, []);
});

test('grype and docker scout: found (scout as a docker CLI plugin) and asked for JSON / SARIF of the local image', () => {
  const dir = bin({ grype: 'exit 0', docker: 'exit 0', 'config/cli-plugins/docker-scout': 'exit 0' });
  const found = findScanners(lookup(dir, { DOCKER_CONFIG: path.join(dir, 'config') }));
  assert.deepEqual(
    found.map((s) => [s.name, path.basename(s.file), s.args('app:1')]),
    [
      ['grype', 'grype', ['docker:app:1', '-o', 'json', '--quiet']],
      ['docker-scout', 'docker', ['scout', 'cves', '--format', 'sarif', 'app:1']],
    ],
  );
  assert.equal(chooseScanner(found, 'docker-scout')?.name, 'docker-scout');
  assert.equal(chooseScanner(found, 'trivy'), undefined, 'the chosen scanner is not installed');
  assert.deepEqual(findScanners(lookup(bin({ docker: 'exit 0' }))), [], 'docker without the scout plugin is no scanner');
});

test('nothing on PATH: no scanner', () => {
  assert.deepEqual(findScanners(lookup(bin({}))), []);
});

test('a scanner that fails: its exit code and last stderr line in the message, the rest as detail', async () => {
  const dir = bin({ trivy: 'echo "2026-12-01 INFO Need to update DB" >&2\necho "FATAL unable to find the specified image" >&2\nexit 1' });
  const [scanner] = findScanners(lookup(dir));
  assert.ok(scanner);
  const err = await runScan(scanner, 'nope:1').then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ScanFailedError);
  assert.equal(err.message, 'trivy could not scan nope:1 (exit 1): FATAL unable to find the specified image');
  assert.match(err.detail, /trivy image --format json --quiet nope:1\n.*Need to update DB/);
});

test('output that is not JSON is a parse error, not an empty report', async () => {
  const [scanner] = findScanners(lookup(bin({ trivy: 'echo "Total: 0 (UNKNOWN: 0)"' })));
  assert.ok(scanner);
  await assert.rejects(runScan(scanner, 'a:1'), ScanParseError);
});

test('cancel stops the scanner; a timeout bounds it', async () => {
  const [scanner] = findScanners(lookup(bin({ trivy: 'exec sleep 30' })));
  assert.ok(scanner);
  const controller = new AbortController();
  const started = Date.now();
  const running = runScan(scanner, 'a:1', { signal: controller.signal });
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(running, ScanCancelledError);
  await assert.rejects(runScan(scanner, 'a:1', { timeoutMs: 300 }), /trivy did not finish scanning a:1 within 300 ms/);
  assert.ok(Date.now() - started < 10_000, 'neither waited for the 30 s sleep');
});
