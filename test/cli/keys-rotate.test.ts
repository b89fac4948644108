import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ToolproxyClient } from '../../packages/sdk/src/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { ROTATION_STATE_FILE } from '../../src/cli/keys-rotate.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { loadKeyring } from '../../src/vault/keyring.ts';
import { Vault } from '../../src/vault/vault.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer } from '../helpers/server.ts';
import { startUpstream } from '../helpers/upstream.ts';
import { apiKeyConnector } from '../sdk/scenario-fixtures.ts';
import { keyFileKids, readBack, seedSecrets } from './key-fixtures.ts';
import { cli } from './run-cli.ts';

/** S7: `toolproxy keys rotate` — new key, batched compare-and-set re-encryption, resumable. */

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tp-rotate-'));
  dirs.push(dir);
  return dir;
}

/** A data dir as a server leaves it: key file, SQLite database, the key recorded (S6). */
async function localStore(dir: string): Promise<{ store: Store; vault: Vault }> {
  const vault = new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir }));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'toolproxy.db') });
  await store.encryptionKeys.ensure(vault.currentKid, Date.now());
  return { store, vault };
}

describe('keys rotate with the data-dir key file', () => {
  test('killed with SIGKILL midway and run again, every secret decrypts and all are on the new key (S7)', async () => {
    const dir = dataDir();
    const { store, vault } = await localStore(dir);
    const seeded = await seedSecrets(store, vault, 2000);
    await store.close();
    const oldKid = vault.currentKid;

    // Small batches and many rows, so the first progress line comes long before the end.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'rotate', '--batch-size', '5'], {
      env: { ...process.env, TOOLPROXY_DATA_DIR: dir, TOOLPROXY_ENCRYPTION_KEY: '', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const killed = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/^re-encrypting: \d+\/2004 /m.test(stderr)) child.kill('SIGKILL');
    });
    assert.equal(await killed, 'SIGKILL', stderr);

    const [newKid, ...older] = keyFileKids(dir);
    assert.deepEqual(older, [oldKid]);
    assert.ok(existsSync(join(dir, ROTATION_STATE_FILE)), 'the interrupted rotation is recorded');
    const midway = await openStore({ kind: 'sqlite', path: join(dir, 'toolproxy.db') });
    const kidsMidway = await readBack(midway, new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir })), seeded);
    await midway.close();
    assert.ok((kidsMidway.get(newKid!) ?? 0) > 0 && (kidsMidway.get(oldKid) ?? 0) > 0, `killed midway: ${JSON.stringify([...kidsMidway])}`);

    const resumed = await cli(['keys', 'rotate', '--batch-size', '50'], { TOOLPROXY_DATA_DIR: dir });
    assert.equal(resumed.code, EXIT.OK, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`^resuming the interrupted rotation to key ${newKid}`));
    assert.match(resumed.stdout, /0 left on older keys/);
    assert.deepEqual(keyFileKids(dir), [newKid, oldKid], 'no third key: the run resumed');
    assert.ok(!existsSync(join(dir, ROTATION_STATE_FILE)));

    const after = await openStore({ kind: 'sqlite', path: join(dir, 'toolproxy.db') });
    try {
      // Every secret decrypts to what was stored, and every one is on the new key.
      const kids = await readBack(after, new Vault(loadKeyring({ encryptionKey: undefined, dataDir: dir })), seeded);
      assert.deepEqual([...kids], [[newKid, seeded.length]]);
      assert.ok((await after.encryptionKeys.list()).includes(newKid!));
    } finally {
      await after.close();
    }

    const again = await cli(['keys', 'rotate', '--no-new-key', '--json'], { TOOLPROXY_DATA_DIR: dir });
    assert.equal(again.code, EXIT.OK, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { kid: newKid, reencrypted: 0, changed_meanwhile: 0, failed: [], remaining: 0 });
    assert.deepEqual(keyFileKids(dir), [newKid, oldKid]);
  });

  test('a running server keeps answering proxy calls during and after the rotation, then writes with the new key', async () => {
    const upstream = await startUpstream();
    // No account cache: every call reads and decrypts the row, so the rotation is felt at once.
    const server = await startTestServer({ env: { TOOLPROXY_ACCOUNT_CACHE_TTL_MS: '0', LOG_LEVEL: 'warn' } });
    try {
      const client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
      const connector = await client.connectors.create(apiKeyConnector(upstream.url));
      await client.connections.create({ name: 'acme', connector: connector.identifier });
      const identifiers = Array.from({ length: 40 }, (_, i) => `user_${i}`);
      for (const identifier of identifiers) {
        await client.actions.createConnectedAccount({ connectionName: 'acme', identifier, authorizationDetails: { staticAuth: { details: { api_key: `k_${identifier}` } } } });
      }

      let rotating = true;
      const statuses: number[] = [];
      const load = (async () => {
        for (let i = 0; rotating || i < identifiers.length; i++) {
          const identifier = identifiers[i % identifiers.length]!;
          const result = await client.actions.request({ connectionName: 'acme', identifier, path: '/v1/customers' });
          statuses.push(result.status);
          assert.equal(upstream.received.at(-1)!.headers['x-api-key'], `k_${identifier}`);
        }
      })();
      const rotated = await cli(['keys', 'rotate', '--batch-size', '3'], { TOOLPROXY_DATA_DIR: server.dataDir });
      rotating = false;
      await load;
      assert.equal(rotated.code, EXIT.OK, rotated.stderr);
      assert.ok(statuses.length >= identifiers.length);
      assert.deepEqual(new Set(statuses), new Set([200]), 'no call failed');

      const [newKid] = keyFileKids(server.dataDir);
      await client.actions.createConnectedAccount({ connectionName: 'acme', identifier: 'after', authorizationDetails: { staticAuth: { details: { api_key: 'k_after' } } } });
      const row = await server.server.store.db.selectFrom('connected_accounts').select('credentials').where('identifier', '=', 'after').executeTakeFirstOrThrow();
      assert.equal(Vault.kidOf(row.credentials!), newKid, 'the server switched to the new key');
    } finally {
      await server.close();
      await upstream.close();
    }
  });

  test('refuses to run beside another rotation that is still running', async () => {
    const dir = dataDir();
    const { store } = await localStore(dir);
    await store.close();
    writeFileSync(join(dir, ROTATION_STATE_FILE), JSON.stringify({ kid: 'x', pid: process.ppid, started_at: new Date().toISOString() }));
    const result = await cli(['keys', 'rotate'], { TOOLPROXY_DATA_DIR: dir });
    assert.equal(result.code, EXIT.ERROR);
    assert.match(result.stderr, new RegExp(`another key rotation is running \\(pid ${process.ppid}\\)`));
    assert.equal(keyFileKids(dir).length, 1, 'no key was added');
  });
});

