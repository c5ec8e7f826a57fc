import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mountNeeds } from '../../../../src/core/build/mounts';

describe('what RUN --mount asks of a build', () => {
  test('secret ids (given, or the target’s basename), each once, with the line of first use', () => {
    const text = [
      '# syntax=docker/dockerfile:1',
      'FROM python:3.12',
      'RUN --mount=type=secret,id=hf_token \\',
      '    --mount=type=cache,target=/root/.cache/pip \\',
      '    HF_TOKEN=$(cat /run/secrets/hf_token) python fetch.py',
      'RUN --mount=type=secret,target=/root/.netrc,mode=0400 pip install -r requirements.txt',
      'RUN --mount=type=secret,id=hf_token echo again',
      '# RUN --mount=type=secret,id=commented',
      'COPY --from=x /a /b',
    ].join('\n');
    assert.deepEqual(mountNeeds(text), {
      secrets: [
        { id: 'hf_token', line: 3 },
        { id: '.netrc', line: 6 },
      ],
      ssh: [],
    });
  });

  test('ssh mounts: the default agent or a named id', () => {
    const text = 'FROM x\nRUN --mount=type=ssh git clone git@github.com:me/private.git\nRUN --mount=type=ssh,id=deploy true\n';
    assert.deepEqual(mountNeeds(text).ssh, [
      { id: 'default', line: 2 },
      { id: 'deploy', line: 3 },
    ]);
    assert.deepEqual(mountNeeds('FROM x\nRUN echo --mount=type=ssh-less\n'), { secrets: [], ssh: [] });
  });
});
