import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { BuildEvent, BuildStep } from '../../../../src/core/engine/build';
import { BuildFailedError } from '../../../../src/core/engine/build';
import { PlainProgress, stepOf } from '../../../../src/core/build/plainProgress';

const FIXTURES = path.resolve(__dirname, '../../../fixtures/buildkit');

/** Feed a captured `--progress=plain` output through the parser. */
function parse(name: string): { events: BuildEvent[]; progress: PlainProgress } {
  const progress = new PlainProgress();
  const events: BuildEvent[] = [];
  for (const line of fs.readFileSync(path.join(FIXTURES, name), 'utf8').split('\n')) events.push(...progress.push(line));
  events.push(...progress.end());
  return { events, progress };
}

const steps = (events: readonly BuildEvent[]): BuildStep[] => events.flatMap((e) => (e.kind === 'step' ? [e.step] : []));
const label = (s: BuildStep): string => `${s.stage ?? ''} ${s.index}/${s.total}${s.cached === true ? ' cached' : ''}`;

describe('BuildKit plain progress (output of /usr/bin/docker 20.10 with built-in BuildKit)', () => {
  test('step names: stage, k of n, instruction; [internal] and exporting are not steps', () => {
    assert.deepEqual(stepOf('[deps 2/3] RUN echo hi'), { index: 2, total: 3, instruction: 'RUN echo hi', stage: 'deps' });
    assert.deepEqual(stepOf('[3/4] RUN make'), { index: 3, total: 4, instruction: 'RUN make' });
    assert.equal(stepOf('[internal] load build definition from Dockerfile'), undefined);
    assert.equal(stepOf('exporting to image'), undefined);
  });

  test('a multi-stage build with parallel stages: every step once, per stage, output attributed to its step', () => {
    const { events, progress } = parse('multistage-cold.txt');
    assert.deepEqual(steps(events).map(label), [
      'assets 1/3',
      'deps 2/3',
      'assets 2/3',
      'assets 3/3',
      'deps 3/3',
      'stage-2 2/5',
      'stage-2 3/5',
      'stage-2 4/5',
      'stage-2 5/5',
    ]);
    // #5 (deps) printed a line, then #8 (assets) ran and printed, then #5 came back: each line to its own step
    const outputs = events.flatMap((e) => (e.kind === 'output' ? [`${e.step ? label(e.step) : '-'}: ${e.text}`] : []));
    assert.deepEqual(outputs, [
      'deps 2/3: deps-start',
      'assets 2/3: asset 1',
      'assets 2/3: asset 2',
      'assets 2/3: asset 3',
      'deps 3/3: cached-run',
      'stage-2 5/5: deps-done',
      'stage-2 5/5: assets',
      'stage-2 5/5: app1',
    ]);
    assert.equal(progress.imageId, 'sha256:d6260c58f12de91ec59745da868f75eaffe0fc33bfbd7abb31aee91c6240dddf');
    assert.deepEqual(events.at(-1), { kind: 'done', imageId: progress.imageId });
    assert.equal(progress.failedVertex, undefined);
  });

  test('a rebuild after a change to a late file: the earlier steps come flagged as cached, the rest not', () => {
    const { events } = parse('multistage-rebuild.txt');
    assert.deepEqual(steps(events).map(label), [
      'assets 1/3',
      'stage-2 2/5 cached',
      'assets 3/3 cached',
      'assets 2/3 cached',
      'deps 2/3 cached',
      'deps 3/3 cached',
      'stage-2 3/5 cached',
      'stage-2 4/5',
      'stage-2 5/5',
    ]);
  });

  test('a failing step: named, with its output (stdout and stderr), and the CLI’s last word as the reason', () => {
    const { events, progress } = parse('failing-step.txt');
    assert.deepEqual(steps(events).map(label), [' 1/4 cached', ' 2/4', ' 3/4']);
    const err = progress.failure(1);
    assert.ok(err instanceof BuildFailedError);
    assert.deepEqual(err.step, { index: 3, total: 4, instruction: 'RUN echo "model not found" >&2; echo line2; exit 3' });
    assert.deepEqual(err.output, ['line2', 'model not found']);
    assert.equal(
      err.message,
      'Build failed at step 3/4 (RUN echo "model not found" >&2; echo line2; exit 3): executor failed running [/bin/sh -c echo "model not found" >&2; echo line2; exit 3]: exit code: 3',
    );
  });

  test('a failure outside any step (the frontend image not resolved) names the vertex; a parse error is the last word', () => {
    const syntax = parse('syntax-registry-unreachable.txt').progress;
    assert.equal(syntax.failedVertex?.name, 'resolve image config for docker.io/docker/dockerfile:1.4');
    assert.match(syntax.failedVertex?.error ?? '', /no such host/);
    assert.match(syntax.failure(1).message, /^Build failed: resolve image config for docker\.io\/docker\/dockerfile:1\.4: failed to solve/);
    const heredoc = parse('heredoc-builtin-frontend.txt').progress;
    assert.equal(heredoc.failedVertex, undefined);
    assert.equal(
      heredoc.failure(1).message,
      'Build failed: failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 3: unknown instruction: ECHO',
    );
    assert.equal(new PlainProgress().failure(137).message, 'Build failed: the docker CLI exited with code 137');
  });

  test('lines split anywhere and CRLF endings parse the same', () => {
    const progress = new PlainProgress();
    const events = ['#5 [2/2] RUN echo hi\r', '#5 sha256:00\r', '#5 0.1 hi\r', '#5 DONE 0.1s\r'].flatMap((l) => progress.push(l));
    assert.deepEqual(events, [
      { kind: 'step', step: { index: 2, total: 2, instruction: 'RUN echo hi' } },
      { kind: 'output', text: 'hi', step: { index: 2, total: 2, instruction: 'RUN echo hi' } },
    ]);
  });
});
