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
  assert.match(r.fileProblem.message, /^YAML syntax: All mapping items must start at the same column/);

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

/** A berth.yaml as people write it: comments above, beside and inside profiles, blank lines, mixed quoting and styles. */
const RICH = `# my project's profiles
# (the form edits this file in place)
version: 1

profiles:
  # the API server
  serve:
    build: { dockerfile: Dockerfile, context: ., args: { BASE: local } }
    image: "busybox" # pinned later
    ports: ['8000']   # local only
    command:
      - python3   # the interpreter
      # the script
      - serve.py
    # memory for the model
    memory: 512m
    healthcheck: { http: /health, port: 8000, interval: 5s }
    env: { A: '1' }  # a mapping, not a list
    # trailing note in serve

  # nightly scoring: keep in sync with cron
  other:
    image:   busybox
    command: [python3, score.py]   # flow style kept
    memory: 1g
`;
const richServe = (): ProfileFields => fieldsFromProfile(parseBerthConfig(RICH).profiles[0]!);
const savedText = (r: ReturnType<typeof saveProfile>): string => {
  assert.ok('text' in r, JSON.stringify(r));
  return r.text;
};

test('saving one changed field changes only its line: every comment, blank line, quote and the other profile stay byte for byte', () => {
  const text = savedText(saveProfile(RICH, { ...richServe(), memory: '2g' }));
  assert.equal(text, RICH.replace('    memory: 512m\n', '    memory: 2g\n'));
  // a changed value keeps its quoting and the comment beside it
  const image = savedText(saveProfile(RICH, { ...richServe(), image: 'python:3.12' }));
  assert.equal(image, RICH.replace('    image: "busybox" # pinned later\n', '    image: "python:3.12" # pinned later\n'));
});

test('keys the form changes keep their place and comments; new keys come after the existing ones, in the form order', () => {
  const text = savedText(
    saveProfile(RICH, {
      ...richServe(),
      ports: '8000, 9000',
      cpus: '2',
      restart: 'on-failure:3',
      shmSize: '2g',
      command: 'python3\nserve.py\n--fast',
    }),
  );
  const serveBlock = (t: string): string => t.slice(t.indexOf('  serve:\n'), t.indexOf('  # nightly scoring'));
  assert.equal(
    serveBlock(text),
    `  serve:
    build: { dockerfile: Dockerfile, context: ., args: { BASE: local } }
    image: "busybox" # pinned later
    ports: [ '8000', '9000' ] # local only
    command:
      - python3 # the interpreter
      # the script
      - serve.py
      - --fast
    # memory for the model
    memory: 512m
    healthcheck: { http: /health, port: 8000, interval: 5s }
    env: { A: '1' }  # a mapping, not a list
    shmSize: 2g
    cpus: 2
    restart: on-failure:3
    # trailing note in serve

`,
  );
  // everything outside the profile byte for byte
  assert.equal(text.slice(0, text.indexOf('  serve:\n')), RICH.slice(0, RICH.indexOf('  serve:\n')));
  assert.equal(text.slice(text.indexOf('  # nightly scoring')), RICH.slice(RICH.indexOf('  # nightly scoring')));
  const back = parseBerthConfig(text);
  assert.deepEqual(back.problems, []);
  assert.deepEqual(back.profiles[0]?.command, ['python3', 'serve.py', '--fast']);
  assert.equal(back.profiles[0]?.nanoCpus, 2e9);
  // what the form only shows part of (the health check's port and interval, env as a mapping) is kept as written
  assert.deepEqual(back.profiles[0]?.healthcheck, parseBerthConfig(RICH).profiles[0]?.healthcheck);
});

test('a cleared field removes only its key; a renamed profile keeps its place, comments and keys', () => {
  const cleared = savedText(saveProfile(RICH, { ...richServe(), image: '' }));
  assert.equal(cleared, RICH.replace('    image: "busybox" # pinned later\n', ''));

  const renamed = savedText(saveProfile(RICH, { ...richServe(), name: 'api' }, 'serve'));
  assert.equal(renamed, RICH.replace('\n  serve:\n', '\n  api:\n'));
  // renamed and edited at once
  const both = savedText(saveProfile(RICH, { ...richServe(), name: 'api', memory: '4g' }, 'serve'));
  assert.equal(both, RICH.replace('\n  serve:\n', '\n  api:\n').replace('    memory: 512m\n', '    memory: 4g\n'));
  assert.deepEqual(
    parseBerthConfig(both).profiles.map((p) => p.name),
    ['api', 'other'],
  );
});

