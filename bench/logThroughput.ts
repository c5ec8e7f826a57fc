/**
 * How fast do a big container log's lines reach the screen? One container writes --lines lines
 * (`seq 1 N`) and exits; then, interleaved round-robin (rotating the order each round):
 *
 *  - `docker logs <id>` into /dev/null: the CLI's wall time.
 *  - `docker logs --timestamps <id>` into /dev/null: the same bytes the engine sends Berth.
 *  - Berth: containerLogs(engine, id), every line rendered with formatLine into a sink batching
 *    like the log terminal (16 ms or 256 KiB); wall time and time to the first line.
 *  - Berth without rendering: containerLogs alone, to split the engine path from the rendering.
 *  - `curl` of the same request Berth makes (timestamps=1) into /dev/null, when the engine is on a
 *    unix socket and curl is installed: what the engine alone needs to serve it.
 *
 *   npm run bench:logs -- [--lines 1000000] [--runs 5]
 */
import { parseArgs } from 'node:util';
import type { execa as Execa } from 'execa';
import { containerLogs } from '../src/core/engine/logs';
import { formatLine, type LineFormat } from '../src/ui/logs/formatLog';
import { BatchingSink, connect, createLabelled, fmt, median, withCleanup } from './common';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
});
const LINES = Number(values.lines);
const RUNS = Number(values.runs);

interface Result {
  readonly ms: number;
  readonly lines?: number;
  readonly firstLineMs?: number;
  /** CPU time of this process (user + system), for the in-process readers. */
  readonly cpuMs?: number;
}

interface Contender {
  readonly key: string;
  readonly name: string;
  readonly berth: boolean;
  readonly run: () => Promise<Result>;
}

const FORMAT: LineFormat = { timestamps: false };

