import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CHANGES_CHANNEL, decodeChange, encodeChange, MAX_PAYLOAD_BYTES } from '../../src/store/change-messages.ts';

const INSTANCE = '6f1c1f0e-2a55-4c3e-9d0b-0e8f5a4b7c21';

test('an account change survives the trip through a payload, whatever its name and identifier', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200, unit: 'grapheme' }), fc.string({ maxLength: 1000, unit: 'binary' }), (connectionName, identifier) => {
      const payload = encodeChange({ kind: 'account', connectionName, identifier }, INSTANCE);
      assert.ok(Buffer.byteLength(payload) <= MAX_PAYLOAD_BYTES);
      assert.deepEqual(decodeChange(payload), { instance: INSTANCE, change: { kind: 'account', connectionName, identifier } });
    }),
  );
});

test('a config change survives the trip and carries nothing but the sender and the kind', () => {
  const payload = encodeChange({ kind: 'config' }, INSTANCE);
  assert.deepEqual(JSON.parse(payload), { instance: INSTANCE, kind: 'config' });
  assert.deepEqual(decodeChange(payload), { instance: INSTANCE, change: { kind: 'config' } });
});

test('a policy change survives the trip and carries nothing but the sender and the kind', () => {
  const payload = encodeChange({ kind: 'policy' }, INSTANCE);
  assert.deepEqual(JSON.parse(payload), { instance: INSTANCE, kind: 'policy' });
  assert.deepEqual(decodeChange(payload), { instance: INSTANCE, change: { kind: 'policy' } });
});

test('an account change too large for NOTIFY (8000 bytes) is sent as drop-everything instead', () => {
  const identifier = 'é'.repeat(4000); // 4000 characters, 8000 bytes in UTF-8
  const payload = encodeChange({ kind: 'account', connectionName: 'crm', identifier }, INSTANCE);
  assert.ok(Buffer.byteLength(payload) < 8000);
  assert.deepEqual(decodeChange(payload), { instance: INSTANCE, change: { kind: 'config' } });
});

test('the largest account change that fits is still sent as itself', () => {
  const overhead = Buffer.byteLength(encodeChange({ kind: 'account', connectionName: 'crm', identifier: '' }, INSTANCE));
  const identifier = 'x'.repeat(MAX_PAYLOAD_BYTES - overhead);
  const payload = encodeChange({ kind: 'account', connectionName: 'crm', identifier }, INSTANCE);
  assert.equal(Buffer.byteLength(payload), MAX_PAYLOAD_BYTES);
  assert.equal(decodeChange(payload)?.change.kind, 'account');
  assert.equal(decodeChange(encodeChange({ kind: 'account', connectionName: 'crm', identifier: `${identifier}x` }, INSTANCE))?.change.kind, 'config');
});

test('a malformed payload on the channel is ignored, never thrown on', () => {
  const malformed = [
    '',
    'not json',
    '{"instance":',
    'null',
    '42',
    '"config"',
    '[]',
    JSON.stringify({ kind: 'config' }),
    JSON.stringify({ instance: '', kind: 'config' }),
    JSON.stringify({ instance: 7, kind: 'config' }),
    JSON.stringify({ instance: INSTANCE }),
    JSON.stringify({ instance: INSTANCE, kind: 'everything' }),
    JSON.stringify({ instance: INSTANCE, kind: 'account', connection: 'crm' }),
    JSON.stringify({ instance: INSTANCE, kind: 'account', connection: 'crm', identifier: 5 }),
    JSON.stringify({ instance: INSTANCE, kind: 'account', identifier: 'user_1' }),
  ];
  for (const payload of malformed) assert.equal(decodeChange(payload), undefined, payload);
  fc.assert(fc.property(fc.string(), (payload) => void decodeChange(payload)));
  fc.assert(fc.property(fc.jsonValue(), (value) => void decodeChange(JSON.stringify(value))));
});

test('the channel name is a plain identifier (LISTEN takes it unquoted)', () => {
  assert.match(CHANGES_CHANNEL, /^[a-z_][a-z0-9_]*$/);
});
