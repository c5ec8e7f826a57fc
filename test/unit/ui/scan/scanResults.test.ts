/**
 * Scan Image's workflow in the VS Code layer (the vscode stand-in): without a scanner, one message
 * that says how to install one, with links, and nothing else; with a `trivy` on PATH (a script in a
 * temp folder standing in for the scanner, which cannot be installed here: it prints
 * test/fixtures/scan/trivy.json), the findings grouped by severity with their fixed versions.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type * as vscode from 'vscode';
import { standIn } from '../../../../scripts/lib/vscodeStub.mjs';
import { Config } from '../../../../src/ui/config';
import { repositoryOf, ScanResults, type ScanNode } from '../../../../src/ui/scan/scanResults';

const FIXTURE = path.resolve(__dirname, '../../../fixtures/scan/trivy.json');
const log = { info: () => undefined, error: () => undefined, warn: () => undefined } as unknown as vscode.LogOutputChannel;
let savedPath: string | undefined;
let dir: string;

beforeEach(() => {
  savedPath = process.env.PATH;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-scan-ui-'));
  standIn.reset();
});
afterEach(() => {
  process.env.PATH = savedPath;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('no scanner installed: one message naming Trivy, Grype and Docker Scout, a link opened, nothing scanned', async () => {
  process.env.PATH = dir;
  standIn.answer('window.showInformationMessage', () => 'Grype');
  const scans = new ScanResults({ config: new Config(), log });
  assert.equal(await scans.scan('app:1', {}), undefined);
  const [message] = standIn.callsTo('window.showInformationMessage');
  assert.deepEqual(message, [
    'Scan Image needs an image scanner on PATH: install Trivy, Grype or Docker Scout, then scan again.',
    'Trivy',
    'Grype',
    'Docker Scout',
  ]);
  assert.equal(standIn.callsTo('env.openExternal').length, 1, 'the chosen link opened (vscode.Uri is inert here)');
  assert.deepEqual(standIn.callsTo('window.withProgress'), [], 'no scan started');
  assert.deepEqual(scans.getChildren(), []);
});

test('a trivy on PATH: the findings by severity, worst first, each with its fixed version or none', async () => {
  fs.writeFileSync(
    path.join(dir, 'trivy'),
    `#!/bin/sh\n[ "$5" = "berth-sample:dev" ] || { echo "FATAL no such image $5" >&2; exit 1; }\ncat "${FIXTURE}"\n`,
    { mode: 0o755 },
  );
  process.env.PATH = `${dir}${path.delimiter}${savedPath ?? ''}`;
  const scans = new ScanResults({ config: new Config(), log });
  const report = await scans.scan('berth-sample:dev', {});
  assert.equal(report?.findings.length, 5);
  const [progress] = standIn.callsTo('window.withProgress');
  assert.deepEqual((progress?.[0] as { title: string; cancellable: boolean }).cancellable, true);
  assert.match((progress?.[0] as { title: string }).title, /^Scanning berth-sample:dev with trivy$/);

  const [root] = scans.getChildren();
  assert.ok(root);
  assert.equal(scans.getTreeItem(root).description, 'trivy · 5 found, 3 fixable');
  const groups = scans.getChildren(root);
  assert.deepEqual(
    groups.map((g) => [scans.getTreeItem(g).label, scans.getTreeItem(g).description]),
    [
      ['Critical', '1 · 1 fixable'],
      ['High', '2 · 1 fixable'],
      ['Medium', '1 · 1 fixable'],
      ['Low', '1 · 0 fixable'],
    ],
  );
  const high = scans.getChildren(groups[1] as ScanNode).map((n) => scans.getTreeItem(n));
  assert.deepEqual(
    high.map((i) => [i.label, i.description]),
    [
      ['CVE-2023-0003  zlib1g', '1:1.2.13.dfsg-1 → no fix yet'],
      ['CVE-2024-0002  openssl', '3.0.11-1~deb12u1 → fixed in 3.0.13-1~deb12u1'],
    ],
  );
  const [done] = standIn.callsTo('window.showInformationMessage');
  assert.equal(done?.[0], '1 critical, 2 high, 1 medium, 1 low vulnerabilities in berth-sample:dev; fixes available for 3.');
});

test('berth.scan.scanner names one that is not installed: said so, with what is installed; nothing scanned', async () => {
  fs.writeFileSync(path.join(dir, 'trivy'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
  process.env.PATH = dir;
  standIn.configure({ 'berth.scan.scanner': 'grype' });
  const scans = new ScanResults({ config: new Config(), log });
  assert.equal(await scans.scan('app:1', {}), undefined);
  assert.equal(
    standIn.callsTo('window.showInformationMessage')[0]?.[0],
    'berth.scan.scanner is grype, which is not installed (found: trivy). Install it, or set berth.scan.scanner to auto.',
  );
  assert.deepEqual(standIn.callsTo('window.withProgress'), []);
});

test('a scanner that fails: the error reaches the command (one message), the tree stays empty', async () => {
  fs.writeFileSync(path.join(dir, 'trivy'), '#!/bin/sh\necho "FATAL image scan error: unable to find the image" >&2\nexit 1\n', {
    mode: 0o755,
  });
  process.env.PATH = dir;
  const scans = new ScanResults({ config: new Config(), log });
  await assert.rejects(scans.scan('gone:1', {}), /trivy could not scan gone:1 \(exit 1\): FATAL image scan error/);
  assert.deepEqual(scans.getChildren(), []);
});

test('the repository a Dockerfile folder must be named for: tag, registry and digest left out', () => {
  assert.equal(repositoryOf('iris-classifier:dev'), 'iris-classifier');
  assert.equal(repositoryOf('127.0.0.1:5000/team/app:1.2@sha256:abc'), 'app');
  assert.equal(repositoryOf('busybox'), 'busybox');
});
