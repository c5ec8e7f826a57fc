import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SHM_BYTES, lineOf, parseBerthConfig, parseGpus, parsePort, parseVolume } from '../../../../src/core/project/runProfile';
import { parseDuration, parseSize } from '../../../../src/core/project/units';

const GOOD = `# the sample project's profile
version: 1
profiles:
  serve:
    build:
      dockerfile: Dockerfile
      context: .
      args:
        BASE: berth-python-numpy:latest
    ports: ["8000", "0.0.0.0:9090:9090/udp"]
    volumes:
      - ./data:/data:ro
    model: { path: model, mountAt: /models }
    gpus: all
    gpuFallback: cpu
    memory: 2g
    cpus: 1.5
    restart: on-failure:3
    healthcheck: { http: /health, port: 8000, interval: 1s }
    env:
      LOG_LEVEL: info
      WORKERS: 2
  batch:
    image: iris-classifier:dev
    command: [python3, predict.py]
    gpus: [0, 2]
`;

describe('berth.yaml', () => {
  test('a full profile parses to typed values with safe defaults', () => {
    const { profiles, problems } = parseBerthConfig(GOOD);
    assert.deepEqual(problems, []);
    const [serve, batch] = profiles;
    assert.equal(serve?.name, 'serve');
    assert.deepEqual(serve?.build, { dockerfile: 'Dockerfile', context: '.', args: { BASE: 'berth-python-numpy:latest' } });
    assert.deepEqual(serve?.ports, [
      { containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1' },
      { containerPort: 9090, protocol: 'udp', hostPort: 9090, hostIp: '0.0.0.0' },
    ]);
    assert.deepEqual(serve?.volumes, [{ source: './data', target: '/data', readOnly: true }]);
    assert.deepEqual(serve?.model, { path: 'model', mountAt: '/models', env: 'MODEL_PATH' });
    assert.deepEqual(serve?.gpus, { kind: 'all' });
    assert.equal(serve?.gpuFallback, 'cpu');
    assert.equal(serve?.memoryBytes, 2 * 2 ** 30);
    assert.equal(serve?.nanoCpus, 1.5e9);
    assert.equal(serve?.shmSizeBytes, DEFAULT_SHM_BYTES);
    assert.deepEqual(serve?.restart, { name: 'on-failure', maxRetries: 3 });
    assert.deepEqual(serve?.healthcheck, {
      kind: 'http',
      path: '/health',
      port: 8000,
      intervalMs: 1000,
      timeoutMs: 2000,
      retries: 3,
      startPeriodMs: 5000,
    });
    assert.deepEqual(serve?.env, { LOG_LEVEL: 'info', WORKERS: '2' });
    assert.deepEqual(batch?.command, ['python3', 'predict.py']);
    assert.deepEqual(batch?.gpus, { kind: 'devices', ids: ['0', '2'] });
    assert.equal(batch?.gpuFallback, 'fail');
  });

  test('every problem is reported at its line', () => {
    const text = `version: 1
profiles:
  serve:
    image: iris:dev
    ports:
      - "8000"
      - "99999"
    memory: lots
    gpus: some
    command: python3 serve.py
    colour: blue
  empty:
    env: {}
`;
    const { problems } = parseBerthConfig(text);
    assert.deepEqual(
      problems.map((p) => [p.line, p.path, p.message]),
      [
        [7, 'profiles.serve.ports.1', '99999 is not a port number (1-65535)'],
        [8, 'profiles.serve.memory', 'memory must be a size such as 512m or 2g'],
        [9, 'profiles.serve.gpus', 'gpus must be none, all, a count or a list of device ids'],
        [10, 'profiles.serve.command', 'command must be a list (["python3", "serve.py"]): Berth never runs a shell string'],
        [11, 'profiles.serve.colour', problems.find((p) => p.path.endsWith('colour'))?.message ?? ''],
        [12, 'profiles.empty', 'profile empty needs an image or a build'],
      ],
    );
    assert.match(problems.find((p) => p.path.endsWith('colour'))?.message ?? '', /^unknown setting "colour"/);
  });

  test('YAML syntax errors carry the parser position', () => {
    const { problems, profiles } = parseBerthConfig('profiles:\n  serve:\n    image: [unclosed\n');
    assert.equal(profiles.length, 0);
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /^YAML syntax: /);
    assert.ok((problems[0]?.line ?? 0) >= 3);
  });

  test('an empty file is no profiles and no problems; a list is a problem', () => {
    assert.deepEqual(parseBerthConfig(''), { profiles: [], problems: [] });
    assert.equal(parseBerthConfig('- a\n').problems[0]?.message, 'berth.yaml must be a mapping with "profiles"');
  });

  test('lineOf walks keys and list items by indentation', () => {
    assert.deepEqual(lineOf(GOOD, ['profiles', 'serve', 'volumes', 0]), { line: 12, column: 7 });
    assert.deepEqual(lineOf(GOOD, ['profiles', 'batch', 'gpus']), { line: 26, column: 5 });
    // a key in flow style is placed at its nearest ancestor
    assert.deepEqual(lineOf(GOOD, ['profiles', 'serve', 'model', 'mountAt']), { line: 13, column: 5 });
  });
});

