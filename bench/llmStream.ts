/**
 * How much does Berth's streaming path add to an LLM server's time to first token, and does it
 * keep up with the token rate? Builds examples/llm-chat, runs it with port 8000 published on
 * 127.0.0.1 (TOKEN_DELAY_MS as given), waits until it is healthy, then streams the same chat
 * request (fixed seed: the same tokens every time) in rounds, rotating which goes first:
 *
 *   curl -N      one process per request, `-w '%{time_starttransfer} %{time_total}'`: curl's own
 *                clock, spawn excluded. The sample sends its response headers with the first
 *                token, so time_starttransfer is curl's time to first token; tokens/s is
 *                (tokens − 1) / (time_total − time_starttransfer).
 *   node:http    the floor of any Node client: a bare http.request, time to its first body
 *                chunk, no parsing (what the extension host's runtime costs before Berth's code).
 *   streamChat   Berth's src/core/llm streamChat: time to first token measured by the caller
 *                (call → first onToken, everything Berth does included) and Berth's own
 *                metrics.tokensPerSecond.
 *
 * Prints medians and p95s side by side, the median of the paired differences, and the CPU this
 * process spends per request for the two Node clients (blocks of 10 without curl). The container
 * and image are labelled berth.bench=<pid> and removed at the end.
 *
 *   npm run bench:llm -- [--rounds 30] [--tokens 32] [--delay 10] [--keep]
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { execa as Execa } from 'execa';
import { buildImage } from '../src/core/engine/build';
import { requestBody, streamChat } from '../src/core/llm/stream';
import type { ChatRequest } from '../src/core/llm/types';
import { scanContext } from '../src/core/project/buildContext';
import { connect, fmt, LABEL, median, percentile, removeLabelledWithImages, RUN_ID, waitHealthy } from './common';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    tokens: { type: 'string', default: '32' },
    delay: { type: 'string', default: '10' },
    base: { type: 'string', default: 'berth-python-numpy:latest' },
    keep: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const TOKENS = Number(values.tokens);
const SAMPLE = path.resolve(__dirname, '../examples/llm-chat');
const TAG = `berth-bench-llm:${RUN_ID}`;
const CURL = fs.existsSync('/usr/bin/curl') ? '/usr/bin/curl' : 'curl';
const REQUEST: ChatRequest = {
  model: 'aesop-trigram',
  messages: [
    { role: 'system', content: 'You tell fables.' },
    { role: 'user', content: 'Tell me a fable about the Lion and the Mouse' },
  ],
  max_tokens: TOKENS,
  seed: 3,
};

interface Sample {
  readonly ttftMs: number;
  readonly tokensPerSecond: number;
}

async function main(): Promise<void> {
  const { execa }: { execa: typeof Execa } = await import('execa');
  const { engine, endpoint } = await connect();
  const labels = { [LABEL]: RUN_ID };
  process.stdout.write(`Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\n`);
  const bodyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-llm-')), 'body.json');
  fs.writeFileSync(bodyFile, JSON.stringify(requestBody(REQUEST, true)));

  try {
    process.stdout.write(`building ${TAG}… `);
    let t0 = performance.now();
    await buildImage(engine, { scan: scanContext(SAMPLE), dockerfile: 'Dockerfile', tag: TAG, buildArgs: { BASE: values.base }, labels });
    process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const id = await engine.createContainer({
      Image: TAG,
      Labels: labels,
      Env: [`TOKEN_DELAY_MS=${values.delay}`],
      ExposedPorts: { '8000/tcp': {} },
      HostConfig: { PortBindings: { '8000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    await engine.startContainer(id);
    t0 = performance.now();
    await waitHealthy(engine, id, 60_000);
    const port = (await engine.inspectContainerJson(id)).NetworkSettings.Ports['8000/tcp']?.[0]?.HostPort;
    if (!port) throw new Error('port 8000 was not published');
    const base = `http://127.0.0.1:${port}`;
    process.stdout.write(`healthy after ${((performance.now() - t0) / 1000).toFixed(1)} s; ${base}\n`);

    const curl = async (): Promise<Sample> => {
      const { stdout } = await execa(
        CURL,
        [
          '-sN',
          '--fail',
          '-o',
          '/dev/null',
          '-w',
          '%{time_starttransfer} %{time_total}',
          '-H',
          'content-type: application/json',
          '--data-binary',
          `@${bodyFile}`,
          `${base}/v1/chat/completions`,
        ],
        { stdin: 'ignore' },
      );
      const [start, total] = stdout
        .trim()
        .split(' ')
        .map((x) => Number(x) * 1000) as [number, number];
      return { ttftMs: start, tokensPerSecond: ((TOKENS - 1) * 1000) / (total - start) };
    };
    const berth = async (): Promise<Sample> => {
      let first: number | undefined;
      const start = performance.now();
      const r = await streamChat(base, REQUEST, { onToken: () => (first ??= performance.now() - start) });
      if (r.error !== undefined || r.metrics.completionTokens !== TOKENS || first === undefined)
        throw new Error(`streamChat: ${r.error ?? `${r.metrics.completionTokens} tokens, not ${TOKENS}`}`);
      return { ttftMs: first, tokensPerSecond: r.metrics.tokensPerSecond ?? NaN };
    };

    const payload = fs.readFileSync(bodyFile);
    const bare = (): Promise<Sample> =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        let first: number | undefined;
        let chunks = 0;
        const req = http.request(`${base}/v1/chat/completions`, {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          res.on('data', () => {
            chunks++;
            first ??= performance.now() - start;
          });
          res.on('end', () => {
            const total = performance.now() - start;
            if (first === undefined || chunks < 2) reject(new Error('node:http: no streamed answer'));
            else resolve({ ttftMs: first, tokensPerSecond: ((TOKENS - 1) * 1000) / (total - first) });
          });
        });
        req.end(payload);
      });

    process.stdout.write('warming up… ');
    for (let i = 0; i < 5; i++) {
      await curl();
      await bare();
      await berth();
    }
    const curls: Sample[] = [];
    const bares: Sample[] = [];
    const berths: Sample[] = [];
    const contenders: [Sample[], () => Promise<Sample>][] = [
      [curls, curl],
      [bares, bare],
      [berths, berth],
    ];
    process.stdout.write(`${ROUNDS} rounds of the three, order rotated… `);
    for (let i = 0; i < ROUNDS; i++) {
      for (let j = 0; j < contenders.length; j++) {
        const [into, run] = contenders[(i + j) % contenders.length]!;
        into.push(await run());
      }
    }
    process.stdout.write('done\n');
    // CPU per request of the two Node clients, in blocks without curl (whose child process's
    // exit is handled in this process and would land on the next request's account)
    const cpuUs: Record<'bare' | 'berth', number[]> = { bare: [], berth: [] };
    for (let i = 0; i < 6; i++) {
      for (const [name, run] of (i % 2 === 0
        ? [
            ['bare', bare],
            ['berth', berth],
          ]
        : [
            ['berth', berth],
            ['bare', bare],
          ]) as ['bare' | 'berth', () => Promise<Sample>][]) {
        const cpu = process.cpuUsage();
        for (let k = 0; k < 10; k++) await run();
        const used = process.cpuUsage(cpu);
        cpuUs[name].push((used.user + used.system) / 10);
      }
    }

    const ttftDiffs = berths.map((b, i) => b.ttftMs - curls[i]!.ttftMs);
    const floorDiffs = berths.map((b, i) => b.ttftMs - bares[i]!.ttftMs);
    const tpsRatios = berths.map((b, i) => b.tokensPerSecond / curls[i]!.tokensPerSecond);
    const col = (xs: readonly Sample[], k: 'ttftMs' | 'tokensPerSecond'): number[] => xs.map((x) => x[k]);
    console.log(
      `\nStreamed chat to examples/llm-chat (${TOKENS} tokens, TOKEN_DELAY_MS=${values.delay}, seed 3), ${ROUNDS} rounds, order rotated\n`,
    );
    console.log('| client | TTFT p50 ms | TTFT p95 ms | tokens/s p50 | tokens/s p95 | CPU µs/request (this process) |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [name, xs] of [
      ['curl -N (time_starttransfer, spawn excluded)', curls],
      ['bare node:http (first body chunk, no parsing)', bares],
      ['Berth streamChat (call → first onToken)', berths],
    ] as const) {
      console.log(
        `| ${name} | ${fmt(median(col(xs, 'ttftMs')), 2)} | ${fmt(percentile(col(xs, 'ttftMs'), 95), 2)} | ${fmt(median(col(xs, 'tokensPerSecond')), 1)} | ${fmt(percentile(col(xs, 'tokensPerSecond'), 95), 1)} | ${xs === curls ? '–' : fmt(median(xs === bares ? cpuUs.bare : cpuUs.berth), 0)} |`,
      );
    }
    console.log(
      `\nBerth − curl, paired: TTFT median ${fmt(median(ttftDiffs), 2)} ms (p95 ${fmt(percentile(ttftDiffs, 95), 2)} ms); ` +
        `tokens/s ratio median ${fmt(median(tpsRatios), 3)}×; goal: < 2 ms added to TTFT — ${median(ttftDiffs) < 2 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `Berth − bare node:http, paired: TTFT median ${fmt(median(floorDiffs), 2)} ms (p95 ${fmt(percentile(floorDiffs, 95), 2)} ms): ` +
        "what Berth's own code (URL check, SSE parsing, timing) adds on top of Node's HTTP client\n",
    );
  } finally {
    fs.rmSync(path.dirname(bodyFile), { recursive: true, force: true });
    if (!values.keep) {
      await removeLabelledWithImages(engine);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
