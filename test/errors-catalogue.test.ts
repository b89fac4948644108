import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CATALOGUE, ToolproxyError } from '../src/errors.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])]));

test('every error code is documented in docs/errors.md with its HTTP status', () => {
  for (const [code, [status]] of Object.entries(ERROR_CATALOGUE)) {
    assert.equal(documented.get(code), status, `${code} must be listed in docs/errors.md with status ${status}`);
  }
});

test('docs/errors.md lists no code that no longer exists', () => {
  for (const code of documented.keys()) assert.ok(code in ERROR_CATALOGUE, `${code} is documented but not in src/errors.ts`);
});

test('a 5xx error hides its message and details; a 4xx shows them', () => {
  const hidden = new ToolproxyError('INTERNAL_ERROR', { message: 'db password is hunter2', details: { sql: 'select' } });
  assert.deepEqual(hidden.toBody(), { error: { code: 'INTERNAL_ERROR', message: ERROR_CATALOGUE.INTERNAL_ERROR[1] } });
  const shown = new ToolproxyError('INVALID_PATH', { details: { reason: 'dot_segment' } });
  assert.deepEqual(shown.toBody(), { error: { code: 'INVALID_PATH', message: ERROR_CATALOGUE.INVALID_PATH[1], details: { reason: 'dot_segment' } } });
});
