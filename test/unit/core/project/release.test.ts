import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  gitRelease,
  gitVersionTag,
  isValidTag,
  largestWeightFile,
  latestRelease,
  ModelDigests,
  modelLabelPath,
  nextVersion,
  parseSemver,
  publicRemote,
  releaseDockerfile,
  releaseLabels,
  releaseLabelsOf,
  sha256File,
  versionProposals,
} from '../../../../src/core/project/release';

test('versions: the latest release among tags, bumped patch by default, minor or major on request', () => {
  const tags = ['latest', '0.9.0', 'v1.2.3', '1.10.0-rc1', '1.2.10', 'abc123', '1.3.0.1', '01.2.3'];
  assert.deepEqual(latestRelease(tags), { prefix: '', major: 1, minor: 2, patch: 10 });
  assert.equal(nextVersion(tags), '1.2.11');
  assert.equal(nextVersion(tags, 'minor'), '1.3.0');
  assert.equal(nextVersion(tags, 'major'), '2.0.0');
  // 10 > 9 numerically, not as text; the v prefix of the latest kept
  assert.equal(nextVersion(['v0.9.0', 'v0.10.0']), 'v0.10.1');
  // no release yet
  assert.equal(nextVersion(['latest', 'dev']), '0.1.0');
  assert.equal(nextVersion([], 'minor'), '0.1.0');
  assert.equal(nextVersion([], 'major'), '1.0.0');
  assert.equal(parseSemver('1.2'), undefined);
  assert.equal(parseSemver('V1.2.3'), undefined);
});

test('git versions: describe output made a valid tag', () => {
  assert.equal(gitVersionTag('v1.4.0-3-gdeadbeef-dirty\n'), 'v1.4.0-3-gdeadbeef-dirty');
  assert.equal(gitVersionTag('release/2024 spring'), 'release-2024-spring');
  assert.equal(gitVersionTag('.hidden'), 'hidden');
  assert.equal(gitVersionTag(''), 'dev');
  assert.equal(gitVersionTag('x'.repeat(300)).length, 128);
  for (const t of ['v1.4.0-3-gdeadbeef-dirty', 'release-2024-spring', '0.1.0']) assert.ok(isValidTag(t), t);
  for (const t of ['', '-x', '.x', 'a/b', 'a:b', 'x'.repeat(129)]) assert.ok(!isValidTag(t), t);
});

test('a remote is a source only without its credentials', () => {
  assert.equal(publicRemote('https://user:ghp_secret@github.com/acme/iris.git'), 'https://github.com/acme/iris.git');
  assert.equal(publicRemote('https://github.com/acme/iris'), 'https://github.com/acme/iris');
  assert.equal(publicRemote('git@github.com:acme/iris.git'), 'git@github.com:acme/iris.git');
  assert.equal(publicRemote('/srv/git/iris.git'), undefined);
  assert.equal(publicRemote('file:///srv/git/iris.git'), undefined);
  assert.equal(publicRemote(''), undefined);
});

test('release labels: OCI version, revision, created, source; the model file, its digest and the profile', () => {
  const created = new Date('2026-12-01T23:59:00Z');
  const git = { commit: 'a'.repeat(40), describe: 'v1', dirty: false, remote: 'https://github.com/acme/iris.git' };
  const labels = releaseLabels({
    version: '1.2.11',
    created,
    git,
    modelFile: 'model/iris.npz',
    modelSha256: 'f'.repeat(64),
    profile: 'serve',
  });
  assert.deepEqual(labels, {
    'org.opencontainers.image.version': '1.2.11',
    'org.opencontainers.image.created': '2026-12-01T23:59:00.000Z',
    'org.opencontainers.image.revision': 'a'.repeat(40),
    'org.opencontainers.image.source': 'https://github.com/acme/iris.git',
    'berth.model.file': 'model/iris.npz',
    'berth.model.sha256': 'f'.repeat(64),
    'berth.profile': 'serve',
  });
  // outside git and without a model: only what is known
  assert.deepEqual(Object.keys(releaseLabels({ version: 'dev', created })), [
    'org.opencontainers.image.version',
    'org.opencontainers.image.created',
  ]);
  // the release labels of an image, in a fixed order, others left out
  assert.deepEqual(
    releaseLabelsOf({ maintainer: 'x', 'berth.profile': 'serve', 'org.opencontainers.image.version': '1.0.0' }).map(([k]) => k),
    ['org.opencontainers.image.version', 'berth.profile'],
  );
});

