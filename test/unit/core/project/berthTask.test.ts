/**
 * A `berth` task's definition → what to do: every answer a command would ask for comes from the
 * definition, and what is missing or wrong is refused with a message saying what to write.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { planTask, providedTasks, type TaskPlanResult } from '../../../../src/core/project/berthTask';
import { parseBerthConfig, type RunProfile } from '../../../../src/core/project/runProfile';

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** A workspace folder with these files (path → text). */
function folder(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-task-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** berth.yaml read as Berth reads it; problems fail the test. */
function readProfiles(dir: string): readonly RunProfile[] | undefined {
  const file = path.join(dir, 'berth.yaml');
  if (!fs.existsSync(file)) return undefined;
  const { profiles, problems } = parseBerthConfig(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(problems, []);
  return profiles;
}

const TWO_PROFILES = `profiles:
  serve:
    build:
      dockerfile: Dockerfile
      context: .
      target: runtime
      args:
        BASE: berth-python-numpy:latest
    ports: ['8000']
  cpu:
    image: python:3.12-slim
`;

function plan(definition: Record<string, unknown>, root: string): TaskPlanResult {
  return planTask({ type: 'berth', ...definition }, root, readProfiles);
}

function refused(result: TaskPlanResult): string {
  assert.equal(result.ok, false, JSON.stringify(result));
  return result.ok ? '' : result.message;
}

describe('planTask', () => {
  test('an action that is missing or unknown is refused, naming the four', () => {
    const root = folder({ Dockerfile: 'FROM x\n' });
    assert.match(refused(plan({}, root)), /needs "action": one of "run", "batch", "build", "compare"/);
    assert.match(refused(plan({ action: 'deploy' }, root)), /one of "run", "batch", "build", "compare"/);
    assert.match(refused(plan({ action: 'run', profile: 3 }, root)), /"profile" must be a non-empty string/);
  });

  test('run: the named profile of the project; a file that does not exist is refused', () => {
    const root = folder({ 'berth.yaml': TWO_PROFILES, Dockerfile: 'FROM x\n', 'model/iris.npz': 'w' });
    assert.deepEqual(plan({ action: 'run', profile: 'cpu' }, root), {
      ok: true,
      plan: { kind: 'run', projectDir: root, clicked: root, profile: 'cpu' },
    });
    assert.deepEqual(plan({ action: 'run', profile: 'serve', file: 'model/iris.npz' }, root), {
      ok: true,
      plan: { kind: 'run', projectDir: root, clicked: path.join(root, 'model/iris.npz'), profile: 'serve' },
    });
    assert.match(refused(plan({ action: 'run', profile: 'serve', file: 'model/nope.npz' }, root)), /file model\/nope\.npz does not exist/);
  });

  test('run: several profiles and none named, or one that is not there, is refused with the names there are', () => {
    const root = folder({ 'berth.yaml': TWO_PROFILES });
    assert.match(refused(plan({ action: 'run' }, root)), /several profiles \("serve", "cpu"\): name the one to run in "profile"/);
    assert.match(refused(plan({ action: 'run', profile: 'gpu' }, root)), /has no profile "gpu" \(it has "serve", "cpu"\)/);
  });

  test('run: the only profile needs no name; no berth.yaml but a Dockerfile: the default profile; neither: refused', () => {
    const one = folder({ 'berth.yaml': 'profiles:\n  serve:\n    image: python:3.12-slim\n' });
    assert.deepEqual(plan({ action: 'run' }, one), { ok: true, plan: { kind: 'run', projectDir: one, clicked: one, profile: 'serve' } });
    const dockerfileOnly = folder({ Dockerfile: 'FROM x\n' });
    assert.deepEqual(plan({ action: 'run' }, dockerfileOnly), {
      ok: true,
      plan: { kind: 'run', projectDir: dockerfileOnly, clicked: dockerfileOnly },
    });
    assert.match(refused(plan({ action: 'run', profile: 'serve' }, dockerfileOnly)), /names profile "serve", but .* has no berth\.yaml/);
    assert.match(refused(plan({ action: 'run' }, folder({ 'a.txt': '' }))), /No Dockerfile or berth\.yaml/);
  });

  test('a file in a nested project runs that project', () => {
    const root = folder({ 'svc/berth.yaml': 'profiles:\n  api:\n    image: python:3.12-slim\n', 'svc/job.py': 'print(1)\n' });
    assert.deepEqual(plan({ action: 'batch', file: 'svc/job.py' }, root), {
      ok: true,
      plan: { kind: 'batch', projectDir: path.join(root, 'svc'), clicked: path.join(root, 'svc/job.py'), profile: 'api' },
    });
  });

  test('batch needs a script; several profiles need a name', () => {
    const root = folder({ 'berth.yaml': TWO_PROFILES, 'train.py': 'print(1)\n' });
    assert.match(refused(plan({ action: 'batch' }, root)), /batch task needs "file"/);
    assert.match(
      refused(plan({ action: 'batch', file: 'train.py' }, root)),
      /several profiles .*: name the one to use for the batch job in "profile"/,
    );
    assert.deepEqual(plan({ action: 'batch', file: 'train.py', profile: 'cpu' }, root), {
      ok: true,
      plan: { kind: 'batch', projectDir: root, clicked: path.join(root, 'train.py'), profile: 'cpu' },
    });
  });

  test('compare needs a notebook', () => {
    const root = folder({ Dockerfile: 'FROM x\n', 'train.ipynb': '{}', 'train.py': '' });
    assert.match(refused(plan({ action: 'compare' }, root)), /compare task needs "file": the notebook/);
    assert.match(refused(plan({ action: 'compare', file: 'train.py' }, root)), /compare task needs "file": the notebook/);
    assert.deepEqual(plan({ action: 'compare', file: 'train.ipynb' }, root), {
      ok: true,
      plan: { kind: 'compare', projectDir: root, notebook: path.join(root, 'train.ipynb') },
    });
  });

  test('build: the one profile that builds gives Dockerfile, context, stage and args; the tag is given or left to Berth', () => {
    const root = folder({ 'berth.yaml': TWO_PROFILES, Dockerfile: 'FROM x\n' });
    const expected = {
      kind: 'build',
      projectDir: root,
      contextDir: root,
      dockerfile: 'Dockerfile',
      target: 'runtime',
      buildArgs: { BASE: 'berth-python-numpy:latest' },
      profile: 'serve',
    };
    assert.deepEqual(plan({ action: 'build' }, root), { ok: true, plan: expected });
    assert.deepEqual(plan({ action: 'build', profile: 'serve', tag: 'iris:1' }, root), { ok: true, plan: { ...expected, tag: 'iris:1' } });
    // the Dockerfile named: the profile that builds it still gives its args, as Build Image does
    assert.deepEqual(plan({ action: 'build', file: 'Dockerfile' }, root), { ok: true, plan: expected });
    assert.match(refused(plan({ action: 'build', profile: 'cpu' }, root)), /"cpu" names an image \(python:3\.12-slim\); it builds nothing/);
    assert.match(refused(plan({ action: 'build', tag: 'Iris Latest' }, root)), /tag "Iris Latest" is not an image tag/);
  });

  test('build: a Dockerfile alone; nothing to build is refused; several building profiles need a name', () => {
    const plain = folder({ Dockerfile: 'FROM x\n' });
    assert.deepEqual(plan({ action: 'build' }, plain), {
      ok: true,
      plan: { kind: 'build', projectDir: plain, contextDir: plain, dockerfile: 'Dockerfile', buildArgs: {} },
    });
    assert.match(refused(plan({ action: 'build' }, folder({ 'a.py': '' }))), /Nothing to build/);
    const two = folder({
      'berth.yaml': 'profiles:\n  a:\n    build: {dockerfile: Dockerfile}\n  b:\n    build: {dockerfile: Dockerfile.gpu}\n',
      Dockerfile: 'FROM x\n',
    });
    assert.match(refused(plan({ action: 'build' }, two)), /Several profiles build an image \("a", "b"\)/);
    assert.equal((plan({ action: 'build', profile: 'b' }, two) as { plan: { dockerfile: string } }).plan.dockerfile, 'Dockerfile.gpu');
  });
});

describe('providedTasks', () => {
  const profiles = (text: string): readonly RunProfile[] => parseBerthConfig(text).profiles;

  test('a run task per profile and a build task per profile that builds', () => {
    assert.deepEqual(
      providedTasks([{ dir: '', profiles: profiles(TWO_PROFILES), hasDockerfile: true }]).map((t) => [t.name, t.definition]),
      [
        ['run serve', { type: 'berth', action: 'run', profile: 'serve' }],
        ['run cpu', { type: 'berth', action: 'run', profile: 'cpu' }],
        ['build serve', { type: 'berth', action: 'build', profile: 'serve' }],
      ],
    );
  });

  test('a nested project names its folder; a Dockerfile without a building profile gets a build task of its own', () => {
    assert.deepEqual(
      providedTasks([
        { dir: '', profiles: [], hasDockerfile: true },
        { dir: 'svc', profiles: profiles('profiles:\n  api:\n    image: python:3.12-slim\n'), hasDockerfile: true },
      ]).map((t) => [t.name, t.definition]),
      [
        ['build Dockerfile', { type: 'berth', action: 'build', file: 'Dockerfile' }],
        ['run api (svc)', { type: 'berth', action: 'run', profile: 'api', file: 'svc' }],
        ['build Dockerfile (svc)', { type: 'berth', action: 'build', file: 'svc/Dockerfile' }],
      ],
    );
  });

  test('every task it provides plans without a question', () => {
    const root = folder({ 'berth.yaml': TWO_PROFILES, Dockerfile: 'FROM x\n' });
    for (const t of providedTasks([{ dir: '', profiles: readProfiles(root) ?? [], hasDockerfile: true }]))
      assert.equal(planTask(t.definition as unknown as Record<string, unknown>, root, readProfiles).ok, true, t.name);
  });
});
