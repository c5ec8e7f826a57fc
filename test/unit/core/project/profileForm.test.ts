import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fieldsFromProfile, saveProfile, writeCheck, writeProfileFile, type ProfileFields } from '../../../../src/core/project/profileForm';
import { parseBerthConfig } from '../../../../src/core/project/runProfile';

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
  // in its place in the file
  assert.deepEqual(
    parseBerthConfig(saved.text).profiles.map((p) => p.name),
    ['api', 'other'],
  );
});

test('a berth.yaml that does not parse is never replaced: the problem at its line in the file', () => {
  const serve = fieldsFromProfile(parseBerthConfig(EXISTING).profiles[0]!);
  const broken = `version: 1\nprofiles:\n  serve:\n    image: busybox\n   ports: ['8000']\n`;
  const r = saveProfile(broken, serve);
  assert.ok('fileProblem' in r, JSON.stringify(r));
  assert.equal(r.fileProblem.line, 5);
  assert.match(r.fileProblem.message, /^YAML syntax: bad indentation/);

  // valid YAML but not a mapping of profiles: also refused (saving would drop what is there)
  for (const text of ['- a\n- b\n', 'just text\n', 'version: 1\nprofiles: [serve, other]\n']) {
    const s = saveProfile(text, serve);
    assert.ok('fileProblem' in s, text);
    assert.match(s.fileProblem.message, /mapping/, text);
  }
  // another profile's problem: named at its line, not at a field of the form
  const other = `${EXISTING}  third:\n    image: busybox\n    memory: lots\n`;
  const t = saveProfile(other, serve);
  assert.ok('fileProblem' in t);
  assert.equal(t.fileProblem.path, 'profiles.third.memory');
  assert.equal(t.fileProblem.line, 12);
  // the form's own profile broken in the file is what the form replaces
  const own = EXISTING.replace('memory: 512m', 'memory: lots');
  const u = saveProfile(own, serve);
  assert.ok('text' in u);
  assert.equal(parseBerthConfig(u.text).profiles[0]?.memoryBytes, 512 * 2 ** 20);
  // an empty file or none: a new one
  assert.ok('text' in saveProfile(undefined, serve));
  assert.ok('text' in saveProfile('\n# nothing yet\n', serve));
});

test('the form writes only what it last read, and not over unsaved editor changes', () => {
  assert.equal(writeCheck({ opened: 'a', onDisk: 'a', unsavedInEditor: false }), 'write');
  assert.equal(writeCheck({ opened: undefined, onDisk: undefined, unsavedInEditor: false }), 'write');
  assert.equal(writeCheck({ opened: 'a', onDisk: 'b', unsavedInEditor: false }), 'changedOnDisk');
  assert.equal(writeCheck({ opened: undefined, onDisk: 'b', unsavedInEditor: false }), 'changedOnDisk');
  assert.equal(writeCheck({ opened: 'a', onDisk: undefined, unsavedInEditor: false }), 'changedOnDisk');
  assert.equal(writeCheck({ opened: 'a', onDisk: 'a', unsavedInEditor: true }), 'unsavedInEditor');
});

test('a read-only berth.yaml is refused (root included) and left as it was; a failed write keeps the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-form-'));
  try {
    const file = path.join(dir, 'berth.yaml');
    fs.writeFileSync(file, EXISTING);
    writeProfileFile(file, 'version: 1\n');
    assert.equal(fs.readFileSync(file, 'utf8'), 'version: 1\n');
    fs.chmodSync(file, 0o444);
    assert.throws(() => writeProfileFile(file, 'profiles: {}\n'), /berth\.yaml is read-only/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'version: 1\n');
    // a path that cannot be written: the error says which and why
    fs.mkdirSync(path.join(dir, 'sub', 'berth.yaml'), { recursive: true });
    assert.throws(() => writeProfileFile(path.join(dir, 'sub', 'berth.yaml'), 'x'), /could not write .*berth\.yaml: it is not a file/);
    assert.throws(() => writeProfileFile(path.join(dir, 'missing', 'berth.yaml'), 'x'), /could not write .*berth\.yaml: ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('saving keeps the rest of the file as the user wrote it: comments, layout, other profiles', () => {
  const commented = `# my project's profiles
version: 1
profiles:
  # the API server
  serve:
    image: busybox # pinned later
    ports: ['8000']
    memory: 512m

  # nightly scoring: keep in sync with cron
  other:
    image: busybox
    command: [python3, score.py]   # flow style kept
`;
  const serve = fieldsFromProfile(parseBerthConfig(commented).profiles[0]!);
  const saved = saveProfile(commented, { ...serve, memory: '2g' });
  assert.ok('text' in saved);
  assert.ok(saved.text.startsWith("# my project's profiles\nversion: 1\nprofiles:\n  # the API server\n  serve:\n"), saved.text);
  assert.ok(
    saved.text.endsWith(`
  # nightly scoring: keep in sync with cron
  other:
    image: busybox
    command: [python3, score.py]   # flow style kept
`),
    saved.text,
  );
  const back = parseBerthConfig(saved.text);
  assert.deepEqual(back.problems, []);
  assert.equal(back.profiles[0]?.memoryBytes, 2 * 2 ** 30);
  assert.deepEqual(back.profiles[1]?.command, ['python3', 'score.py']);

  // a new profile is added at the end of profiles, the rest unchanged
  const added = saveProfile(commented, { ...serve, name: 'batch' });
  assert.ok('text' in added);
  assert.ok(added.text.startsWith(commented.trimEnd()), added.text);
  assert.deepEqual(
    parseBerthConfig(added.text).profiles.map((p) => p.name),
    ['serve', 'other', 'batch'],
  );

  // a layout it does not edit line by line (flow style): the whole file, still valid
  const flow = `version: 1\nprofiles: { serve: { image: busybox, memory: 512m } }\n`;
  const whole = saveProfile(flow, { ...fieldsFromProfile(parseBerthConfig(flow).profiles[0]!), memory: '1g' });
  assert.ok('text' in whole);
  assert.equal(parseBerthConfig(whole.text).profiles[0]?.memoryBytes, 2 ** 30);
});
