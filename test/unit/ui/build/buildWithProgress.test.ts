import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { progressMessage } from '../../../../src/ui/build/buildWithProgress';

describe('the build notification', () => {
  test('"step k of n", the stage when BuildKit named one, and cached steps said', () => {
    assert.equal(
      progressMessage({ index: 3, total: 7, instruction: 'RUN pip install -r requirements.txt' }),
      'step 3 of 7 — RUN pip install -r requirements.txt',
    );
    assert.equal(progressMessage({ index: 3, total: 7, instruction: 'COPY . /app', cached: true }), 'step 3 of 7 (cached) — COPY . /app');
    assert.equal(
      progressMessage({ index: 2, total: 5, instruction: 'COPY --from=deps /deps /deps', stage: 'stage-2', cached: false }),
      'step 2 of 5 in stage-2 — COPY --from=deps /deps /deps',
    );
    assert.equal(progressMessage({ index: 2, total: 3, instruction: 'RUN make', stage: 'stage-0' }, false), 'step 2 of 3 — RUN make');
    assert.equal(progressMessage({ index: 1, total: 2, instruction: `RUN ${'x'.repeat(100)}` }).length, 'step 1 of 2 — '.length + 60);
  });
});
