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
  /**
   * For a kid this keyring does not hold: re-reads the key file, where `toolproxy keys rotate`
   * may have added it while this process runs, and from then on encrypts with the file's newest
   * key. Each unknown kid triggers at most one read, and reads are at most one per second, so a
   * stray kid in the database cannot turn every request into a file read. Absent for keys from
   * the environment (they cannot change while the process runs).
   */
  reloadFor?(kid: string): VaultKey | undefined;
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

const RELOAD_INTERVAL_MS = 1000;
const MAX_TRIED_KIDS = 1000;

function reloadingKeyring(keys: VaultKey[], source: Keyring['source'], keyFile: string, now: () => number): Keyring {
  let { current, byKid } = keyringOf(keys, source, keyFile);
  const tried = new Set<string>();
  let lastRead = Number.NEGATIVE_INFINITY;
  return {
    get current() {
      return current;
    },
    get byKid() {
      return byKid;
    },
    source,
    keyFile,
    reloadFor(kid) {
      const known = byKid.get(kid);
      if (known || tried.has(kid)) return known;
      const at = now();
      if (at - lastRead < RELOAD_INTERVAL_MS) return undefined;
      lastRead = at;
      if (tried.size >= MAX_TRIED_KIDS) tried.clear();
      tried.add(kid);
      let fresh: VaultKey[];
      try {
        fresh = readKeyFile(keyFile);
      } catch {
        return undefined; // unreadable mid-write or removed: keep what we have
      }
      // Keys are only ever added at run time; one that left the file stays loaded until restart.
      byKid = new Map([...byKid, ...fresh.map((k): [string, VaultKey] => [k.kid, k])]);
      if (fresh[0]) current = fresh[0];
      return byKid.get(kid);
    },
  };
}

function readKeyFile(keyFile: string): VaultKey[] {
  return fs.readFileSync(keyFile, 'utf8').split(/\s+/).filter(Boolean).map(toVaultKey);
}

/**
 * Keys come from TOOLPROXY_ENCRYPTION_KEY (comma-separated, newest first), or, on the embedded
 * default, from `<dataDir>/encryption.key`, generated with mode 0600 on first start (S4, S5, S14).
 * There is no plaintext mode.
 */
export function loadKeyring(options: { encryptionKey: string | undefined; dataDir: string; now?: () => number }): Keyring {
  if (options.encryptionKey) {
    return keyringOf(options.encryptionKey.split(',').map(toVaultKey), 'environment');
  }
  const now = options.now ?? Date.now;
  const keyFile = path.join(options.dataDir, KEY_FILE_NAME);
  if (fs.existsSync(keyFile)) {
    return reloadingKeyring(readKeyFile(keyFile), 'key-file', keyFile, now);
  }
  const generated = randomBytes(32).toString('base64');
  // 'wx': never overwrite a key another process created between our check and this write.
  fs.writeFileSync(keyFile, `${generated}\n`, { mode: 0o600, flag: 'wx' });
  return reloadingKeyring([toVaultKey(generated)], 'generated', keyFile, now);
}

/**
 * Key rotation, step one: a new random key becomes the first line of the key file (the current
 * key); the older ones stay below it so their ciphertexts still decrypt. The file is replaced
 * atomically (write a temp file with mode 0600, fsync, rename), so a reader sees the old file
 * or the new one, never half of one, and a crash leaves one of the two.
 */
export function prependKeyToFile(keyFile: string): VaultKey {
  const existing = fs.readFileSync(keyFile, 'utf8').split(/\s+/).filter(Boolean);
  const generated = randomBytes(32).toString('base64');
  const temp = `${keyFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = fs.openSync(temp, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${[generated, ...existing].join('\n')}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, keyFile);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
  // The rename itself is durable once the directory is synced.
  const dir = fs.openSync(path.dirname(keyFile), 'r');
  try {
    fs.fsyncSync(dir);
  } finally {
    fs.closeSync(dir);
  }
  return toVaultKey(generated);
}

/**
 * A purpose-bound subkey (HMAC derivation) from every loaded key, current first: e.g. app access
 * tokens are signed with the first and accepted with any, across a key rotation.
 */
export function deriveSubkeys(keyring: Keyring, purpose: string): Buffer[] {
  return [keyring.current, ...[...keyring.byKid.values()].filter((k) => k.kid !== keyring.current.kid)].map((k) => subkeyOf(k.key, purpose));
}

function subkeyOf(key: Buffer, purpose: string): Buffer {
  return createHmac('sha256', key).update(`toolproxy/subkey/${purpose}`).digest();
}
