import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AppTokenSigner } from '../../src/clients/app-tokens.ts';
import { deriveSubkeys, loadKeyring } from '../../src/vault/keyring.ts';

const keyring = (keys: string) => loadKeyring({ encryptionKey: keys, dataDir: '/nonexistent' });
const oldKey = randomBytes(32).toString('base64');
const newKey = randomBytes(32).toString('base64');

test('a token verifies, and any change to it does not', () => {
  const signer = new AppTokenSigner(deriveSubkeys(keyring(oldKey), 'app-tokens'));
  const token = signer.sign({ clientId: 'tpc_1', expiresAt: 123 });
  assert.deepEqual(signer.verify(token), { clientId: 'tpc_1', expiresAt: 123 });
  for (const bad of [token.slice(0, -1), token.replace('tpat_', 'tpat_x'), `${token}x`, 'tpat_', 'bearer']) assert.equal(signer.verify(bad), undefined);
});

test('during a key rotation (new,old) tokens signed with the old key are still accepted', () => {
  const before = new AppTokenSigner(deriveSubkeys(keyring(oldKey), 'app-tokens'));
  const during = new AppTokenSigner(deriveSubkeys(keyring(`${newKey},${oldKey}`), 'app-tokens'));
  const token = before.sign({ clientId: 'tpc_1', expiresAt: 123 });
  assert.equal(during.verify(token)?.clientId, 'tpc_1');
  // New tokens are signed with the new key: an instance still on the old key alone refuses them.
  assert.equal(before.verify(during.sign({ clientId: 'tpc_1', expiresAt: 123 })), undefined);
});
