/**
 * Log search against the real engine: containers that write known lines to stdout and stderr at
 * known times, searched by text, regex, stderr only, time window and container list; a search
 * cancelled mid-log stops at once; a 200,000-line log is searched without holding it in memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Engine } from '../../src/core/engine/engine';
import { containerLogs } from '../../src/core/engine/logs';
import { searchLogs, type LogMatch, type LogSearchEvent, type LogSearchQuery } from '../../src/core/logsearch/search';
import { cleanup, collect, connect, RUN_ID, run } from './harness';

const TOKEN = `berth-search-${RUN_ID}`;

async function matches(engine: Engine, query: LogSearchQuery, signal?: AbortSignal): Promise<LogMatch[]> {
  const events = await collect(searchLogs(engine, query, signal));
  return events.flatMap((e) => (e.kind === 'match' ? [e.match] : []));
}

const texts = (found: LogMatch[]): string[] => found.map((m) => `${m.containerName}:${m.stream}:${m.line}`).sort();

describe('engine: log search', { timeout: 300_000 }, () => {
  let engine: Engine;
  let alpha: string;
  let beta: string;
  let big: string;
  /** Between alpha's two batches of lines (engine time). */
  let middle: Date;

  before(async () => {
    engine = await connect();
    // two batches two seconds apart: the window tests cut between them
    alpha = await run(engine, {
      name: `berth-search-alpha-${RUN_ID}`,
      Cmd: [
        'sh',
        '-c',
        `echo "${TOKEN} alpha ok"; echo "${TOKEN} alpha ERROR disk" >&2; sleep 2; echo "${TOKEN} alpha took 15ms"; echo "${TOKEN} alpha Error net" >&2`,
      ],
    });
    beta = await run(engine, {
      name: `berth-search-beta-${RUN_ID}`,
      Cmd: ['sh', '-c', `echo "${TOKEN} beta error in stdout"; echo "${TOKEN} beta took 300ms" >&2`],
    });
    // 200,000 lines of ~320 bytes (about 64 MB of log), one of them a needle
    big = await run(engine, {
      name: `berth-search-big-${RUN_ID}`,
      Cmd: [
        'awk',
        `BEGIN { s = sprintf("%300s", ""); gsub(/ /, "x", s); for (i = 1; i <= 200000; i++) { if (i == 123456) print "${TOKEN} needle " i; else print i " " s } }`,
      ],
    });
    await Promise.all([engine.waitContainer(alpha), engine.waitContainer(beta), engine.waitContainer(big)]);
    const lines = await collect(containerLogs(engine, alpha));
    const first = lines.find((l) => l.text.endsWith('alpha ERROR disk'));
    const second = lines.find((l) => l.text.endsWith('alpha took 15ms'));
    assert.ok(first && second, 'alpha wrote its lines');
    middle = new Date((Date.parse(first.time) + Date.parse(second.time)) / 2);
  });
  after(() => cleanup(engine));

  test('text: case-insensitive, every matching line of the listed containers, with container, stream, time and ranges', async () => {
    const found = await matches(engine, { pattern: 'error', containers: [alpha, beta] });
    assert.deepEqual(texts(found), [
      `berth-search-alpha-${RUN_ID}:stderr:${TOKEN} alpha ERROR disk`,
      `berth-search-alpha-${RUN_ID}:stderr:${TOKEN} alpha Error net`,
      `berth-search-beta-${RUN_ID}:stdout:${TOKEN} beta error in stdout`,
    ]);
    for (const m of found) {
      const [start, end] = m.ranges[0]!;
      assert.equal(m.line.slice(start, end).toLowerCase(), 'error');
      assert.ok(Math.abs(m.time.getTime() - Date.now()) < 300_000, 'the engine time of the line');
      assert.match(m.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    }
    const alphas = found.filter((m) => m.containerId === alpha);
    assert.deepEqual(
      alphas.map((m) => m.line),
      [`${TOKEN} alpha ERROR disk`, `${TOKEN} alpha Error net`],
      'a container’s results in time order',
    );
    assert.ok(alphas[0]!.time < alphas[1]!.time);
  });

  test('regex with ranges; stderr only', async () => {
    const found = await matches(engine, { pattern: '/took (\\d+)ms/', containers: [alpha, beta] });
    assert.deepEqual(texts(found), [
      `berth-search-alpha-${RUN_ID}:stdout:${TOKEN} alpha took 15ms`,
      `berth-search-beta-${RUN_ID}:stderr:${TOKEN} beta took 300ms`,
    ]);
    const b = found.find((m) => m.containerId === beta)!;
    assert.equal(b.line.slice(...b.ranges[0]!), 'took 300ms');

    const stderr = await matches(engine, { pattern: 'error', containers: [alpha, beta], stderrOnly: true });
    assert.deepEqual(texts(stderr), [
      `berth-search-alpha-${RUN_ID}:stderr:${TOKEN} alpha ERROR disk`,
      `berth-search-alpha-${RUN_ID}:stderr:${TOKEN} alpha Error net`,
    ]);
  });

  test('since and until windows', async () => {
    const later = await matches(engine, { pattern: TOKEN, containers: [alpha], since: middle });
    assert.deepEqual(new Set(later.map((m) => m.line)), new Set([`${TOKEN} alpha took 15ms`, `${TOKEN} alpha Error net`]));
    const earlier = await matches(engine, { pattern: TOKEN, containers: [alpha], until: middle });
    assert.deepEqual(new Set(earlier.map((m) => m.line)), new Set([`${TOKEN} alpha ok`, `${TOKEN} alpha ERROR disk`]));
    const none = await matches(engine, { pattern: TOKEN, containers: [alpha], since: new Date(Date.now() + 60_000) });
    assert.deepEqual(none, []);
  });

  test('the container list: only those; every container when absent; an unknown one is reported, not fatal', async () => {
    const onlyBeta = await matches(engine, { pattern: TOKEN, containers: [beta] });
    assert.ok(onlyBeta.length === 2 && onlyBeta.every((m) => m.containerId === beta));
    const everywhere = await matches(engine, { pattern: `/${TOKEN} (alpha|beta)/` });
    assert.deepEqual(new Set(everywhere.map((m) => m.containerId)), new Set([alpha, beta]), 'all containers, stopped ones too');

    const events = await collect(searchLogs(engine, { pattern: TOKEN, containers: ['0123456789abcdef', beta] }));
    const failed = events.filter((e) => e.kind === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.kind === 'failed' && failed[0]!.reason, 'removed');
    assert.equal(events.filter((e) => e.kind === 'match').length, 2, 'the other container is still searched');
  });

  test('maxResults stops the search with a limit event', async () => {
    const events = await collect(searchLogs(engine, { pattern: 'x', containers: [big], maxResults: 50 }));
    assert.equal(events.filter((e) => e.kind === 'match').length, 50);
    assert.deepEqual(events.at(-1), { kind: 'limit', maxResults: 50 });
  });

  test('cancelling stops every stream promptly', async () => {
    const controller = new AbortController();
    let seen = 0;
    let abortedAt = 0;
    const events: LogSearchEvent[] = [];
    for await (const event of searchLogs(
      engine,
      { pattern: '/^\\d+ x/', containers: [big, alpha], maxResults: 1_000_000 },
      controller.signal,
    )) {
      events.push(event);
      if (event.kind === 'match' && event.match.containerId === big && ++seen === 1000) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
    const took = performance.now() - abortedAt;
    assert.ok(abortedAt > 0, 'the search got under way');
    assert.ok(took < 1000, `ended ${Math.round(took)} ms after Cancel`);
    assert.ok(seen < 10_000, `stopped reading: ${seen} matches taken`);
    assert.ok(
      !events.some((e) => e.kind === 'done' && e.container.id === big && e.lines === 200_000),
      'the big log was not read to its end',
    );
  });

  test('a 200,000-line log is streamed, not held: the live heap mid-search stays far below its size', async () => {
    // a full collection on demand, so what is measured is what the search holds, not garbage
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().heapUsed;
    let live: number | undefined;
    const events: LogSearchEvent[] = [];
    for await (const event of searchLogs(engine, { pattern: 'needle', containers: [big] })) {
      // the needle is line 123,456 of 200,000: measured there, with most of the log read
      if (event.kind === 'match') {
        gc();
        live = process.memoryUsage().heapUsed;
      }
      events.push(event);
    }
    const found = events.flatMap((e) => (e.kind === 'match' ? [e.match] : []));
    assert.deepEqual(
      found.map((m) => m.line),
      [`${TOKEN} needle 123456`],
    );
    const done = events.find((e) => e.kind === 'done');
    assert.ok(done?.kind === 'done' && done.lines === 200_000, 'every line was read');
    const growth = ((live ?? Infinity) - base) / 1024 / 1024;
    console.log(`live heap growth two thirds into the 200,000-line log: ${growth.toFixed(1)} MB`);
    // 123,456 lines read by then, ~40 MB of text (~80 MB as JS strings): holding them would show
    assert.ok(growth < 10, `the live heap grew ${growth.toFixed(1)} MB two thirds into a 64 MB log`);
  });
});
