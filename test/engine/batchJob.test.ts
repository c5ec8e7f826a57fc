import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeBatch, runBatchJob } from '../../src/core/engine/batchJob';
import type { Engine } from '../../src/core/engine/engine';
import type { LogLine } from '../../src/core/engine/logs';
import { toCreateOptions } from '../../src/core/project/createOptions';
import { batchProfile } from '../../src/core/project/batchProfile';
import { parseBerthConfig } from '../../src/core/project/runProfile';
import { cleanup, connect, PYTHON, RUN_ID, TEST_LABEL } from './harness';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-batch-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  fs.mkdirSync(path.join(dir, 'output'));
  return dir;
}

function plan(dir: string, file: string, extra = '') {
  const { profiles } = parseBerthConfig(`profiles:\n  job:\n    image: ${PYTHON}\n${extra}`);
  const profile = batchProfile(profiles[0]!, dir, path.join(dir, file));
  return toCreateOptions(profile, { image: PYTHON, projectDir: dir, extraLabels: { [TEST_LABEL]: RUN_ID } });
}

describe('engine: batch jobs run to completion', { timeout: 120_000 }, () => {
  let engine: Engine;
  const dirs: string[] = [];
  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('input read-only, output written back, logs streamed, exit code and duration', async () => {
    const dir = project({
      'data/samples.txt': 'a\nb\nc\n',
      'job.py': [
        'import os, sys',
        'rows = open(os.path.join(os.environ["INPUT_DIR"], "samples.txt")).read().split()',
        'print(f"read {len(rows)} rows")',
        'print("a warning", file=sys.stderr)',
        'open(os.path.join(os.environ["OUTPUT_DIR"], "result.txt"), "w").write(",".join(rows))',
        'try:',
        '    open("/input/forbidden", "w")',
        'except OSError as e:',
        '    print("input is read-only:", e.errno == 30)',
      ].join('\n'),
    });
    dirs.push(dir);
    const lines: LogLine[] = [];
    const result = await runBatchJob(engine, plan(dir, 'job.py'), { onLine: (l) => lines.push(l) });
    assert.equal(result.exitCode, 0);
    assert.equal(result.oomKilled, false);
    assert.ok(result.durationMs > 0);
    // stdout and stderr each in order (their relative order is the engine's to choose)
    assert.ok(lines.some((l) => l.stream === 'stdout' && l.text === 'read 3 rows'));
    assert.ok(lines.some((l) => l.stream === 'stderr' && l.text === 'a warning'));
    assert.ok(lines.some((l) => l.text === 'input is read-only: True'));
    assert.equal(fs.readFileSync(path.join(dir, 'output', 'result.txt'), 'utf8'), 'a,b,c');
    assert.match(describeBatch('job', result), /^Batch job job finished: exit 0 in \d+\.\d s\.$/);
  });

  test('a job past its memory limit is reported as OOM-killed, with the limit', async () => {
    const dir = project({ 'hog.py': 'x = [bytearray(16 * 2**20) for _ in range(16)]\nprint("survived")\n' });
    dirs.push(dir);
    const result = await runBatchJob(engine, plan(dir, 'hog.py', '    memory: 64m\n'));
    assert.equal(result.exitCode, 137);
    assert.equal(result.oomKilled, true);
    assert.match(describeBatch('hog', result), /killed for running out of memory \(exit 137\).*memory limit of 64 MiB/);
  });

  test('a failing job: its exit code', async () => {
    const dir = project({ 'fail.py': 'import sys\nprint("bad input")\nsys.exit(3)\n' });
    dirs.push(dir);
    const result = await runBatchJob(engine, plan(dir, 'fail.py'));
    assert.equal(result.exitCode, 3);
    assert.match(describeBatch('fail', result), /failed: exit 3/);
  });
});
