import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { parseDocument } from 'yaml';
import type { JsonSchema } from '../../../../src/core/schema/jsonSchema';
import { completionsAt, cursorContext, hoverAt, type SchemaCompletion } from '../../../../src/core/schema/yamlSchemaAssist';

const ROOT = path.resolve(__dirname, '../../../..');
const FIXTURE = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/schema/profiles.schema.json'), 'utf8')) as JsonSchema;

/** The text without its `|`, and the cursor's offset where the `|` was. */
function at(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0, 'a | marks the cursor');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

const labels = (items: readonly SchemaCompletion[]): string[] => items.map((c) => c.label);
const complete = (marked: string, schema: JsonSchema = FIXTURE): SchemaCompletion[] => {
  const { text, offset } = at(marked);
  return completionsAt(schema, text, offset);
};
const context = (marked: string) => {
  const { text, offset } = at(marked);
  return cursorContext(text, offset);
};

const PROFILE = 'version: 1\nprofiles:\n  serve:\n    image: python\n';

describe('the cursor in a YAML document', () => {
  test('an empty line under a mapping, indented as its keys: a key of that mapping', () => {
    const c = context(`${PROFILE}    |\n`);
    assert.equal(c?.kind, 'key');
    assert.deepEqual(c?.path, ['profiles', 'serve']);
    assert.deepEqual(c?.existingKeys, ['image']);
  });

  test('an empty line between two keys: the next key does not join it', () => {
    const c = context('profiles:\n  serve:\n    image: python\n    |\n    gpus: all\n');
    assert.equal(c?.kind, 'key');
    assert.deepEqual(c?.path, ['profiles', 'serve']);
    assert.deepEqual(c?.existingKeys, ['image', 'gpus']);
  });

  test('less indented: the parent mapping; at column 0: the root', () => {
    assert.deepEqual(context(`${PROFILE}  |\n`)?.path, ['profiles']);
    assert.deepEqual(context(`${PROFILE}|`)?.path, []);
    assert.deepEqual(context('|')?.path, []);
  });

  test('a word being typed, with text after the cursor', () => {
    const c = context(`${PROFILE}    sh|\n    gpus: all\n`);
    assert.equal(c?.kind, 'key');
    assert.equal(c?.prefix, 'sh');
    assert.equal(c?.colonFollows, false);
    const inKey = context(`${PROFILE}    shm|Size: 1g\n`);
    assert.equal(inKey?.kind, 'key');
    assert.equal(inKey?.colonFollows, true);
    const { text } = at(`${PROFILE}    shm|Size: 1g\n`);
    assert.equal(text.slice(inKey?.replace.start, inKey?.replace.end), 'shmSize');
  });

  test("after a key and its colon: that key's value", () => {
    const c = context(`${PROFILE}    gpus: a|\n    shmSize: 1g\n`);
    assert.equal(c?.kind, 'value');
    assert.deepEqual(c?.path, ['profiles', 'serve', 'gpus']);
    assert.equal(c?.prefix, 'a');
  });

  test("a new line under a key with no value yet: that key's value (a nested mapping to be)", () => {
    const c = context(`${PROFILE}    healthcheck:\n      |\n`);
    assert.deepEqual(c?.path, ['profiles', 'serve', 'healthcheck']);
  });

  test('lists: block items, flow items, and the keys of a mapping item', () => {
    const block = context(`${PROFILE}    models:\n      - |\n`);
    assert.equal(block?.kind, 'value');
    assert.equal(block?.listItem, true);
    assert.deepEqual(block?.path, ['profiles', 'serve', 'models', 0]);
    assert.deepEqual(context(`${PROFILE}    ports: ['8000', |]\n`)?.path, ['profiles', 'serve', 'ports', 1]);
    const second = context(`${PROFILE}    models:\n      - name: a\n        |\n`);
    assert.equal(second?.kind, 'key');
    assert.deepEqual(second?.path, ['profiles', 'serve', 'models', 0]);
    assert.deepEqual(second?.existingKeys, ['name']);
  });

  test('flow mappings: a key after a comma', () => {
    const c = context(`${PROFILE}    healthcheck: { http: /health, | }\n`);
    assert.equal(c?.kind, 'key');
    assert.deepEqual(c?.path, ['profiles', 'serve', 'healthcheck']);
    assert.deepEqual(c?.existingKeys, ['http']);
  });

  test('in a comment: nothing', () => {
    assert.equal(context(`${PROFILE}    # a note |\n`), undefined);
  });
});

