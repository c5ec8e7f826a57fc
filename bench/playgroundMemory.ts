/**
 * How much memory does a playground batch hold? A server in a child process on 127.0.0.1 answers
 * every request with a 64 KiB body; this process runs Berth's runBatch (concurrency 4) and samples
 * its RSS and heap while the batch runs (the server's memory is not counted). No engine needed.
 *
 *   node --expose-gc --import tsx bench/playgroundMemory.ts [--requests 10000] [--kib 64]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runBatch } from '../src/ui/playground/requests';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '10000' }, kib: { type: 'string', default: '64' } } });
const N = Number(values.requests);
const KIB = Number(values.kib);

const SERVER = `
const http = require('node:http');
const body = Buffer.alloc(${KIB} * 1024, 'x');
const server = http.createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-length': body.length }).end(body); });
server.listen(0, '127.0.0.1', () => process.send(server.address().port));
process.on('disconnect', () => process.exit(0));
`;

const mib = (n: number): string => (n / 2 ** 20).toFixed(1);

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve(Number(m)));
      child.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    const url = `http://127.0.0.1:${port}/predict`;
    await runBatch({ url, method: 'GET' }, 50, { concurrency: 4 }); // warm-up
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const started = performance.now();
    const summary = await runBatch({ url, method: 'GET' }, N, {
      concurrency: 4,
      onProgress: (done) => {
        if (done % 100 !== 0) return;
        const m = process.memoryUsage();
        peakRss = Math.max(peakRss, m.rss);
        peakHeap = Math.max(peakHeap, m.heapUsed);
      },
    });
    const wall = performance.now() - started;
    const end = process.memoryUsage();
    global.gc?.();
    const after = process.memoryUsage();
    console.log(
      `${summary.count} requests × ${KIB} KiB (${mib(summary.count * KIB * 1024)} MiB received) in ${(wall / 1000).toFixed(1)} s; errors ${summary.errors}`,
    );
    console.log('| | RSS MiB | heap used MiB |');
    console.log('|---|---:|---:|');
    console.log(`| before the batch | ${mib(before.rss)} | ${mib(before.heapUsed)} |`);
    console.log(`| peak during the batch (sampled every 100 requests) | ${mib(peakRss)} | ${mib(peakHeap)} |`);
    console.log(`| at the end, before GC | ${mib(end.rss)} | ${mib(end.heapUsed)} |`);
    console.log(`| after GC${global.gc ? '' : ' (run with --expose-gc)'} | ${mib(after.rss)} | ${mib(after.heapUsed)} |`);
    console.log(`growth at peak: RSS +${mib(peakRss - before.rss)} MiB, heap +${mib(peakHeap - before.heapUsed)} MiB`);
  } finally {
    if (child.connected) child.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
