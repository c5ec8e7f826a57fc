/**
 * What does a cache mount buy a rebuild? A Dockerfile that installs Debian packages with apt after
 * an earlier COPY is rebuilt after a change to the copied file, so the apt step runs again:
 *
 *   BuildKit   `RUN --mount=type=cache,…,sharing=locked` on /var/cache/apt and /var/lib/apt/lists,
 *              built by Berth's BuildKit path (the docker CLI found here, e.g. /usr/bin/docker 20.10
 *              with built-in BuildKit): apt finds the package lists and the .debs of the last build;
 *   classic    the same Dockerfile without the mounts, built by the engine's classic builder through
 *              the Engine API (Berth's fallback): every rebuild fetches the lists and the packages.
 *
 * One warm-up build of each (the cache mount filled, the base layers cached), then --runs rebuilds
 * of each, interleaved, each after a new change to the copied file; medians and their ratio.
 * Images are labelled berth.bench=<pid> and removed at the end (each rebuild's too), as is the temp folder. The cache
 * mounts keep fixed ids (berth-bench-apt-*), so repeated runs reuse them instead of adding more
 * build cache; nothing is pruned.
 *
 *   npm run bench:buildcache -- [--runs 5] [--packages "redis-server"]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { build, chooseBuilder, describeBuilder, type BuilderChoice } from '../src/core/build/builder';
import { BuildKitFinder } from '../src/core/build/dockerCli';
import type { BuildEvent } from '../src/core/engine/build';
import { scanContext } from '../src/core/project/buildContext';
import { connect, fmt, LABEL, median, RUN_ID } from './common';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    packages: { type: 'string', default: 'redis-server' },
    base: { type: 'string', default: process.env.BERTH_PYTHON_IMAGE ?? 'berth-python-numpy:latest' },
  },
});
const RUNS = Number(values.runs);
const PACKAGES = values.packages;
const BASE = values.base;

const INSTALL = `apt-get update && apt-get install -y --no-install-recommends ${PACKAGES}`;
const MOUNTS =
  '--mount=type=cache,id=berth-bench-apt-archives,target=/var/cache/apt,sharing=locked ' +
  '--mount=type=cache,id=berth-bench-apt-lists,target=/var/lib/apt/lists,sharing=locked';

interface Case {
  readonly name: string;
  readonly dir: string;
  readonly choice: BuilderChoice;
  readonly ms: number[];
  /** apt's "Fetched …" lines of the last rebuild: what was downloaded. */
  fetched: string[];
}

async function main(): Promise<void> {
  const { engine } = await connect();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-buildcache-'));
  const tags: string[] = [];
  // a rebuild under the same tag leaves the earlier image untagged: remove those too
  const built = new Set<string>();
  try {
    const buildkit = await chooseBuilder(engine, { setting: 'buildkit', finder: new BuildKitFinder() });
    const classic = await chooseBuilder(engine, { setting: 'classic', finder: new BuildKitFinder() });
    const make = (name: string, run: string, choice: BuilderChoice): Case => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE}\nCOPY early.txt /early.txt\nRUN ${run}\n`);
      fs.writeFileSync(path.join(dir, 'early.txt'), 'warm-up\n');
      return { name, dir, choice, ms: [], fetched: [] };
    };
    const cases = [make('BuildKit, cache mounts', `${MOUNTS} ${INSTALL}`, buildkit), make('classic, no mounts', INSTALL, classic)];
    const once = async (c: Case): Promise<number> => {
      const tag = `berth-bench/buildcache-${cases.indexOf(c)}:${RUN_ID}`;
      if (!tags.includes(tag)) tags.push(tag);
      const fetched: string[] = [];
      const started = performance.now();
      const id = await build(
        engine,
        {
          scan: scanContext(c.dir),
          dockerfile: 'Dockerfile',
          tag,
          labels: { [LABEL]: RUN_ID },
          onEvent: (e: BuildEvent) => {
            if (e.kind === 'output' && /^(Fetched|Need to get) /.test(e.text.trim())) fetched.push(e.text.trim());
          },
        },
        c.choice,
      );
      built.add(id);
      c.fetched = fetched;
      return performance.now() - started;
    };
    for (const c of cases) {
      process.stderr.write(`warm-up: ${c.name} …\n`);
      await once(c);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const c of cases) {
        fs.writeFileSync(path.join(c.dir, 'early.txt'), `change ${i} ${Date.now()}\n`);
        c.ms.push(await once(c));
        process.stderr.write(`run ${i + 1}/${RUNS}: ${c.name} ${fmt(c.ms.at(-1)! / 1000, 1)} s\n`);
      }
    }
    const [bk, cl] = cases as [Case, Case];
    console.log(`\nRebuild after a change to an earlier layer: apt-get install ${PACKAGES} on ${BASE} (median of ${RUNS})\n`);
    console.log('| build | builder | rebuild s (median) | runs s | apt downloaded in the last rebuild |');
    console.log('|---|---|---:|---|---|');
    for (const c of cases)
      console.log(
        `| ${c.name} | ${describeBuilder(c.choice)} | ${fmt(median(c.ms) / 1000, 1)} | ${c.ms.map((m) => fmt(m / 1000, 1)).join(', ')} | ${c.fetched.join('; ')} |`,
      );
    console.log(
      `\n| check | value |\n|---|---:|\n| classic rebuild / BuildKit rebuild with cache mounts | ${fmt(median(cl.ms) / median(bk.ms), 2)}× |`,
    );
  } finally {
    for (const t of tags) await engine.removeImage(t, { force: true }).catch(() => undefined);
    for (const id of built) await engine.removeImage(id).catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
