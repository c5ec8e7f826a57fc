/**
 * How fast can each engine layer list N containers? Creates N labelled containers (not started),
 * then lists all containers with each contender, interleaved round-robin (rotating the order each
 * round) so that noise hits all alike, and prints the median and its ratio to the raw socket request.
 *
 *   npm run bench -- [--containers 500] [--runs 21]
 */
import * as http from 'node:http';
import { parseArgs } from 'node:util';
import type { execa as Execa } from 'execa';
import { resolveEndpoint } from '../src/core/engine/connection';
import { Engine } from '../src/core/engine/engine';
import { installVscodeStub } from './vscodeStub';
import * as fs from 'node:fs';
import * as os from 'node:os';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '500' },
    runs: { type: 'string', default: '21' },
    keep: { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.containers);
const RUNS = Number(values.runs);
const IMAGE = process.env.BERTH_BUSYBOX_IMAGE ?? 'berth-busybox:latest';
const LABEL = 'berth.bench';
const RUN_ID = `${process.pid}`;

interface Contender {
  readonly name: string;
  readonly list: () => Promise<number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  // execa is ESM-only: load it with import() from this CommonJS script
  const { execa }: { execa: typeof Execa } = await import('execa');
  const endpoint = resolveEndpoint({
    env: process.env,
    homeDir: os.homedir(),
    platform: process.platform,
    readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
  });
  if (!endpoint.host.startsWith('unix://')) throw new Error(`the raw-socket floor needs a unix socket engine, not ${endpoint.host}`);
  const socketPath = endpoint.host.slice('unix://'.length);
  const engine = await Engine.connect(endpoint, { timeoutMs: 60_000 });
  const filters = { label: [`${LABEL}=${RUN_ID}`] };

  process.stdout.write(
    `Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}\ncreating ${COUNT} labelled containers… `,
  );
  const started = Date.now();
  for (let i = 0; i < COUNT; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, COUNT - i) }, () =>
        engine.createContainer({ Image: IMAGE, Cmd: ['true'], Labels: { [LABEL]: RUN_ID } }),
      ),
    );
  }
  const total = (await engine.listContainers()).length;
  process.stdout.write(`${((Date.now() - started) / 1000).toFixed(1)} s (${total} containers on the engine in all)\n`);

  installVscodeStub();
  const { DockerClient, ShellStreamCommandRunnerFactory } = await import('@microsoft/vscode-container-client');
  const incumbent = new DockerClient();
  const runCommand = new ShellStreamCommandRunnerFactory({ strict: true }).getCommandRunner();

  const contenders: Contender[] = [
    {
      name: 'raw socket request (floor)',
      list: () =>
        new Promise((resolve, reject) => {
          http
            .get({ socketPath, path: `/v${engine.apiVersion}/containers/json?all=1` }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as unknown[]).length));
              res.on('error', reject);
            })
            .on('error', reject);
        }),
    },
    { name: 'Berth engine core (dockerode)', list: async () => (await engine.listContainers()).length },
    {
      name: 'vscode-container-client 0.5.3 (CLI)',
      list: async () => (await runCommand(incumbent.listContainers({ all: true }))).length,
    },
    {
      name: 'docker ps -a (CLI)',
      list: async () => {
        const { stdout } = await execa('docker', ['ps', '-a', '--no-trunc', '--format', '{{json .}}']);
        return stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as unknown).length;
      },
    },
  ];

  const times = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  try {
    for (const c of contenders) {
      const n = await c.list(); // warm-up, and a check that each sees them all
      if (n !== total) throw new Error(`${c.name} listed ${n} containers, expected ${total}`);
    }
    for (let run = 0; run < RUNS; run++) {
      // rotate the order each round so no contender always follows the same one
      const order = contenders.map((_, i) => contenders[(i + run) % contenders.length]!);
      for (const c of order) {
        const t0 = process.hrtime.bigint();
        await c.list();
        times.get(c.name)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
  } finally {
    if (!values.keep) {
      process.stdout.write('removing the benchmark containers… ');
      const mine = await engine.listContainers({ filters });
      for (let i = 0; i < mine.length; i += 20)
        await Promise.all(mine.slice(i, i + 20).map((c) => engine.removeContainer(c.id, { force: true })));
      process.stdout.write('done\n');
    }
  }

  const floor = median(times.get(contenders[0]!.name)!);
  console.log(`\nList ${total} containers, median of ${RUNS} runs (ms)\n`);
  console.log(`| layer | median ms | min ms | × raw |`);
  console.log(`|---|---:|---:|---:|`);
  for (const c of contenders) {
    const t = times.get(c.name)!;
    console.log(`| ${c.name} | ${median(t).toFixed(1)} | ${Math.min(...t).toFixed(1)} | ${(median(t) / floor).toFixed(2)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
