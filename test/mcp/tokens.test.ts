import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeChange, decodeChange } from '../../src/store/change-messages.ts';
import { type McpTokenClaims, McpTokenSigner } from '../../src/mcp/tokens.ts';
import { parseScope } from '../../src/mcp/scopes.ts';

const key = (n: number) => Buffer.alloc(32, n);
const claims = (overrides: Partial<McpTokenClaims> = {}): McpTokenClaims => ({
  kind: 'session',
  configId: 'mcp_abc',
  identifier: 'user-1',
  audience: 'https://tp.example/mcp/mcp_abc',
  issuedAt: 1_000,
  expiresAt: 61_000,
  scope: ['tools:read', 'tools:call'],
  policy: null,
  ...overrides,
});

test('a token round-trips its claims, for any identifier', () => {
  const signer = new McpTokenSigner([key(1)]);
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 255 }), (identifier) => {
      const verified = signer.verify(signer.sign(claims({ identifier })));
      assert.deepEqual(verified, claims({ identifier }));
    }),
  );
  const access = claims({ kind: 'access', clientId: 'tpmc_x', grantId: 'mcg_y', scope: ['tools:read'] });
  assert.deepEqual(signer.verify(signer.sign(access)), access);
  assert.match(signer.sign(access), /^tpma_/);
});

test('any change to a token, or another key, makes it invalid', () => {
  const signer = new McpTokenSigner([key(1)]);
  const token = signer.sign(claims());
  fc.assert(
    fc.property(fc.integer({ min: 0, max: token.length - 1 }), fc.string({ minLength: 1, maxLength: 1 }), (index, char) => {
      fc.pre(token[index] !== char);
      const tampered = `${token.slice(0, index)}${char}${token.slice(index + 1)}`;
      assert.equal(signer.verify(tampered), undefined);
    }),
  );
  assert.equal(new McpTokenSigner([key(2)]).verify(token), undefined);
  // A rolling rotation: signed with the old key, verified by a signer that holds both.
  assert.ok(new McpTokenSigner([key(2), key(1)]).verify(token));
  // The kind is bound by the MAC: a session token relabelled as an access token is refused.
  assert.equal(signer.verify(token.replace(/^tpms_/, 'tpma_')), undefined);
  assert.equal(signer.verify(`${'x'.repeat(5000)}`), undefined);
});

test('scopes parse to the known ones, in a fixed order; an unknown scope is refused', () => {
  assert.deepEqual(parseScope(undefined), ['tools:read', 'tools:call']);
  assert.deepEqual(parseScope('tools:call  tools:read'), ['tools:read', 'tools:call']);
  assert.deepEqual(parseScope('tools:read'), ['tools:read']);
  assert.equal(parseScope('tools:read admin'), undefined);
});

test('an MCP config change survives the Postgres change relay encoding', () => {
  assert.deepEqual(decodeChange(encodeChange({ kind: 'mcp_config', configId: 'mcp_1' }, 'i1')), { instance: 'i1', change: { kind: 'mcp_config', configId: 'mcp_1' } });
  assert.equal(decodeChange('{"instance":"i","kind":"mcp_config"}'), undefined);
});
