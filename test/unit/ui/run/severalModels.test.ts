import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toCreateOptions } from '../../../../src/core/project/createOptions';
import { parseBerthConfig, type RunProfile } from '../../../../src/core/project/runProfile';
import { multiModelRun, perModelRuns, selectedModels } from '../../../../src/ui/run/severalModels';

const PROJECT = '/work/iris';
const exists = (): boolean => true;

function profile(body: string): RunProfile {
  const { profiles, problems } = parseBerthConfig(`profiles:\n  serve:\n${body.replace(/^/gm, '    ')}\n`);
  assert.deepEqual(problems, []);
  return profiles[0]!;
}

const SERVE = profile("image: iris:dev\nports: ['0.0.0.0:8000:8000']\nmodel: { path: model/old.npz, mountAt: /models/old.npz }");

describe('Run Model on several selected files', () => {
  const selected = selectedModels(
    PROJECT,
    [`${PROJECT}/model/iris.npz`, `${PROJECT}/model/iris-v2.npz`, `${PROJECT}/model/iris.npz`],
    exists,
  );

  test('the files as models of the project, each once, named after their files', () => {
    assert.deepEqual(selected, [
      { file: `${PROJECT}/model/iris.npz`, rel: 'model/iris.npz', name: 'iris' },
      { file: `${PROJECT}/model/iris-v2.npz`, rel: 'model/iris-v2.npz', name: 'iris-v2' },
    ]);
  });

  test('refused with one clear message: not a model, outside the project, a name or mount clash, a bad name, gone', () => {
    assert.throws(() => selectedModels(PROJECT, [`${PROJECT}/model/iris.npz`, `${PROJECT}/serve.py`, `${PROJECT}/README.md`], exists), {
      message: /^serve\.py, README\.md are not model files: select only model files/,
    });
    assert.throws(() => selectedModels(PROJECT, [`${PROJECT}/model/iris.npz`, '/elsewhere/w.npz'], exists), {
      message: /^w\.npz is not in the project of iris\.npz \(\/work\/iris\): select model files of one project\.$/,
    });
    assert.throws(() => selectedModels(PROJECT, [`${PROJECT}/a/iris.npz`, `${PROJECT}/b/iris.pt`], exists), {
      message:
        'a/iris.npz and b/iris.pt would both be served as "iris": rename one of them, or list them in berth.yaml under models: with names.',
    });
    assert.throws(() => selectedModels(PROJECT, [`${PROJECT}/a/iris.npz`, `${PROJECT}/b/iris.npz`], exists), {
      message: 'a/iris.npz and b/iris.npz have the same file name, so both would be mounted at /models/iris.npz: rename one of them.',
    });
    assert.throws(
      () => selectedModels(PROJECT, [`${PROJECT}/my model.npz`, `${PROJECT}/x.npz`], exists),
      /cannot be served under its name "my model"/,
    );
    assert.throws(() => selectedModels(PROJECT, [`${PROJECT}/x.npz`, `${PROJECT}/y.npz`], (f) => f.endsWith('x.npz')), {
      message: 'y.npz no longer exists.',
    });
  });

  test('one container per model: each alone in MODEL_PATH, named after it, on any free port of 127.0.0.1', () => {
    const runs = perModelRuns(SERVE, PROJECT, selected);
    assert.deepEqual(
      runs.map((r) => r.name),
      ['berth-serve-iris-iris', 'berth-serve-iris-iris-v2'],
    );
    const options = runs.map((r) => toCreateOptions(r.profile, { image: 'iris:dev', projectDir: PROJECT, name: r.name }).options);
    assert.deepEqual(
      options.map((o) => [o.Env, o.HostConfig?.Binds, o.HostConfig?.PortBindings]),
      [
        [
          ['MODEL_PATH=/models/iris.npz'],
          [`${PROJECT}/model/iris.npz:/models/iris.npz:ro`],
          { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        ],
        [
          ['MODEL_PATH=/models/iris-v2.npz'],
          [`${PROJECT}/model/iris-v2.npz:/models/iris-v2.npz:ro`],
          { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
        ],
      ],
    );
  });

  test('one container serving all: every file at /models/<file name>, MODELS names them, the first model first', () => {
    const run = multiModelRun(SERVE, PROJECT, selected);
    assert.equal(run.name, 'berth-serve-iris-models');
    assert.equal(run.predictPath, '/models/iris/predict');
    assert.equal(run.profile.model, undefined, "the profile's own model makes way for the selection");
    const { options } = toCreateOptions(run.profile, { image: 'iris:dev', projectDir: PROJECT });
    assert.deepEqual(options.Env, ['MODELS=iris=/models/iris.npz,iris-v2=/models/iris-v2.npz']);
    assert.deepEqual(options.HostConfig?.Binds, [
      `${PROJECT}/model/iris.npz:/models/iris.npz:ro`,
      `${PROJECT}/model/iris-v2.npz:/models/iris-v2.npz:ro`,
    ]);
  });
});
