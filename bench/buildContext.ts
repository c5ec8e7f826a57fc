/**
 * What does keeping weights out of the build context buy? Copies examples/iris-classifier three
 * times into a temp folder, adds 1 GiB of weight files (a .safetensors checkpoint and a .parquet
 * dataset) to two of them, and compares:
 *
 *   naive        a plain `docker build .` (classic builder, DOCKER_BUILDKIT=0) of the copy with
 *                the weights and without any .dockerignore: everything is sent, every time;
 *   Berth        the copy with the weights, its .dockerignore plus the lines Berth offers to add
 *                (ignoreLinesFor), scanned and built through the Engine API (buildImage);
 *   no weights   the sample as it is, through Berth: the reference the rebuild is held to (≤ 1.2×).
 *
 * For each: context bytes sent, the first build (without cache), and rebuilds after a one-line
 * change to serve.py (median of --rebuilds, interleaved across the three, each a different line).
 * Images are labelled berth.bench=<pid> and removed at the end, as is the temp folder.
 *
 *   npm run bench:build -- [--rebuilds 3] [--weights-mib 1024] [--keep]
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { execa as Execa } from 'execa';
import { buildImage } from '../src/core/engine/build';
import type { Engine } from '../src/core/engine/engine';
import { ignoreLinesFor, scanContext } from '../src/core/project/buildContext';
import { connect, fmt, LABEL, median, RUN_ID } from './common';

const { values } = parseArgs({
  options: {
    rebuilds: { type: 'string', default: '3' },
    'weights-mib': { type: 'string', default: '1024' },
    base: { type: 'string', default: 'berth-python-numpy:latest' },
    keep: { type: 'boolean', default: false },
  },
});
const REBUILDS = Number(values.rebuilds);
const WEIGHTS_MIB = Number(values['weights-mib']);
const BASE = values.base;
const SAMPLE = path.resolve(__dirname, '../examples/iris-classifier');
const MIB = 2 ** 20;

/** Write `mib` MiB of non-zero, non-repeating-per-chunk bytes, 1 MiB at a time. */
function writeWeights(file: string, mib: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const chunk = crypto.randomBytes(MIB);
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0) chunk[i] = 1;
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < mib; i++) {
      chunk.writeUInt32LE(i + 1, (i * 4099) % (MIB - 4)); // each chunk differs from the others
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

interface Case {
  readonly name: string;
  readonly dir: string;
  readonly tag: string;
  /** Bytes of context sent, as measured by the case itself. */
  contextBytes: number;
  note: string;
  firstMs: number;
  readonly rebuildMs: number[];
  readonly build: (noCache: boolean) => Promise<void>;
}

async function main(): Promise<void> {
  const { execa }: { execa: typeof Execa } = await import('execa');
  const { engine, endpoint } = await connect();
  const labels = { [LABEL]: RUN_ID };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-build-'));
  process.stdout.write(`Docker ${engine.serverVersion.version} (API ${engine.apiVersion}) at ${endpoint.host}; work dir ${tmp}\n`);

  try {
    const copy = (name: string): string => {
      const dir = path.join(tmp, name);
      fs.cpSync(SAMPLE, dir, { recursive: true });
      return dir;
    };
    const naiveDir = copy('naive');
    const berthDir = copy('berth');
    const plainDir = copy('no-weights');
    fs.rmSync(path.join(naiveDir, '.dockerignore')); // a plain `docker build .`: nothing left out

    const ckptMib = Math.round(WEIGHTS_MIB * 0.75);
    process.stdout.write(`writing ${WEIGHTS_MIB} MiB of weights… `);
    const t0 = performance.now();
    writeWeights(path.join(berthDir, 'checkpoints/model.safetensors'), ckptMib);
    writeWeights(path.join(berthDir, 'data/train.parquet'), WEIGHTS_MIB - ckptMib);
    for (const rel of ['checkpoints/model.safetensors', 'data/train.parquet']) {
      fs.mkdirSync(path.dirname(path.join(naiveDir, rel)), { recursive: true });
      fs.linkSync(path.join(berthDir, rel), path.join(naiveDir, rel)); // same bytes, no second write
    }
    process.stdout.write(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

    // what Berth offers: the scan flags the weights still sent, and the lines to add to .dockerignore
    const before = scanContext(berthDir);
    const added = ignoreLinesFor(before);
    fs.appendFileSync(
      path.join(berthDir, '.dockerignore'),
      `\n# model weights and datasets: mount them at run time\n${added.join('\n')}\n`,
    );
    process.stdout.write(
      `Berth scan before: ${formatBytes(before.totalBytes)} would be sent, weights ${before.weights.map((w) => w.path).join(', ')}; ` +
        `adds to .dockerignore: ${added.join(' ')}\n`,
    );

    const berthCase = (name: string, dir: string): Case => {
      const c: Case = {
        name,
        dir,
        tag: `berth-bench-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}:${RUN_ID}`,
        contextBytes: 0,
        note: '',
        firstMs: NaN,
        rebuildMs: [],
        build: async (noCache) => {
          const scan = scanContext(dir);
          c.contextBytes = scan.totalBytes;
          c.note = `${scan.files.length} files`;
          await buildImage(engine, { scan, dockerfile: 'Dockerfile', tag: c.tag, buildArgs: { BASE }, labels, noCache });
        },
      };
      return c;
    };
    const naive: Case = {
      name: 'naive docker build .',
      dir: naiveDir,
      tag: `berth-bench-naive:${RUN_ID}`,
      contextBytes: 0,
      note: '',
      firstMs: NaN,
      rebuildMs: [],
      build: async (noCache) => {
        const args = ['build', '--build-arg', `BASE=${BASE}`, '--label', `${LABEL}=${RUN_ID}`, '-t', naive.tag];
        const { stdout } = await execa('docker', [...args, ...(noCache ? ['--no-cache'] : []), '.'], {
          cwd: naiveDir,
          env: { DOCKER_BUILDKIT: '0' },
          stdin: 'ignore',
        });
        const sent = /Sending build context to Docker daemon\s+(\S+)/.exec(stdout)?.[1];
        naive.contextBytes = scanContext(naiveDir).totalBytes; // no .dockerignore: every file
        naive.note = `CLI: "Sending build context to Docker daemon  ${sent ?? '?'}"`;
      },
    };
    const cases = [naive, berthCase('Berth default', berthDir), berthCase('Berth, no weights', plainDir)];

    const timed = async (c: Case, noCache: boolean): Promise<number> => {
      const start = performance.now();
      await c.build(noCache);
      return performance.now() - start;
    };
    for (const c of cases) {
      process.stdout.write(`first build (no cache): ${c.name}… `);
      c.firstMs = await timed(c, true);
      process.stdout.write(`${(c.firstMs / 1000).toFixed(2)} s\n`);
    }
    for (let i = 0; i < REBUILDS; i++) {
      for (const c of cases) {
        // a different one-line change each time, and different across the cases, so no cache hit on COPY serve.py
        fs.appendFileSync(path.join(c.dir, 'serve.py'), `# rebuild ${i + 1} of ${c.name} (${RUN_ID})\n`);
        c.rebuildMs.push(await timed(c, false));
      }
      process.stdout.write(
        `rebuild round ${i + 1}/${REBUILDS}: ${cases.map((c) => `${(c.rebuildMs[i]! / 1000).toFixed(2)} s`).join(', ')}\n`,
      );
    }

    const [, berth, plain] = cases as [Case, Case, Case];
    const plainRebuild = median(plain.rebuildMs);
    console.log(`\nBuild context of examples/iris-classifier + ${WEIGHTS_MIB} MiB of weights (rebuild: median of ${REBUILDS})\n`);
    console.log('| build | context sent | bytes | × naive | first build s | rebuild s (median) | rebuild runs s | × no-weights rebuild |');
    console.log('|---|---:|---:|---:|---:|---:|---|---:|');
    for (const c of cases) {
      const rebuild = median(c.rebuildMs);
      console.log(
        `| ${c.name} | ${formatBytes(c.contextBytes)} | ${c.contextBytes} | ${fmt((c.contextBytes / naive.contextBytes) * 100, 4)} % | ` +
          `${fmt(c.firstMs / 1000, 2)} | ${fmt(rebuild / 1000, 2)} | ${c.rebuildMs.map((ms) => fmt(ms / 1000, 2)).join(' / ')} | ` +
          `${fmt(rebuild / plainRebuild, 2)}× |`,
      );
    }
    console.log('\n| check | value | target |');
    console.log('|---|---:|---:|');
    console.log(`| Berth context / naive context | ${fmt((berth.contextBytes / naive.contextBytes) * 100, 4)} % | < 1 % |`);
    console.log(`| Berth rebuild with weights / without | ${fmt(median(berth.rebuildMs) / plainRebuild, 2)}× | ≤ 1.2× |`);
    console.log(`| naive rebuild / Berth rebuild | ${fmt(median(naive.rebuildMs) / median(berth.rebuildMs), 1)}× | |`);
    console.log(`\n${cases.map((c) => `${c.name}: ${c.note}`).join('\n')}`);
  } finally {
    if (!values.keep) {
      process.stdout.write(`removing the benchmark images (${LABEL}=${RUN_ID}) and ${tmp}… `);
      const n = await removeLabelledImages(engine);
      fs.rmSync(tmp, { recursive: true, force: true });
      process.stdout.write(`${n} images removed\n`);
    }
  }
}

/** Remove exactly the images labelled with this run's id (never a prune). */
async function removeLabelledImages(engine: Engine): Promise<number> {
  const mine = await engine.listImages({ filters: { label: [`${LABEL}=${RUN_ID}`] } });
  for (const image of mine) await engine.removeImage(image.id, { force: true }).catch(() => undefined);
  return mine.length;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