const databases = await withTestDatabases();
for (const database of databases) {
  describe(`keys rotate with TOOLPROXY_ENCRYPTION_KEY on ${database.name}`, () => {
    after(() => database.cleanup());
    const oldKey = randomBytes(32).toString('base64');
    const newKey = randomBytes(32).toString('base64');
    const env = {
      TOOLPROXY_DATA_DIR: dataDir(),
      ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : { TOOLPROXY_DATA_DIR: join(database.options.path, '..') }),
    };

    test('refuses a key that does not match the database and changes nothing (S6)', async () => {
      const store = await openStore(database.options);
      const vault = new Vault(loadKeyring({ encryptionKey: oldKey, dataDir: '/nonexistent' }));
      await store.encryptionKeys.ensure(vault.currentKid, Date.now());
      await seedSecrets(store, vault, 30);
      await store.close();
      const wrong = await cli(['keys', 'rotate'], { ...env, TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64') });
      assert.equal(wrong.code, EXIT.ERROR);
      assert.match(wrong.stderr, /does not match this database .* nothing was changed/);
    });

    test('with "new,old" it re-encrypts everything to the new key; the old key is then unused', async () => {
      const store = await openStore(database.options);
      const seeded = await seedSecrets(store, new Vault(loadKeyring({ encryptionKey: oldKey, dataDir: '/nonexistent' })), 30);
      await store.close();
      const result = await cli(['keys', 'rotate', '--batch-size', '7'], { ...env, TOOLPROXY_ENCRYPTION_KEY: `${newKey},${oldKey}` });
      assert.equal(result.code, EXIT.OK, result.stderr);
      assert.match(result.stderr, /^re-encrypting to the current key \S+ \(first key of TOOLPROXY_ENCRYPTION_KEY\)/);
      assert.match(result.stdout, /No secret uses the older keys/);

      const reopened = await openStore(database.options);
      try {
        const newOnly = new Vault(loadKeyring({ encryptionKey: newKey, dataDir: '/nonexistent' }));
        const kids = await readBack(reopened, newOnly, seeded);
        assert.deepEqual([...kids.keys()], [newOnly.currentKid]);
      } finally {
        await reopened.close();
      }
    });
  });
}
