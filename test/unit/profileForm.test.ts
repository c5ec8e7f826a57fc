import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldsFromProfile, saveProfile, type ProfileFields } from '../../src/project/profileForm';
import { parseBerthConfig } from '../../src/project/runProfile';

const EXISTING = `version: 1
profiles:
  serve:
    build: { dockerfile: Dockerfile, context: ., args: { BASE: local } }
    labels: { team: ml }
    ports: ['8000']
    memory: 512m
  other:
    image: busybox
`;

test('the form round-trips a profile, and saving keeps the other profiles', () => {
  const serve = parseBerthConfig(EXISTING).profiles[0]!;
  const fields = fieldsFromProfile(serve);
  assert.equal(fields.ports, '8000');
  assert.equal(fields.memory, '512m');
  assert.equal(fields.shmSize, '1g');
  const edited: ProfileFields = { ...fields, memory: '2g', gpus: '2', gpuFallback: 'cpu', env: 'A=1\nB=2', command: 'python3\nserve.py' };
  const saved = saveProfile(EXISTING, edited);
  assert.ok('text' in saved);
  const { profiles, problems } = parseBerthConfig(saved.text);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    profiles.map((p) => p.name),
    ['serve', 'other'],
  );
  const back = profiles[0]!;
  assert.equal(back.memoryBytes, 2 * 2 ** 30);
  assert.deepEqual(back.gpus, { kind: 'count', count: 2 });
  assert.equal(back.gpuFallback, 'cpu');
  assert.deepEqual(back.env, { A: '1', B: '2' });
  assert.deepEqual(back.command, ['python3', 'serve.py']);
  assert.deepEqual(back.ports, serve.ports);
  assert.deepEqual(back.build?.args, { BASE: 'local' }, 'what the form does not show is kept');
  assert.deepEqual(back.labels, { team: 'ml' });
});

test('invalid values come back as problems and nothing is written', () => {
  const serve = parseBerthConfig(EXISTING).profiles[0]!;
  const bad = saveProfile(EXISTING, { ...fieldsFromProfile(serve), memory: 'lots', ports: '99999' });
  assert.ok('problems' in bad);
  assert.deepEqual(bad.problems.map((p) => p.path).sort(), ['profiles.serve.memory', 'profiles.serve.ports.0']);
  const unnamed = saveProfile(EXISTING, { ...fieldsFromProfile(serve), name: 'a b' });
  assert.ok('problems' in unnamed);
});

test('renaming a profile replaces it', () => {
  const serve = parseBerthConfig(EXISTING).profiles[0]!;
  const saved = saveProfile(EXISTING, { ...fieldsFromProfile(serve), name: 'api' }, 'serve');
  assert.ok('text' in saved);
  assert.deepEqual(
    parseBerthConfig(saved.text).profiles.map((p) => p.name),
    ['other', 'api'],
  );
});
