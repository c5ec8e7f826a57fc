/**
 * A Compose AI stack in the real VS Code, on the real engine with Debian's docker-compose:
 * New AI Stack on the sample project (compose.yaml and prometheus.yml), the project and its
 * services in the Containers view before any Up, Up Services… without the vector database (its
 * image cannot be pulled here) and without the GPU this engine lacks (the generated file shown,
 * the user's file untouched), the services running in the tree, their logs interleaved,
 * Prometheus scraping the inference service (its targets API asked from here), Down with the
 * volumes removing all of it; then a broken compose file lands in the Problems view at its line.
 *
 * The stack's images are made here: the test points redis and prometheus at the images built
 * from Debian's packages (scripts/images), and publishes on free loopback ports, as a user would
 * edit the file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
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
  terminalText,
  testEngine,
  treeRow,
  UI_TIMEOUT,
  type VSCode,
} from './harness';

const PROJECT = `berth-e2e-stack${process.pid}`;
const REDIS = process.env.BERTH_REDIS_IMAGE ?? 'berth-redis:latest';
const PROMETHEUS = process.env.BERTH_PROMETHEUS_IMAGE ?? 'berth-prometheus:latest';
const PROJECT_LABEL = `com.docker.compose.project=${PROJECT}`;

async function dialogButton(page: Page, text: RegExp, button: string): Promise<string> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: UI_TIMEOUT });
  const said = normalize(await dialog.innerText());
  assert.match(said, text);
  await dialog.locator('.monaco-button', { hasText: new RegExp(`^${button}$`) }).click();
  await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
  return said;
}

async function pick(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: UI_TIMEOUT });
  await row.click();
}

describe('e2e: New AI Stack, Up, the services in the tree, logs, Prometheus, Down', { timeout: 420_000 }, () => {
  let vscode: VSCode | undefined;
  let engine: Engine;
  let workspace: string;

  before(async () => {
    engine = await testEngine();
    workspace = sampleWorkspace('compose', PROJECT);
    vscode = await startVSCode('compose', { workspace, userSettings: { 'terminal.integrated.gpuAcceleration': 'off' } });
  });

  after(async () => {
    await vscode?.close();
    // whatever a failed step left: this run's project only
    const { execa } = await import('execa');
    if (fs.existsSync(path.join(workspace, 'compose.yaml')))
      await execa('docker-compose', ['-p', PROJECT, '-f', path.join(workspace, 'compose.yaml'), 'down', '-v', '-t', '1'], {
        reject: false,
        cwd: workspace,
      });
    for (const c of await engine.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } }))
      await engine.removeContainer(c.id, { force: true }).catch(() => undefined);
    await engine.removeImage(`${PROJECT}_inference`, { force: true }).catch(() => undefined);
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
  });

  test('New AI Stack writes compose.yaml and prometheus.yml; the project and its services show before any Up', async () => {
    const page = vscode!.page;
    await runCommand(page, 'Berth: New AI Stack…', { opensPick: true });
    await pick(page, 'Qdrant');
    await pick(page, 'GPU if available');
    await dialogButton(page, /write compose\.yaml and prometheus\.yml/, 'Write');
    await eventually(
      () => Promise.resolve(fs.existsSync(path.join(workspace, 'compose.yaml')) && fs.existsSync(path.join(workspace, 'prometheus.yml'))),
      (ok) => ok,
      'the two files written',
    );
    // the images this machine has, on free loopback ports
    const text = fs
      .readFileSync(path.join(workspace, 'compose.yaml'), 'utf8')
      .replace('"redis:7"', JSON.stringify(REDIS))
      .replace('"prom/prometheus"', JSON.stringify(PROMETHEUS))
      .replace(/"127\.0\.0\.1:\d+:(\d+)"/g, '"127.0.0.1::$1"');
    fs.writeFileSync(path.join(workspace, 'compose.yaml'), text);

    const pane = await openBerthView(page, 'Containers');
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${PROJECT}  0 of 4 services running`)) && r.some((x) => x.startsWith('qdrant  not created')),
      'the project and its services from compose.yaml',
    );
    assert.ok(
      rows.some((r) => /^inference {2}not created · GPU all nvidia · 2 CPUs · 2\.0 GiB/.test(r)),
      `the inference service with its GPU reservation and limits:\n${rows.join('\n')}`,
    );
    assert.ok(rows.some((r) => r.startsWith('redis  not created')) && rows.some((r) => r.startsWith('prometheus  not created')));
    await vscode!.screenshot('compose-before-up');
  });

  test('Up Services… without the vector database and without the GPU: three services run, the file is untouched', async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Containers');
    const before = fs.readFileSync(path.join(workspace, 'compose.yaml'), 'utf8');
    await contextMenu(page, treeRow(pane, PROJECT), 'Compose Up Services…');
    // every service without a profile comes ticked: untick qdrant, accept
    await pick(page, 'qdrant');
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click();
    const asked = await dialogButton(page, /inference of .* reserves a GPU, and this engine has none/, 'Start Without GPU');
    assert.match(asked, /your compose file is not changed/);
    // the generated file opens beside: no reservation in it
    const generated = page.locator('.tab', { hasText: `${PROJECT}.gpu-free.yaml` });
    await generated.waitFor({ timeout: UI_TIMEOUT });

    // the inference image is built first: minutes on a busy machine
    await page
      .locator('.notifications-toasts .notification-toast', {
        hasText: new RegExp(`${PROJECT} is up \\(inference, prometheus, redis\\) without GPU reservations`),
      })
      .first()
      .waitFor({ timeout: 240_000 });
    const rows = await eventually(
      () => rowTexts(pane),
      (r) =>
        ['inference', 'redis', 'prometheus'].every((s) => r.some((x) => x.startsWith(`${PROJECT}_${s}_1  `) && !x.includes('exited'))) &&
        r.some((x) => x.startsWith(`${PROJECT}  3 of 4 services running`)),
      'three services running in the tree',
      { timeoutMs: 180_000 },
    );
    assert.ok(
      rows.some((r) => r.startsWith('qdrant  not created')),
      rows.join('\n'),
    );
    assert.equal(fs.readFileSync(path.join(workspace, 'compose.yaml'), 'utf8'), before, "the user's compose.yaml is unchanged");
    const inference = (
      await engine.listContainers({ all: true, filters: { label: [PROJECT_LABEL, 'com.docker.compose.service=inference'] } })
    )[0];
    assert.ok(inference, 'the inference container');
    const details = await engine.inspectContainer(inference.id);
    assert.equal(details.gpu, undefined, 'started without a GPU request');
    await vscode!.screenshot('compose-up');
  });

  test("the project's logs interleave its services, and Prometheus reports the inference target up", async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Containers');
    await contextMenu(page, treeRow(pane, PROJECT), 'Show Logs');
    await page.locator('.terminal-wrapper.active .xterm').waitFor({ timeout: UI_TIMEOUT });
    // the terminal shows its last rows: scroll back through it, gathering what each view shows
    const terminal = page.locator('.terminal-wrapper.active .xterm').first();
    const seen = new Set<string>();
    const logs = await eventually(
      async () => {
        for (const line of (await terminalText(page)).split('\n')) seen.add(line);
        await terminal.hover();
        await page.mouse.wheel(0, -300);
        return [...seen].join('\n');
      },
      (t) => /^inference\s+\|/m.test(t) && /^redis\s+\|/m.test(t) && /^prometheus\s+\|/m.test(t),
      'lines of all three services in one terminal',
      { timeoutMs: 60_000 },
    );
    // the three services' lines share one terminal, each under its service's name
    assert.ok(!/^(qdrant)\s+\|/m.test(logs), 'no line of a service that is not running');

    const prom = (await engine.listContainers({ filters: { label: [PROJECT_LABEL, 'com.docker.compose.service=prometheus'] } }))[0];
    const port = prom?.ports.find((p) => p.containerPort === 9090 && p.hostPort !== undefined)?.hostPort;
    assert.ok(port, 'Prometheus published on a loopback port');
    const target = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/targets`).catch(() => undefined);
        const body = (await res?.json().catch(() => undefined)) as
          { data?: { activeTargets?: { labels?: Record<string, string>; health?: string; scrapeUrl?: string }[] } } | undefined;
        return body?.data?.activeTargets?.find((t) => t.scrapeUrl?.includes('inference:'));
      },
      (t) => t?.health === 'up',
      'the inference target up in Prometheus',
      { timeoutMs: 90_000 },
    );
    assert.match(target?.scrapeUrl ?? '', /^http:\/\/inference:\d+\/metrics$/);
    await vscode!.screenshot('compose-logs');
  });

  test("Stop Service and Start Service on a service's row", async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Containers');
    const redis = `${PROJECT}_redis_1`;
    await contextMenu(page, treeRow(pane, redis), 'Stop Service');
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${redis}  exited`)) && r.some((x) => x.startsWith(`${PROJECT}  2 of 4 services running`)),
      'redis stopped in the tree',
      { timeoutMs: 60_000 },
    );
    await contextMenu(page, treeRow(pane, redis), 'Start Service');
    await eventually(
      () => rowTexts(pane),
      (r) =>
        r.some((x) => x.startsWith(`${redis}  `) && !x.includes('exited')) &&
        r.some((x) => x.startsWith(`${PROJECT}  3 of 4 services running`)),
      'redis running again',
      { timeoutMs: 60_000 },
    );
  });

  test('Down and Remove Volumes: no container, network or volume of the project is left', async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Containers');
    await contextMenu(page, treeRow(pane, PROJECT), 'Compose Down…');
    await dialogButton(page, new RegExp(`Down ${PROJECT}: stop and remove its 3 containers`), 'Down and Remove Volumes');
    await eventually(
      async () => (await engine.listContainers({ all: true, filters: { label: [PROJECT_LABEL] } })).length,
      (n) => n === 0,
      'no container of the project',
      { timeoutMs: 120_000 },
    );
    // Compose removes the containers, then the network, then the volumes
    await eventually(
      async () => (await engine.listVolumes()).filter((v) => v.labels[PROJECT_LABEL.split('=')[0]!] === PROJECT).map((v) => v.name),
      (v) => v.length === 0,
      'no volume of the project',
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(
      (await engine.listNetworks()).filter((n) => n.name.startsWith(`${PROJECT}_`)).map((n) => n.name),
      [],
      'no network of the project',
    );
    // the project stays listed from its file, with nothing running
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(`${PROJECT}  0 of 4 services running`)),
      'the project back to no service running',
    );
  });

  test('a compose file Compose cannot read: its error in the Problems view at the line', async () => {
    const page = vscode!.page;
    const file = path.join(workspace, 'compose.yaml');
    const text = fs.readFileSync(file, 'utf8');
    // a port that is no port, at a known line
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes('"127.0.0.1::8000"'));
    assert.ok(at > 0, 'the inference port line');
    lines[at] = lines[at]!.replace('"127.0.0.1::8000"', '"127.0.0.1:eighty:8000"');
    fs.writeFileSync(file, lines.join('\n'));
    await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } });
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel');
    await problems.waitFor({ timeout: UI_TIMEOUT });
    const said = await eventually(
      async () => normalize(await problems.innerText()),
      (t) => t.includes('Berth (compose config)'),
      'the config error in the Problems view',
      { timeoutMs: 60_000 },
    );
    assert.match(said, /compose\.yaml/);
    assert.match(said, new RegExp(`\\[Ln ${at + 1}, Col \\d+\\]|\\[Ln ${at}, Col \\d+\\]`));
    await vscode!.screenshot('compose-problems');
  });
});
