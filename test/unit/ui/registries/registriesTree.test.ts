/**
 * The Registries view's rows: tags ordered releases first, a tag's size, age, digest and labels
 * (release labels first), and a failure under its node with the action that helps — Log In… for
 * a refused credential, Retry for a registry that does not answer.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type * as vscode from 'vscode';
import type { ManifestDescription } from '../../../../src/core/registry/client';
import { Registries } from '../../../../src/ui/registries/registries';
import { describeTag, RegistriesTree, sortTags, type RegistriesNode, type TagNode } from '../../../../src/ui/registries/registriesTree';

const registry = { server: '127.0.0.1:5000', display: '127.0.0.1:5000', source: 'berth' as const };

test('tags: releases first, highest version first; then the others by name', () => {
  assert.deepEqual(sortTags(['latest', '0.9.0', 'v1.10.0', '1.2.0', 'dev', 'abc']), ['v1.10.0', '1.2.0', '0.9.0', 'abc', 'dev', 'latest']);
});

test('a tag row: size and age; the tooltip has the reference, digest, platforms, created date, release labels, then other labels', () => {
  const manifest: ManifestDescription = {
    repository: 'ml/iris',
    tag: '1.0.1',
    digest: 'sha256:' + 'ab'.repeat(32),
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    kind: 'image',
    size: 3 * 2 ** 20,
    created: '2026-12-01T20:00:00Z',
    labels: { maintainer: 'acme', 'berth.model.sha256': 'f'.repeat(64), 'org.opencontainers.image.version': '1.0.1' },
    annotations: {},
    platforms: [],
  };
  const node: TagNode = { kind: 'tag', registry, repository: 'ml/iris', tag: '1.0.1', manifest };
  const { description, tooltip } = describeTag(node, Date.parse('2026-12-01T23:00:00Z'));
  assert.equal(description, '3.0 MiB · 3h ago');
  const lines = tooltip.split('\n');
  assert.equal(lines[0], '127.0.0.1:5000/ml/iris:1.0.1');
  assert.equal(lines[1], `Digest: sha256:${'ab'.repeat(32)}`);
  assert.ok(lines.includes('Created: 2026-12-01T20:00:00.000Z'));
  const release = lines.indexOf('Release:');
  const others = lines.indexOf('Labels:');
  assert.ok(release > 0 && others > release, tooltip);
  assert.deepEqual(lines.slice(release + 1, others - 1), [
    '  org.opencontainers.image.version = 1.0.1',
    `  berth.model.sha256 = ${'f'.repeat(64)}`,
  ]);
  assert.deepEqual(lines.slice(others + 1), ['  maintainer = acme']);
  // a tag that could not be described still shows, with why
  const bare = describeTag({ kind: 'tag', registry, repository: 'ml/iris', tag: 'x', problem: 'manifest unknown' });
  assert.equal(bare.description, 'not described');
  assert.match(bare.tooltip, /manifest unknown/);
});

function fakeContext(): vscode.ExtensionContext {
  const memento = (map: Map<string, unknown>) => ({
    get: (key: string, fallback?: unknown) => (map.has(key) ? map.get(key) : fallback),
    update: (key: string, value: unknown) => Promise.resolve(void map.set(key, value)),
  });
  const secrets = new Map<string, string>();
  return {
    secrets: {
      get: (k: string) => Promise.resolve(secrets.get(k)),
      store: (k: string, v: string) => Promise.resolve(void secrets.set(k, v)),
    },
    globalState: memento(new Map()),
    workspaceState: memento(new Map()),
  } as unknown as vscode.ExtensionContext;
}

const quietLog = { error: () => undefined, warn: () => undefined, info: () => undefined } as unknown as vscode.LogOutputChannel;

describe('failures under their node', () => {
  let server: http.Server;
  let addr: string;
  let dir: string;
  before(async () => {
    // a registry that wants basic auth nobody here has
    server = http.createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registries-tree-'));
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const rows = (nodes: RegistriesNode[]) =>
    nodes.map((n) => (n.kind === 'row' ? [n.icon, n.label, n.command?.command, n.command?.arguments] : [n.kind]));

  test('no registries: say so and offer Log In…', async () => {
    const tree = new RegistriesTree({ registries: new Registries(fakeContext(), { ...process.env, DOCKER_CONFIG: dir }), log: quietLog });
    assert.deepEqual(rows(await tree.getChildren()), [
      ['info', 'No registries in the docker config', undefined, undefined],
      ['action', 'Log In…', 'berth.registry.login', undefined],
    ]);
  });

  test('a repository the registry refuses to list to us: "Not logged in" and Log In… to that registry', async () => {
    const tree = new RegistriesTree({ registries: new Registries(fakeContext(), { ...process.env, DOCKER_CONFIG: dir }), log: quietLog });
    const node: RegistriesNode = { kind: 'repository', registry: { server: addr, display: addr, source: 'berth' }, repository: 'ml/iris' };
    const children = await tree.getChildren(node);
    assert.deepEqual(rows(children), [
      ['error', 'Not logged in', undefined, undefined],
      ['action', 'Log In…', 'berth.registry.login', [addr]],
    ]);
    assert.equal(tree.getParent(children[0]!), node);
  });

  test('refreshing a node names the instance the view holds (VS Code matches change events by instance)', async () => {
    const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-registries-tree-config-'));
    try {
      fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ auths: { [addr]: {} } }));
      const tree = new RegistriesTree({
        registries: new Registries(fakeContext(), { ...process.env, DOCKER_CONFIG: configDir }),
        log: quietLog,
      });
      const fired: unknown[] = [];
      tree.onDidChangeTreeData((e) => void fired.push(e));
      const [held] = await tree.getChildren();
      assert.equal(held?.kind, 'registry');
      // a command builds its own node for the same registry: the event names the view's instance
      tree.refresh(held?.kind === 'registry' ? { kind: 'registry', registry: { ...held.registry } } : undefined);
      assert.equal(fired.length, 1);
      assert.equal(fired[0], held);
      // a node the view never got: the whole view lists again
      tree.refresh({ kind: 'repository', registry: { server: addr, display: addr, source: 'auths' }, repository: 'never/shown' });
      assert.deepEqual(fired.slice(1), [undefined]);
    } finally {
      fs.rmSync(configDir, { recursive: true, force: true });
    }
  });

  test('a registry that does not answer: "Registry unreachable" and Retry listing that node', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const down = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const tree = new RegistriesTree({ registries: new Registries(fakeContext(), { ...process.env, DOCKER_CONFIG: dir }), log: quietLog });
    const node: RegistriesNode = { kind: 'registry', registry: { server: down, display: down, source: 'berth' } };
    const children = await tree.getChildren(node);
    assert.deepEqual(rows(children), [
      ['error', 'Registry unreachable', undefined, undefined],
      ['action', 'Retry', 'berth.registries.refresh', [node]],
    ]);
  });

  test('a registry without a catalog: say so, offer Add Repository…, and list the repositories remembered for it', async () => {
    const noCatalog = http.createServer((req, res) => {
      res.setHeader('docker-distribution-api-version', 'registry/2.0');
      if (req.url === '/v2/') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] }));
      }
    });
    await new Promise<void>((resolve) => noCatalog.listen(0, '127.0.0.1', resolve));
    try {
      const at = `127.0.0.1:${(noCatalog.address() as AddressInfo).port}`;
      const registries = new Registries(fakeContext(), { ...process.env, DOCKER_CONFIG: dir });
      const tree = new RegistriesTree({ registries, log: quietLog });
      const node: RegistriesNode = { kind: 'registry', registry: { server: at, display: at, source: 'berth' } };
      assert.deepEqual(rows(await tree.getChildren(node)), [
        ['info', 'This registry does not list its repositories', undefined, undefined],
        ['action', 'Add Repository…', 'berth.registry.addRepository', [node]],
      ]);
      await registries.rememberRepository(at, 'acme/iris');
      assert.deepEqual(rows(await tree.getChildren(node)), [
        ['repository'],
        ['info', 'This registry does not list its repositories', undefined, undefined],
        ['action', 'Add Repository…', 'berth.registry.addRepository', [node]],
      ]);
    } finally {
      noCatalog.close();
    }
  });
});
