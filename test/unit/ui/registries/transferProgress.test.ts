import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TransferProgress } from '../../../../src/core/engine/transfer';
import { transferMessage, transferPercent } from '../../../../src/ui/registries/transferProgress';

const progress = (p: Partial<TransferProgress>): TransferProgress => ({
  kind: 'push',
  ref: '127.0.0.1:5000/ml/iris:1',
  layers: [],
  layersDone: 0,
  layersTotal: 0,
  bytesDone: 0,
  bytesTotal: 0,
  ...p,
});

test('push progress: layers done of total and bytes, or the last status before layers are known', () => {
  assert.equal(
    transferMessage(progress({ status: 'The push refers to repository [127.0.0.1:5000/ml/iris]' })),
    'The push refers to repository [127.0.0.1:5000/ml/iris]',
  );
  assert.equal(
    transferMessage(progress({ layersDone: 3, layersTotal: 7, bytesDone: 45 * 2 ** 20, bytesTotal: 170 * 2 ** 20 })),
    'layers 3 of 7 done · 45 MiB of 170 MiB',
  );
  assert.equal(transferMessage(progress({ layersDone: 0, layersTotal: 1 })), 'layer 0 of 1 done');
  assert.equal(transferPercent(progress({ layersDone: 1, layersTotal: 4 })), 25);
  assert.equal(transferPercent(progress({ layersDone: 1, layersTotal: 4, bytesDone: 90, bytesTotal: 100 })), 90);
  assert.equal(transferPercent(progress({})), 0);
});
