import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyFieldMutations } from '../../src/auth/mutations.ts';

describe('applyFieldMutations', () => {
  test('applies default, then prefix, then suffix', () => {
    const pattern = { auth_field_mutations: { password: { default: 'X', prefix: '<', suffix: '>' } } };
    assert.deepEqual(applyFieldMutations(pattern, {}), { password: '<X>' });
    assert.deepEqual(applyFieldMutations(pattern, { password: 'pw' }), { password: '<pw>' });
  });

  test('uses the default when the value is missing or empty (Freshdesk password "X")', () => {
    const pattern = { auth_field_mutations: { password: { default: 'X' } } };
    assert.deepEqual(applyFieldMutations(pattern, { username: 'key' }), { username: 'key', password: 'X' });
    assert.deepEqual(applyFieldMutations(pattern, { username: 'key', password: '' }), { username: 'key', password: 'X' });
  });

  test('adds no prefix or suffix to a missing value, so it stays detectably missing', () => {
    const pattern = { auth_field_mutations: { api_key: { prefix: 'Klaviyo-API-Key ' } } };
    assert.deepEqual(applyFieldMutations(pattern, {}), {});
    assert.deepEqual(applyFieldMutations(pattern, { api_key: '' }), { api_key: '' });
  });

  test('leaves other fields and the input untouched', () => {
    const credentials = { username: 'me@acme.example', domain: 'acme' };
    const result = applyFieldMutations({ auth_field_mutations: { username: { suffix: '/token' } } }, credentials);
    assert.deepEqual(result, { username: 'me@acme.example/token', domain: 'acme' });
    assert.deepEqual(credentials, { username: 'me@acme.example', domain: 'acme' });
    assert.deepEqual(applyFieldMutations({}, credentials), credentials);
  });

  test('equals prefix + (value or default) + suffix for any strings', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.string(), fc.string(), (value, fallback, prefix, suffix) => {
        const pattern = { auth_field_mutations: { token: { default: fallback, prefix, suffix } } };
        const { token } = applyFieldMutations(pattern, { token: value });
        return token === `${prefix}${value === '' ? fallback : value}${suffix}`;
      }),
    );
  });
});
