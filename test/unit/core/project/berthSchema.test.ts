import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { generate, SCHEMA_FILE, TYPES_FILE, VALIDATOR_FILE } from '../../../../scripts/schema';
import { BERTH_LABEL } from '../../../../src/core/engine/labels';
import { nodeAt, schemaIssues, schemaNodes } from '../../../../src/core/project/berthSchema';
import { parseBerthConfig } from '../../../../src/core/project/runProfile';

const ROOT = path.resolve(__dirname, '../../../..');
type Schema = { [key: string]: unknown };
const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Schema;
const definitions = schema.definitions as Record<string, Schema>;
const profileSchema = definitions.profile!;

const problemsOf = (text: string): [number, string, string][] => parseBerthConfig(text).problems.map((p) => [p.line, p.path, p.message]);

describe('schemas/berth.schema.json: the format of berth.yaml', () => {
  test('the compiled validator and its types are up to date with the schema (npm run schema)', async () => {
    const { js, dts } = await generate();
    assert.ok(js === fs.readFileSync(VALIDATOR_FILE, 'utf8'), `${path.relative(ROOT, VALIDATOR_FILE)} is stale: run npm run schema`);
    assert.ok(dts === fs.readFileSync(TYPES_FILE, 'utf8'), `${path.relative(ROOT, TYPES_FILE)} is stale: run npm run schema`);
  });

  test('the extension ships no schema compiler: only the compiled validator, which requires nothing', () => {
    const validator = fs.readFileSync(VALIDATOR_FILE, 'utf8');
    // ajv's runtime helpers are all it could need; this schema needs none of them
    assert.deepEqual(validator.match(/require\([^)]*\)/g) ?? [], []);
    const sources = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [path.join(dir, e.name)] : []));
    const importers = sources(path.join(ROOT, 'src')).filter((f) => /from ['"]ajv|require\(['"]ajv/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(importers, []);
  });

  test('the YAML extension gets it for berth.yaml, and the .vsix carries it', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { yamlValidation?: { fileMatch: string; url: string }[] };
    };
    assert.deepEqual(manifest.contributes.yamlValidation, [{ fileMatch: 'berth.yaml', url: './schemas/berth.schema.json' }]);
    assert.ok(fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').includes('!schemas/*.json'));
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  });

  test('every property says what it is (the hover text), wherever it is declared', () => {
    const missing: string[] = [];
    const visit = (node: unknown, at: string): void => {
      if (node === null || typeof node !== 'object') return;
      const s = node as Schema;
      for (const [key, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        const described = typeof sub.description === 'string' || typeof sub.$ref === 'string';
        if (!described) missing.push(`${at}/properties/${key}`);
        visit(sub, `${at}/properties/${key}`);
      }
      for (const key of ['additionalProperties', 'items']) visit(s[key], `${at}/${key}`);
    };
    visit(schema, '#');
    for (const [name, def] of Object.entries(definitions)) visit(def, `#/definitions/${name}`);
    assert.deepEqual(missing, []);
    // a property that is a $ref says what it is beside it, or its target does
    for (const [key, sub] of Object.entries(profileSchema.properties as Record<string, Schema>))
      assert.ok(typeof sub.description === 'string', `profiles.*.${key} has a description`);
  });

  test('the escape hatches are there, with the values the engine takes', () => {
    const props = profileSchema.properties as Record<string, Schema>;
    for (const key of ['ipc', 'ulimits', 'devices', 'runtime', 'network', 'entrypoint', 'labels']) assert.ok(props[key], key);
  });

  test("labels Berth sets on what it runs are refused in a profile's labels", () => {
    for (const label of Object.values(BERTH_LABEL)) {
      const problems = problemsOf(`profiles:\n  p:\n    image: x\n    labels:\n      team: a\n      ${label}: mine\n`);
      assert.deepEqual(problems, [
        [6, `profiles.p.labels.${label}`, "label names starting with berth. are Berth's own: choose another name"],
      ]);
    }
    assert.deepEqual(parseBerthConfig('profiles:\n  p:\n    image: x\n    labels: { berthing: ok }\n').problems, []);
  });
});

describe('berth.yaml checked against the schema: one problem per value, at its line', () => {
  test('a wrong type, an unknown key and a value not among the fixed ones', () => {
    const text = [
      'version: 1', //
      'profiles:',
      '  serve:',
      '    image: iris',
      '    gpuFallback: maybe',
      '    shmSize: [1g]',
      '    ipc: hosted',
      '    ulimits:',
      '      nofile: lots',
      '      files: 10',
      '    devices: [dev/null]',
      '    networks: host',
      '',
    ].join('\n');
    assert.deepEqual(problemsOf(text), [
      [5, 'profiles.serve.gpuFallback', 'gpuFallback must be cpu or fail'],
      [6, 'profiles.serve.shmSize', 'shmSize must be a size such as 512m or 2g'],
      [7, 'profiles.serve.ipc', 'ipc must be host, private, shareable, none or container:<name>'],
      [9, 'profiles.serve.ulimits.nofile', 'a ulimit is a number (-1: unlimited) or a mapping with soft and hard'],
      [
        10,
        'profiles.serve.ulimits.files',
        'unknown ulimit (core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)',
      ],
      [11, 'profiles.serve.devices.0', 'a device is "/dev/host[:/dev/container[:rwm]]" (absolute paths; permissions r, w, m)'],
      [12, 'profiles.serve.networks', problemsOf(text).find((p) => p[1].endsWith('networks'))?.[2] ?? ''],
    ]);
    assert.match(problemsOf(text)[6]?.[2] ?? '', /^unknown setting "networks" \(known: image, build, .*network\)$/);
  });

  test('the document, the version and the profiles in the wrong shape', () => {
    assert.deepEqual(problemsOf('version: 2\nprofiles: {}\nextra: 1\n'), [
      [1, 'version', 'version must be 1'],
      [3, 'extra', 'unknown setting "extra" (known: version, profiles)'],
    ]);
    assert.deepEqual(problemsOf('profiles: [a, b]\n'), [[1, 'profiles', 'profiles must be a mapping of profile names to settings']]);
    assert.deepEqual(problemsOf('profiles:\n  a: just text\n'), [[2, 'profiles.a', 'a profile must be a mapping of settings']]);
  });

  test('a refused value is left out: the profile reads as if it were not there', () => {
    const { profiles, problems } = parseBerthConfig('profiles:\n  p:\n    image: x\n    memory: lots\n    gpus: [0, {}]\n    ipc: host\n');
    assert.deepEqual(
      problems.map((p) => [p.line, p.path]),
      [
        [4, 'profiles.p.memory'],
        [5, 'profiles.p.gpus'],
      ],
    );
    assert.equal(profiles[0]?.memoryBytes, undefined);
    assert.deepEqual(profiles[0]?.gpus, { kind: 'none' });
    assert.equal(profiles[0]?.ipc, 'host');
  });

  test('what a schema cannot say is checked after it: soft above hard, a port-less network with ports', () => {
    const text = [
      'profiles:',
      '  p:',
      '    image: x',
      '    ports: ["8000"]',
      '    network: none',
      '    ulimits: { nofile: { soft: 10, hard: 5 } }',
      '',
    ].join('\n');
    assert.deepEqual(problemsOf(text), [
      [
        5,
        'profiles.p.network',
        'with network: none the container has no ports of its own to publish: remove ports, or use another network',
      ],
      [6, 'profiles.p.ulimits.nofile', 'ulimits.nofile: soft (10) must not be above hard (5)'],
    ]);
  });

  test('every escape hatch read into the profile', () => {
    const { profiles, problems } = parseBerthConfig(
      [
        'profiles:',
        '  p:',
        '    image: x',
        '    ipc: container:other',
        '    ulimits: { nofile: 1024, core: { soft: 0, hard: -1 } }',
        '    devices: ["/dev/fuse", "/dev/zero:/dev/z:rw"]',
        '    runtime: runc',
        '    network: host',
        '    entrypoint: /bin/serve',
        '',
      ].join('\n'),
    );
    assert.deepEqual(problems, []);
    const p = profiles[0]!;
    assert.equal(p.ipc, 'container:other');
    assert.deepEqual(p.ulimits, [
      { name: 'nofile', soft: 1024, hard: 1024 },
      { name: 'core', soft: 0, hard: -1 },
    ]);
    assert.deepEqual(p.devices, [
      { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm' },
      { pathOnHost: '/dev/zero', pathInContainer: '/dev/z', permissions: 'rw' },
    ]);
    assert.equal(p.runtime, 'runc');
    assert.equal(p.network, 'host');
    assert.deepEqual(p.entrypoint, ['/bin/serve']);
    // a shell string is not an entrypoint either
    assert.deepEqual(problemsOf('profiles:\n  p:\n    image: x\n    entrypoint: python3 -m serve\n'), [
      [
        4,
        'profiles.p.entrypoint',
        'entrypoint must be a list (["python3", "-m", "serve"]), one executable, or "": Berth never runs a shell string',
      ],
    ]);
  });

  test("the schema's messages are found at the place of the value, through lists and any-key mappings", () => {
    const nodes = schemaNodes(schema);
    assert.equal(nodeAt(nodes, ['profiles', 'serve', 'gpus'])?.message, 'gpus must be none, all, a count or a list of device ids');
    assert.equal(nodeAt(nodes, ['profiles', 'serve', 'models', 3])?.required, 'a model needs a path');
    assert.equal(
      nodeAt(nodes, ['profiles', 'serve', 'image'])?.message,
      'image must be a non-empty string',
      'the message beside a $ref wins',
    );
    assert.equal(nodeAt(nodes, ['profiles', 'serve', 'nope']), undefined);
    // the entries of a shared definition are named after the setting that uses it
    assert.equal(nodeAt(nodes, ['profiles', 'serve', 'env', 'A'])?.message, 'env: a value must be a string, a number or true/false');
    assert.equal(nodeAt(nodes, ['profiles', 'serve', 'envFiles', 0])?.message, 'envFiles: entries must be strings');
    assert.equal(nodeAt(nodes, ['profiles', 'serve', 'build', 'args', 0])?.message, 'args: entries must be KEY=VALUE');
    // an error the schema has no message for still says where and what
    const { issues } = schemaIssues(
      { profiles: { p: { ulimits: { nofile: { soft: 'x', hard: 1 } } } } },
      [{ instancePath: '/profiles/p/ulimits/nofile/soft', schemaPath: '#/type', keyword: 'type', params: {} }],
      { '': {} },
    );
    assert.deepEqual(issues, [
      { path: ['profiles', 'p', 'ulimits', 'nofile', 'soft'], message: 'profiles.p.ulimits.nofile.soft is not valid' },
    ]);
  });
});
