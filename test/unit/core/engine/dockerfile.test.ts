import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildKitNeeds, dockerfileInstructions, needsBuildKitMessage } from '../../../../src/core/engine/dockerfile';

describe('what a Dockerfile needs from BuildKit', () => {
  test('each BuildKit-only form, at the line its instruction starts', () => {
    const text = [
      '# syntax=docker/dockerfile:1.7', // 1
      'FROM python:3.12-slim', // 2
      'RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt', // 3
      'RUN --mount=type=secret,id=hf \\', // 4
      '    cat /run/secrets/hf', // 5
      'RUN --network=none make test', // 6
      'COPY --link --chmod=755 app/ /app/', // 7
      'RUN <<EOF', // 8
      'echo hello',
      'EOF',
      'ADD --checksum=sha256:0 https://example.invalid/x /x', // 11
    ].join('\n');
    assert.deepEqual(buildKitNeeds(text), [
      { line: 1, what: '# syntax=docker/dockerfile:1.7 (a frontend image)' },
      { line: 3, what: 'RUN --mount=type=cache' },
      { line: 4, what: 'RUN --mount=type=secret' },
      { line: 6, what: 'RUN --network' },
      { line: 7, what: 'COPY --link' },
      { line: 8, what: 'RUN <<heredoc' },
      { line: 11, what: 'ADD --checksum' },
    ]);
  });

  test('what the classic builder builds needs nothing', () => {
    const text = [
      '# a comment, not a directive: syntax=docker/dockerfile:1',
      'FROM python:3.12-slim AS base',
      'ARG BASE=python:3.12-slim',
      'COPY --from=base /a /b',
      'COPY --chown=1000:1000 app/ /app/',
      "RUN echo '--mount=type=cache is only text here' && cat <file.txt",
      'RUN python -c "print(1 << 3)"',
      'HEALTHCHECK --interval=30s CMD curl -f http://127.0.0.1/ || exit 1',
    ].join('\n');
    assert.deepEqual(buildKitNeeds(text), []);
  });

  test('a syntax directive counts only before the first instruction', () => {
    assert.deepEqual(buildKitNeeds('FROM busybox\n# syntax=docker/dockerfile:1\nRUN true'), []);
  });

  test('the message names the file, the first lines and what to do', () => {
    const message = needsBuildKitMessage('Dockerfile', [
      { line: 3, what: 'RUN --mount=type=cache' },
      { line: 4, what: 'RUN --mount=type=secret' },
      { line: 6, what: 'RUN --network' },
      { line: 7, what: 'COPY --link' },
    ]);
    assert.match(
      message,
      /^Dockerfile needs BuildKit \(line 3: RUN --mount=type=cache; line 4: RUN --mount=type=secret; line 6: RUN --network and 1 more\)/,
    );
    assert.match(message, /DOCKER_BUILDKIT=1 docker build, or docker buildx build/);
  });
});

describe('dockerfileInstructions', () => {
  test('continuation lines joined, comments inside dropped, each instruction with the line it starts on', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM base AS build',
      '',
      'RUN apt-get update && \\',
      '    # a comment inside the instruction',
      '    apt-get install -y curl',
      '  # an indented comment',
      'COPY a \\',
      '  b /dst/',
      'CMD ["x"]',
    ].join('\r\n');
    assert.deepEqual(dockerfileInstructions(text), [
      { line: 2, text: 'FROM base AS build' },
      { line: 4, text: 'RUN apt-get update &&  apt-get install -y curl' },
      { line: 8, text: 'COPY a  b /dst/' },
      { line: 10, text: 'CMD ["x"]' },
    ]);
  });
});
