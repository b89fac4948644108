import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { isToolproxyError } from '../../src/errors.ts';
import { KEY_FILE_NAME, loadKeyring, prependKeyToFile } from '../../src/vault/keyring.ts';
import { type SecretBinding, Vault } from '../../src/vault/vault.ts';

/**
 * S7: a running server keeps working while `toolproxy keys rotate` (another process) adds a key:
 * it re-reads the key file when it meets a kid it does not know — once per kid, at most once a
 * second — and from then on encrypts with the new key.
 */

const binding: SecretBinding = { table: 'connected_accounts', rowId: 'ca_1', column: 'credentials' };
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tp-keyring-'));
  dirs.push(dir);
  return dir;
}

describe('key file rotation and reload', () => {
  test('prependKeyToFile adds a new current key on top, keeps the old ones, mode 0600', () => {
    const dir = dataDir();
    const first = loadKeyring({ encryptionKey: undefined, dataDir: dir });
    const added = prependKeyToFile(join(dir, KEY_FILE_NAME));
    const lines = readFileSync(join(dir, KEY_FILE_NAME), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    const reloaded = loadKeyring({ encryptionKey: undefined, dataDir: dir });
    assert.equal(reloaded.current.kid, added.kid);
    assert.ok(reloaded.byKid.has(first.current.kid));
    assert.equal(statSync(join(dir, KEY_FILE_NAME)).mode & 0o777, 0o600);
  });

  test('a running vault reads values written with a key added after it started, then encrypts with it', () => {
    const dir = dataDir();
    let now = 1_000_000;
    const running = new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir, now: () => now }));
    const oldKid = running.currentKid;
    const oldValue = running.encrypt('sk_old', binding);

    // Another process (the rotation) adds a key and rewrites the value with it.
    const added = prependKeyToFile(join(dir, KEY_FILE_NAME));
    const rotation = new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir }));
    const rewritten = rotation.encrypt(rotation.decrypt(oldValue, binding), binding);
    assert.equal(Vault.kidOf(rewritten), added.kid);

    assert.equal(running.decrypt(rewritten, binding), 'sk_old');
    assert.equal(running.currentKid, added.kid, 'new values now use the new key');
    assert.equal(Vault.kidOf(running.encrypt('sk_new', binding)), added.kid);
    assert.equal(running.decrypt(oldValue, binding), 'sk_old', 'the old key still reads old values');
    assert.notEqual(oldKid, added.kid);
  });

  test('an unknown kid is looked for once; reads are at most one per second', () => {
    const dir = dataDir();
    let now = 1_000_000;
    const running = new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir, now: () => now }));
    const keyFile = join(dir, KEY_FILE_NAME);
    const unreadable = (fn: () => unknown) => assert.throws(fn, (error) => isToolproxyError(error) && error.code === 'CREDENTIALS_UNREADABLE');

    // A stray kid: looked for (one read), not found.
    const strayKey = randomBytes(32).toString('base64');
    const strayValue = new Vault(loadKeyring({ encryptionKey: strayKey, dataDir: dir })).encrypt('x', binding);
    unreadable(() => running.decrypt(strayValue, binding));

    // Even once that key shows up in the file, the same kid is not looked for again…
    writeFileSync(keyFile, `${readFileSync(keyFile, 'utf8')}${strayKey}\n`);
    now += 10_000;
    unreadable(() => running.decrypt(strayValue, binding));

    // …and a new kid within a second of the last read waits for the next second.
    now += 10_000;
    const other = new Vault(loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: dir })).encrypt('z', binding);
    unreadable(() => running.decrypt(other, binding)); // a read, at `now`
    const added = prependKeyToFile(keyFile);
    const value = new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir })).encrypt('y', binding);
    unreadable(() => running.decrypt(value, binding)); // within the second: no read
    now += 1_000;
    assert.equal(running.decrypt(value, binding), 'y');
    assert.equal(running.currentKid, added.kid);
  });

  test('keys from TOOLPROXY_ENCRYPTION_KEY are never reloaded', () => {
    const keyring = loadKeyring({ encryptionKey: randomBytes(32).toString('base64'), dataDir: '/nonexistent' });
    assert.equal(keyring.reloadFor, undefined);
  });
});