async function main(): Promise<void> {
  const { execa }: { execa: typeof Execa } = await import('execa');
  const { engine, endpoint } = await connect();
  const results = new Map<string, Result[]>();
  let contenders: Contender[] = [];

  await withCleanup(
    engine,
    async () => {
      process.stdout.write(
        `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\nwriting ${LINES} lines (seq 1 ${LINES})… `,
      );
      const t0 = Date.now();
      const [id] = await createLabelled(engine, 1, { Cmd: ['seq', '1', String(LINES)] });
      if (id === undefined) throw new Error('no container created');
      await engine.startContainer(id);
      const code = await engine.waitContainer(id);
      if (code !== 0) throw new Error(`seq exited with ${code}`);
      process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

      const berth = async (render: boolean): Promise<Result> => {
        const sink = new BatchingSink();
        let lines = 0;
        let firstLineMs: number | undefined;
        let last = '';
        const cpu = process.cpuUsage();
        const start = performance.now();
        for await (const line of containerLogs(engine, id)) {
          if (lines === 0) firstLineMs = performance.now() - start;
          lines++;
          if (render) sink.write(formatLine(line, FORMAT));
          else last = line.text;
        }
        sink.close();
        const ms = performance.now() - start;
        const used = process.cpuUsage(cpu);
        if (render && sink.chars === 0) throw new Error('nothing rendered');
        if (!render && last !== String(LINES)) throw new Error(`last line ${JSON.stringify(last)}, expected ${LINES}`);
        return { ms, lines, cpuMs: (used.user + used.system) / 1000, ...(firstLineMs === undefined ? {} : { firstLineMs }) };
      };
      const cli = async (file: string, args: string[]): Promise<Result> => {
        const start = performance.now();
        await execa(file, args, { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
        return { ms: performance.now() - start };
      };
      contenders = [
        { key: 'cli', name: 'docker logs (CLI) → /dev/null', berth: false, run: () => cli('docker', ['logs', id]) },
        {
          key: 'cli-t',
          name: 'docker logs --timestamps (CLI) → /dev/null',
          berth: false,
          run: () => cli('docker', ['logs', '--timestamps', id]),
        },
        { key: 'berth', name: 'Berth containerLogs + formatLine + batching sink', berth: true, run: () => berth(true) },
        { key: 'berth-raw', name: 'Berth containerLogs only (no rendering)', berth: true, run: () => berth(false) },
      ];
      const curl = await execa('curl', ['--version'], { reject: false }).catch(() => undefined);
      if (endpoint.host.startsWith('unix://') && curl?.exitCode === 0) {
        const url = `http://engine/v${engine.apiVersion}/containers/${id}/logs?stdout=1&stderr=1&timestamps=1&tail=all`;
        const args = ['-sf', '--unix-socket', endpoint.host.slice('unix://'.length), '-o', '/dev/null', url];
        contenders.push({
          key: 'curl',
          name: "curl of Berth's request (timestamps=1) → /dev/null",
          berth: false,
          run: () => cli('curl', args),
        });
      }
      for (const c of contenders) results.set(c.name, []);

      // warm-up, and a check that the CLI sees every line too
      const { stdout } = await execa('docker', ['logs', id], { stdin: 'ignore', stderr: 'ignore', maxBuffer: 1024 * 1024 * 1024 });
      const cliLines = stdout.split('\n').length;
      if (cliLines !== LINES) throw new Error(`docker logs printed ${cliLines} lines, expected ${LINES}`);
      await berth(false);

      for (let run = 0; run < RUNS; run++) {
        const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]!);
        process.stdout.write(`round ${run + 1}/${RUNS}: ${order.map((c) => c.key).join(', ')}\n`);
        for (const c of order) {
          const r = await c.run();
          if (c.berth && r.lines !== LINES) throw new Error(`${c.name} saw ${r.lines} lines, expected exactly ${LINES}`);
          results.get(c.name)!.push(r);
        }
      }
    },
    values.keep,
  );

  const byKey = (key: string): Result[] => results.get(contenders.find((c) => c.key === key)!.name)!;
  const cliMs = median(byKey('cli').map((r) => r.ms));
  console.log(`\nRead ${LINES} log lines of an exited container, median of ${RUNS} runs\n`);
  console.log('| reader | median s | min s | lines/s | × docker logs | first line ms (median) | Node CPU s (median) | lines seen |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of contenders) {
    const rs = results.get(c.name)!;
    const ms = median(rs.map((r) => r.ms));
    const first = rs.map((r) => r.firstLineMs).filter((x): x is number => x !== undefined);
    const seen = rs.map((r) => r.lines).filter((x): x is number => x !== undefined);
    const cpu = rs.map((r) => r.cpuMs).filter((x): x is number => x !== undefined);
    console.log(
      `| ${c.name} | ${fmt(ms / 1000, 2)} | ${fmt(Math.min(...rs.map((r) => r.ms)) / 1000, 2)} | ${fmt(LINES / (ms / 1000), 0)} | ` +
        `${fmt(cliMs / ms, 2)} | ${first.length > 0 ? fmt(median(first)) : '–'} | ${cpu.length > 0 ? fmt(median(cpu) / 1000, 2) : '–'} | ${seen.length > 0 ? `${Math.min(...seen)}–${Math.max(...seen)}` : '–'} |`,
    );
  }
  const berthMs = median(byKey('berth').map((r) => r.ms));
  const firstMs = median(byKey('berth').map((r) => r.firstLineMs ?? NaN));
  console.log(
    `\nBerth (rendered) / docker logs throughput: ${fmt(cliMs / berthMs, 2)}× (target ≥ 0.9); ` +
      `first line after ${fmt(firstMs)} ms (target < 100 ms).`,
  );
  if (contenders.some((c) => c.key === 'curl')) {
    const floorMs = median(byKey('curl').map((r) => r.ms));
    console.log(`Against the engine serving Berth's own request (curl, timestamps=1): ${fmt(floorMs / berthMs, 2)}×.`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
