import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isToolproxyError } from '../../src/errors.ts';
import { deriveKid, KEY_FILE_NAME, loadKeyring } from '../../src/vault/keyring.ts';
import { Secret } from '../../src/vault/secret.ts';
import { type SecretBinding, Vault } from '../../src/vault/vault.ts';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const binding: SecretBinding = { table: 'connected_accounts', rowId: 'ca_1', column: 'credentials' };
const vaultWith = (keys: string) => new Vault(loadKeyring({ encryptionKey: keys, dataDir: '/nonexistent' }));

describe('vault (S1–S6)', () => {
  test('round-trips any text and names its key id in the envelope (S1)', () => {
    const vault = vaultWith(keyA);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (plaintext) => {
        const envelope = vault.encrypt(plaintext, binding);
        assert.match(envelope, /^v1\.[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/);
        assert.equal(Vault.kidOf(envelope), vault.currentKid);
        assert.equal(vault.decrypt(envelope, binding), plaintext);
      }),
    );
  });

  test('uses a fresh IV for every encryption (S1)', () => {
    const vault = vaultWith(keyA);
    const ivs = new Set(Array.from({ length: 5000 }, () => vault.encrypt('same', binding).split('.')[2]));
    assert.equal(ivs.size, 5000);
  });

  test('refuses a ciphertext moved to another row or column (S2)', () => {
    const vault = vaultWith(keyA);
    const envelope = vault.encrypt('sk_live_a', binding);
    for (const other of [{ ...binding, rowId: 'ca_2' }, { ...binding, column: 'secrets' }, { ...binding, table: 'connections' }]) {
      assert.throws(() => vault.decrypt(envelope, other), (error) => isToolproxyError(error) && error.code === 'CREDENTIALS_UNREADABLE');
    }
  });

  test('detects any flipped bit and never leaks the envelope in the error (S3)', () => {
    const vault = vaultWith(keyA);
    const envelope = vault.encrypt('a secret value', binding);
    const [version, kid, ...parts] = envelope.split('.');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (which, byteSeed, bit) => {
        const bytes = Buffer.from(parts[which]!, 'base64url');
        if (bytes.length === 0) return;
        bytes[byteSeed % bytes.length]! ^= 1 << bit;
        const tampered = [version, kid, ...parts.map((p, i) => (i === which ? bytes.toString('base64url') : p))].join('.');
        assert.throws(
          () => vault.decrypt(tampered, binding),
          (error: unknown) => isToolproxyError(error) && error.code === 'CREDENTIALS_UNREADABLE' && !JSON.stringify(error.toBody()).includes(parts[1]!),
        );
      }),
    );
  });

  test('refuses unknown envelope versions and unknown key ids with a typed error', () => {
    const vault = vaultWith(keyA);
    for (const bad of ['', 'plaintext', 'v2.x.y.z.w', vaultWith(keyB).encrypt('x', binding)]) {
      assert.throws(() => vault.decrypt(bad, binding), (error) => isToolproxyError(error) && error.code === 'CREDENTIALS_UNREADABLE');
    }
  });

  test('encrypts with the newest key and still decrypts with older ones (rotation)', () => {
    const old = vaultWith(keyA).encrypt('old secret', binding);
    const rotated = vaultWith(`${keyB},${keyA}`);
    assert.equal(rotated.decrypt(old, binding), 'old secret');
    assert.equal(Vault.kidOf(rotated.encrypt('new', binding)), deriveKid(Buffer.from(keyB, 'base64')));
  });

  test('generates a key file with mode 0600 on the embedded default and reuses it (S5, S14)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tp-vault-'));
    const first = loadKeyring({ encryptionKey: undefined, dataDir });
    assert.equal(first.source, 'generated');
    assert.equal(statSync(join(dataDir, KEY_FILE_NAME)).mode & 0o777, 0o600);
    const second = loadKeyring({ encryptionKey: undefined, dataDir });
    assert.equal(second.source, 'key-file');
    assert.equal(second.current.kid, first.current.kid);
    assert.equal(Buffer.from(readFileSync(join(dataDir, KEY_FILE_NAME), 'utf8').trim(), 'base64').length, 32);
  });
});

describe('Secret', () => {
  test('prints [redacted] through JSON, strings and inspect', () => {
    const secret = new Secret('sk_live_canary');
    assert.equal(JSON.stringify({ secret }), '{"secret":"[redacted]"}');
    assert.equal(`${secret}`, '[redacted]');
    assert.ok(!inspect({ secret }).includes('canary'));
    assert.equal(secret.reveal(), 'sk_live_canary');
  });
});
