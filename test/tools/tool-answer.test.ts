import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isToolproxyError } from '../../src/errors.ts';
import type { CollectedResponse } from '../../src/proxy/sinks.ts';
import { readAnswer, retryAfterSeconds } from '../../src/tools/tool-answer.ts';
import { toolTarget } from '../../src/tools/tool-target.ts';

const answer = (body: string | Buffer, contentType?: string, truncated = false): CollectedResponse => ({
  status: 200,
  headers: contentType === undefined ? {} : { 'content-type': contentType },
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
  truncated,
});

test('an answer is JSON parsed, text kept as text, anything else base64; a cut body is the text that arrived', () => {
  assert.deepEqual(readAnswer(answer('{"a":[1,2]}', 'application/json; charset=utf-8')).data, { a: [1, 2] });
  assert.deepEqual(readAnswer(answer('{"a":1}', 'application/vnd.api+json')).data, { a: 1 });
  assert.deepEqual(readAnswer(answer('[1]')).data, [1], 'no content type: JSON when it parses');
  assert.equal(readAnswer(answer('not json', 'application/json')).data, 'not json');
  assert.equal(readAnswer(answer('<a/>', 'application/xml')).data, '<a/>');
  assert.equal(readAnswer(answer('hello', 'text/plain')).data, 'hello');
  assert.deepEqual(readAnswer(answer(Buffer.from([0, 255]), 'image/png')).data, { content_type: 'image/png', encoding: 'base64', body: 'AP8=' });
  assert.deepEqual(readAnswer(answer('', 'application/json')), { data: null, cut: false });
  assert.deepEqual(readAnswer(answer('{"a":"long', 'application/json', true)), { data: '{"a":"long', cut: true, maxJsonBytes: 62 });
});

test('the size bound holds: stringified JSON never exceeds 6× the text it was parsed from', () => {
  for (const text of ['9e20', '[1e20,1e20]', '"\\u0001"', '{"a":-0}', '"\u2028"', '[{"a":"é"}]']) {
    const read = readAnswer(answer(text, 'application/json'));
    assert.ok(Buffer.byteLength(JSON.stringify(read.data)) <= read.maxJsonBytes!, text);
  }
  const control = readAnswer(answer('\u0001\u0002', 'text/plain'));
  assert.ok(Buffer.byteLength(JSON.stringify(control.data)) <= control.maxJsonBytes!);
});

test('Retry-After as seconds or an HTTP date', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  assert.equal(retryAfterSeconds('17', now), 17);
  assert.equal(retryAfterSeconds(['30', '40'], now), 30);
  assert.equal(retryAfterSeconds('Sun, 01 Mar 2026 12:01:00 GMT', now), 60);
  assert.equal(retryAfterSeconds('Sun, 01 Mar 2026 11:00:00 GMT', now), 0);
  assert.equal(retryAfterSeconds('soon', now), undefined);
  assert.equal(retryAfterSeconds(undefined, now), undefined);
});

test('a tool target is an account id, or a connection (or the reference name, connector) with an identifier; every problem listed', () => {
  assert.deepEqual(toolTarget({ connected_account_id: 'ca_abc', organization_id: 'o' }), { connectedAccountId: 'ca_abc', organizationId: 'o' });
  assert.deepEqual(toolTarget({ connector: 'github', identifier: 'u' }), { connectionName: 'github', identifier: 'u' });
  assert.deepEqual(toolTarget({ connection_name: 'github', connector: '', identifier: 'u', user_id: '' }), { connectionName: 'github', identifier: 'u' });
  const problems = (fields: Parameters<typeof toolTarget>[0]) => {
    try {
      toolTarget(fields);
    } catch (error) {
      assert.ok(isToolproxyError(error) && error.code === 'VALIDATION_FAILED');
      return (error.details as { problems: Array<{ path: string }> }).problems.map((p) => p.path);
    }
    assert.fail('expected VALIDATION_FAILED');
  };
  assert.deepEqual(problems({}), ['/connection_name', '/identifier']);
  assert.deepEqual(problems({ connection_name: 'a', connector: 'b', identifier: 'u ' }), ['/connector', '/identifier']);
  assert.deepEqual(problems({ connected_account_id: 'nope', identifier: 'u', organization_id: '\n' }), ['/organization_id', '/connected_account_id', '/connected_account_id']);
});
