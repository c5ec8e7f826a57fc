import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  documentation,
  propertiesOf,
  resolveRef,
  schemasAt,
  typeText,
  valuesOf,
  type JsonSchema,
} from '../../../../src/core/schema/jsonSchema';

const SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    pair: { type: 'array', items: [{ $ref: '#/definitions/a~1b' }, { type: 'integer' }], additionalItems: { enum: ['x'] } },
    either: { allOf: [{ properties: { one: { type: 'string' } } }, { $ref: '#/$defs/two' }] },
    any: true,
  },
  definitions: { 'a/b': { description: 'Escaped name.', enum: ['p', 'q'] } },
  $defs: { two: { required: ['two'], properties: { two: { type: 'boolean', default: false } } } },
};

describe('a JSON Schema walked by path', () => {
  test('$ref: JSON pointers with escapes, the root, and references that lead nowhere', () => {
    assert.deepEqual(resolveRef(SCHEMA, '#/definitions/a~1b'), { description: 'Escaped name.', enum: ['p', 'q'] });
    assert.equal(resolveRef(SCHEMA, '#'), SCHEMA);
    assert.equal(resolveRef(SCHEMA, '#/definitions/missing'), undefined);
    assert.equal(resolveRef(SCHEMA, 'other.json#/x'), undefined);
  });

  test('tuple items by index, then additionalItems', () => {
    assert.deepEqual(
      valuesOf(schemasAt(SCHEMA, ['pair', 0])).map((v) => v.value),
      ['p', 'q'],
    );
    assert.equal(typeText(schemasAt(SCHEMA, ['pair', 1])), 'integer');
    assert.equal(typeText([{ type: ['string', 'null'] }]), 'string', 'an empty value allowed is not a type to show');
    assert.equal(typeText([{ type: 'null' }]), 'null');
    assert.deepEqual(
      valuesOf(schemasAt(SCHEMA, ['pair', 5])).map((v) => v.value),
      ['x'],
    );
  });

  test('allOf: the properties of every part, required ones marked', () => {
    const props = propertiesOf(schemasAt(SCHEMA, ['either']));
    assert.deepEqual(
      props.map((p) => [p.name, p.required]),
      [
        ['one', false],
        ['two', true],
      ],
    );
    assert.equal(documentation(schemasAt(SCHEMA, ['either', 'two'])), 'Type: `boolean`  \nDefault: `false`');
  });

  test('a path the schema does not know, or a `true` schema: nothing', () => {
    assert.deepEqual(schemasAt(SCHEMA, ['nope']), []);
    assert.deepEqual(schemasAt(SCHEMA, ['any', 'deeper']), []);
    assert.deepEqual(schemasAt(false, []), []);
  });
});
