import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { serviceErrors, tail } from '../../../../src/core/compose/composeRun';

const fixture = (name: string): string => fs.readFileSync(path.join(__dirname, '../../../fixtures/compose', name), 'utf8');

describe('per-service errors from Compose output', () => {
  it('v1 port in use: one error for web, folded from its container twin, naming the port', () => {
    const errors = serviceErrors(fixture('v1/up-port-in-use.stderr'), ['web', 'qdrant'], 'berthcap1');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.service, 'web');
    assert.match(errors[0]?.message ?? '', /127\.0\.0\.1:18099: bind: address already in use/);
  });
  it('v1 missing image: the pull error attributed to the service being pulled', () => {
    const errors = serviceErrors(fixture('v1/up-missing-image.stderr'), ['web', 'qdrant'], 'berthcap1');
    assert.deepEqual(
      errors.map((e) => e.service),
      ['qdrant'],
    );
    assert.match(errors[0]?.message ?? '', /^pull failed: .*no such host/);
  });
  it('v2 forms: service "x" …, progress "x Error …", a daemon error naming a container', () => {
    const out = [
      'service "db" refers to undefined volume data: invalid compose project',
      ' ✘ qdrant Error pull access denied for qdrant/qdrant, repository does not exist',
      'Error response from daemon: driver failed programming external connectivity on endpoint stack-web-1 (abc): Bind for 127.0.0.1:8080 failed: port is already allocated',
    ].join('\n');
    const errors = serviceErrors(out, ['db', 'qdrant', 'web'], 'stack');
    assert.deepEqual(
      errors.map((e) => e.service),
      ['db', 'qdrant', 'web'],
    );
    assert.match(errors[1]?.message ?? '', /pull access denied/);
    assert.match(errors[2]?.message ?? '', /port is already allocated/);
  });
  it('names that are not services are ignored', () => {
    assert.deepEqual(serviceErrors('ERROR: for nothing  went wrong\nservice "ghost" is bad', ['web']), []);
  });
  it('tail keeps the last non-blank lines', () => {
    assert.equal(tail('a\n\nb\nc\n', 2), 'b\nc');
  });
});
