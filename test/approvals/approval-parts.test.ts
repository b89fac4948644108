import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WAIT_SECONDS, requestedWait } from '../../src/approvals/approval-step.ts';
import { encodeBody } from '../../src/approvals/approval-view.ts';
import { ToolproxyError } from '../../src/errors.ts';
import { decodeChange, encodeChange } from '../../src/store/change-messages.ts';

test('x-toolproxy-approval-wait: absent is 0, whole seconds up to 60, anything else VALIDATION_FAILED', () => {
  assert.equal(requestedWait(undefined), 0);
  assert.equal(requestedWait('0'), 0);
  assert.equal(requestedWait(' 30 '), 30);
  assert.equal(requestedWait(String(MAX_WAIT_SECONDS)), 60);
  for (const bad of ['61', '1000', '-1', '1.5', 'abc', '', '1e1', ['1', '2']]) {
    assert.throws(() => requestedWait(bad), (error: unknown) => error instanceof ToolproxyError && error.code === 'VALIDATION_FAILED', String(bad));
  }
});

test('an approval decision travels between instances as a change message, and nothing else of it', () => {
  const payload = encodeChange({ kind: 'approval', approvalId: 'apr_abc' }, 'instance-1');
  assert.deepEqual(JSON.parse(payload), { instance: 'instance-1', kind: 'approval', approval: 'apr_abc' });
  assert.deepEqual(decodeChange(payload), { instance: 'instance-1', change: { kind: 'approval', approvalId: 'apr_abc' } });
  assert.equal(decodeChange(JSON.stringify({ instance: 'i', kind: 'approval', approval: 42 })), undefined);
});

test('a body is shown as text when it is UTF-8, as base64 otherwise', () => {
  assert.deepEqual(encodeBody(null), { body: null, body_encoding: null });
  assert.deepEqual(encodeBody(Buffer.from('{"a":"é"}')), { body: '{"a":"é"}', body_encoding: 'utf8' });
  const binary = Buffer.from([0xff, 0x00, 0xfe]);
  assert.deepEqual(encodeBody(binary), { body: binary.toString('base64'), body_encoding: 'base64' });
});
