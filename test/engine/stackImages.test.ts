import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { cleanup, connect, labels, PROMETHEUS, PYTHON, REDIS, run, RUN_ID, TEST_LABEL } from './harness';
import { buildSample, publishedPort, startSample } from './sampleServer';

const SAMPLE_TAG = `berth-test/iris-stack:${RUN_ID}`;
const NETWORK = `berth-test-stack-${RUN_ID}`;

/** A Redis client in a Python container on the network: each command's reply, as JSON. */
const REDIS_CLIENT = String.raw`
import json, socket, sys, time
host, commands = sys.argv[1], json.loads(sys.argv[2])
for attempt in range(100):
    try:
        conn = socket.create_connection((host, 6379), timeout=5)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("no connection to " + host)
stream = conn.makefile("rb")
def reply():
    line = stream.readline().decode().rstrip("\r\n")
    if not line:
        return "ERR connection closed"
    kind, rest = line[0], line[1:]
    if kind in "+-":
        return ("ERR " if kind == "-" else "") + rest
    if kind == ":":
        return int(rest)
    if kind == "$":
        return None if rest == "-1" else stream.read(int(rest) + 2)[:-2].decode()
    if kind == "*":
        return [reply() for _ in range(int(rest))]
    return "unexpected " + line
replies = []
for command in commands:
    parts = [c.encode() for c in command]
    try:
        conn.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
        replies.append(reply())
    except OSError as err:
        replies.append("ERR " + str(err))
        break
print(json.dumps(replies))
`;

async function redisCommands(host: string, commands: string[][]): Promise<unknown[]> {
  const { execa } = await import('execa');
  const r = await execa('docker', [
    'run',
    '--rm',
    '--network',
    NETWORK,
    '--label',
    `${TEST_LABEL}=${RUN_ID}`,
    PYTHON,
    'python3',
    '-c',
    REDIS_CLIENT,
    host,
    JSON.stringify(commands),
  ]);
  return JSON.parse(r.stdout) as unknown[];
}

async function poll<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      last = undefined;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`${what} within ${timeoutMs / 1000} s${last instanceof Error ? `: ${last.message}` : ''}`);
}

interface Target {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: string;
  lastError: string;
}
interface Vector {
  metric: Record<string, string>;
  value: [number, string];
}

