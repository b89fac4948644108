import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fieldsOf, inputFrom } from '../../dashboard/src/ui/schema-fields.ts';

/** The dashboard's "try it" form: a tool's input_schema → fields, the filled fields → the tool's input. */

const SCHEMA = {
  type: 'object',
  properties: {
    owner: { type: 'string', description: 'The account owner.' },
    count: { type: 'integer', default: 3 },
    ratio: { type: ['number', 'null'] },
    draft: { type: 'boolean' },
    state: { enum: ['open', 'closed', 7], examples: ['closed'] },
    labels: { type: 'array', items: { type: 'string' } },
    'a/b': { title: 'Odd name', type: 'string' },
  },
  required: ['owner', 'count'],
};

test('each property gets the control its type calls for, with required, description and initial text', () => {
  const fields = fieldsOf(SCHEMA);
  assert.deepEqual(
    fields.map((f) => [f.name, f.kind, f.required, f.initial]),
    [
      ['owner', 'text', true, ''],
      ['count', 'integer', true, '3'],
      ['ratio', 'number', false, ''],
      ['draft', 'boolean', false, ''],
      ['state', 'enum', false, '1'],
      ['labels', 'json', false, ''],
      ['a/b', 'text', false, ''],
    ],
  );
  assert.equal(fields[0]!.description, 'The account owner.');
  assert.equal(fields[6]!.description, 'Odd name');
  assert.deepEqual(fields[4]!.options, ['open', 'closed', 7]);
  assert.deepEqual(fieldsOf(undefined), []);
  assert.deepEqual(fieldsOf({ type: 'object' }), []);
});

test('the filled form becomes the input: typed values, empty controls left out, enum options by index', () => {
  const fields = fieldsOf(SCHEMA);
  const { input, problems } = inputFrom(fields, { owner: 'octo cat', count: ' 12 ', ratio: '0.5', draft: 'false', state: '2', labels: '["a", "b"]', 'a/b': '' });
  assert.deepEqual(problems, []);
  assert.deepEqual(input, { owner: 'octo cat', count: 12, ratio: 0.5, draft: false, state: 7, labels: ['a', 'b'] });
});

test('every bad value is listed with the JSON pointer of its property', () => {
  const { input, problems } = inputFrom(fieldsOf(SCHEMA), { owner: 'x', count: '1.5', ratio: 'abc', labels: '[1,', 'a/b': 'ok' });
  assert.deepEqual(input, { owner: 'x', 'a/b': 'ok' });
  assert.deepEqual(problems.map((p) => [p.path, p.message.split(' (')[0]]), [
    ['/count', 'must be an integer'],
    ['/ratio', 'must be a number'],
    ['/labels', 'is not valid JSON'],
  ]);
});