test('the release Dockerfile: FROM the image, one LABEL with every value quoted and escaped', () => {
  const text = releaseDockerfile('iris:dev', { a: 'plain', 'b.c': 'say "hi" \\ $HOME', d: 'two\nlines' });
  assert.equal(text, 'FROM iris:dev\nLABEL "a"="plain" \\\n      "b.c"="say \\"hi\\" \\\\ \\$HOME" \\\n      "d"="two lines"\n');
  assert.equal(releaseDockerfile('iris:dev', {}), 'FROM iris:dev\n');
});

test('model digests: streamed sha256, computed once per size and mtime, again when the file changes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-release-'));
  try {
    const file = path.join(dir, 'model.bin');
    const bytes = crypto.randomBytes(3 * 2 ** 20 + 17); // several read chunks
    fs.writeFileSync(file, bytes);
    const expected = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.equal(await sha256File(file), expected);
    const digests = new ModelDigests();
    assert.equal(await digests.sha256(file), expected);
    assert.equal(await digests.sha256(path.join(dir, '.', 'model.bin')), expected);
    assert.equal(digests.computed, 1);
    fs.writeFileSync(file, 'changed');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(await digests.sha256(file), crypto.createHash('sha256').update('changed').digest('hex'));
    assert.equal(digests.computed, 2);
    await assert.rejects(digests.sha256(path.join(dir, 'missing.bin')), /ENOENT/);
    assert.equal(modelLabelPath(dir, path.join(dir, 'model', 'iris.npz')), 'model/iris.npz');
    assert.equal(modelLabelPath(dir, 'model/iris.npz'), 'model/iris.npz');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('git facts: full commit, describe, dirty, and the remote without its token', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-release-git-'));
  try {
    assert.equal(await gitRelease(dir), undefined);
    const { execa } = await import('execa');
    const git = (...args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
    await git('init', '-q');
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    await git('add', '.');
    await git('commit', '-qm', 'a');
    await git('tag', 'v1.0.0');
    await git('remote', 'add', 'origin', 'https://bot:s3cret@example.com/acme/iris.git');
    const head = (await git('rev-parse', 'HEAD')).stdout.trim();
    assert.deepEqual(await gitRelease(dir), {
      commit: head,
      describe: 'v1.0.0',
      dirty: false,
      remote: 'https://example.com/acme/iris.git',
    });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'b');
    const dirty = await gitRelease(dir);
    assert.equal(dirty?.describe, 'v1.0.0-dirty');
    assert.equal(dirty?.dirty, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('version proposals: patch, minor, major after the latest release, then git describe; none the repository has', () => {
  assert.deepEqual(versionProposals(['1.2.3', 'latest'], { describe: 'v2.0.0-4-gabc1234' }), [
    { version: '1.2.4', label: '1.2.4', detail: 'patch after 1.2.3' },
    { version: '1.3.0', label: '1.3.0', detail: 'minor after 1.2.3' },
    { version: '2.0.0', label: '2.0.0', detail: 'major after 1.2.3' },
    { version: 'v2.0.0-4-gabc1234', label: 'v2.0.0-4-gabc1234', detail: 'git describe' },
  ]);
  assert.deepEqual(
    versionProposals([], undefined).map((p) => [p.version, p.detail]),
    [
      ['0.1.0', 'patch first release'],
      ['1.0.0', 'major first release'],
    ],
  );
  // git describe naming a tag the repository already has is not proposed
  assert.deepEqual(
    versionProposals(['v1.0.0'], { describe: 'v1.0.0' }).map((p) => p.version),
    ['v1.0.1', 'v1.1.0', 'v2.0.0'],
  );
});

test('a model folder: its largest weight file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-release-model-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'config.json'), 'x'.repeat(5000));
    fs.writeFileSync(path.join(dir, 'small.pt'), 'x'.repeat(10));
    fs.writeFileSync(path.join(dir, 'sub', 'big.safetensors'), 'x'.repeat(1000));
    const isWeight = (f: string) => /\.(pt|safetensors)$/.test(f);
    assert.equal(largestWeightFile(dir, isWeight), path.join(dir, 'sub', 'big.safetensors'));
    assert.equal(largestWeightFile(dir, isWeight, 0), path.join(dir, 'small.pt'));
    assert.equal(
      largestWeightFile(path.join(dir, 'sub'), () => false),
      undefined,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
