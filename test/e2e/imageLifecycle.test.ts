/**
 * Image lifecycle and Scan Image in the real VS Code: the disk usage row of the Images view and its
 * rows per kind; a labelled, unused test volume removed through Remove Volume's confirmation (only
 * what this test created: nothing is pruned on the shared engine); Scan Image on the sample
 * project's image with a `trivy` on the extension host's PATH — a script standing in for the
 * scanner, which cannot be installed here, printing test/fixtures/scan/trivy.json for that image
 * only — its findings in the Scan Results view and its summary in the Problems view on the
 * Dockerfile's FROM line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import {
  contextMenu,
  eventually,
  normalize,
  openBerthView,
  rowTexts,
  runCommand,
  sampleWorkspace,
  startVSCode,
  testEngine,
  treeRow,
  UI_TIMEOUT,
  waitForNotification,
  type VSCode,
} from './harness';

const BUSYBOX = process.env.BERTH_BUSYBOX_IMAGE ?? 'berth-busybox:latest';
const FOLDER = `iris-classifier-scan${process.pid}`;
/** The sample's folder name is the repository: Scan Image finds the Dockerfile by it. */
const TAG = `${FOLDER}:dev`;
const VOLUME = `berth-e2e-volume-${process.pid}`;
const FIXTURE = path.resolve(__dirname, '../fixtures/scan/trivy.json');

describe('e2e: disk usage, Remove Volume and Scan Image', { timeout: 240_000 }, () => {
  let vscode: VSCode | undefined;
  let engine: Engine;
  let workspace: string;
  let bin: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('imageLifecycle', FOLDER);
    await engine.tagImage(BUSYBOX, { repo: FOLDER, tag: 'dev' });
    await engine.createVolume({ name: VOLUME, labels: { 'berth.test': `e2e-${process.pid}` } });
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-scanner-'));
    fs.writeFileSync(
      path.join(bin, 'trivy'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/argv"\n` +
        `[ "$1 $2 $3 $4 $5" = "image --format json --quiet ${TAG}" ] || { echo "FATAL unexpected arguments: $*" >&2; exit 1; }\n` +
        `cat "${FIXTURE}"\n`,
      { mode: 0o755 },
    );
    vscode = await startVSCode('imageLifecycle', {
      workspace,
      // the server would replace PATH with a login shell's (resolveShellEnv) unless it was started from a VS Code CLI
      env: { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, VSCODE_CLI: '1' },
    });
  });

  after(async () => {
    await vscode?.close();
    // the tag only: the busybox image keeps its own
    await engine.removeImage(TAG).catch(() => undefined);
    await engine.removeVolume(VOLUME).catch(() => undefined);
    fs.rmSync(bin, { recursive: true, force: true });
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  });

  test('the Images view starts with the disk usage, expandable into images, build cache, volumes and containers', async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Images');
    await eventually(
      () => rowTexts(pane),
      (r) => /^Disk {2}images \d.* · build cache \d.* · volumes \d.* · containers \d/.test(r[0] ?? ''),
      'the disk usage row',
    );
    await treeRow(pane, 'Disk').click();
    const kinds = await eventually(
      () => rowTexts(pane),
      (r) => ['Images', 'Build cache', 'Volumes', 'Containers'].every((k) => r.some((x) => x.startsWith(`${k}  `))),
      'the rows per kind',
    );
    assert.match(kinds.find((r) => r.startsWith('Volumes  ')) ?? '', /^Volumes {2}\d+ .*· [\d.]+ \w*B · [\d.]+ \w*B reclaimable/);
    await vscode!.screenshot('imageLifecycle-disk');
  });

  test('Remove Volume asks first, then removes the unused test volume', async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Volumes');
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${VOLUME}  `) && x.includes('unused')),
      'the test volume',
    );
    await contextMenu(page, treeRow(pane, VOLUME), 'Remove Volume…');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: UI_TIMEOUT });
    assert.match(normalize(await dialog.innerText()), new RegExp(`Remove volume ${VOLUME}\\?`));
    await vscode!.screenshot('imageLifecycle-remove-volume');
    await dialog.locator('.monaco-button', { hasText: /^Remove$/ }).click();
    await waitForNotification(page, `Removed volume ${VOLUME}.`);
    assert.deepEqual(
      (await engine.listVolumes({ filters: { name: [VOLUME] } })).filter((v) => v.name === VOLUME),
      [],
    );
    await eventually(
      () => rowTexts(pane),
      (r) => !r.some((x) => x.startsWith(`${VOLUME}  `)),
      'the volume gone from the view',
    );
  });

  test("Scan Image: findings by severity, and the summary on the Dockerfile's FROM line in the Problems view", async () => {
    const page = vscode!.page;
    await runCommand(page, 'Berth: Scan Image for Vulnerabilities', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.fill(TAG);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: TAG }).first().waitFor({ timeout: UI_TIMEOUT });
    await input.press('Enter');
    const summary = `1 critical, 2 high, 1 medium, 1 low vulnerabilities in ${TAG}; fixes available for 3`;
    await waitForNotification(page, summary).catch(async (err: unknown) => {
      await vscode!.screenshot('imageLifecycle-scan-failed');
      throw err;
    });
    assert.deepEqual(fs.readFileSync(path.join(bin, 'argv'), 'utf8').trim().split('\n'), ['image', '--format', 'json', '--quiet', TAG]);

    const results = await openBerthView(page, 'Scan Results');
    await eventually(
      () => rowTexts(results),
      (r) => r.includes(`${TAG}  trivy · 5 found, 3 fixable`) && r.includes('Critical  1 · 1 fixable'),
      'the report and its severities',
    );
    await treeRow(results, 'Critical').click();
    await eventually(
      () => rowTexts(results),
      (r) => r.includes('CVE-2024-0001  openssl  3.0.11-1~deb12u1 → fixed in 3.0.13-1~deb12u1'),
      'the critical finding with its fixed version',
    );
    await vscode!.screenshot('imageLifecycle-scan-results');

    await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel');
    await problems.waitFor({ timeout: UI_TIMEOUT });
    const text = await eventually(
      async () => normalize(await problems.innerText()),
      (t) => t.includes(summary),
      'the summary in the Problems view',
    );
    // the sample's Dockerfile: its FROM is line 5 ("FROM ${BASE}"), the reference from column 6
    assert.match(text, /Dockerfile/);
    assert.match(text, /Berth \(trivy\)/);
    assert.match(text, /\[Ln 5, Col 6\]/);
    await vscode!.screenshot('imageLifecycle-problems');
  });
});
