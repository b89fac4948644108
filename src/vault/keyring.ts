import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** One 256-bit key and its id. The id is derived from the key, so a wrong key is detectable (S6). */
export interface VaultKey {
  kid: string;
  key: Buffer;
}

export interface Keyring {
  /** Encrypts every new value. */
  current: VaultKey;
  /** Every key that can still decrypt, by kid (the current one included). */
  byKid: ReadonlyMap<string, VaultKey>;
  /** Where the key came from, for the start banner (never the key itself). */
  source: 'environment' | 'generated' | 'key-file';
  keyFile?: string;
}

export const KEY_FILE_NAME = 'encryption.key';

export function deriveKid(key: Buffer): string {
  return createHmac('sha256', key).update('toolproxy/kid/v1').digest('base64url').slice(0, 12);
}

function toVaultKey(base64: string): VaultKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error('an encryption key must be base64 of exactly 32 bytes');
  return { kid: deriveKid(key), key };
}

function keyringOf(keys: VaultKey[], source: Keyring['source'], keyFile?: string): Keyring {
  const [current] = keys;
  if (!current) throw new Error('no encryption key');
  return { current, byKid: new Map(keys.map((k) => [k.kid, k])), source, ...(keyFile ? { keyFile } : {}) };
}

/**
 * Keys come from TOOLPROXY_ENCRYPTION_KEY (comma-separated, newest first), or, on the embedded
 * default, from `<dataDir>/encryption.key`, generated with mode 0600 on first start (S4, S5, S14).
 * There is no plaintext mode.
 */
export function loadKeyring(options: { encryptionKey: string | undefined; dataDir: string }): Keyring {
  if (options.encryptionKey) {
    return keyringOf(options.encryptionKey.split(',').map(toVaultKey), 'environment');
  }
  const keyFile = path.join(options.dataDir, KEY_FILE_NAME);
  if (fs.existsSync(keyFile)) {
    const lines = fs.readFileSync(keyFile, 'utf8').split(/\s+/).filter(Boolean);
    return keyringOf(lines.map(toVaultKey), 'key-file', keyFile);
  }
  const generated = randomBytes(32).toString('base64');
  // 'wx': never overwrite a key another process created between our check and this write.
  fs.writeFileSync(keyFile, `${generated}\n`, { mode: 0o600, flag: 'wx' });
  return keyringOf([toVaultKey(generated)], 'generated', keyFile);
}

/** A purpose-bound subkey (HKDF-like HMAC derivation), e.g. for signing app access tokens. */
export function deriveSubkey(keyring: Keyring, purpose: string): Buffer {
  return createHmac('sha256', keyring.current.key).update(`toolproxy/subkey/${purpose}`).digest();
}
