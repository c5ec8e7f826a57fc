/**
 * New AI Stack's files, parsed back with yaml: the services for each vector database, the GPU
 * reservation per choice, loopback-only ports, limits on every service, nothing only Compose v2
 * reads, comments kept; the project read from the sample (port, model, health path, build
 * arguments); existing files never overwritten unless asked.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import * as yaml from 'yaml';
import {
  DEFAULT_STACK_IMAGES,
  newStackFiles,
  writeStackFiles,
  type StackChoices,
  type StackProject,
} from '../../../../src/core/compose/newStack';
import { dockerfileEnv, healthPathOf, modelMount, stackProjectOf } from '../../../../src/core/compose/stackProject';

const SAMPLE = path.resolve(__dirname, '../../../../examples/iris-classifier');

const PROJECT: StackProject = {
  dir: '/work/p',
  dockerfile: 'docker/Dockerfile',
  buildArgs: { BASE: 'python:3.12-slim' },
  port: 8080,
  model: { hostPath: 'model', mountAt: '/app/model', modelPath: '/app/model/m.onnx' },
  healthPath: '/healthz',
  python: true,
};

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  command?: string[];
  entrypoint?: string[];
  healthcheck?: { test: string[] };
  init?: boolean;
  networks?: string[];
  depends_on?: string[];
  deploy?: {
    resources?: {
      limits?: { memory?: string; cpus?: string };
      reservations?: { devices?: { driver: string; count: string; capabilities: string[] }[] };
    };
  };
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: Record<string, unknown>;
  [key: string]: unknown;
}

const parse = (choices: StackChoices = {}, project: StackProject = PROJECT) => {
  const files = newStackFiles(project, choices);
  return {
    files,
    compose: yaml.parse(files['compose.yaml']) as Compose,
    prometheus: yaml.parse(files['prometheus.yml']) as {
      scrape_configs: { job_name: string; metrics_path?: string; scrape_interval?: string; static_configs: { targets: string[] }[] }[];
    },
  };
};

describe('newStackFiles', () => {
  test('Qdrant by default: inference, qdrant, redis, prometheus on one network, with named volumes', () => {
    const { compose } = parse();
    assert.deepEqual(Object.keys(compose.services).sort(), ['inference', 'prometheus', 'qdrant', 'redis']);
    assert.deepEqual(Object.keys(compose.networks), ['stack']);
    for (const s of Object.values(compose.services)) assert.deepEqual(s.networks, ['stack']);
    assert.deepEqual(Object.keys(compose.volumes).sort(), ['prometheus-data', 'qdrant-data', 'redis-data', 'weights']);
    const qdrant = compose.services.qdrant;
    assert.equal(qdrant?.image, DEFAULT_STACK_IMAGES.qdrant);
    assert.deepEqual(qdrant?.ports, ['127.0.0.1:6333:6333', '127.0.0.1:6334:6334']);
    assert.deepEqual(qdrant?.volumes, ['qdrant-data:/qdrant/storage']);
    assert.equal(compose.services.inference?.environment?.QDRANT_URL, 'http://qdrant:6333');
  });

  test('Milvus standalone: milvus with its etcd and MinIO, their volumes, no Qdrant', () => {
    const { compose } = parse({ vectorDb: 'milvus' });
    assert.deepEqual(Object.keys(compose.services).sort(), ['inference', 'milvus', 'milvus-etcd', 'milvus-minio', 'prometheus', 'redis']);
    const milvus = compose.services.milvus;
    assert.deepEqual(milvus?.command, ['milvus', 'run', 'standalone']);
    assert.deepEqual(milvus?.depends_on, ['milvus-etcd', 'milvus-minio']);
    assert.equal(milvus?.environment?.ETCD_ENDPOINTS, 'milvus-etcd:2379');
    assert.equal(milvus?.environment?.MINIO_ADDRESS, 'milvus-minio:9000');
    assert.deepEqual(milvus?.ports, ['127.0.0.1:19530:19530', '127.0.0.1:9091:9091']);
    assert.equal(compose.services['milvus-minio']?.ports, undefined, 'MinIO stays on the stack network');
    assert.deepEqual(Object.keys(compose.volumes).sort(), [
      'etcd-data',
      'milvus-data',
      'minio-data',
      'prometheus-data',
      'redis-data',
      'weights',
    ]);
    assert.equal(compose.services.inference?.environment?.MILVUS_URI, 'http://milvus:19530');
  });

  test('the inference service: built from the Dockerfile, model read-only at MODEL_PATH, health check, init', () => {
    const inference = parse().compose.services.inference;
    assert.deepEqual(inference?.build, { context: '.', dockerfile: 'docker/Dockerfile', args: { BASE: 'python:3.12-slim' } });
    assert.equal(inference?.image, undefined);
    assert.deepEqual(inference?.ports, ['127.0.0.1:8080:8080']);
    assert.ok(inference?.volumes?.includes('./model:/app/model:ro'));
    assert.equal(inference?.environment?.MODEL_PATH, '/app/model/m.onnx');
    assert.equal(inference?.environment?.PORT, '8080');
    assert.equal(inference?.healthcheck?.test[0], 'CMD');
    assert.match(inference?.healthcheck?.test.join(' ') ?? '', /http:\/\/127\.0\.0\.1:8080\/healthz/);
    assert.equal(inference?.init, true);
  });

  test('no model, no health path, not Python: no mount, the image health check, no init', () => {
    const { model: _m, healthPath: _h, ...rest } = PROJECT;
    const inference = parse({}, { ...rest, python: false }).compose.services.inference;
    assert.ok(!inference?.volumes?.some((v) => v.endsWith(':ro')));
    assert.equal(inference?.environment?.MODEL_PATH, undefined);
    assert.equal(inference?.healthcheck, undefined);
    assert.equal(inference?.init, undefined);
  });

  test('GPU: the reservation for "if available" (with the override explained) and "always", none for "never"', () => {
    const device = [{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }];
    for (const gpu of ['if-available', 'always'] as const) {
      const { compose } = parse({ gpu });
      assert.deepEqual(compose.services.inference?.deploy?.resources?.reservations?.devices, device, gpu);
      for (const [name, s] of Object.entries(compose.services)) {
        if (name !== 'inference') assert.equal(s.deploy?.resources?.reservations, undefined, name);
      }
    }
    assert.match(parse({ gpu: 'if-available' }).files['compose.yaml'], /# GPU if available: .*override/);
    assert.equal(
      parse({}).compose.services.inference?.deploy?.resources?.reservations?.devices?.[0]?.driver,
      'nvidia',
      'default: if available',
    );
    assert.equal(parse({ gpu: 'never' }).compose.services.inference?.deploy?.resources?.reservations, undefined);
  });

  test('every published port is on 127.0.0.1, fixed or any free port', () => {
    for (const vectorDb of ['qdrant', 'milvus'] as const) {
      for (const anyHostPort of [false, true]) {
        const { compose } = parse({ vectorDb, anyHostPort });
        const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
        assert.ok(ports.length >= 4);
        for (const p of ports) assert.match(p, anyHostPort ? /^127\.0\.0\.1::\d+$/ : /^127\.0\.0\.1:(\d+):\1$/, p);
      }
    }
  });

  test('limits on every service; Redis capped with LRU eviction', () => {
    for (const vectorDb of ['qdrant', 'milvus'] as const) {
      for (const [name, s] of Object.entries(parse({ vectorDb }).compose.services)) {
        assert.match(s.deploy?.resources?.limits?.memory ?? '', /^\d+[mg]$/, name);
        assert.match(s.deploy?.resources?.limits?.cpus ?? '', /^\d+(\.\d+)?$/, name);
      }
    }
    const redis = parse().compose.services.redis;
    const cmd = redis?.command ?? [];
    assert.equal(cmd[cmd.indexOf('--maxmemory') + 1], '256mb');
    assert.equal(cmd[cmd.indexOf('--maxmemory-policy') + 1], 'allkeys-lru');
  });

  test('nothing only Compose v2 reads: no version, no top-level name, short depends_on, no env_file', () => {
    for (const vectorDb of ['qdrant', 'milvus'] as const) {
      const { compose, files } = parse({ vectorDb });
      assert.deepEqual(Object.keys(compose).sort(), ['networks', 'services', 'volumes']);
      for (const s of Object.values(compose.services)) {
        assert.ok(s.depends_on === undefined || Array.isArray(s.depends_on));
        assert.equal((s as Record<string, unknown>).env_file, undefined);
      }
      assert.doesNotMatch(files['compose.yaml'], /^name:|^version:|required:|\bpath:/m);
    }
  });

  test('image names can be overridden (the tests use local images)', () => {
    const { compose } = parse({ images: { redis: 'berth-redis:latest', prometheus: 'berth-prometheus:latest' } });
    assert.equal(compose.services.redis?.image, 'berth-redis:latest');
    assert.equal(compose.services.prometheus?.image, 'berth-prometheus:latest');
    assert.equal(compose.services.qdrant?.image, 'qdrant/qdrant');
    const defaults = parse().compose.services;
    assert.equal(defaults.redis?.image, 'redis:7');
    assert.equal(defaults.prometheus?.image, 'prom/prometheus');
  });

  test("Prometheus scrapes the inference service's /metrics every 5 s by service name; its config mounted read-only", () => {
    const { compose, prometheus } = parse();
    const job = prometheus.scrape_configs.find((j) => j.job_name === 'inference');
    assert.equal(job?.metrics_path, '/metrics');
    assert.equal(job?.scrape_interval, '5s');
    assert.deepEqual(job?.static_configs[0]?.targets, ['inference:8080']);
    assert.ok(compose.services.prometheus?.volumes?.includes('./prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
  });

  test('comments explain the parts', () => {
    const { files } = parse({ vectorDb: 'milvus' });
    const comments = files['compose.yaml'].split('\n').filter((l) => /^\s*#/.test(l));
    assert.ok(comments.length >= 15, `${comments.length} comment lines`);
    for (const words of [/read-only/, /loopback/, /SIGTERM/, /Milvus/, /Named volumes/, /One network/]) {
      assert.ok(
        comments.some((c) => words.test(c)),
        String(words),
      );
    }
    assert.match(files['prometheus.yml'], /^# /);
  });
});

describe('stackProjectOf', () => {
  test('the sample: its port, build argument, model where MODEL_PATH points, health path, Python', () => {
    const p = stackProjectOf(SAMPLE);
    assert.equal(p.port, 8000);
    assert.deepEqual(p.buildArgs, { BASE: 'berth-python-numpy:latest' });
    assert.deepEqual(p.model, { hostPath: 'model', mountAt: '/app/model', modelPath: '/app/model/iris.npz' });
    assert.equal(p.healthPath, '/health');
    assert.equal(p.python, true);
    assert.equal(p.dockerfile, 'Dockerfile');
  });

  test('Dockerfile ENV in both forms, HEALTHCHECK paths', () => {
    assert.equal(dockerfileEnv('ENV A=1 \\\n    MODEL_PATH=/m/x.pt\n', 'MODEL_PATH'), '/m/x.pt');
    assert.equal(dockerfileEnv('ENV MODEL_PATH /m/y.pt\n', 'MODEL_PATH'), '/m/y.pt');
    assert.equal(dockerfileEnv('ENV OTHER=1\n', 'MODEL_PATH'), undefined);
    assert.equal(healthPathOf('HEALTHCHECK CMD curl -f http://localhost:8000/ready || exit 1\n'), '/ready');
    assert.equal(healthPathOf('HEALTHCHECK NONE\n'), undefined);
  });

  test('the model: a folder over the image folder that holds MODEL_PATH, else /models', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stackproj-'));
    try {
      fs.mkdirSync(path.join(dir, 'weights'));
      fs.writeFileSync(path.join(dir, 'weights', 'm.onnx'), 'x');
      fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\nEXPOSE 9000\n');
      assert.deepEqual(modelMount(dir, 'weights', '/opt/w/m.onnx'), { hostPath: 'weights', mountAt: '/opt/w', modelPath: '/opt/w/m.onnx' });
      assert.deepEqual(modelMount(dir, 'weights', undefined), { hostPath: 'weights', mountAt: '/models', modelPath: '/models/m.onnx' });
      const p = stackProjectOf(dir);
      assert.equal(p.port, 9000);
      assert.equal(p.python, false);
      assert.equal(p.healthPath, undefined);
      assert.deepEqual(p.model, { hostPath: 'weights', mountAt: '/models', modelPath: '/models/m.onnx' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('writeStackFiles', () => {
  test('writes both files; refuses to overwrite (returns what exists) unless asked', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stackwrite-'));
    try {
      const files = newStackFiles(PROJECT);
      const first = writeStackFiles(dir, files);
      assert.deepEqual(first, { written: [path.join(dir, 'compose.yaml'), path.join(dir, 'prometheus.yml')] });
      fs.writeFileSync(path.join(dir, 'compose.yaml'), '# mine\n');
      fs.rmSync(path.join(dir, 'prometheus.yml'));
      assert.deepEqual(writeStackFiles(dir, files), { existing: [path.join(dir, 'compose.yaml')] });
      assert.equal(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), '# mine\n');
      assert.ok(!fs.existsSync(path.join(dir, 'prometheus.yml')), 'nothing written when one file exists');
      assert.ok('written' in writeStackFiles(dir, files, true));
      assert.equal(fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8'), files['compose.yaml']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