describe('completion from the schema', () => {
  test("a profile's keys not yet present, in the schema's order, with their documentation", () => {
    const items = complete(`${PROFILE}    |\n    gpus: all\n`);
    assert.deepEqual(labels(items), ['shmSize', 'gpuFallback', 'readOnly', 'ports', 'healthcheck', 'models', 'restart', 'labels']);
    const shm = items.find((c) => c.label === 'shmSize');
    assert.equal(shm?.insertText, 'shmSize: $1');
    assert.equal(shm?.detail, 'string | integer');
    assert.match(shm?.documentation ?? '', /^Shared memory \(\/dev\/shm\) for the container\./);
    assert.match(shm?.documentation ?? '', /Default: `1g`/);
    const sorted = [...items].sort((a, b) => a.sortText.localeCompare(b.sortText));
    assert.deepEqual(labels(sorted), labels(items), 'sortText keeps that order');
  });

  test('snippets: a choice for an enum, a block for a mapping or a list, the name only before a colon', () => {
    const items = complete(`${PROFILE}    |\n`);
    const insert = (label: string): string | undefined => items.find((c) => c.label === label)?.insertText;
    assert.equal(insert('gpuFallback'), 'gpuFallback: ${1|cpu,fail|}');
    assert.equal(insert('readOnly'), 'readOnly: ${1|true,false|}');
    assert.equal(insert('restart'), "restart: ${1|no,always,on-failure,'true'|}", 'a string that YAML would read as a boolean is quoted');
    assert.equal(insert('labels'), 'labels:\n\t$1');
    assert.equal(insert('ports'), 'ports:\n\t- $1');
    assert.equal(insert('gpus'), 'gpus: $1', 'a oneOf of enum, integer and list stays on the line');
    const before = complete(`${PROFILE}    sh|: 1g\n`);
    assert.equal(before.find((c) => c.label === 'shmSize')?.insertText, 'shmSize');
  });

  test('the replaced range is the word at the cursor', () => {
    const { text, offset } = at(`${PROFILE}    hea|lth\n`);
    const item = completionsAt(FIXTURE, text, offset).find((c) => c.label === 'healthcheck');
    assert.equal(text.slice(item?.replace.start, item?.replace.end), 'health');
  });

  test('root keys, and the profiles mapping whose keys are free names: nothing to offer', () => {
    assert.deepEqual(labels(complete('|')), ['profiles', 'version'], 'the required key first');
    assert.deepEqual(labels(complete('profiles:\n  |\n')), []);
    assert.deepEqual(labels(complete('version: 1\n|')), ['profiles']);
  });

  test('values: enum values (with their own descriptions) from the alternatives of a oneOf', () => {
    const items = complete(`${PROFILE}    gpus: |\n`);
    assert.deepEqual(labels(items), ['none', 'all']);
    assert.equal(items[0]?.kind, 'value');
    assert.equal(items[1]?.documentation, 'Every GPU.');
    assert.deepEqual(labels(complete(`${PROFILE}    restart: |\n`)), ['no', 'always', 'on-failure', 'true']);
    assert.equal(complete(`${PROFILE}    restart: |\n`).find((c) => c.label === 'true')?.insertText, "'true'");
    assert.deepEqual(labels(complete(`${PROFILE}    readOnly: |\n`)), ['true', 'false']);
    assert.deepEqual(labels(complete(`${PROFILE}    shmSize: |\n`)), ['1g', '512m'], 'the default, then the examples');
    assert.deepEqual(labels(complete('version: |\n')), ['1'], 'a const');
  });

  test("a mapping's keys under a key with no value yet, or in a list item, or a flow mapping", () => {
    assert.deepEqual(labels(complete(`${PROFILE}    healthcheck:\n      |\n`)), ['http', 'port', 'interval'], 'the required key first');
    assert.deepEqual(labels(complete(`${PROFILE}    healthcheck:\n      http: /h\n      |\n`)), ['port', 'interval']);
    assert.deepEqual(labels(complete(`${PROFILE}    healthcheck: { http: /h, | }\n`)), ['port', 'interval']);
    assert.deepEqual(labels(complete(`${PROFILE}    models:\n      - |\n`)), ['name', 'path']);
    assert.deepEqual(labels(complete(`${PROFILE}    models:\n      - name: a\n        |\n`)), ['path']);
    assert.deepEqual(labels(complete(`${PROFILE}    ports:\n      - |\n`)), ['8000'], "a list's item examples");
  });

  test('keys the schema hides are not offered; a cycle of $refs ends', () => {
    assert.ok(!labels(complete(`${PROFILE}    |\n`)).includes('legacy'));
    const cyclic: JsonSchema = { $ref: '#/definitions/a', definitions: { a: { $ref: '#/definitions/b' }, b: { $ref: '#/definitions/a' } } };
    assert.deepEqual(complete('|', cyclic), []);
  });
});