describe('ports, volumes, GPUs, sizes, durations', () => {
  test('ports bind to loopback unless a host IP is given', () => {
    assert.deepEqual(parsePort('8000'), { containerPort: 8000, protocol: 'tcp', hostIp: '127.0.0.1' });
    assert.deepEqual(parsePort('8080:8000'), { containerPort: 8000, protocol: 'tcp', hostPort: 8080, hostIp: '127.0.0.1' });
    assert.deepEqual(parsePort('[::1]:8080:8000'), { containerPort: 8000, protocol: 'tcp', hostPort: 8080, hostIp: '::1' });
    assert.deepEqual(parsePort('127.0.0.1::8000'), { containerPort: 8000, protocol: 'tcp', hostPort: 0, hostIp: '127.0.0.1' });
    assert.deepEqual(parsePort({ container: 8000, host: 0 }), { containerPort: 8000, protocol: 'tcp', hostPort: 0, hostIp: '127.0.0.1' });
    assert.match(parsePort('8000/sctp') as string, /unknown protocol/);
    assert.match(parsePort('abc') as string, /is not a port mapping/);
  });

  test('volumes', () => {
    assert.deepEqual(parseVolume('cache:/root/.cache'), { source: 'cache', target: '/root/.cache', readOnly: false });
    assert.match(parseVolume('./a:relative') as string, /absolute path/);
    assert.match(parseVolume('./a:/b:rx') as string, /ro or rw/);
  });

  test('GPU requests', () => {
    assert.deepEqual(parseGpus(undefined), { kind: 'none' });
    assert.deepEqual(parseGpus(2), { kind: 'count', count: 2 });
    assert.deepEqual(parseGpus('device=0,1'), { kind: 'devices', ids: ['0', '1'] });
    assert.equal(typeof parseGpus(-2), 'string');
  });

  test('sizes and durations', () => {
    assert.equal(parseSize('64m'), 64 * 2 ** 20);
    assert.equal(parseSize('1.5GiB'), 1.5 * 2 ** 30);
    assert.equal(parseSize('12 kb'), 12 * 1024);
    assert.equal(parseSize('2x'), undefined);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('3'), 3000);
    assert.equal(parseDuration('soon'), undefined);
  });
});

describe('models: several models served by one container', () => {
  const parse = (body: string): ReturnType<typeof parseBerthConfig> =>
    parseBerthConfig(`version: 1\nprofiles:\n  serve:\n    image: iris\n${body}`);

  test('paths named after their files, or named; in the order given', () => {
    const { profiles, problems } = parse(
      [
        '    models:',
        '      - model/iris.npz',
        '      - { name: v2, path: model/iris-v2.npz }',
        '      - name: big',
        '        path: /abs/w.safetensors',
        '',
      ].join('\n'),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(profiles[0]?.models, [
      { name: 'iris', path: 'model/iris.npz' },
      { name: 'v2', path: 'model/iris-v2.npz' },
      { name: 'big', path: '/abs/w.safetensors' },
    ]);
    assert.equal(profiles[0]?.model, undefined);
    assert.equal(parse('    model: model/iris.npz\n').profiles[0]?.models, undefined, 'model alone is as before');
  });

  test('every problem at its line: not a list, empty, no path, a bad or clashing name, a shared file name, model and models both', () => {
    const text = [
      'version: 1',
      'profiles:',
      '  a:',
      '    image: x',
      '    models: model/iris.npz',
      '  b:',
      '    image: x',
      '    models: []',
      '  c:',
      '    image: x',
      '    models:',
      '      - model/iris.npz',
      '      - { name: iris, path: other/iris-v2.npz }',
      '      - { name: other, path: other/iris.npz }',
      '      - { name: "no way", path: x.npz }',
      '      - { name: z }',
      '      - { path: y.npz, mountAt: /y }',
      '      - 42',
      '  d:',
      '    image: x',
      '    model: model/iris.npz',
      '    models: [model/iris-v2.npz]',
      '',
    ].join('\n');
    const { problems, profiles } = parseBerthConfig(text);
    assert.deepEqual(
      problems.map((p) => [p.line, p.message]),
      [
        [5, 'models must be a list of model files (a path, or a mapping with name and path)'],
        [8, 'models must be a list of model files (a path, or a mapping with name and path)'],
        [13, 'two models named "iris" (entries 1 and 2): give one another name'],
        [14, 'two model files named iris.npz (entries 1 and 3) would share /models/iris.npz: rename one of the files'],
        [15, `a model's name must use letters, digits, ".", "_" and "-"`],
        [16, 'a model needs a path'],
        [17, 'unknown setting "mountAt" (known: name, path)'],
        [18, 'a model is a path, or a mapping with name and path'],
        [22, 'use model (one) or models (several), not both'],
      ],
    );
    // what is valid is kept
    assert.deepEqual(profiles.find((p) => p.name === 'c')?.models, [
      { name: 'iris', path: 'model/iris.npz' },
      { name: 'y', path: 'y.npz' },
    ]);
  });
});
