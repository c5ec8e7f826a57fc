import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  TransferError,
  TransferTracker,
  classifyTransferError,
  splitReference,
  toRegistryAuth,
  type TransferProgress,
} from '../../../../src/core/engine/transfer';

const FIXTURES = path.join(__dirname, '../../../fixtures/engine');
const messages = (file: string): object[] =>
  fs
    .readFileSync(path.join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as object);

function replay(kind: 'push' | 'pull', file: string): { tracker: TransferTracker; seen: TransferProgress[] } {
  const tracker = new TransferTracker(kind, 'ref');
  const seen: TransferProgress[] = [];
  for (const m of messages(file)) if (tracker.apply(m)) seen.push(tracker.progress());
  return { tracker, seen };
}

describe('push and pull progress from the engine stream (Engine 20.10, docker-registry 2.8)', () => {
  test('a push: Preparing → Pushing with bytes rising → Pushed; the digest from aux', () => {
    const { tracker, seen } = replay('push', 'push-stream.jsonl');
    const layer = (p: TransferProgress) => p.layers[0];
    assert.equal(seen[0]?.status, 'The push refers to repository [127.0.0.1:33733/berth-fixture/python]');
    assert.equal(layer(seen[1] as TransferProgress)?.status, 'Preparing');
    const pushing = seen.filter((p) => layer(p)?.status === 'Pushing');
    assert.ok(pushing.length >= 5);
    for (let i = 1; i < pushing.length; i++) assert.ok((pushing[i]?.bytesDone ?? 0) >= (pushing[i - 1]?.bytesDone ?? 0));
    assert.ok(pushing.every((p) => p.bytesTotal === 168630340 && p.layersDone === 0 && p.layersTotal === 1));
    const last = seen[seen.length - 1] as TransferProgress;
    assert.deepEqual([last.layersDone, last.layersTotal, last.bytesDone, last.bytesTotal], [1, 1, 168630340, 168630340]);
    assert.equal(tracker.digest, 'sha256:b24cded8c57af9cdb836bc13c18c7827a5ea3f64d12e227e83e39d175f19a728');
  });

  test('a push of layers the registry has: Layer already exists counts as done', () => {
    const { tracker, seen } = replay('push', 'push-again-stream.jsonl');
    const last = seen[seen.length - 1] as TransferProgress;
    assert.deepEqual(last.layers, [{ id: 'c6035996a95e', status: 'Layer already exists', done: true }]);
    assert.equal(last.layersDone, 1);
    assert.match(tracker.digest ?? '', /^sha256:b24c/);
  });

  test('a pull: Already exists and Pull complete are done; bytes from Downloading (or Extracting for a one-read layer); the tag line is no layer', () => {
    const { tracker, seen } = replay('pull', 'pull-stream.jsonl');
    const last = seen[seen.length - 1] as TransferProgress;
    assert.deepEqual(
      last.layers.map((l) => [l.id, l.status, l.done]),
      [
        ['71e53a2069cd', 'Already exists', true],
        ['977dba6de867', 'Pull complete', true],
      ],
    );
    assert.equal(last.bytesTotal, last.bytesDone);
    assert.ok(last.bytesTotal > 2_900_000, String(last.bytesTotal));
    assert.equal(last.status, 'Status: Downloaded newer image for 127.0.0.1:33733/berth-fixture/unique:1');
    assert.equal(tracker.digest, 'sha256:03d29a6cdd2a561aa3f4b54230e5eee3f98827d3ae44aa2db3008053125a505f');
  });

  test('an error inside the 200 stream is a TransferError with its reason', () => {
    assert.throws(
      () => replay('push', 'push-unauthorized-stream.jsonl'),
      (err: unknown) =>
        err instanceof TransferError &&
        err.reason === 'unauthorized' &&
        err.code === 'request' &&
        /needs valid credentials \(unauthorized: authentication required\)\. Log in/.test(err.message),
    );
    const cases: [string, string][] = [
      ['unauthorized: authentication required', 'unauthorized'],
      ['no basic auth credentials', 'unauthorized'],
      ['denied: requested access to the resource is denied', 'denied'],
      ['manifest for x:nope not found: manifest unknown: manifest unknown', 'not-found'],
      ['An image does not exist locally with the tag: x', 'not-found'],
      ['write /var/lib/docker/tmp/GetImageBlob123: no space left on device', 'no-space'],
      ['received unexpected HTTP status: 500 Internal Server Error', 'failed'],
    ];
    for (const [message, reason] of cases) assert.equal(classifyTransferError(message), reason, message);
  });

  test('references: the tag after the last slash, digests, registry ports; the engine auth from a credential', () => {
    assert.deepEqual(splitReference('127.0.0.1:5000/berth/model:1.2'), { repo: '127.0.0.1:5000/berth/model', tag: '1.2' });
    assert.deepEqual(splitReference('127.0.0.1:5000/berth/model'), { repo: '127.0.0.1:5000/berth/model' });
    assert.deepEqual(splitReference('python@sha256:abc'), { repo: 'python', digest: 'sha256:abc' });
    assert.deepEqual(splitReference('ghcr.io/a/b:v1@sha256:abc'), { repo: 'ghcr.io/a/b', tag: 'v1', digest: 'sha256:abc' });
    assert.deepEqual(toRegistryAuth('h:1', { username: 'u', secret: 'p' }), { serverAddress: 'h:1', username: 'u', password: 'p' });
    assert.deepEqual(toRegistryAuth('h:1', { username: '<token>', secret: 't' }), { serverAddress: 'h:1', identityToken: 't' });
  });
});
