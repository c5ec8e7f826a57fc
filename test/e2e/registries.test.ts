/**
 * The road to a registry in the real VS Code, against the real local registry (scripts/registry.sh:
 * Debian's docker-registry with htpasswd auth): Log In from the palette (a wrong password refused
 * and nothing stored, then the right one), Build Image of the sample project with BuildKit (the
 * docker CLI found here), Push Image from the Images view, the repository and tag in the
 * Registries view, the image removed locally and pulled back from the tag's row; then model
 * releases and Delete Tag.
 *
 * The extension host gets a DOCKER_CONFIG of its own (an empty config): it never sees the
 * machine's ~/.docker, and the login goes to VS Code's secret storage.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { RegistryClient } from '../../src/core/registry/client';
import {
  contextMenu,
  eventually,
  explorerMenu,
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

const REPO_ROOT = path.join(__dirname, '..', '..');
const NAME = `berth-e2e-push${process.pid}`;
const SOURCE = `${NAME}:1.0`;

interface TestRegistry {
  readonly addr: string;
  readonly user: string;
  readonly password: string;
}

async function startRegistry(): Promise<{ registry: TestRegistry; started: boolean }> {
  const { execa } = await import('execa');
  const { stdout } = await execa('bash', [path.join(REPO_ROOT, 'scripts', 'registry.sh'), 'start'], { cwd: REPO_ROOT });
  const text = fs.readFileSync(path.join(REPO_ROOT, '.berth-state', 'registry.env'), 'utf8');
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`registry.env has no ${key}`);
    return m[1];
  };
  return {
    registry: { addr: value('REGISTRY_ADDR'), user: value('REGISTRY_USER'), password: value('REGISTRY_PASSWORD') },
    started: /registry: started/.test(stdout),
  };
}

/**
 * The sample project, in git; its serve profile also mounts the model (so a release from it names
 * the model), and the model is one of this run's own.
 */
async function releaseWorkspace(): Promise<string> {
  const dir = sampleWorkspace('registries', 'ml-project');
  fs.writeFileSync(path.join(dir, 'model', 'iris.npz'), crypto.randomBytes(256 * 1024));
  const profiles = fs.readFileSync(path.join(dir, 'berth.yaml'), 'utf8');
  fs.writeFileSync(
    path.join(dir, 'berth.yaml'),
    profiles.replace('    ports:', '    model: { path: model/iris.npz, mountAt: /models/iris.npz }\n    ports:'),
  );
  const { execa } = await import('execa');
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-qm', 'iris');
  return dir;
}

