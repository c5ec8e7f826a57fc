import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import {
  berthStatusItem,
  editorText,
  engineFacts,
  eventually,
  openBerthView,
  openFile,
  rowTexts,
  runCommand,
  startVSCode,
  statusBarText,
  testEngine,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

describe('e2e: the engine in the Berth view, the status bar and Show Engine Info', { timeout: 120_000 }, () => {
  let vscode: VSCode;
  let engine: { version: string; apiVersion: string; host: string };

  before(async () => {
    engine = await engineFacts();
    vscode = await startVSCode('engine');
  });
  after(async () => {
    await vscode?.close();
  });

  test('the Berth activity-bar entry opens the Engine view with the engine rows', async () => {
    const pane = await openBerthView(vscode.page);
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((row) => row.startsWith('Engine')),
      'the engine rows in the Berth view',
    );
    assert.equal(rows[0], `Engine  Docker ${engine.version} · API ${engine.apiVersion}`);
    assert.deepEqual(
      rows.map((row) => row.split('  ')[0]),
      ['Engine', 'Host', 'OS', 'GPU', 'Containers', 'Images'],
    );
    assert.ok(rows.includes(`Host  ${engine.host}`), rows.join('\n'));
    assert.match(rows.find((row) => row.startsWith('Containers')) ?? '', /^Containers {2}\d+ running of \d+$/);
    assert.match(await pane.locator('.pane-header').innerText(), /ENGINE/i);
  });

  test('the Containers and Images figures follow the engine: a container and an image made outside VS Code', async () => {
    const docker: Engine = await testEngine();
    const run = `engine-view-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;
    const pane = await openBerthView(vscode.page);
    const figures = async (): Promise<{ ui: { running: number; total: number; images: number }; engine: typeof engineNow }> => {
      const rows = await rowTexts(pane);
      const containers = /^Containers {2}(\d+) running of (\d+)$/.exec(rows.find((r) => r.startsWith('Containers')) ?? '');
      const images = /^Images {2}(\d+)$/.exec(rows.find((r) => r.startsWith('Images')) ?? '');
      const engineNow = await counts(docker);
      return { ui: { running: Number(containers?.[1]), total: Number(containers?.[2]), images: Number(images?.[1]) }, engine: engineNow };
    };
    // other tests may use the same engine at the same time: the view must show what the engine says now
    const shows = (what: string, key: 'running' | 'images') =>
      eventually(
        figures,
        ({ ui, engine: e }) => ui[key] === e[key] && (key !== 'running' || ui.total === e.total),
        `the Engine view's ${key} figure to match the engine ${what}`,
      );
    await shows('at first', 'images');
    let id: string | undefined;
    let image: string | undefined;
    try {
      id = await docker.createContainer({
        Image: 'berth-busybox:latest',
        Cmd: ['sleep', '300'],
        StopSignal: 'SIGKILL',
        Labels: { 'berth.test': run },
      });
      await docker.startContainer(id);
      await shows('after a container started', 'running');
      assert.ok((await docker.listContainers({ filters: { label: [`berth.test=${run}`], status: ['running'] } })).length === 1);
      // a new image, with its own tag: the image count goes up
      image = await docker.commitContainer(id, { repo: 'berth-e2e-engine-view', tag: run });
      await shows('after an image was made', 'images');
      await docker.removeContainer(id, { force: true });
      id = undefined;
      await shows('after the container was removed', 'running');
      await docker.removeImage(`berth-e2e-engine-view:${run}`);
      image = undefined;
      await shows('after the image was removed', 'images');
    } finally {
      if (id) await docker.removeContainer(id, { force: true }).catch(() => undefined);
      if (image) await docker.removeImage(image, { force: true }).catch(() => undefined);
    }
  });

  test('the status bar shows the engine version and the GPU state', async () => {
    const text = await eventually(
      () => statusBarText(vscode.page),
      (t) => t.startsWith('Docker '),
      'the Berth status-bar entry',
    );
    assert.match(text, new RegExp(`^Docker ${escapeRegExp(engine.version)} · (no GPU|GPU: .+)$`));
    // the picture a user would have: the project's Dockerfile open next to Berth
    await openFile(vscode.page, 'Dockerfile');
    await vscode.screenshot('engine-view');
  });

  test('"Berth: Show Engine Info" from the command palette opens the engine info document', async () => {
    await runCommand(vscode.page, 'Berth: Show Engine Info');
    const tab = vscode.page.locator('.tabs-container .tab', { hasText: 'Berth Engine Info' });
    await tab.waitFor({ timeout: UI_TIMEOUT });
    const text = await eventually(
      () => editorText(vscode.page),
      (t) => t.includes('Docker Engine:'),
      'the engine info document',
    );
    assert.match(text, /^# Berth — Engine Info$/m);
    assert.ok(text.includes(`- Docker Engine: ${engine.version}`), text);
    assert.ok(text.includes(`- Host: \`${engine.host}\``), text);
    assert.match(text, new RegExp(`^- API version: ${escapeRegExp(engine.apiVersion)} `, 'm'));
    assert.match(text, /^## GPU$/m);
    await vscode.screenshot('engine-info');
  });

  test('clicking the status-bar entry opens the same engine info', async () => {
    const page = vscode.page;
    // close the document first, so that only the click can bring it back
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.tabs-container .tab', { hasText: 'Berth Engine Info' }).waitFor({ state: 'detached', timeout: UI_TIMEOUT });
    await berthStatusItem(page).click();
    await page.locator('.tabs-container .tab', { hasText: 'Berth Engine Info' }).waitFor({ timeout: UI_TIMEOUT });
    const text = await eventually(
      () => editorText(page),
      (t) => t.includes('Docker Engine:'),
      'the engine info document',
    );
    assert.ok(text.includes(`- Docker Engine: ${engine.version}`), text);
  });
});

/** The engine's own figures: running and all containers (as `docker ps`), images (as `docker info`). */
async function counts(engine: Engine): Promise<{ running: number; total: number; images: number }> {
  const [all, info] = await Promise.all([engine.listContainers({ all: true }), engine.info()]);
  return { running: all.filter((c) => c.state === 'running').length, total: all.length, images: info.images ?? 0 };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
