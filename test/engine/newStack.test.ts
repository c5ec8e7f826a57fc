/**
 * New AI Stack against Compose v1 (Debian's docker-compose 1.29.2) and the real engine: the files
 * written for a copy of the sample pass `config` (Qdrant and Milvus, GPU or not); `up` starts the
 * inference service, Redis and Prometheus (local images built from Debian's packages), the
 * inference service becomes healthy, the limits reach the engine, Prometheus lists the inference
 * target; the vector database's image, which cannot be pulled here, fails `up` for that service
 * with Compose's own message; `down -v` removes the project's containers, volumes and network.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { newStackFiles, writeStackFiles, type StackChoices } from '../../src/core/compose/newStack';
import { stackProjectOf } from '../../src/core/compose/stackProject';
import { PROMETHEUS, REDIS, RUN_ID, TEST_LABEL } from './harness';

const SAMPLE = path.resolve(__dirname, '../../examples/iris-classifier');
const PROJECT = `berth-test-stack-${RUN_ID}`.toLowerCase().replace(/[^a-z0-9_-]/g, '');
interface Ran {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr interleaved */
  readonly all: string;
}

/** A process run to its end (execa is ESM-only: loaded on first use, as the core does). */
async function execa(
  file: string,
  args: readonly string[],
  options: { cwd?: string; reject?: boolean; input?: string; env?: NodeJS.ProcessEnv; all?: boolean } = {},
): Promise<Ran> {
  const { execa: run } = await import('execa');
  const r = await run(file, args, { ...options, all: true, reject: options.reject ?? true });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), all: String(r.all) };
}

const LOCAL: StackChoices = { gpu: 'never', anyHostPort: true, images: { redis: REDIS, prometheus: PROMETHEUS } };

/** docker-compose, installed by scripts/compose.sh when missing (as `npm test` does before this tier). */
async function ensureCompose(): Promise<undefined> {
  await execa('bash', [path.join(__dirname, '..', '..', 'scripts', 'compose.sh'), 'install']);
  return undefined;
}

function writeStack(dir: string, choices: StackChoices): void {
  const result = writeStackFiles(dir, newStackFiles(stackProjectOf(dir), choices), true);
  assert.ok('written' in result);
}

/** Every service, volume and network of the stack labelled for this test run (an override file). */
function labelOverride(dir: string): string {
  const compose = fs.readFileSync(path.join(dir, 'compose.yaml'), 'utf8');
  const section = (name: string): string[] => {
    const m = new RegExp(`^${name}:\\n((?:  .*\\n|\\s*\\n)+)`, 'm').exec(compose);
    return [...(m?.[1] ?? '').matchAll(/^ {2}([a-z0-9-]+):/gm)].map((x) => x[1] ?? '');
  };
  const label = `      ${TEST_LABEL}: ${JSON.stringify(RUN_ID)}`;
  const text = [
    'services:',
    ...section('services').flatMap((s) => [`  ${s}:`, '    labels:', label]),
    'volumes:',
    ...section('volumes').flatMap((v) => [`  ${v}:`, '    labels:', label]),
    'networks:',
    ...section('networks').flatMap((n) => [`  ${n}:`, '    labels:', label]),
    '',
  ].join('\n');
  const file = path.join(dir, 'labels.override.yaml');
  fs.writeFileSync(file, text);
  return file;
}

