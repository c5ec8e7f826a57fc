/**
 * BuildKit through the docker CLI of this machine (Debian's /usr/bin/docker 20.10, built-in
 * BuildKit) against the real engine: the CLI found, cache mounts kept across rebuilds, secrets that
 * reach the RUN and nothing else, targets and build args, cached steps, the failing step, cancel,
 * the built-in frontend's limits, and the classic builder as the fallback.
 */
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build, chooseBuilder, type BuilderChoice } from '../../src/core/build/builder';
import { BuildKitFinder } from '../../src/core/build/dockerCli';
import { BuildFailedError, type BuildEvent, type BuildStep } from '../../src/core/engine/build';
import type { Engine } from '../../src/core/engine/engine';
import { CancelledError } from '../../src/core/engine/errors';
import { scanContext } from '../../src/core/project/buildContext';
import type { BuildKitOptions } from '../../src/core/build/buildkitBuild';
import { BUSYBOX, connect, RUN_ID, TEST_LABEL } from './harness';

const DEBIAN_DOCKER = '/usr/bin/docker';
/** The docker CLI, for what Berth's engine contract does not read (image history). */
async function docker(args: string[]): Promise<string> {
  const { execa } = await import('execa');
  return (await execa(DEBIAN_DOCKER, args)).stdout;
}
const tags: string[] = [];
const tag = (name: string): string => {
  const t = `berth-test/bk-${name}:${RUN_ID}`;
  tags.push(t);
  return t;
};
/** Every image id a build made: a rebuild under the same tag leaves the earlier one untagged. */
const built = new Set<string>();
const dirs: string[] = [];
function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-buildkit-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, rel), content);
  return dir;
}
const steps = (events: readonly BuildEvent[]): BuildStep[] => events.flatMap((e) => (e.kind === 'step' ? [e.step] : []));
const outputs = (events: readonly BuildEvent[]): string[] => events.flatMap((e) => (e.kind === 'output' ? [e.text] : []));

