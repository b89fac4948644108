import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createToolAjv } from '../../src/tools/json-schema-ajv.ts';
import { SchemaConverter, Unsupported } from '../../src/tools/openapi-import/schema-convert.ts';

const converter = (dialect: '2.0' | '3.0' | '3.1', schemas: Record<string, unknown> = {}) =>
  new SchemaConverter(dialect === '2.0' ? { swagger: '2.0', definitions: schemas } : { openapi: dialect === '3.0' ? '3.0.3' : '3.1.0', components: { schemas } }, dialect);
const ref = (dialect: '2.0' | '3.0' | '3.1', name: string) => ({ $ref: dialect === '2.0' ? `#/definitions/${name}` : `#/components/schemas/${name}` });

describe('OpenAPI schema → JSON Schema 2020-12', () => {
  test('3.0 nullable: a type gains "null", an enum gains null, a oneOf gains a null branch, anything else is wrapped', () => {
    const c = converter('3.0', { User: { type: 'object', properties: { login: { type: 'string' } } } });
    assert.deepEqual(c.convert({ type: 'string', nullable: true }, 'request'), { type: ['string', 'null'] });
    assert.deepEqual(c.convert({ type: 'string', enum: ['a', 'b'], nullable: true }, 'request'), { type: ['string', 'null'], enum: ['a', 'b', null] });
    assert.deepEqual(c.convert({ oneOf: [{ type: 'string' }, { type: 'integer' }], nullable: true }, 'request'), {
      oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'null' }],
    });
    assert.deepEqual(c.convert({ description: 'the user', allOf: [ref('3.0', 'User')], nullable: true }, 'request'), {
      description: 'the user',
      anyOf: [{ allOf: [{ type: 'object', properties: { login: { type: 'string' } } }] }, { type: 'null' }],
    });
    assert.deepEqual(c.convert({ type: 'string', nullable: false }, 'request'), { type: 'string' });
  });

  test('2.0 x-nullable, type file and boolean exclusive bounds', () => {
    const c = converter('2.0');
    assert.deepEqual(c.convert({ type: 'integer', 'x-nullable': true }, 'request'), { type: ['integer', 'null'] });
    assert.deepEqual(c.convert({ type: 'file' }, 'response'), { type: 'string', contentMediaType: 'application/octet-stream' });
    assert.deepEqual(c.convert({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false }, 'request'), {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 10,
    });
  });

  test('3.1 keeps numeric exclusive bounds and type arrays; example becomes examples (requests only)', () => {
    const c = converter('3.1');
    assert.deepEqual(c.convert({ type: ['string', 'null'], exclusiveMaximum: 5, example: 'x' }, 'request'), { type: ['string', 'null'], exclusiveMaximum: 5, examples: ['x'] });
    assert.deepEqual(c.convert({ type: 'string', example: 'x' }, 'response'), { type: 'string' });
  });

  test('OpenAPI-only keywords and extensions are dropped; an invalid pattern is dropped', () => {
    const c = converter('3.0');
    const converted = c.convert(
      { type: 'object', discriminator: { propertyName: 'kind' }, xml: { name: 'x' }, externalDocs: { url: 'https://x' }, 'x-go-type': 'X', properties: { a: { type: 'string', pattern: '\\_x(' } } },
      'request',
    );
    assert.deepEqual(converted, { type: 'object', properties: { a: { type: 'string' } } });
  });

  test('requests drop readOnly members, responses drop writeOnly ones, and required follows', () => {
    const c = converter('3.0', { Id: { type: 'integer', readOnly: true } });
    const schema = { type: 'object', required: ['id', 'password', 'name'], properties: { id: ref('3.0', 'Id'), password: { type: 'string', writeOnly: true }, name: { type: 'string' } } };
    assert.deepEqual(c.convert(schema, 'request'), { type: 'object', properties: { password: { type: 'string', writeOnly: true }, name: { type: 'string' } }, required: ['password', 'name'] });
    assert.deepEqual(c.convert(schema, 'response'), { type: 'object', properties: { id: { type: 'integer', readOnly: true }, name: { type: 'string' } }, required: ['id', 'name'] });
  });

  test('a recursive schema goes under $defs once, and the result compiles and validates a deep instance', () => {
    const c = converter('3.0', {
      Node: { type: 'object', properties: { value: { type: 'string' }, children: { type: 'array', items: ref('3.0', 'Node') } } },
    });
    const converted = c.convert({ type: 'object', properties: { root: ref('3.0', 'Node'), also: ref('3.0', 'Node') } }, 'request');
    assert.deepEqual(converted, {
      type: 'object',
      properties: { root: { $ref: '#/$defs/Node' }, also: { $ref: '#/$defs/Node' } },
      $defs: { Node: { type: 'object', properties: { value: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
    });
    const validate = createToolAjv().compile(converted);
    assert.equal(validate({ root: { value: 'a', children: [{ value: 'b', children: [{ value: 'c' }] }] } }), true);
    assert.equal(validate({ root: { children: [{ children: [{ value: 3 }] }] } }), false);
  });

  test('mutual recursion is bounded too; a response summarizes what recurses or nests deep', () => {
    const schemas = {
      A: { type: 'object', properties: { b: ref('3.0', 'B') } },
      B: { type: 'object', properties: { a: ref('3.0', 'A'), n: { type: 'integer' } } },
    };
    const request = converter('3.0', schemas).convert(ref('3.0', 'A'), 'request');
    assert.deepEqual(request, {
      $ref: '#/$defs/A',
      $defs: { A: { type: 'object', properties: { b: { type: 'object', properties: { a: { $ref: '#/$defs/A' }, n: { type: 'integer' } } } } } },
    });
    assert.equal(createToolAjv().compile(request)({ b: { a: { b: { n: 1 } } } }), true);
    assert.deepEqual(converter('3.0', schemas).convert(ref('3.0', 'A'), 'response'), {
      type: 'object',
      properties: { b: { type: 'object', properties: { a: { type: 'object' }, n: { type: 'integer' } } } },
    });
  });

  test('3.1 $ref siblings: annotations override, other keywords combine with allOf', () => {
    const c = converter('3.1', { Name: { type: 'string', description: 'a name' } });
    assert.deepEqual(c.convert({ ...ref('3.1', 'Name'), description: 'the owner' }, 'request'), { type: 'string', description: 'the owner' });
    assert.deepEqual(c.convert({ ...ref('3.1', 'Name'), maxLength: 3 }, 'request'), { allOf: [{ type: 'string', description: 'a name' }], maxLength: 3 });
    // 3.0 ignores siblings of $ref (OpenAPI 3.0 §4.7.24).
    assert.deepEqual(converter('3.0', { Name: { type: 'string' } }).convert({ ...ref('3.0', 'Name'), description: 'ignored' }, 'request'), { type: 'string' });
  });

  test('remote or dangling references make the operation unsupported; nothing is fetched', () => {
    const c = converter('3.0');
    assert.throws(() => c.convert({ $ref: 'https://169.254.169.254/latest/meta-data' }, 'request'), (e: Error) => e instanceof Unsupported && /another document/.test(e.message));
    assert.throws(() => c.convert({ $ref: '#/components/schemas/Missing' }, 'request'), (e: Error) => e instanceof Unsupported && /to nothing/.test(e.message));
    assert.throws(() => c.convert({ $ref: 'other.yaml#/X' }, 'request'), Unsupported);
  });

  test('a property named __proto__ stays a plain member', () => {
    const converted = converter('3.0').convert(JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}'), 'request');
    assert.equal(Object.getPrototypeOf(converted['properties']), Object.prototype);
    assert.deepEqual(Object.keys(converted['properties'] as object), ['__proto__']);
  });
});
