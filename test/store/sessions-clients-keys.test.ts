import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/store.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { newId, NOW, seedAccount } from './fixtures.ts';

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`sessions, API clients and keys on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    async function newSession(expiresAt: number) {
      const { account } = await seedAccount(store);
      const row = { id: newId('as'), token_hash: newId('hash'), account_id: account.id, expires_at: expiresAt, created_at: NOW };
      await store.authorizationSessions.insert(row);
      return row;
    }

    test('finds a session by its token hash, unused', async () => {
      const session = await newSession(NOW + 600_000);
      const found = await store.authorizationSessions.findByTokenHash(session.token_hash);
      assert.deepEqual({ ...found, oauth_state_hash: undefined }, { ...found, ...session, used_at: null, oauth_state_hash: undefined });
      assert.equal(found?.used_at, null);
      assert.equal(found?.oauth_state_hash, null);
      assert.equal(await store.authorizationSessions.findByTokenHash(session.token_hash.slice(0, -1)), undefined);
    });

    test('of 10 concurrent consumers of a session exactly one wins', async () => {
      const session = await newSession(NOW + 600_000);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.authorizationSessions.consume(session.id, NOW + 1)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.authorizationSessions.findByTokenHash(session.token_hash))?.used_at, NOW + 1);
      assert.equal(await store.authorizationSessions.consume(session.id, NOW + 2), false);
    });

    test('an expired session cannot be consumed', async () => {
      const session = await newSession(NOW + 1000);
      assert.equal(await store.authorizationSessions.consume(session.id, NOW + 1000), false, 'expiry is exclusive');
      assert.equal(await store.authorizationSessions.consume(session.id, NOW + 5000), false);
      assert.equal(await store.authorizationSessions.consume('as_missing', NOW), false);
      assert.equal((await store.authorizationSessions.findByTokenHash(session.token_hash))?.used_at, null);
    });

    test('deleteExpired removes only sessions expired before the cut-off', async () => {
      const old = await newSession(NOW - 10);
      const live = await newSession(NOW + 10);
      assert.equal(await store.authorizationSessions.deleteExpired(NOW), 1);
      assert.equal(await store.authorizationSessions.findByTokenHash(old.token_hash), undefined);
      assert.ok(await store.authorizationSessions.findByTokenHash(live.token_hash));
    });

    test('refuses two sessions with one token hash', async () => {
      const session = await newSession(NOW + 10);
      await assert.rejects(store.authorizationSessions.insert({ ...session, id: newId('as') }));
    });

    test('revokes an API client once', async () => {
      const client = { id: newId('cli'), client_id: newId('tpc'), secret_hash: 'f'.repeat(64), name: 'ci', is_bootstrap: 1, created_at: NOW };
      await store.apiClients.insert(client);
      assert.deepEqual(await store.apiClients.findByClientId(client.client_id), { ...client, revoked_at: null });
      assert.ok((await store.apiClients.list()).some((row) => row.client_id === client.client_id));

      assert.equal(await store.apiClients.revoke(client.client_id, NOW + 1), true);
      assert.equal((await store.apiClients.findByClientId(client.client_id))?.revoked_at, NOW + 1);
      assert.equal(await store.apiClients.revoke(client.client_id, NOW + 2), false);
      assert.equal((await store.apiClients.findByClientId(client.client_id))?.revoked_at, NOW + 1);
      assert.equal(await store.apiClients.revoke('tpc_unknown', NOW), false);
    });

    test('refuses a duplicate client_id', async () => {
      const client = { id: newId('cli'), client_id: newId('tpc'), secret_hash: 'a', name: 'x', is_bootstrap: 0, created_at: NOW };
      await store.apiClients.insert(client);
      await assert.rejects(store.apiClients.insert({ ...client, id: newId('cli') }));
    });

    test('ensure records an encryption key id once, oldest first', async () => {
      await store.encryptionKeys.ensure('kid-b', NOW);
      await store.encryptionKeys.ensure('kid-b', NOW + 5);
      await Promise.all([store.encryptionKeys.ensure('kid-a', NOW + 1), store.encryptionKeys.ensure('kid-a', NOW + 1)]);
      assert.deepEqual(await store.encryptionKeys.list(), ['kid-b', 'kid-a']);
    });
  });
}