/** Processes whose command line holds `needle` (the build's RUN runs on this machine's kernel). */
function processesWith(needle: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(needle) && Number(pid) !== process.pid) found.push(`${pid}: ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
/** Everything a process's environment holds is readable only by it and root; argv by everyone. */
function argvHolding(needle: string): string[] {
  return processesWith(needle);
}

describe('engine: BuildKit through the docker CLI', { timeout: 300_000 }, () => {
  let engine: Engine;
  let buildkit: BuilderChoice;
  before(async () => {
    engine = await connect();
    buildkit = await chooseBuilder(engine, { setting: 'auto', finder: new BuildKitFinder() });
  });
  after(async () => {
    for (const t of tags) await engine.removeImage(t, { force: true }).catch(() => undefined);
    for (const id of built) await engine.removeImage(id).catch(() => undefined);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const run = async (
    dir: string,
    t: string,
    extra: Partial<BuildKitOptions> = {},
    events: BuildEvent[] = [],
    choice = buildkit,
  ): Promise<string> => {
    const id = await build(
      engine,
      {
        scan: scanContext(dir),
        dockerfile: 'Dockerfile',
        tag: t,
        labels: { [TEST_LABEL]: RUN_ID },
        onEvent: (e) => events.push(e),
        ...extra,
      },
      choice,
    );
    built.add(id);
    return id;
  };

  test('this machine: Debian’s docker 20.10 with built-in BuildKit is chosen, docker 28 without buildx is not, and why', () => {
    assert.equal(buildkit.kind, 'buildkit');
    if (buildkit.kind !== 'buildkit') return;
    assert.equal(fs.realpathSync(buildkit.cli.path), fs.realpathSync(DEBIAN_DOCKER));
    assert.equal(buildkit.cli.mode, 'built-in');
    assert.match(buildkit.cli.version, /^20\.10\./);
    const local = buildkit.decision.rejected.find((r) => r.path === '/usr/local/bin/docker');
    if (fs.existsSync('/usr/local/bin/docker')) assert.match(local?.why ?? '', /has no buildx plugin, and from 23\.0 on/);
  });

  test('a cache mount builds, and a rebuild after a change to an earlier file finds what the first build left in it', async () => {
    const cacheId = `berth-test-${RUN_ID}`;
    const dockerfile =
      `FROM ${BUSYBOX}\nCOPY early.txt /early.txt\n` +
      `RUN --mount=type=cache,id=${cacheId},target=/cache sh -c 'cat /early.txt >> /cache/seen; echo "cache holds $(wc -l < /cache/seen) line(s): $(cat /cache/seen | tr "\\n" " ")"'\n`;
    // contents unique to the run: BuildKit caches a COPY by content, across runs
    const dir = project({ Dockerfile: dockerfile, 'early.txt': `first-${RUN_ID}\n` });
    const t = tag('cache');
    const first: BuildEvent[] = [];
    await run(dir, t, {}, first);
    assert.ok(outputs(first).includes(`cache holds 1 line(s): first-${RUN_ID} `), outputs(first).join('\n'));
    fs.writeFileSync(path.join(dir, 'early.txt'), `second-${RUN_ID}\n`);
    const second: BuildEvent[] = [];
    await run(dir, t, {}, second);
    assert.ok(outputs(second).includes(`cache holds 2 line(s): first-${RUN_ID} second-${RUN_ID} `), outputs(second).join('\n'));
    assert.deepEqual(
      // the FROM of a local image is "DONE" or "CACHED" as BuildKit pleases
      steps(second)
        .slice(1)
        .map((s) => `${s.index}/${s.total}${s.cached === true ? ' cached' : ''}`),
      ['2/3', '3/3'],
      'COPY changed, so it and the RUN after it ran again',
    );
  });

  test('a secret from the environment reaches the RUN, and is not in the image history, any argv or the events', async () => {
    const value = `s3cr3t-${RUN_ID}`;
    // the Dockerfile holds only its digest
    const md5 = crypto.createHash('md5').update(value).digest('hex');
    const dir = project({
      Dockerfile:
        `FROM ${BUSYBOX}\n` +
        `RUN --mount=type=secret,id=tok sh -c 'test "$(md5sum < /run/secrets/tok | cut -c1-32)" = ${md5} && echo secret-matches && sleep 2'\n`,
    });
    const t = tag('secret');
    const events: BuildEvent[] = [];
    const seenInArgv: string[] = [];
    const watch = setInterval(() => seenInArgv.push(...argvHolding(value)), 100);
    try {
      await run(dir, t, { secrets: [{ id: 'tok', value }], noCache: true }, events);
    } finally {
      clearInterval(watch);
    }
    assert.ok(outputs(events).includes('secret-matches'), outputs(events).join('\n'));
    assert.deepEqual(seenInArgv, [], 'no process had the value in its command line');
    assert.ok(!JSON.stringify(events).includes(value), 'no event holds it');
    const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', t]);
    assert.ok(!history.includes(value) && history.includes('secret'), history);
    assert.ok(!fs.readdirSync(os.tmpdir()).some((f) => f.includes(value)), 'no file named after it');
  });

  test('a wrong secret value fails the RUN, named with its step', async () => {
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=secret,id=tok sh -c 'test "$(cat /run/secrets/tok)" = right'\n` });
    await assert.rejects(run(dir, tag('secret-wrong'), { secrets: [{ id: 'tok', value: 'wrong' }] }), (err: unknown) => {
      assert.ok(err instanceof BuildFailedError, String(err));
      assert.equal(err.step?.index, 2);
      assert.match(err.message, /exit code: 1/);
      assert.ok(!err.message.includes('wrong'));
      return true;
    });
  });

  test('target and build args: only the target stage is built, with the argument’s value', async () => {
    const dir = project({
      Dockerfile:
        `FROM ${BUSYBOX} AS base\nARG GREETING=hello\nRUN echo "greeting=$GREETING" && echo "$GREETING" > /g\n` +
        `FROM base AS serve\nRUN echo serve-stage\nFROM base AS never\nRUN echo never-stage && exit 9\n`,
    });
    const t = tag('target');
    const events: BuildEvent[] = [];
    await run(dir, t, { target: 'serve', buildArgs: { GREETING: 'bonjour' }, noCache: true }, events);
    assert.ok(outputs(events).includes('greeting=bonjour'), outputs(events).join('\n'));
    assert.ok(outputs(events).includes('serve-stage'));
    assert.ok(!outputs(events).includes('never-stage'));
    assert.deepEqual([...new Set(steps(events).map((s) => s.stage))].sort(), ['base', 'serve']);
    const stdout = await docker(['image', 'inspect', '--format', `{{index .Config.Labels "${TEST_LABEL}"}}`, t]);
    assert.equal(stdout.trim(), RUN_ID);
  });

  test('a rebuild with nothing changed: every RUN flagged cached, the same image', async () => {
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo one > /one\nRUN echo two > /two\n` });
    const t = tag('cached');
    const firstId = await run(dir, t);
    const events: BuildEvent[] = [];
    const secondId = await run(dir, t, {}, events);
    assert.equal(secondId, firstId);
    assert.deepEqual(
      // the FROM of a local image is "DONE" or "CACHED" as BuildKit pleases
      steps(events)
        .slice(1)
        .map((s) => `${s.index}/${s.total} ${String(s.cached)}`),
      ['2/3 true', '3/3 true'],
    );
  });

  test('a failing step is named, with its output', async () => {
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo preparing\nRUN echo "model not found" >&2; exit 3\nRUN echo never\n` });
    await assert.rejects(run(dir, tag('broken'), { noCache: true }), (err: unknown) => {
      assert.ok(err instanceof BuildFailedError, String(err));
      assert.deepEqual(err.step, { index: 3, total: 4, instruction: 'RUN echo "model not found" >&2; exit 3' });
      assert.ok(err.output.includes('model not found'), err.output.join('\n'));
      assert.match(
        err.message,
        /^Build failed at step 3\/4 \(RUN echo "model not found" >&2; exit 3\): executor failed running .*exit code: 3$/,
      );
      return true;
    });
  });

  test('cancel: the CLI is killed and the build’s RUN stops on the engine (its process disappears)', async () => {
    const marker = `${37 + (process.pid % 50)}.${RUN_ID.replace(/\D/g, '').slice(0, 4)}`;
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo started && sleep ${marker}\n` });
    const controller = new AbortController();
    let sawRunning = false;
    const building = run(dir, tag('cancel'), {
      noCache: true,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'output' && e.text === 'started') {
          setTimeout(() => {
            sawRunning = processesWith(`sleep ${marker}`).length > 0;
            controller.abort();
          }, 500);
        }
      },
    });
    const rejected = assert.rejects(building, CancelledError);
    while (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sawRunning, 'the RUN was running when cancelled');
    // looked at while the sleep still had half a minute to go: gone means stopped, not finished
    let left = processesWith(`sleep ${marker}`);
    for (let i = 0; i < 100 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = processesWith(`sleep ${marker}`);
    }
    assert.deepEqual(left, [], 'the sleep of the cancelled RUN is gone');
    await rejected;
    assert.deepEqual(processesWith(dir), [], 'no docker CLI is left building the folder');
  });

  test('heredocs with the built-in frontend: refused before the build, explained', async () => {
    const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN <<EOF\necho hi\nEOF\n` });
    await assert.rejects(
      run(dir, tag('heredoc')),
      /Dockerfile uses heredocs \(line 2\), which need the dockerfile:1\.4\+ frontend; the built-in BuildKit that \/usr\/bin\/docker 20\.10\.24 uses \(Docker Engine 20\.10\.24\) has an older one/,
    );
  });

  test('a # syntax= line whose frontend image cannot be pulled: the line, the registry, what to do', async () => {
    const dir = project({ Dockerfile: `# syntax=docker/dockerfile:1.4\nFROM ${BUSYBOX}\nRUN echo hi\n` });
    await assert.rejects(run(dir, tag('syntax')), (err: unknown) => {
      assert.ok(err instanceof BuildFailedError, String(err));
      assert.match(
        err.message,
        /^Build failed: line 1 of Dockerfile, "# syntax=docker\/dockerfile:1\.4", asks BuildKit to pull that frontend image from a registry, and the registry cannot be reached \(.+\)\. Remove the line to build with the built-in frontend, or make the image available/,
      );
      return true;
    });
  });

  test('the classic builder: when the setting says so, and when no CLI has BuildKit; BuildKit-only lines refused by line', async () => {
    const classic = await chooseBuilder(engine, { setting: 'classic', finder: new BuildKitFinder() });
    const none = await chooseBuilder(engine, { setting: 'auto', finder: new BuildKitFinder(), candidates: [] });
    assert.equal(none.kind, 'classic');
    for (const choice of [classic, none]) {
      const dir = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN echo classic\n` });
      const events: BuildEvent[] = [];
      const t = tag('classic');
      const id = await run(dir, t, {}, events, choice);
      assert.equal((await engine.inspectImage(t)).id, id);
      assert.deepEqual(
        steps(events).map((s) => `Step ${s.index}/${s.total} : ${s.instruction}`),
        [`Step 1/3 : FROM ${BUSYBOX}`, 'Step 2/3 : RUN echo classic', `Step 3/3 : LABEL ${TEST_LABEL}=${RUN_ID}`].slice(
          0,
          steps(events).length,
        ),
      );
      const mount = project({ Dockerfile: `FROM ${BUSYBOX}\nRUN --mount=type=cache,target=/c ls /c\n` });
      await assert.rejects(run(mount, tag('classic-mount'), {}, [], choice), /line 2: RUN --mount=type=cache/);
    }
  });
});