describe('New AI Stack with docker-compose v1', { timeout: 600_000 }, () => {
  let skip: string | undefined;
  let dir = '';
  let files: string[] = [];
  const compose = (args: string[], reject = true) =>
    execa('docker-compose', ['-p', PROJECT, ...files.flatMap((f) => ['-f', f]), ...args], { cwd: dir, reject, all: true });

  before(async () => {
    skip = await ensureCompose();
    if (skip) return;
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stack-')), 'iris-classifier');
    fs.cpSync(SAMPLE, dir, { recursive: true });
  });

  after(async () => {
    if (!skip && dir && files.length > 0) await compose(['down', '-v', '--rmi', 'local', '-t', '1'], false);
    if (dir) fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  });

  test('compose v1 accepts the files: Qdrant and Milvus, with and without the GPU reservation', async (t) => {
    if (skip) return t.skip(skip);
    for (const vectorDb of ['qdrant', 'milvus'] as const) {
      for (const gpu of ['if-available', 'always', 'never'] as const) {
        writeStack(dir, { ...LOCAL, vectorDb, gpu });
        const r = await execa('docker-compose', ['-f', 'compose.yaml', 'config', '--services'], { cwd: dir, reject: false, all: true });
        assert.equal(r.exitCode, 0, `${vectorDb}/${gpu}: ${r.all}`);
        const expected = [
          'inference',
          'redis',
          'prometheus',
          ...(vectorDb === 'qdrant' ? ['qdrant'] : ['milvus', 'milvus-etcd', 'milvus-minio']),
        ];
        assert.deepEqual(r.stdout.split('\n').sort(), expected.sort());
      }
    }
  });

  test('up starts inference, Redis and Prometheus; limits reach the engine; the inference service is healthy', async (t) => {
    if (skip) return t.skip(skip);
    writeStack(dir, LOCAL);
    files = [path.join(dir, 'compose.yaml'), labelOverride(dir)];
    const up = await compose(['up', '-d', '--build', 'inference', 'redis', 'prometheus'], false);
    assert.equal(up.exitCode, 0, up.all);

    const idOf = async (service: string): Promise<string> => (await compose(['ps', '-q', service])).stdout.trim();
    const inspect = async (id: string) =>
      JSON.parse((await execa('docker', ['inspect', id])).stdout) as {
        State: { Status: string; Health?: { Status: string } };
        HostConfig: { Memory: number; NanoCpus: number; Init: boolean | null; PortBindings: Record<string, { HostIp: string }[]> };
        Config: { Labels: Record<string, string>; Env: string[] };
        Mounts: { Destination: string; RW: boolean; Type: string }[];
      }[];

    const inference = await idOf('inference');
    let health = '';
    for (let i = 0; i < 120 && health !== 'healthy'; i++) {
      health = (await inspect(inference))[0]?.State.Health?.Status ?? '';
      if (health !== 'healthy') await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(health, 'healthy');
    const [info] = await inspect(inference);
    assert.ok(info);
    assert.equal(info.HostConfig.Memory, 2 * 2 ** 30, 'deploy.resources.limits.memory applied by compose v1');
    assert.equal(info.HostConfig.NanoCpus, 2e9);
    assert.equal(info.HostConfig.Init, true);
    assert.equal(info.Config.Labels[TEST_LABEL], RUN_ID);
    assert.ok(info.Config.Env.includes('MODEL_PATH=/app/model/iris.npz'));
    const model = info.Mounts.find((m) => m.Destination === '/app/model');
    assert.equal(model?.RW, false, 'the model is mounted read-only');
    for (const bindings of Object.values(info.HostConfig.PortBindings)) for (const b of bindings) assert.equal(b.HostIp, '127.0.0.1');

    const [redis] = await inspect(await idOf('redis'));
    assert.equal(redis?.HostConfig.Memory, 384 * 2 ** 20);
    assert.equal(redis?.State.Status, 'running');
    const ping = await execa('docker', ['exec', await idOf('redis'), 'redis-cli', 'config', 'get', 'maxmemory-policy']);
    assert.match(ping.stdout, /allkeys-lru/);

    // Prometheus lists the inference service's target by service name on the stack's network
    const prometheus = await idOf('prometheus');
    assert.equal((await inspect(prometheus))[0]?.State.Status, 'running');
    const port = (await compose(['port', 'prometheus', '9090'])).stdout.trim();
    assert.match(port, /^127\.0\.0\.1:\d+$/);
    let targets: { labels: { job: string }; scrapeUrl: string; health: string }[] = [];
    for (let i = 0; i < 60; i++) {
      try {
        const res = await fetch(`http://${port}/api/v1/targets`);
        targets = ((await res.json()) as { data: { activeTargets: typeof targets } }).data.activeTargets;
      } catch {
        targets = [];
      }
      const target = targets.find((x) => x.labels.job === 'inference');
      const servesMetrics = fs.readFileSync(path.join(dir, 'serve.py'), 'utf8').includes('/metrics');
      if (target && (target.health === 'up' || (!servesMetrics && target.health !== 'unknown'))) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const target = targets.find((x) => x.labels.job === 'inference');
    assert.equal(target?.scrapeUrl, 'http://inference:8000/metrics');
    if (fs.readFileSync(path.join(dir, 'serve.py'), 'utf8').includes('/metrics')) assert.equal(target.health, 'up');
    else t.diagnostic(`the sample serves no /metrics yet: target health ${target.health}`);
  });

  test("the vector database's image cannot be pulled here: up fails for that service, and says so", async (t) => {
    if (skip) return t.skip(skip);
    assert.ok(files.length > 0, 'the stack is up');
    const r = await compose(['up', '-d', '--no-deps', 'qdrant'], false);
    assert.notEqual(r.exitCode, 0);
    t.diagnostic(`docker-compose says: ${r.all.trim().split('\n').slice(-3).join(' | ')}`);
    assert.match(r.all, /qdrant/);
    assert.match(r.all, /pull access denied|could not resolve|no such host|Temporary failure in name resolution|dial tcp|Get "?https?:/i);
    // the other services are untouched
    assert.equal((await compose(['ps', '-q', 'qdrant'])).stdout.trim(), '');
    assert.notEqual((await compose(['ps', '-q', 'inference'])).stdout.trim(), '');
  });

  test('down -v removes the containers, volumes, network and built image of this project only', async (t) => {
    if (skip) return t.skip(skip);
    assert.ok(files.length > 0, 'the stack is up');
    // --rmi local: the inference image this project built goes too
    await compose(['down', '-v', '--rmi', 'local', '-t', '1']);
    const byProject = `label=com.docker.compose.project=${PROJECT}`;
    assert.equal((await execa('docker', ['images', '-q', `${PROJECT}_inference`])).stdout.trim(), '');
    assert.equal((await execa('docker', ['ps', '-aq', '--filter', byProject])).stdout.trim(), '');
    assert.equal((await execa('docker', ['volume', 'ls', '-q', '--filter', byProject])).stdout.trim(), '');
    assert.equal((await execa('docker', ['network', 'ls', '-q', '--filter', byProject])).stdout.trim(), '');
    files = [];
  });
});
