/**
 * A model release against the real engine and a real registry (Debian's docker-registry with
 * htpasswd auth, scripts/registry.sh): the version proposed from the repository's tags, the
 * FROM+LABEL build, the push, and the labels read back from the registry's config blob — the
 * model's real sha256, the git commit and the source without its credentials.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { pushImage, tagImage, toRegistryAuth, type RegistryAuth } from '../../src/core/engine/transfer';
import {
  buildReleaseImage,
  gitRelease,
  ModelDigests,
  modelLabelPath,
  nextVersion,
  releaseLabels,
  RELEASE_LABEL,
} from '../../src/core/project/release';
import { RegistryClient } from '../../src/core/registry/client';
import { BUSYBOX, connect, RUN_ID, TEST_LABEL } from './harness';
import { sharedRegistry, type SharedRegistry } from './registries';

const ROOT = path.join(__dirname, '..', '..');

// execa is ESM-only: loaded in before()
let execa: typeof import('execa').execa;
let engine: Engine;
let registry: SharedRegistry;
let startedRegistry = false;
let project: string;
const made: string[] = [];

before(async () => {
  ({ execa } = await import('execa'));
  engine = await connect();
  const { stdout } = await execa('bash', [path.join(ROOT, 'scripts', 'registry.sh'), 'start'], { cwd: ROOT });
  startedRegistry = /registry: started/.test(stdout);
  registry = await sharedRegistry();
  // a project in git, with a remote whose URL carries a token, and a model file
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-release-project-'));
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: project });
  fs.mkdirSync(path.join(project, 'model'));
  fs.writeFileSync(path.join(project, 'model', 'iris.npz'), crypto.randomBytes(2 * 2 ** 20 + 123));
  fs.writeFileSync(path.join(project, 'serve.py'), 'print("serving")\n');
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-qm', 'iris');
  await git('remote', 'add', 'origin', 'https://bot:ghp_s3cret@example.com/acme/iris.git');
});

after(async () => {
  for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
  fs.rmSync(project, { recursive: true, force: true });
  if (startedRegistry) await execa('bash', [path.join(ROOT, 'scripts', 'registry.sh'), 'stop'], { cwd: ROOT });
});

test('a model release: version bumped from the registry, labels built in, pushed, and read back from the registry with the real sha256', async () => {
  const auth: RegistryAuth = toRegistryAuth(registry.addr, { username: registry.user, secret: registry.password });
  const client = new RegistryClient({ server: registry.addr, credential: { username: registry.user, secret: registry.password } });
  const repo = `berth-test-${RUN_ID}/iris`;

  // an earlier release in the repository
  const first = `${registry.addr}/${repo}:1.4.2`;
  await tagImage(engine, BUSYBOX, first);
  made.push(first);
  await pushImage(engine, first, { auth });
  const tags = await client.tags(repo);
  assert.deepEqual(tags, ['1.4.2']);
  const version = nextVersion(tags);
  assert.equal(version, '1.4.3');

  // the labels: the model's sha256 streamed (and cached), git's commit, the remote without its token
  const modelFile = path.join(project, 'model', 'iris.npz');
  const expectedSha = crypto.createHash('sha256').update(fs.readFileSync(modelFile)).digest('hex');
  const digests = new ModelDigests();
  const sha = await digests.sha256(modelFile);
  assert.equal(sha, expectedSha);
  const git = await gitRelease(project);
  assert.ok(git);
  const labels = releaseLabels({
    version,
    created: new Date('2026-12-01T23:00:00Z'),
    git,
    modelFile: modelLabelPath(project, modelFile),
    modelSha256: sha,
    profile: 'serve',
  });

  // the release image: FROM the base + LABEL, the context only the Dockerfile
  const target = `${registry.addr}/${repo}:${version}`;
  const events: string[] = [];
  const id = await buildReleaseImage(engine, {
    base: BUSYBOX,
    tag: target,
    labels: { ...labels, [TEST_LABEL]: RUN_ID },
    onEvent: (e) => void (e.kind === 'step' && events.push(e.step.instruction)),
  });
  made.push(target);
  assert.match(id, /^sha256:/);
  assert.equal(events.length, 2, `FROM and one LABEL: ${events.join(' | ')}`);
  assert.match(events[0] ?? '', new RegExp(`^FROM ${BUSYBOX}`));
  const local = await engine.inspectImage(target);
  assert.equal(local.labels[RELEASE_LABEL.modelSha256], expectedSha);

  // pushed, then read back through the Registry API (the manifest's config blob)
  const pushed = await pushImage(engine, target, { auth });
  const described = await client.describe(repo, version);
  assert.equal(described.digest, pushed.digest);
  assert.equal(described.labels[RELEASE_LABEL.version], '1.4.3');
  assert.equal(described.labels[RELEASE_LABEL.modelSha256], expectedSha);
  assert.equal(described.labels[RELEASE_LABEL.modelFile], 'model/iris.npz');
  assert.equal(described.labels[RELEASE_LABEL.revision], (await execa('git', ['rev-parse', 'HEAD'], { cwd: project })).stdout.trim());
  assert.equal(described.labels[RELEASE_LABEL.source], 'https://example.com/acme/iris.git');
  assert.equal(described.labels[RELEASE_LABEL.created], '2026-12-01T23:00:00.000Z');
  assert.equal(described.labels[RELEASE_LABEL.profile], 'serve');
  assert.ok(!JSON.stringify(described).includes('ghp_s3cret'), 'no credential in the release');
  // the next release proposal sees it
  assert.equal(nextVersion(await client.tags(repo)), '1.4.4');

  // the model changed: a new digest, computed again
  fs.appendFileSync(modelFile, 'more weights');
  fs.utimesSync(modelFile, new Date(), new Date(Date.now() + 2000));
  assert.notEqual(await digests.sha256(modelFile), expectedSha);
  assert.equal(digests.computed, 2);

  // tidy the registry: the test's tags deleted (the registry allows it)
  await client.deleteTag(repo, version);
  await client.deleteTag(repo, '1.4.2');
});
