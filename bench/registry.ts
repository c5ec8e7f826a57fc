/**
 * Push and pull of the Python base image (~170 MB) through Berth (pushImage/pullImage on the
 * Engine API, progress folded per layer) against the docker CLI (`docker push`/`docker pull`,
 * logged in with its own temporary DOCKER_CONFIG), to the same kind of registry: Debian's
 * docker-registry 2.8 on 127.0.0.1 with htpasswd basic auth.
 *
 * Every push must upload every layer, so each push goes to a registry of its own with empty
 * storage (a fresh repository name is not enough: the engine mounts a blob it pushed before from
 * another repository of the same registry). Every pull must download: the image pushed is a copy
 * of the base made with `docker export | docker import` (its own layer, labelled
 * berth.bench=<pid>), removed locally before each pull. Berth and the CLI alternate which goes
 * first. Median of --runs.
 *
 *   bash scripts/registry.sh start && npm run bench:registry -- [--runs 3]
 */
import { parseArgs } from 'node:util';
import { pullImage, pushImage } from '../src/core/engine/transfer';
import { sharedRegistry, startRegistry, type OwnRegistry } from '../test/engine/registries';
import { connect, fmt, LABEL, median, RUN_ID } from './common';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, base: { type: 'string', default: 'berth-python-numpy:latest' } },
});
const RUNS = Number(values.runs);
const USER = 'bench';
const PASSWORD = `bench-${RUN_ID}-${Math.random().toString(36).slice(2)}`;

async function main(): Promise<void> {
  const { execa } = await import('execa');
  const { engine } = await connect();
  const { bin } = await sharedRegistry();
  const source = `berth-bench-python:${RUN_ID}`;
  const cli = (await execa('docker', ['version', '--format', '{{.Client.Version}}'])).stdout.trim();
  const dockerConfig = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-bench-docker-'));
  const registries: OwnRegistry[] = [];
  const made = new Set<string>();
  const timings = { berthPush: [] as number[], cliPush: [] as number[], berthPull: [] as number[], cliPull: [] as number[] };
  let pushedBytes = 0;
  try {
    // the base image's copy with a layer of its own
    const container = (await execa('docker', ['create', '--label', `${LABEL}=${RUN_ID}`, values.base, 'true'])).stdout.trim();
    try {
      await execa('bash', [
        '-c',
        'docker export "$1" | docker import -c "LABEL $2" -c "CMD [\\"python3\\"]" - "$3"',
        '_',
        container,
        `${LABEL}=${RUN_ID}`,
        source,
      ]);
    } finally {
      await execa('docker', ['rm', '-f', container]);
    }
    made.add(source);
    const size = (await engine.inspectImage(source)).size;
    console.log(`image: ${source} (${(size / 1e6).toFixed(0)} MB unpacked, a copy of ${values.base}); docker CLI ${cli}; ${RUNS} runs`);

    const fresh = async (): Promise<OwnRegistry> => {
      const r = await startRegistry(bin, { deleteEnabled: true, basicAuth: { user: USER, password: PASSWORD } });
      registries.push(r);
      return r;
    };
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      const start = performance.now();
      await fn();
      return performance.now() - start;
    };
    const tagged = async (addr: string, name: string): Promise<string> => {
      const ref = `${addr}/bench/${name}:${RUN_ID}`;
      await engine.tagImage(source, { repo: `${addr}/bench/${name}`, tag: String(RUN_ID) });
      made.add(ref);
      return ref;
    };
    // removes the image (all its tags), so the next pull downloads its layer
    const dropLocal = async (): Promise<void> => {
      for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    };

    for (let run = 0; run < RUNS; run++) {
      const berthFirst = run % 2 === 0;
      const berthReg = await fresh();
      const cliReg = await fresh();
      await execa('docker', ['login', '--username', USER, '--password-stdin', cliReg.addr], {
        input: PASSWORD,
        env: { DOCKER_CONFIG: dockerConfig },
      });
      const berthRef = await tagged(berthReg.addr, 'berth');
      const cliRef = await tagged(cliReg.addr, 'cli');
      const auth = { serverAddress: berthReg.addr, username: USER, password: PASSWORD };
      const berthPush = async () =>
        timings.berthPush.push(
          await timed(async () => {
            await pushImage(engine, berthRef, {
              auth,
              onProgress: (p) => {
                pushedBytes = p.bytesTotal;
              },
            });
          }),
        );
      const cliPush = async () =>
        timings.cliPush.push(await timed(() => execa('docker', ['push', '--quiet', cliRef], { env: { DOCKER_CONFIG: dockerConfig } })));
      for (const step of berthFirst ? [berthPush, cliPush] : [cliPush, berthPush]) await step();

      const berthPull = async () => {
        await dropLocal();
        timings.berthPull.push(await timed(() => pullImage(engine, berthRef, { auth })));
        made.add(berthRef);
      };
      const cliPull = async () => {
        await dropLocal();
        timings.cliPull.push(await timed(() => execa('docker', ['pull', '--quiet', cliRef], { env: { DOCKER_CONFIG: dockerConfig } })));
        made.add(cliRef);
      };
      for (const step of berthFirst ? [berthPull, cliPull] : [cliPull, berthPull]) await step();
      // the pulled image is the source again for the next run
      const back = made.has(cliRef) && (await engine.inspectImage(cliRef).catch(() => undefined)) ? cliRef : berthRef;
      await engine.tagImage(back, { repo: 'berth-bench-python', tag: String(RUN_ID) });
      for (const r of [berthReg, cliReg]) await r.stop();
      console.log(
        `run ${run + 1}: push Berth ${fmt(timings.berthPush[run] ?? NaN, 0)} ms, CLI ${fmt(timings.cliPush[run] ?? NaN, 0)} ms; pull Berth ${fmt(timings.berthPull[run] ?? NaN, 0)} ms, CLI ${fmt(timings.cliPull[run] ?? NaN, 0)} ms`,
      );
    }
    console.log(`\nlayer bytes per push (as the engine's progress counts them: uncompressed): ${(pushedBytes / 1e6).toFixed(1)} MB\n`);
    const row = (what: string, berth: number[], cliTimes: number[]): string => {
      const b = median(berth);
      const c = median(cliTimes);
      return `| ${what.padEnd(5)} | ${fmt(b / 1000, 2).padStart(8)} | ${fmt(c / 1000, 2).padStart(8)} | ${`×${fmt(b / c, 2)}`.padStart(11)} | ${`${fmt(Math.min(...berth) / 1000, 2)}–${fmt(Math.max(...berth) / 1000, 2)}`.padStart(11)} | ${`${fmt(Math.min(...cliTimes) / 1000, 2)}–${fmt(Math.max(...cliTimes) / 1000, 2)}`.padStart(11)} |`;
    };
    console.log('| op    | Berth, s | CLI, s   | Berth ÷ CLI | Berth range | CLI range   |');
    console.log('| ----- | -------: | -------: | ----------: | ----------: | ----------: |');
    console.log(row('push', timings.berthPush, timings.cliPush));
    console.log(row('pull', timings.berthPull, timings.cliPull));
  } finally {
    for (const ref of made) await engine.removeImage(ref, { force: true }).catch(() => undefined);
    await engine.removeImage(source, { force: true }).catch(() => undefined);
    for (const r of registries) await r.stop().catch(() => undefined);
    await fs.rm(dockerConfig, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
