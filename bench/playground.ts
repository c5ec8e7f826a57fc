/**
 * How much does the playground's request path add to a model's latency? Builds
 * examples/iris-classifier (buildImage), runs it with port 8000 published on 127.0.0.1, waits until
 * it is healthy, then sends POST /predict with requests/predict.json:
 *
 *   curl         `curl -s -o /dev/null -w '%{time_total}'`, one process per request: the wall time
 *                (spawn included) and curl's own time_total (spawn excluded);
 *   sendRequest  Berth's playground request, one at a time;
 *
 * interleaved in rounds (alternating which goes first), then Berth's runBatch at concurrency 1 and
 * 4 for throughput. The container and image are labelled berth.bench=<pid> and removed at the end.
 *
 *   npm run bench:playground -- [--requests 200] [--keep]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { execa as Execa } from 'execa';
import { buildImage } from '../src/core/engine/build';
import { runBatch, sendRequest, type BatchSummary, type RequestSpec } from '../src/ui/playground/requests';
import { scanContext } from '../src/core/project/buildContext';
import { connect, fmt, LABEL, median, percentile, removeLabelledWithImages, RUN_ID, waitHealthy } from './common';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    base: { type: 'string', default: 'berth-python-numpy:latest' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(values.requests);
const SAMPLE = path.resolve(__dirname, '../examples/iris-classifier');
const BODY_FILE = path.join(SAMPLE, 'requests/predict.json');
const TAG = `berth-bench-playground:${RUN_ID}`;
const CURL = fs.existsSync('/usr/bin/curl') ? '/usr/bin/curl' : 'curl';

function row(name: string, xs: readonly number[], extra = ''): string {
  return `| ${name} | ${xs.length} | ${fmt(percentile(xs, 50), 2)} | ${fmt(percentile(xs, 95), 2)} | ${fmt(percentile(xs, 99), 2)} | ${fmt(Math.max(...xs), 2)} | ${extra} |`;
}

async function main(): Promise<void> {
  const { execa }: { execa: typeof Execa } = await import('execa');
  const { engine, endpoint } = await connect();
  const labels = { [LABEL]: RUN_ID };
  process.stdout.write(`Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\n`);

  try {
    process.stdout.write(`building ${TAG}… `);
    let t0 = performance.now();
    await buildImage(engine, {
      scan: scanContext(SAMPLE),
      dockerfile: 'Dockerfile',
      tag: TAG,
      buildArgs: { BASE: values.base },
      labels,
      noCache: true,
    });
    process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    const id = await engine.createContainer({
      Image: TAG,
      Labels: labels,
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await engine.startContainer(id);
    t0 = performance.now();
    await waitHealthy(engine, id, 60_000);
    const port = (await engine.inspectContainerJson(id)).NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
    if (!port) throw new Error('port 8000 was not published');
    const url = `http://127.0.0.1:${port}/predict`;
    process.stdout.write(`healthy after ${((performance.now() - t0) / 1000).toFixed(1)} s; ${url}\n`);

    const spec: RequestSpec = { url, method: 'POST', body: fs.readFileSync(BODY_FILE, 'utf8') };
    const curlArgs = ['-s', '-o', '/dev/null', '-w', '%{time_total}', '-X', 'POST', '-H', 'content-type: application/json'];
    const curl = async (): Promise<{ wall: number; total: number }> => {
      const start = performance.now();
      const { stdout } = await execa(CURL, [...curlArgs, '--fail', '--data-binary', `@${BODY_FILE}`, url], { stdin: 'ignore' });
      return { wall: performance.now() - start, total: Number(stdout) * 1000 };
    };
    const berth = async (): Promise<number> => {
      const r = await sendRequest(spec);
      if (!r.ok) throw new Error(`POST /predict failed: ${r.status} ${r.error ?? r.body}`);
      return r.latencyMs;
    };

    const check = await sendRequest(spec);
    process.stdout.write(`answer: ${check.status} ${check.body.slice(0, 80)}…\nwarming up… `);
    for (let i = 0; i < 20; i++) {
      await curl();
      await berth();
    }

    const curlWall: number[] = [];
    const curlTotal: number[] = [];
    const berthMs: number[] = [];
    const diffs: number[] = [];
    process.stdout.write(`${N} rounds of curl + sendRequest… `);
    for (let i = 0; i < N; i++) {
      // alternate which goes first so neither always follows the other
      let c: { wall: number; total: number };
      let b: number;
      if (i % 2 === 0) {
        c = await curl();
        b = await berth();
      } else {
        b = await berth();
        c = await curl();
      }
      curlWall.push(c.wall);
      curlTotal.push(c.total);
      berthMs.push(b);
      diffs.push(b - c.total);
    }
    process.stdout.write('done\n');

    const batches: [string, BatchSummary][] = [];
    for (const concurrency of [1, 4]) {
      await runBatch(spec, 20, { concurrency }); // warm-up
      batches.push([`runBatch, concurrency ${concurrency}`, await runBatch(spec, N, { concurrency })]);
    }

    console.log(`\nPOST /predict (requests/predict.json) to the iris classifier, ${N} interleaved rounds, latency ms\n`);
    console.log('| client | n | p50 | p95 | p99 | max | note |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    console.log(row('curl, wall (spawn included)', curlWall, 'one process per request'));
    console.log(row('curl, time_total', curlTotal, "curl's own timing, spawn excluded"));
    console.log(row('Berth sendRequest', berthMs, 'fetch from Node, sequential'));
    console.log(
      `\nBerth's request path vs curl time_total: median of paired differences ${fmt(median(diffs), 2)} ms ` +
        `(p95 ${fmt(percentile(diffs, 95), 2)} ms); difference of medians ${fmt(median(berthMs) - median(curlTotal), 2)} ms; ` +
        `curl spawn overhead (wall − time_total) median ${fmt(median(curlWall.map((w, i) => w - curlTotal[i]!)), 2)} ms\n`,
    );
    console.log('| batch | n | errors | p50 ms | p95 ms | p99 ms | max ms | throughput req/s | wall s |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, s] of batches) {
      console.log(
        `| ${name} | ${s.count} | ${s.errors} | ${fmt(s.p50, 2)} | ${fmt(s.p95, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.max, 2)} | ` +
          `${fmt(s.throughputPerS, 0)} | ${fmt(s.wallMs / 1000, 2)} |`,
      );
    }
  } finally {
    if (!values.keep) {
      await removeLabelledWithImages(engine);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
