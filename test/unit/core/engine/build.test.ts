import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildFailureReason, dockerfileOutline, parseBuildMessage } from '../../../../src/core/engine/build';

describe('build stream and Dockerfile outline', () => {
  test('steps, output and the image id from the engine messages (Engine 20.10 format)', () => {
    assert.deepEqual(parseBuildMessage({ stream: 'Step 3/9 : RUN pip install numpy\n' }), [
      { kind: 'step', step: { index: 3, total: 9, instruction: 'RUN pip install numpy' } },
    ]);
    assert.deepEqual(parseBuildMessage({ stream: ' ---> Running in 1a2b3c\nline one\n' }), [
      { kind: 'output', text: ' ---> Running in 1a2b3c' },
      { kind: 'output', text: 'line one' },
    ]);
    assert.deepEqual(parseBuildMessage({ aux: { ID: 'sha256:abc' } }), [{ kind: 'done', imageId: 'sha256:abc' }]);
    assert.deepEqual(parseBuildMessage({ stream: '\n' }), []);
    // Podman's builder writes its steps in capitals, without the space before the colon
    assert.deepEqual(parseBuildMessage({ stream: 'STEP 2/6: COPY serve.py /app/\n' }), [
      { kind: 'step', step: { index: 2, total: 6, instruction: 'COPY serve.py /app/' } },
    ]);
  });

  test("a full disk is named first, with what to do; other failures keep the engine's message", () => {
    const exit = "The command '/bin/sh -c dd if=/dev/zero of=/fill bs=1M' returned a non-zero code: 1";
    assert.equal(
      buildFailureReason(exit, ["dd: error writing '/fill': No space left on device", '150+0 records in']),
      `no space left on device — the engine's disk is full; free space (unused images, containers, build cache) and build again (${exit})`,
    );
    assert.match(buildFailureReason('failed to register layer: write /x: no space left on device', []), /^no space left on device — /);
    assert.equal(buildFailureReason(exit, ['dd: bad option']), exit);
  });

  test('stages and ARG defaults', () => {
    const outline = dockerfileOutline(`# syntax=docker/dockerfile:1
ARG BASE=python:3.12-slim
FROM \${BASE} AS deps
ARG TORCH_VERSION="2.4.0"
RUN pip install \\
    torch==\${TORCH_VERSION}
FROM --platform=linux/amd64 deps as serve
ARG PORT
ARG BASE
`);
    assert.deepEqual(outline.stages, ['deps', 'serve']);
    assert.deepEqual(outline.args, [
      { name: 'BASE', default: 'python:3.12-slim' },
      { name: 'TORCH_VERSION', default: '2.4.0' },
      { name: 'PORT' },
    ]);
  });
});