test('a new profile is added after the others, the file before it byte for byte', () => {
  const text = savedText(
    saveProfile(RICH, {
      ...richServe(),
      name: 'batch',
      image: 'python:3.12',
      dockerfile: '',
      ports: '',
      env: '',
      command: 'python3\nbatch.py',
    }),
  );
  assert.ok(text.startsWith(RICH), text);
  assert.equal(
    text.slice(RICH.length),
    `  batch:
    image: python:3.12
    command:
      - python3
      - batch.py
    shmSize: 1g
    memory: 512m
    restart: 'no'
    healthcheck: /health
`,
  );
  assert.deepEqual(
    parseBerthConfig(text).profiles.map((p) => p.name),
    ['serve', 'other', 'batch'],
  );
});

test('a new berth.yaml, and one with only comments: written whole, strings YAML 1.1 would misread quoted', () => {
  const fields: ProfileFields = { ...richServe(), name: 'serve', restart: 'no' };
  const fresh = savedText(saveProfile(undefined, fields));
  assert.ok(fresh.startsWith('# Berth run profiles (see the Berth README)\nversion: 1\nprofiles:\n  serve:\n'), fresh);
  assert.match(fresh, /^ {4}restart: 'no'$/m, 'read as the string "no" by YAML 1.1 readers too');
  assert.equal(parseBerthConfig(fresh).profiles[0]?.restart.name, 'no');
  const commented = savedText(saveProfile('# profiles come here\n', fields));
  assert.ok(commented.startsWith('# profiles come here\n'), commented);
  assert.deepEqual(parseBerthConfig(commented).profiles[0], parseBerthConfig(fresh).profiles[0]);
  // a file without `version` gets it first, under its comments; its profile keeps its comment
  const unversioned = '# mine\nprofiles:\n  serve:\n    image: busybox # the base\n';
  const saved = savedText(saveProfile(unversioned, { ...fieldsFromProfile(parseBerthConfig(unversioned).profiles[0]!), memory: '1g' }));
  assert.equal(saved, '# mine\nversion: 1\nprofiles:\n  serve:\n    image: busybox # the base\n    memory: 1g\n');
});

test('CRLF line ends and four-space indentation are kept', () => {
  const crlf = 'version: 1\r\nprofiles:\r\n  a:\r\n    image: x # c\r\n  b:\r\n    image: y\r\n';
  const a = fieldsFromProfile(parseBerthConfig(crlf).profiles[0]!);
  assert.equal(
    savedText(saveProfile(crlf, { ...a, memory: '1g' })),
    'version: 1\r\nprofiles:\r\n  a:\r\n    image: x # c\r\n    memory: 1g\r\n  b:\r\n    image: y\r\n',
  );
  const wide = 'version: 1\nprofiles:\n    a:\n        image: x\n        memory: 1g\n    b:\n        image: y\n';
  const w = fieldsFromProfile(parseBerthConfig(wide).profiles[0]!);
  assert.equal(
    savedText(saveProfile(wide, { ...w, memory: '2g', cpus: '1', dockerfile: 'Dockerfile' })),
    'version: 1\nprofiles:\n    a:\n        image: x\n        memory: 2g\n        build:\n            dockerfile: Dockerfile\n            context: .\n        cpus: 1\n    b:\n        image: y\n',
  );
});

test('a profile another one aliases (YAML anchors): the other profile keeps its values', () => {
  const shared = 'version: 1\nprofiles:\n  serve: &base\n    image: busybox\n    memory: 512m\n  copy: *base\n';
  const text = savedText(saveProfile(shared, { ...fieldsFromProfile(parseBerthConfig(shared).profiles[0]!), memory: '2g' }));
  const back = parseBerthConfig(text);
  assert.deepEqual(back.problems, []);
  assert.equal(back.profiles.find((p) => p.name === 'serve')?.memoryBytes, 2 * 2 ** 30);
  assert.equal(back.profiles.find((p) => p.name === 'copy')?.memoryBytes, 512 * 2 ** 20);
});

test('a comment indented under the last key stays with it when keys are added after it', () => {
  const text =
    'version: 1\nprofiles:\n  serve:\n    image: busybox\n    command:\n      - a\n      # the script comes next\n\n  # about other\n  other:\n    image: x\n';
  const fields = fieldsFromProfile(parseBerthConfig(text).profiles[0]!);
  assert.equal(
    savedText(saveProfile(text, { ...fields, memory: '1g' })),
    text.replace('      # the script comes next\n', '      # the script comes next\n    memory: 1g\n'),
  );
});
