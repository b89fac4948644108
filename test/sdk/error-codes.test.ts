import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVER_ERROR_CODES } from '../../packages/sdk/src/index.ts';
import { ERROR_CATALOGUE } from '../../src/errors.ts';

test('every error code the Node SDK names exists in the server catalogue', () => {
  for (const code of SERVER_ERROR_CODES) assert.ok(code in ERROR_CATALOGUE, `${code} is in the SDK but not in src/errors.ts`);
});
