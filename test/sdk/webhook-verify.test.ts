import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyWebhook } from '../../packages/sdk/src/index.ts';
import { newWebhookSecret, signWebhook } from '../../src/webhooks/signature.ts';

/**
 * The Node SDK's `verifyWebhook` against the server's signer (src/webhooks/signature.ts) and the
 * Standard Webhooks reference vector: valid, forged, tampered, replayed (stale or future
 * timestamp), missing headers, a rotation with two signatures, raw bytes.
 */

const secret = newWebhookSecret();
const now = 1_780_000_000_000;
const body = JSON.stringify({ type: 'account.status_changed', timestamp: new Date(now).toISOString(), data: { previous_status: 'ACTIVE', status: 'EXPIRED' } });

function headers(options: { id?: string; timestamp?: number; signature?: string; payload?: string } = {}): Record<string, string> {
  const id = options.id ?? 'evt_0001';
  const timestamp = options.timestamp ?? Math.floor(now / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': options.signature ?? signWebhook(secret, id, timestamp, options.payload ?? body) };
}
const at = { now: () => now };

test('a valid signature returns the event and its id (plain object and fetch Headers)', () => {
  const event = verifyWebhook<{ status: string }>(secret, headers(), body, at);
  assert.deepEqual(event, { id: 'evt_0001', type: 'account.status_changed', timestamp: new Date(now).toISOString(), data: { previous_status: 'ACTIVE', status: 'EXPIRED' } });
  assert.equal(verifyWebhook(secret, new Headers(headers()), Buffer.from(body), at).id, 'evt_0001');
  assert.equal(verifyWebhook(secret, headers(), new TextEncoder().encode(body), at).type, 'account.status_changed');
});

test('matches the Standard Webhooks reference vector', () => {
  const vector = { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330, payload: '{"test": 2432232314}' };
  const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  assert.equal(signWebhook(vector.secret, vector.id, vector.timestamp, vector.payload), expected);
  const verified = verifyWebhook(vector.secret, { 'webhook-id': vector.id, 'webhook-timestamp': String(vector.timestamp), 'webhook-signature': expected }, vector.payload, { now: () => vector.timestamp * 1000 });
  assert.equal(verified.id, vector.id);
});

test('a forged signature (another secret) is refused', () => {
  const forged = headers({ signature: signWebhook(newWebhookSecret(), 'evt_0001', Math.floor(now / 1000), body) });
  assert.throws(() => verifyWebhook(secret, forged, body, at), { name: 'WebhookVerificationError', code: 'WEBHOOK_SIGNATURE_INVALID' });
  assert.throws(() => verifyWebhook(secret, headers({ signature: 'v1,' }), body, at), { code: 'WEBHOOK_SIGNATURE_INVALID' });
  assert.throws(() => verifyWebhook(secret, headers({ signature: 'v2,abc v1a,def' }), body, at), { code: 'WEBHOOK_SIGNATURE_INVALID' });
});

test('a tampered body, id or timestamp is refused', () => {
  assert.throws(() => verifyWebhook(secret, headers(), body.replace('EXPIRED', 'ACTIVE!'), at), { code: 'WEBHOOK_SIGNATURE_INVALID' });
  const signed = headers();
  assert.throws(() => verifyWebhook(secret, { ...signed, 'webhook-id': 'evt_0002' }, body, at), { code: 'WEBHOOK_SIGNATURE_INVALID' });
  assert.throws(() => verifyWebhook(secret, { ...signed, 'webhook-timestamp': String(Math.floor(now / 1000) + 1) }, body, at), { code: 'WEBHOOK_SIGNATURE_INVALID' });
});

test('a replayed delivery (stale timestamp) and one from the future are refused; the tolerance is adjustable', () => {
  const stale = headers({ timestamp: Math.floor(now / 1000) - 301 });
  assert.throws(() => verifyWebhook(secret, stale, body, at), { code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' });
  assert.throws(() => verifyWebhook(secret, headers({ timestamp: Math.floor(now / 1000) + 301 }), body, at), { code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' });
  assert.equal(verifyWebhook(secret, stale, body, { ...at, toleranceSeconds: 600 }).id, 'evt_0001');
  assert.throws(() => verifyWebhook(secret, { ...headers(), 'webhook-timestamp': '17800e5' }, body, at), { code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' });
});

test('missing headers are refused', () => {
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const partial: Record<string, string> = headers();
    delete partial[name];
    assert.throws(() => verifyWebhook(secret, partial, body, at), { code: 'WEBHOOK_HEADERS_MISSING' });
  }
});

test('during a rotation, any one of several signatures may match', () => {
  const old = headers({ signature: signWebhook(newWebhookSecret(), 'evt_0001', Math.floor(now / 1000), body) })['webhook-signature'];
  const both = headers({ signature: `${old} ${headers()['webhook-signature']}` });
  assert.equal(verifyWebhook(secret, both, body, at).id, 'evt_0001');
});
