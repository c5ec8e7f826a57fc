import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { configDiagnostics, locate, v2OnlySyntax } from '../../../../src/core/compose/composeDiagnostics';

const dir = path.join(__dirname, '../../../fixtures/compose/v1');
const read = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
const diag = (c: string, flavour: 'v1' | 'v2' = 'v1') => configDiagnostics(read(`${c}.stderr`), 'compose.yaml', read(`${c}.yml`), flavour);

describe('config errors at their line (captured from docker-compose 1.29.2)', () => {
  it('a YAML error at the line and column where it broke', () => {
    const [d] = diag('yaml-error');
    assert.equal(d?.line, 4);
    assert.equal(d?.column, 4);
    assert.match(d?.message ?? '', /^YAML: while parsing a block mapping/);
  });
  it('a tab', () => {
    assert.equal(diag('tab')[0]?.line, 2);
  });
  it('an invalid type at its key', () => {
    assert.deepEqual(diag('invalid-type'), [
      { file: 'compose.yaml', line: 4, column: 5, message: 'services.web.ports contains an invalid type, it should be an array' },
    ]);
  });
  it('an unknown option at its key', () => {
    const [d] = diag('unknown-option');
    assert.equal(d?.line, 4);
    assert.match(d?.message ?? '', /imagez/);
  });
  it('a missing env_file at its entry', () => {
    assert.deepEqual(diag('missing-env-file'), [
      { file: 'compose.yaml', line: 4, column: 5, message: 'The env_file /tmp/cap/e/nope.env does not exist' },
    ]);
  });
  it('v2-only syntax under v1: said as needing v2, with the line, instead of the schema error', () => {
    assert.match(diag('v2-name')[0]?.message ?? '', /^This file needs Compose v2 \(line 1: top-level `name:`\)/);
    const env = diag('v2-env-file-path')[0];
    assert.equal(env?.line, 6);
    assert.match(env?.message ?? '', /line 6: `env_file` entry with `path` and `required`/);
    const dep = diag('v2-depends-on-required')[0];
    assert.equal(dep?.line, 9);
    assert.match(dep?.message ?? '', /`depends_on` with `required`/);
  });
  it('only under v1: under v2 the error is Compose’s own', () => {
    assert.doesNotMatch(diag('v2-name', 'v2')[0]?.message ?? '', /needs Compose v2/);
    assert.deepEqual(v2OnlySyntax(read('invalid-type.yml'), 'f'), []);
  });
  it('v2 messages: "yaml: line N" and an additional property', () => {
    assert.deepEqual(configDiagnostics('yaml: line 3: mapping values are not allowed in this context', 'c.yaml', '', 'v2'), [
      { file: 'c.yaml', line: 3, column: 1, message: 'YAML: mapping values are not allowed in this context' },
    ]);
    const text = 'services:\n  web:\n    image: x\n    imagez: y\n';
    assert.equal(
      configDiagnostics('validating c.yaml: services.web Additional property imagez is not allowed', 'c.yaml', text, 'v2')[0]?.line,
      4,
    );
  });
  it('locate: nested keys, list items, comments; the nearest ancestor when the key is not there', () => {
    const text =
      '# c\nservices:\n  a:\n    image: x\n  b:\n    env_file:\n      - one.env\n      - path: two.env\n        required: false\n    ports: [1]\n';
    assert.equal(locate(text, ['services', 'b', 'env_file', 1, 'required'])?.line, 9);
    assert.equal(locate(text, ['services', 'b', 'ports'])?.line, 10);
    assert.equal(locate(text, ['services', 'a', 'nothing'])?.line, 3);
  });
});
