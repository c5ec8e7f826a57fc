import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseGpuQuery } from '../../../../src/core/fleet/probes';

describe('parseGpuQuery', () => {
  test('utilisation and memory summed over the GPUs', () => {
    assert.deepEqual(parseGpuQuery('37, 1024\n13, 512\n'), { percent: 50, memoryBytes: 1536 * 1024 * 1024 });
    assert.deepEqual(parseGpuQuery('0, 0'), { percent: 0, memoryBytes: 0 });
  });

  test('anything else is no figures', () => {
    assert.equal(parseGpuQuery(''), undefined);
    assert.equal(parseGpuQuery('[N/A], 100\n'), undefined);
    assert.equal(parseGpuQuery('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'), undefined);
  });
});
