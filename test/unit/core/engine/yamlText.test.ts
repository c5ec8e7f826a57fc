import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { dumpYaml, loadYaml } from '../../../../src/core/engine/yamlText';

test('loadYaml reads YAML 1.2 values, with merge keys, as plain values', () => {
  assert.deepEqual(loadYaml('a: on\nb: yes\nc: 0755\nd: 0o17\ne: 2001-12-14\nf: ~\n'), {
    a: 'on',
    b: 'yes',
    c: 755,
    d: 15,
    e: '2001-12-14',
    f: null,
  });
  assert.deepEqual(loadYaml('x-base: &base { image: busybox, restart: always }\nservices:\n  web: { <<: *base, restart: "no" }\n'), {
    'x-base': { image: 'busybox', restart: 'always' },
    services: { web: { image: 'busybox', restart: 'no' } },
  });
  assert.equal(loadYaml(''), null);
});

test('loadYaml refuses what it cannot read: bad syntax, duplicate keys, several documents, an unknown tag', () => {
  assert.throws(() => loadYaml('a: [\n'), /at line 2, column 1/);
  assert.throws(() => loadYaml('a: 1\na: 2\n'), /unique/);
  assert.throws(() => loadYaml('a: 1\n---\nb: 2\n'), /multiple documents/);
  assert.throws(() => loadYaml('services:\n  web:\n    ports: !reset []\n'), /!reset/);
});

test('dumpYaml writes what a YAML 1.1 reader (Compose v1) reads back the same, without anchors', () => {
  const shared = { image: 'busybox' };
  const value = {
    services: { a: shared, b: shared },
    env: { DEBUG: 'yes', FLAG: 'on', OFF: 'off', MODE: '0755', PORT: '8080:22', EMPTY: '', NULL: 'null' },
    ports: ['127.0.0.1:8080:80'],
    command: ['python3', '-c', 'print("a: b")'],
    n: 3,
    t: true,
  };
  const text = dumpYaml(value);
  assert.deepEqual(parse(text, { version: '1.1' }), value);
  assert.deepEqual(parse(text), value);
  assert.doesNotMatch(text, /[&*]\w/, 'no anchors or aliases');
  assert.match(text, /^ {2}PORT: '8080:22'$/m);
});
