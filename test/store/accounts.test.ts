import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isToolproxyError } from '../../src/errors.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { accountRow, NOW, seedAccount, seedConnection } from './fixtures.ts';

const databases = await withTestDatabases();

const credentialsPatch = (n: number) => ({
  credentials: `v1.k.iv.ct${n}.tag`,
  api_config: `{"domain":"d${n}"}`,
  status: 'ACTIVE' as const,
  token_expires_at: NOW + 3_600_000,
  now: NOW + n,
});

for (const database of databases) {
  describe(`connected accounts on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    test('getOrCreate from 20 concurrent callers makes one row and one creator', async () => {
      const { connection } = await seedConnection(store);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.accounts.getOrCreate(accountRow(connection.id, 'user-42'))),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.account.id)).size, 1);
      const page = await store.accounts.list({ pageSize: 100 }, { connectionId: connection.id });
      assert.equal(page.items.length, 1);
      assert.deepEqual(page.items[0], results[0]!.account);
    });

    test('insert returns false when the connection and identifier are taken', async () => {
      const { connection, account } = await seedAccount(store, 'user-1');
      assert.equal(await store.accounts.insert(accountRow(connection.id, 'user-1')), false);
      assert.equal(await store.accounts.insert(accountRow(connection.id, 'user-2')), true);
      assert.deepEqual(await store.accounts.findByKey(connection.id, 'user-1'), account);
      assert.equal(await store.accounts.findByKey(connection.id, 'user-'), undefined);
    });

    test('lists with filters across two pages in id order', async () => {
      const { connection } = await seedConnection(store);
      const { connection: other } = await seedConnection(store);
      const active: string[] = [];
      for (let i = 0; i < 5; i++) {
        const row = accountRow(connection.id, `u${i}`, { status: i < 3 ? 'ACTIVE' : 'PENDING_AUTH' });
        assert.equal(await store.accounts.insert(row), true);
        if (i < 3) active.push(row.id);
      }
      await store.accounts.insert(accountRow(other.id, 'u0', { status: 'ACTIVE' }));

      const filter = { connectionId: connection.id, status: 'ACTIVE' as const };
      const first = await store.accounts.list({ pageSize: 2 }, filter);
      assert.equal(first.items.length, 2);
      assert.ok(first.nextPageToken);
      const second = await store.accounts.list({ pageSize: 2, pageToken: first.nextPageToken }, filter);
      assert.equal(second.items.length, 1);
      assert.equal(second.nextPageToken, null);
      assert.deepEqual([...first.items, ...second.items].map((a) => a.id), active.sort());

      const one = await store.accounts.list({ pageSize: 10 }, { connectionId: connection.id, identifier: 'u4' });
      assert.deepEqual(one.items.map((a) => a.identifier), ['u4']);
      const everyone = await store.accounts.list({ pageSize: 10 }, { identifier: 'u0' });
      assert.equal(everyone.items.length, 2);
    });

    test('clamps the page size to 1..100', async () => {
      const { connection } = await seedConnection(store);
      for (let i = 0; i < 3; i++) await store.accounts.insert(accountRow(connection.id, `c${i}`));
      const page = await store.accounts.list({ pageSize: 0 }, { connectionId: connection.id });
      assert.equal(page.items.length, 1);
      assert.ok(page.nextPageToken);
    });

    test('refuses a page token it did not issue', async () => {
      for (const pageToken of ['%%%', 'a b', 'YQ==', 'YR']) {
        await assert.rejects(store.accounts.list({ pageSize: 10, pageToken }), (error) => {
          assert.ok(isToolproxyError(error));
          assert.equal(error.code, 'VALIDATION_FAILED');
          return true;
        });
      }
    });

    test('writeCredentials applies only at the expected version and bumps it', async () => {
      const { account } = await seedAccount(store);
      assert.equal(account.credentials_version, 0);

      const written = await store.accounts.writeCredentials(account.id, 0, credentialsPatch(1));
      assert.deepEqual(written, {
        ...account,
        credentials: 'v1.k.iv.ct1.tag',
        api_config: '{"domain":"d1"}',
        status: 'ACTIVE',
        token_expires_at: NOW + 3_600_000,
        credentials_version: 1,
        status_updated_at: NOW + 1,
        updated_at: NOW + 1,
      });

      assert.equal(await store.accounts.writeCredentials(account.id, 0, credentialsPatch(2)), undefined);
      assert.deepEqual(await store.accounts.findById(account.id), written);

      const again = await store.accounts.writeCredentials(account.id, 1, credentialsPatch(3));
      assert.equal(again?.credentials_version, 2);
      assert.equal(again?.status_updated_at, NOW + 1, 'status unchanged, so its time stays');
    });

    test('of 10 concurrent credential writers at one version exactly one wins', async () => {
      const { account } = await seedAccount(store);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, n) => store.accounts.writeCredentials(account.id, 0, credentialsPatch(n))),
      );
      const winners = results.filter((r) => r !== undefined);
      assert.equal(winners.length, 1);
      assert.deepEqual(await store.accounts.findById(account.id), winners[0]);
    });

    test('setStatus moves status_updated_at only when the status changes', async () => {
      const { account } = await seedAccount(store);
      const expired = await store.accounts.setStatus(account.id, 'EXPIRED', NOW + 10);
      assert.equal(expired?.status, 'EXPIRED');
      assert.equal(expired?.status_updated_at, NOW + 10);
      const same = await store.accounts.setStatus(account.id, 'EXPIRED', NOW + 20);
      assert.equal(same?.status_updated_at, NOW + 10);
      assert.equal(same?.updated_at, NOW + 20);
      assert.equal(await store.accounts.setStatus('ca_missing', 'ACTIVE', NOW), undefined);
    });

    test('delete removes the account and its sessions, and a late credential write does not bring it back', async () => {
      const { account } = await seedAccount(store);
      const session = { id: 'as_del', token_hash: 'h-del', account_id: account.id, expires_at: NOW + 600_000, created_at: NOW };
      await store.authorizationSessions.insert(session);

      assert.equal(await store.accounts.delete(account.id), true);
      assert.equal(await store.authorizationSessions.findByTokenHash('h-del'), undefined);
      assert.equal(await store.accounts.writeCredentials(account.id, 0, credentialsPatch(1)), undefined);
      assert.equal(await store.accounts.findById(account.id), undefined);
      assert.equal(await store.accounts.delete(account.id), false);
    });

    test('touchLastUsed keeps the latest time', async () => {
      const { account: a } = await seedAccount(store);
      const { account: b } = await seedAccount(store);
      await store.accounts.touchLastUsed([
        { id: a.id, at: NOW + 100 },
        { id: a.id, at: NOW + 50 },
        { id: b.id, at: NOW + 7 },
        { id: 'ca_gone', at: NOW },
      ]);
      assert.equal((await store.accounts.findById(a.id))?.last_used_at, NOW + 100);
      assert.equal((await store.accounts.findById(b.id))?.last_used_at, NOW + 7);

      await store.accounts.touchLastUsed([{ id: a.id, at: NOW + 80 }]);
      assert.equal((await store.accounts.findById(a.id))?.last_used_at, NOW + 100);
      await store.accounts.touchLastUsed([{ id: a.id, at: NOW + 200 }]);
      assert.equal((await store.accounts.findById(a.id))?.last_used_at, NOW + 200);
      await store.accounts.touchLastUsed([]);
      assert.equal((await store.accounts.findById(a.id))?.updated_at, a.updated_at, 'use is not a modification');
    });

    test('versions gives the change markers of existing accounts, their connection and connector, as numbers', async () => {
      const { account, connection } = await seedAccount(store);
      const { account: other } = await seedAccount(store);
      const [version, ...rest] = await store.accounts.versions([account.id, 'ca_gone']);
      assert.equal(rest.length, 0, 'a missing id is simply absent');
      const connector = await store.connectors.find(connection.connector_id);
      assert.deepEqual(version, {
        id: account.id,
        status: account.status,
        credentials_version: account.credentials_version,
        updated_at: account.updated_at,
        connection_updated_at: connection.updated_at,
        connection_enabled: connection.enabled,
        connector_updated_at: connector!.updated_at,
      });
      assert.equal((await store.accounts.versions([account.id, other.id])).length, 2);
      assert.deepEqual(await store.accounts.versions([]), []);
      await store.accounts.setStatus(account.id, 'EXPIRED', NOW + 5);
      assert.equal((await store.accounts.versions([account.id]))[0]?.updated_at, NOW + 5);
    });

    test('disconnect and a versioned delete are compare-and-set on credentials_version', async () => {
      const { connection } = await seedConnection(store);
      const row = accountRow(connection.id, 'cas-user', { status: 'ACTIVE', credentials: 'v1.k.iv.ct.tag', credentials_version: 3, granted_scopes: 'a b', token_expires_at: NOW + 1 });
      await store.accounts.insert(row);
      assert.equal(await store.accounts.disconnect(row.id, 2, NOW + 10), undefined, 'a stale version loses');
      const disconnected = await store.accounts.disconnect(row.id, 3, NOW + 10);
      assert.equal(disconnected?.status, 'DISCONNECTED');
      assert.equal(disconnected?.credentials, null);
      assert.equal(disconnected?.granted_scopes, null);
      assert.equal(disconnected?.token_expires_at, null);
      assert.equal(disconnected?.credentials_version, 4, 'bumped: a refresh in flight cannot write back');
      assert.equal(disconnected?.status_updated_at, NOW + 10);
      assert.equal(await store.accounts.delete(row.id, 3), false);
      assert.equal(await store.accounts.delete(row.id, 4), true);
    });

    test('retireOutstanding marks the other unused, unexpired links used and superseded, and nothing else', async () => {
      const { account } = await seedAccount(store);
      const session = (id: string, extra: { expires_at?: number } = {}) =>
        store.authorizationSessions.insert({ id, token_hash: `h_${id}`, account_id: account.id, expires_at: extra.expires_at ?? NOW + 600_000, created_at: NOW });
      const [keep, open, used, expired] = ['as_keep', 'as_open', 'as_used', 'as_expired'].map((p) => `${p}_${account.id}`);
      await session(keep!);
      await session(open!);
      await session(used!);
      await session(expired!, { expires_at: NOW - 1 });
      assert.ok(await store.authorizationSessions.consume(used!, NOW));
      assert.equal(await store.authorizationSessions.retireOutstanding(account.id, keep!, NOW + 1), 1);
      assert.equal((await store.authorizationSessions.findById(open!))?.superseded_at, NOW + 1);
      assert.equal((await store.authorizationSessions.findById(open!))?.used_at, NOW + 1);
      for (const id of [keep!, used!, expired!]) assert.equal((await store.authorizationSessions.findById(id))?.superseded_at, null, id);
      assert.equal(await store.authorizationSessions.retireOutstanding(account.id, null, NOW + 2), 1, 'without an exception, the last one too');
    });

    test('list and count filter by scope, connector, several connections and a search query with LIKE characters as text', async () => {
      const { connector, connection } = await seedConnection(store);
      const { connection: second } = await seedConnection(store);
      const rows = [
        accountRow(connection.id, 'Ann_100%@Example.com', { organization_id: 'org_a', user_id: 'u1' }),
        accountRow(connection.id, 'annx100x@example.com', { organization_id: 'org_b' }),
        accountRow(second.id, 'bob@example.com'),
      ];
      for (const row of rows) await store.accounts.insert(row);
      const ids = (filter: object) => store.accounts.list({ pageSize: 100 }, filter).then((p) => p.items.map((a) => a.identifier).sort());
      assert.deepEqual(await ids({ organizationId: 'org_a' }), ['Ann_100%@Example.com']);
      assert.deepEqual(await ids({ userId: 'u1', connectionId: connection.id }), ['Ann_100%@Example.com']);
      assert.deepEqual(await ids({ query: 'ann_100%' }), ['Ann_100%@Example.com'], '_ and % match only themselves');
      assert.deepEqual(await ids({ query: 'EXAMPLE.COM', connectionIds: [second.id] }), ['bob@example.com']);
      assert.deepEqual(await ids({ connectorId: connector.id }), ['Ann_100%@Example.com', 'annx100x@example.com']);
      assert.deepEqual(await ids({ query: connection.name.toUpperCase() }), ['Ann_100%@Example.com', 'annx100x@example.com'], 'the connection name matches');
      assert.deepEqual(await ids({ connectionIds: [] }), []);
      assert.equal(await store.accounts.count({ query: 'example.com', connectionIds: [connection.id, second.id] }), 3);
      assert.equal(await store.connections.count({ query: connection.name.slice(0, 10) }) >= 1, true);
    });

    test('touchLastUsed flushes more accounts than one batch holds', async () => {
      const accounts = [];
      for (let i = 0; i < 450; i++) accounts.push((await seedAccount(store)).account);
      await store.accounts.touchLastUsed(accounts.map((account, i) => ({ id: account.id, at: NOW + 1000 + i })));
      for (const [i, account] of accounts.entries()) {
        if (i % 97 === 0 || i === accounts.length - 1) assert.equal((await store.accounts.findById(account.id))?.last_used_at, NOW + 1000 + i);
      }
    });
  });
}