describe('hover from the schema', () => {
  const hover = (marked: string, schema: JsonSchema = FIXTURE) => {
    const { text, offset } = at(marked);
    return hoverAt(schema, text, offset);
  };

  test("a key: its description, type, values and default, over the key's range", () => {
    const { text, offset } = at(`${PROFILE}    gp|us: all\n`);
    const h = hoverAt(FIXTURE, text, offset);
    assert.deepEqual(h?.path, ['profiles', 'serve', 'gpus']);
    assert.equal(text.slice(h?.range.start, h?.range.end), 'gpus');
    assert.equal(
      h?.contents,
      '`gpus`\n\nThe GPUs to give the container: `none`, `all`, a count or device ids.\n\nType: `string` | `integer` | `array`  \nValues: `none`, `all`',
    );
  });

  test('a key through a $ref keeps the referring description', () => {
    const h = hover(`${PROFILE}    |shmSize: 2g\n`);
    assert.match(h?.contents ?? '', /Shared memory/);
    assert.match(h?.contents ?? '', /Default: `1g`/);
  });

  test('nested keys, pattern properties and additional properties', () => {
    assert.match(hover(`${PROFILE}    healthcheck: { ht|tp: /h }\n`)?.contents ?? '', /The path to GET/);
    assert.match(hover(`${PROFILE}    labels:\n      berth.x|: y\n`)?.contents ?? '', /Reserved for Berth/);
    assert.match(hover(`${PROFILE}    labels:\n      te|am: y\n`)?.contents ?? '', /A container label/);
  });

  test('off any key the schema knows: nothing', () => {
    assert.equal(hover(`${PROFILE}    unknown|Key: 1\n`), undefined);
    assert.equal(hover(`${PROFILE}    \n|`), undefined);
  });
});

describe("Berth's own schema, when this checkout has it", () => {
  const file = path.join(ROOT, 'schemas/berth.schema.json');
  const present = fs.existsSync(file);
  test(
    'offers profile keys and gpus values, and hovers a key',
    { skip: present ? false : 'schemas/berth.schema.json is not in this checkout' },
    () => {
      const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as JsonSchema;
      const example = fs.readFileSync(path.join(ROOT, 'examples/iris-classifier/berth.yaml'), 'utf8');
      assert.equal(parseDocument(example).errors.length, 0);
      const offset = example.length;
      const keys = labels(completionsAt(schema, `${example}    `, offset + 4));
      for (const key of ['shmSize', 'gpus', 'image']) assert.ok(keys.includes(key), `${key} offered: ${keys.join(', ')}`);
      for (const key of ['build', 'ports', 'memory', 'healthcheck']) assert.ok(!keys.includes(key), `${key} is already there`);
      const values = labels(completionsAt(schema, `${example}    gpus: `, offset + 10));
      assert.ok(values.includes('all') && values.includes('none'), `gpus values: ${values.join(', ')}`);
      const h = hoverAt(schema, example, example.indexOf('memory:') + 2);
      assert.deepEqual(h?.path, ['profiles', 'serve', 'memory']);
      assert.ok((h?.contents.length ?? 0) > '`memory`\n\n'.length, 'the schema describes memory');
    },
  );
});