describe('the AI stack images: Redis and Prometheus built from Debian packages', { timeout: 240_000 }, () => {
  let engine: Engine;
  let scratch: string;
  before(async () => {
    engine = await connect();
    await engine.createNetwork({ name: NETWORK, labels: labels() });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stack-'));
  });
  after(async () => {
    await cleanup(engine);
    await engine.removeImage(SAMPLE_TAG).catch(() => undefined);
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('Redis answers other containers on the network, with the memory limit and policy given at run', async () => {
    const name = `berth-test-redis-${RUN_ID}`;
    // As the stack's compose file runs it: `redis-server` and the cache's options.
    await run(engine, {
      Image: REDIS,
      name,
      Cmd: ['redis-server', '--maxmemory', '32mb', '--maxmemory-policy', 'allkeys-lru'],
      StopSignal: undefined,
      HostConfig: { NetworkMode: NETWORK },
    });
    const replies = await redisCommands(name, [
      ['PING'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['SET', 'berth', 'stack'],
      ['GET', 'berth'],
    ]);
    assert.deepEqual(replies, ['PONG', ['maxmemory', String(32 * 1024 * 1024)], ['maxmemory-policy', 'allkeys-lru'], 'OK', 'stack']);

    // Only the options, as for the official image: redis-server is put in front.
    const bare = `berth-test-redis-bare-${RUN_ID}`;
    await run(engine, {
      Image: REDIS,
      name: bare,
      Cmd: ['--maxmemory', '16mb'],
      StopSignal: undefined,
      HostConfig: { NetworkMode: NETWORK },
    });
    assert.deepEqual(await redisCommands(bare, [['PING'], ['CONFIG', 'GET', 'maxmemory']]), [
      'PONG',
      ['maxmemory', String(16 * 1024 * 1024)],
    ]);

    // What the image's entrypoint saves us from: Redis's own defaults refuse other hosts.
    const plain = `berth-test-redis-plain-${RUN_ID}`;
    await run(engine, {
      Image: REDIS,
      name: plain,
      Entrypoint: ['redis-server'],
      Cmd: [],
      StopSignal: undefined,
      HostConfig: { NetworkMode: NETWORK },
    });
    const [refused] = await redisCommands(plain, [['PING']]);
    assert.match(String(refused), /^ERR DENIED Redis is running in protected mode/);
  });

  test("Prometheus scrapes the sample server's /metrics on the network: target up, iris_requests_total queried", async () => {
    await buildSample(SAMPLE_TAG);
    const iris = `berth-test-iris-${RUN_ID}`;
    const { base } = await startSample(engine, SAMPLE_TAG, { name: iris, network: NETWORK });
    const predict = (body: string): Promise<Response> =>
      fetch(`${base}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal((await predict('{"features": [5.1, 3.5, 1.4, 0.2]}')).status, 200);
    assert.equal((await predict('{"features": [7.7, 3.0, 6.1, 2.3]}')).status, 200);
    assert.equal((await predict('{"features": []}')).status, 400);

    // Mounted read-only over the image's default, as the stack's compose file does; readable by the
    // image's prometheus user.
    fs.chmodSync(scratch, 0o755);
    const config = path.join(scratch, 'prometheus.yml');
    fs.writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: iris',
        '    static_configs:',
        `      - targets: ['${iris}:8000']`,
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    // The image's own command: --config.file=/etc/prometheus/prometheus.yml, data in /prometheus.
    const prometheus = await run(engine, {
      Image: PROMETHEUS,
      name: `berth-test-prometheus-${RUN_ID}`,
      Cmd: undefined,
      StopSignal: undefined,
      ExposedPorts: { '9090/tcp': {} },
      HostConfig: {
        NetworkMode: NETWORK,
        Binds: [`${config}:/etc/prometheus/prometheus.yml:ro`],
        PortBindings: { '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
    });
    const api = `http://127.0.0.1:${await publishedPort(engine, prometheus, '9090/tcp')}/api/v1`;

    const target = await poll('the iris target up', async () => {
      const body = (await (await fetch(`${api}/targets`)).json()) as { data: { activeTargets: Target[] } };
      return body.data.activeTargets.find((t) => t.labels.job === 'iris' && t.health === 'up');
    });
    assert.equal(target.scrapeUrl, `http://${iris}:8000/metrics`);
    assert.equal(target.lastError, '');

    const query = async (promql: string): Promise<Vector[]> => {
      const body = (await (await fetch(`${api}/query?query=${encodeURIComponent(promql)}`)).json()) as {
        status: string;
        data: { resultType: string; result: Vector[] };
      };
      assert.equal(body.status, 'success', promql);
      assert.equal(body.data.resultType, 'vector', promql);
      return body.data.result;
    };
    const ok = await poll('iris_requests_total in Prometheus', async () => {
      const result = await query('iris_requests_total{job="iris",path="/predict",status="200"}');
      return result.length > 0 ? result : undefined;
    });
    assert.equal(ok.length, 1);
    assert.equal(ok[0]?.metric.method, 'POST');
    assert.equal(ok[0]?.value[1], '2');
    assert.equal((await query('iris_requests_total{job="iris",path="/predict",status="400"}'))[0]?.value[1], '1');
    assert.equal((await query('iris_request_errors_total{job="iris",path="/predict"}'))[0]?.value[1], '1');
    assert.equal((await query('up{job="iris"}'))[0]?.value[1], '1');
    // The latency histogram is usable as one: a median from its buckets.
    const median = Number(
      (await query('histogram_quantile(0.5, sum by (le) (iris_request_duration_seconds_bucket{job="iris",path="/predict"}))'))[0]?.value[1],
    );
    assert.ok(Number.isFinite(median) && median > 0 && median <= 10, `median latency ${median}`);
  });
});
