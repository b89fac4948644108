import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { capOutput } from '../../src/tools/cap-output.ts';
import { InputValidators } from '../../src/tools/input-validators.ts';
import { projectOutput } from '../../src/tools/project-output.ts';
import { issueTool, problemsOf } from './fixtures.ts';

const tool = (version = 1) => ({ id: 'tool_1', version, input_schema: issueTool().input_schema });

describe('input validation', () => {
  test('accepts a valid input and lists every problem of an invalid one, each at its JSON pointer', () => {
    const validators = new InputValidators();
    assert.deepEqual(validators.problems(tool(), { owner: 'o', repo: 'r', title: 't', labels: ['a'] }), []);
    const problems = problemsOf(() => validators.assertValid(tool(), { owner: 1, title: '', labels: ['a', 2], extra: true }));
    assert.deepEqual(problems, [
      { path: '/repo', message: 'is required' },
      { path: '/extra', message: 'is not a known property' },
      { path: '/owner', message: 'must be string' },
      { path: '/title', message: 'must NOT have fewer than 1 characters' },
      { path: '/labels/1', message: 'must be string' },
    ]);
  });

  test('an input that is not an object is refused', () => {
    const validators = new InputValidators();
    for (const input of [null, [], 'x', 3]) assert.deepEqual(validators.problems(tool(), input), [{ path: '', message: 'must be an object of named inputs' }]);
  });

  test('compiles each tool version once, recompiles after a change, and stays within its bound', () => {
    const validators = new InputValidators({ maxEntries: 2 });
    for (let i = 0; i < 5; i++) validators.problems(tool(1), { owner: 'o', repo: 'r', title: 't' });
    assert.equal(validators.compilations, 1);
    validators.problems(tool(2), {});
    assert.equal(validators.compilations, 2);
    for (const id of ['a', 'b', 'c']) validators.problems({ ...tool(), id }, {});
    assert.equal(validators.size, 2);
    validators.forget();
    assert.equal(validators.size, 0);
  });

  test('formats are checked (date-time, email)', () => {
    const validators = new InputValidators();
    const schema = { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'email' } } };
    assert.deepEqual(
      validators.problems({ id: 't', version: 1, input_schema: schema }, { at: 'yesterday', to: 'nobody' }).map((p) => p.path),
      ['/at', '/to'],
    );
  });
});

describe('output projection', () => {
  const issue = { number: 7, title: 'Bug', user: { login: 'octo', id: 1 }, labels: [{ name: 'bug', color: 'red' }, { name: 'p1' }], body: 'long' };

  test('keeps only the fields asked for, nested and through arrays', () => {
    assert.deepEqual(projectOutput(issue, { fields: ['number', 'user/login', 'labels/*/name', 'missing/x'] }), {
      number: 7,
      user: { login: 'octo' },
      labels: [{ name: 'bug' }, { name: 'p1' }],
    });
  });

  test('applies fields to each element of a list answer, and picks a root first', () => {
    assert.deepEqual(projectOutput([issue, issue], { fields: ['number'] }), [{ number: 7 }, { number: 7 }]);
    assert.deepEqual(projectOutput({ items: [issue], total_count: 1 }, { root: '/items', fields: ['title'] }), [{ title: 'Bug' }]);
    assert.deepEqual(projectOutput({ data: { a: 1 } }, { root: '/data' }), { a: 1 });
  });

  test('an answer without the root is kept whole; no projection is the identity', () => {
    const error = { message: 'Not Found' };
    assert.equal(projectOutput(error, { root: '/items', fields: ['title'] }), error);
    assert.equal(projectOutput(issue, undefined), issue);
  });

  test('a shorter field keeps everything under it', () => {
    assert.deepEqual(projectOutput(issue, { fields: ['user', 'user/login'] }), { user: { login: 'octo', id: 1 } });
  });
});

describe('output size cap', () => {
  test('an answer within the limit is untouched', () => {
    const value = { a: [1, 2, 3] };
    assert.deepEqual(capOutput(value, 2048), { value, truncated: false, originalBytes: '{"a":[1,2,3]}'.length });
  });

  test('the largest array is shortened first, the rest stays valid JSON with whole items', () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ id: i, title: `issue number ${i}` }));
    const capped = capOutput({ total_count: 500, items }, 4096);
    assert.equal(capped.truncated, true);
    const kept = (capped.value as { items: unknown[] }).items;
    assert.ok(kept.length > 10 && kept.length < 500, `${kept.length}`);
    assert.deepEqual(kept, items.slice(0, kept.length));
    assert.ok(Buffer.byteLength(JSON.stringify(capped.value)) <= 4096);
    assert.match(capped.note!, new RegExp(`/items: ${kept.length} of 500 items kept`));
  });

  test('a huge string is cut as text, on a character boundary, with a note', () => {
    const capped = capOutput({ text: 'é'.repeat(10_000) }, 2000);
    assert.equal(typeof capped.value, 'string');
    assert.ok(Buffer.byteLength(capped.value as string) <= 2000);
    assert.ok(!(capped.value as string).includes('\ufffd'));
    assert.match(capped.note!, /no longer valid JSON/);
  });

  test('property: the capped value always fits the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 1024, max: 8192 }), (value, max) => {
        const capped = capOutput(value, max);
        const size = Buffer.byteLength(JSON.stringify(capped.value) ?? 'null');
        assert.ok(size <= max, `${size} > ${max}`);
        if (!capped.truncated) assert.deepEqual(capped.value, value);
      }),
      { numRuns: 300 },
    );
  });

  test('a limit below 1 KiB is a programmer error', () => {
    assert.throws(() => capOutput({}, 10), RangeError);
  });
});