describe('e2e: log in, push, browse and pull back through the Registries view', { timeout: 240_000 }, () => {
  let vscode: VSCode | undefined;
  let engine: Engine;
  let registry: TestRegistry;
  let startedRegistry = false;
  let dockerConfig: string;
  let workspace: string;
  const made: string[] = [];

  before(async () => {
    engine = await testEngine();
    ({ registry, started: startedRegistry } = await startRegistry());
    dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-e2e-docker-config-'));
    fs.writeFileSync(path.join(dockerConfig, 'config.json'), '{}\n');
    workspace = await releaseWorkspace();
    vscode = await startVSCode('registries', { workspace, env: { DOCKER_CONFIG: dockerConfig } });
  });

  after(async () => {
    await vscode?.close();
    for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    const client = new RegistryClient({ server: registry.addr, credential: { username: registry.user, secret: registry.password } });
    await client.deleteTag(NAME, '1.0').catch(() => undefined);
    await client.deleteTag(NAME, '0.1.0').catch(() => undefined);
    await client.deleteTag(`${NAME}-profile`, '0.1.0').catch(() => undefined);
    fs.rmSync(dockerConfig, { recursive: true, force: true });
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
    if (startedRegistry) {
      const { execa } = await import('execa');
      await execa('bash', [path.join(REPO_ROOT, 'scripts', 'registry.sh'), 'stop'], { cwd: REPO_ROOT });
    }
  });

  /** Log In from the palette: server, user, password. */
  async function logIn(password: string): Promise<void> {
    const page = vscode!.page;
    await runCommand(page, 'Berth: Log In to Registry…', { opensPick: true });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    for (const [value, title] of [
      [registry.addr, 'server'],
      [registry.user, 'user name'],
      [password, 'password'],
    ] as const) {
      await page.locator('.quick-input-widget', { hasText: title }).first().waitFor({ timeout: UI_TIMEOUT });
      await input.fill(value);
      await input.press('Enter');
    }
  }

  test('Log In: a wrong password is refused and stored nowhere; the right one lists the registry', async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Registries');
    await eventually(
      () => rowTexts(pane),
      (r) => r.includes('No registries in the docker config') && r.includes('Log In…'),
      'the empty Registries view offering Log In…',
    );
    await logIn('not-the-password');
    await waitForNotification(page, /refused the user name or password for berth-test: nothing was stored/);
    await vscode!.screenshot('registries-wrong-password');
    assert.equal(fs.readFileSync(path.join(dockerConfig, 'config.json'), 'utf8'), '{}\n', 'the docker config is untouched');
    assert.ok((await rowTexts(pane)).includes('No registries in the docker config'));

    await logIn(registry.password);
    await waitForNotification(page, new RegExp(`Logged in to ${registry.addr.replace(/\./g, '\\.')} as berth-test`));
    await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x.startsWith(registry.addr)),
      'the registry in the view',
    );
    assert.equal(fs.readFileSync(path.join(dockerConfig, 'config.json'), 'utf8'), '{}\n', 'no credential in the docker config');
  });

  test('Build Image of the sample project: built with BuildKit through the docker CLI found here', async () => {
    const page = vscode!.page;
    await runCommand(page, 'Berth: Build Image', { opensPick: true });
    // the build arguments (the profile's BASE), then the tag
    await page
      .locator('.quick-input-list .monaco-list-row', { hasText: 'BASE = berth-python-numpy:latest' })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'tag' }).first().waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => input.inputValue(),
      (v) => v.startsWith('ml-project:'),
      'the proposed tag',
    );
    await input.fill(SOURCE);
    await input.press('Enter');
    made.push(SOURCE);
    await page
      .locator('.notifications-toasts .notification-toast', { hasText: new RegExp(`Built ${SOURCE.replace(/\./g, '\\.')} in`) })
      .first()
      .waitFor({ timeout: 120_000 });
    const image = await engine.inspectImage(SOURCE);
    assert.equal(image.labels['berth.managed'], 'true');
    // BuildKit's layers say so in the image history (the classic builder's do not)
    const { execa } = await import('execa');
    assert.match((await execa('/usr/bin/docker', ['history', '--format', '{{.Comment}}', SOURCE])).stdout, /buildkit\.dockerfile\.v0/);
    await vscode!.screenshot('registries-built');
  });

  test('Push Image from the Images view: the repository and tag appear in the Registries view', async () => {
    const page = vscode!.page;
    const images = await openBerthView(page, 'Images');
    await eventually(
      () => rowTexts(images),
      (r) => r.some((x) => x.startsWith(SOURCE)),
      'the test image in the Images view',
    );
    await contextMenu(page, treeRow(images, SOURCE), 'Push Image…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.locator('.quick-input-widget', { hasText: 'to which registry' }).first().waitFor({ timeout: UI_TIMEOUT });
    await input.fill(registry.addr);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: registry.addr }).first().waitFor({ timeout: UI_TIMEOUT });
    await input.press('Enter');
    await page.locator('.quick-input-widget', { hasText: 'repository:tag' }).first().waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => input.inputValue(),
      (v) => v === `${NAME}:1.0`,
      'the repository:tag proposed from the image name',
    );
    await input.press('Enter');
    const target = `${registry.addr}/${NAME}:1.0`;
    made.push(target);
    await waitForNotification(page, new RegExp(`Pushed ${target.replace(/\./g, '\\.')} \\(sha256:`));
    const pane = await openBerthView(page, 'Registries');
    const rows = await eventually(
      () => rowTexts(pane),
      (r) => r.some((x) => x === NAME) && r.some((x) => /^1\.0 {2}\S+ \S*B · \S+ ago$/.test(x)),
      'the repository and its tag (size, age) in the Registries view',
      { timeoutMs: 30_000 },
    );
    assert.ok(
      rows.some((x) => x.startsWith(registry.addr)),
      rows.join('\n'),
    );
    await vscode!.screenshot('registries-pushed');
  });

  test('the image removed locally and pulled back from its tag in the Registries view', async () => {
    const page = vscode!.page;
    const target = `${registry.addr}/${NAME}:1.0`;
    const built = (await engine.inspectImage(SOURCE)).id;
    await engine.removeImage(target, { force: true });
    await engine.removeImage(SOURCE, { force: true });
    await assert.rejects(engine.inspectImage(target));
    const pane = await openBerthView(page, 'Registries');
    await contextMenu(page, treeRow(pane, '1.0'), 'Pull Image…');
    await waitForNotification(page, new RegExp(`Pulled ${target.replace(/\./g, '\\.')}`));
    const pulled = await engine.inspectImage(target);
    assert.equal(pulled.id, built, 'the image pulled back is the one built');
    await vscode!.screenshot('registries-pulled');
  });

  test('Push Model Release from the Images view: a version, the model sha256 and the commit in the labels; the release selected in the view', async () => {
    const page = vscode!.page;
    const base = `${registry.addr}/${NAME}:1.0`;
    const images = await openBerthView(page, 'Images');
    await eventually(
      () => rowTexts(images),
      (r) => r.some((x) => x.startsWith(base)),
      'the pulled image in the Images view',
    );
    await contextMenu(page, treeRow(images, base), 'Push Model Release…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    const pick = async (title: string, text: string): Promise<void> => {
      await page.locator('.quick-input-widget', { hasText: title }).first().waitFor({ timeout: UI_TIMEOUT });
      await input.fill(text);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: UI_TIMEOUT });
      await input.press('Enter');
    };
    await pick('which model file', 'model/iris.npz');
    await pick('to which registry', registry.addr);
    await page.locator('.quick-input-widget', { hasText: 'repository' }).first().waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => input.inputValue(),
      (v) => v === NAME,
      'the repository proposed from the image',
    );
    await input.press('Enter');
    // 1.0 is no release: the first one is proposed first
    await page.locator('.quick-input-widget', { hasText: 'version of' }).first().waitFor({ timeout: UI_TIMEOUT });
    const first = page.locator('.quick-input-list .monaco-list-row').first();
    await eventually(
      async () => (await first.innerText()).replace(/\s+/g, ' '),
      (t) => /^0\.1\.0 ?patch first release/.test(t),
      'the first version proposed',
    );
    await vscode!.screenshot('registries-release-version');
    await input.press('Enter');
    const target = `${registry.addr}/${NAME}:0.1.0`;
    made.push(target);
    const sha = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(workspace, 'model', 'iris.npz')))
      .digest('hex');
    await waitForNotification(page, new RegExp(`Released ${target.replace(/\./g, '\\.')} — model sha256 ${sha.slice(0, 12)}`));
    const pane = await openBerthView(page, 'Registries');
    await eventually(
      () => pane.locator('.monaco-list-row.selected .label-name').allInnerTexts(),
      (t) => t.includes('0.1.0'),
      'the release selected in the Registries view',
      { timeoutMs: 30_000 },
    );
    await treeRow(pane, '0.1.0').hover();
    await page.waitForTimeout(1500);
    await vscode!.screenshot('registries-release', { keepPointer: true });
    const client = new RegistryClient({ server: registry.addr, credential: { username: registry.user, secret: registry.password } });
    const described = await client.describe(NAME, '0.1.0');
    const { execa } = await import('execa');
    assert.equal(described.labels['berth.model.sha256'], sha);
    assert.equal(described.labels['berth.model.file'], 'model/iris.npz');
    assert.equal(described.labels['org.opencontainers.image.version'], '0.1.0');
    assert.equal(
      described.labels['org.opencontainers.image.revision'],
      (await execa('git', ['rev-parse', 'HEAD'], { cwd: workspace })).stdout.trim(),
    );
    assert.equal(described.labels['berth.managed'], 'true', 'the base image’s own labels kept');
  });

  test('Delete Tag (confirmed) removes the tag from the registry and the view', async () => {
    const page = vscode!.page;
    const pane = await openBerthView(page, 'Registries');
    await contextMenu(page, treeRow(pane, '0.1.0'), 'Delete Tag…');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: UI_TIMEOUT });
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await waitForNotification(page, /Deleted .*:0\.1\.0/);
    await eventually(
      () => rowTexts(pane),
      (r) => !r.some((x) => x.startsWith('0.1.0')) && r.some((x) => x.startsWith('1.0')),
      'the tag gone from the view, the other one kept',
    );
    const client = new RegistryClient({ server: registry.addr, credential: { username: registry.user, secret: registry.password } });
    assert.deepEqual(await client.tags(NAME), ['1.0']);
  });

  test('Push Model Release from a run profile (berth.yaml in the Explorer): the profile built, its model and name in the labels', async () => {
    const page = vscode!.page;
    const { execa } = await import('execa');
    // the profile's image is built and tagged as Berth tags a project's image: folder and commit
    const built = `ml-project:${(await execa('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: workspace })).stdout.trim()}`;
    made.push(built);
    await runCommand(page, 'View: Show Explorer');
    const row = page.getByRole('treeitem', { name: 'berth.yaml', exact: true });
    await row.waitFor({ timeout: UI_TIMEOUT });
    await explorerMenu(page, row, 'Push Model Release…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    const pick = async (title: string, text: string): Promise<void> => {
      await page.locator('.quick-input-widget', { hasText: title }).first().waitFor({ timeout: 60_000 });
      await input.fill(text);
      await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor({ timeout: UI_TIMEOUT });
      await input.press('Enter');
    };
    await pick('from which run profile or image', 'serve');
    // the build runs, then the registry is asked for
    await pick('to which registry', registry.addr);
    await page.locator('.quick-input-widget', { hasText: 'repository' }).first().waitFor({ timeout: UI_TIMEOUT });
    await eventually(
      () => input.inputValue(),
      (v) => v === 'ml-project',
      'the repository proposed from the project image',
    );
    await input.fill(`${NAME}-profile`);
    await input.press('Enter');
    await pick('version of', '0.1.0');
    const target = `${registry.addr}/${NAME}-profile:0.1.0`;
    made.push(target);
    await waitForNotification(page, new RegExp(`Released ${target.replace(/\./g, '\\.')}`));
    const client = new RegistryClient({ server: registry.addr, credential: { username: registry.user, secret: registry.password } });
    const described = await client.describe(`${NAME}-profile`, '0.1.0');
    const sha = crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(workspace, 'model', 'iris.npz')))
      .digest('hex');
    assert.equal(described.labels['berth.profile'], 'serve');
    assert.equal(described.labels['berth.model.file'], 'model/iris.npz');
    assert.equal(described.labels['berth.model.sha256'], sha);
    assert.equal(described.labels['berth.project'], workspace, 'built from the project by Berth');
    await vscode!.screenshot('registries-release-profile');
  });
});
