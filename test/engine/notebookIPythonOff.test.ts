/**
 * CompareInput.ipython: false — the standard-library runner runs the cells even in an image that
 * has IPython, in a new container and in one started ahead of time: the IPython lines are skipped
 * as in an image without IPython, and the runner does not name IPython.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Engine } from '../../src/core/engine/engine';
import { DEFAULT_SETTINGS } from '../../src/core/notebook/compareCells';
import { compareNotebook, type ComparisonReport } from '../../src/core/notebook/comparison';
import { WarmRunners } from '../../src/core/notebook/warmRunners';
import { cleanup, connect, IPYTHON, labels } from './harness';

const FIXTURES = path.resolve(__dirname, '../fixtures/notebooks');
const NOTEBOOK = path.join(FIXTURES, 'ipython-magics.ipynb');

function assertStandardRunner(report: ComparisonReport): void {
  assert.deepEqual(report.outcome, { kind: 'completed' });
  assert.equal(report.containerEnvironment?.ipython, undefined, 'the runner does not run IPython');
  const cell = (ordinal: number) => report.cells.find((c) => c.ordinal === ordinal);
  assert.equal(cell(11)?.status, 'skipped');
  assert.match(cell(11)?.reason ?? '', /%%bash is IPython syntax/);
  assert.deepEqual(cell(3)?.skipped, ['!echo hello from a shell line']);
  assert.equal(cell(1)?.status, 'identical');
}

describe('engine: the standard-library runner forced in an image with IPython', { timeout: 180_000 }, () => {
  let engine: Engine;
  const input = {
    notebookPath: NOTEBOOK,
    workspaceDir: FIXTURES,
    image: IPYTHON,
    settings: { ...DEFAULT_SETTINGS, timeoutSeconds: 60 },
    ipython: false,
  } as const;

  before(async () => {
    engine = await connect();
  });
  after(async () => {
    await cleanup(engine);
  });

  test('in a new container', async () => {
    assertStandardRunner(await compareNotebook(engine, { ...input, labels: labels() }));
  });

  test('in a container started ahead of time (its runner has IPython imported)', async () => {
    const warm = new WarmRunners(engine);
    const withWarm = { ...input, labels: labels(), warm };
    try {
      await compareNotebook(engine, withWarm);
      await warm.settled();
      assertStandardRunner(await compareNotebook(engine, withWarm));
    } finally {
      await warm.dispose();
    }
  });
});
