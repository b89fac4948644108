import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WAIT_SECONDS, requestedWait } from '../../src/approvals/approval-step.ts';
import { encodeBody } from '../../src/approvals/approval-view.ts';
import { DecisionWaiters } from '../../src/approvals/decision-waiters.ts';
import { ChangeFeed } from '../../src/changes.ts';
import { ToolproxyError } from '../../src/errors.ts';
import type { ApprovalRow } from '../../src/store/schema.ts';
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

test('a waiting caller is woken by the decision (here or relayed from another instance), or gives up at its time or when aborted', async () => {
  const changes = new ChangeFeed();
  const rows = new Map<string, Partial<ApprovalRow>>([['apr_a', { status: 'PENDING', expires_at: Date.now() + 60_000 }], ['apr_b', { status: 'PENDING', expires_at: Date.now() + 60_000 }]]);
  let reads = 0;
  const waiters = new DecisionWaiters({ changes, clock: Date.now, read: async (id) => (reads++, rows.get(id) as ApprovalRow | undefined) });

  const a = waiters.wait('apr_a', 30_000, new AbortController().signal);
  const b = waiters.wait('apr_b', 30_000, new AbortController().signal);
  await new Promise((resolve) => setImmediate(resolve));
  rows.set('apr_a', { status: 'APPROVED', expires_at: Date.now() + 60_000 });
  changes.approvalDecided('apr_a');
  assert.equal((await a)?.status, 'APPROVED');
  rows.set('apr_b', { status: 'DENIED', expires_at: Date.now() + 60_000 });
  changes.emitLocally({ kind: 'approval', approvalId: 'apr_b' });
  assert.equal((await b)?.status, 'DENIED');

  rows.set('apr_c', { status: 'PENDING', expires_at: Date.now() + 60_000 });
  const started = Date.now();
  assert.equal(await waiters.wait('apr_c', 50, new AbortController().signal), undefined);
  assert.ok(Date.now() - started >= 45);
  rows.set('apr_d', { status: 'PENDING', expires_at: Date.now() + 60_000 });
  const controller = new AbortController();
  const d = waiters.wait('apr_d', 30_000, controller.signal);
  controller.abort();
  assert.equal(await d, undefined);
  assert.ok(reads >= 4);
});
