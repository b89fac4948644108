import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/store.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { accountRow, connectionRow, connectorRow, newId, NOW, seedConnection } from './fixtures.ts';

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`connectors and connections on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    test('stores a connector and finds it by id or by identifier, exactly', async () => {
      const connector = connectorRow({ identifier: `billing-${NOW}` });
      await store.connectors.insert(connector);
      assert.deepEqual(await store.connectors.find(connector.id), connector);
      assert.deepEqual(await store.connectors.find(connector.identifier), connector);
      assert.equal(await store.connectors.identifierExists(connector.identifier), true);
      // S11: no prefix, suffix or case-folded matches.
      for (const near of ['billing', `billing-${NOW}x`, `BILLING-${NOW}`, connector.id.slice(0, -1)]) {
        assert.equal(await store.connectors.find(near), undefined, near);
        assert.equal(await store.connectors.identifierExists(near), false, near);
      }
    });

    test('refuses a second connector with the same identifier', async () => {
      const first = connectorRow();
      await store.connectors.insert(first);
      await assert.rejects(store.connectors.insert(connectorRow({ identifier: first.identifier })));
    });

    test('updates the descriptive fields of a connector', async () => {
      const connector = connectorRow();
      await store.connectors.insert(connector);
      await store.connectors.update(connector.id, {
        display_name: 'Acme 2',
        description: 'new',
        definition: '{"display_name":"Acme 2"}',
        updated_at: NOW + 5,
      });
      const row = await store.connectors.find(connector.id);
      assert.equal(row?.display_name, 'Acme 2');
      assert.equal(row?.definition, '{"display_name":"Acme 2"}');
      assert.equal(row?.updated_at, NOW + 5);
      assert.equal(row?.identifier, connector.identifier);
    });

    test('syncs built-in connectors: adds the missing, rewrites the changed, never touches a custom one', async () => {
      const suffix = newId('x').slice(2);
      const builtIn = (name: string, definition: string) => {
        const { origin: _origin, ...row } = connectorRow({ identifier: `${name}-${suffix}`, definition });
        return row;
      };
      const custom = connectorRow({ identifier: `gamma-${suffix}` });
      await store.connectors.insert(custom);
      const first = [builtIn('alpha', '{"v":1}'), builtIn('beta', '{"v":1}'), builtIn('gamma', '{"v":1}')];
      assert.deepEqual(await store.connectors.syncBuiltIns(first), {
        inserted: [`alpha-${suffix}`, `beta-${suffix}`],
        updated: [],
        taken: [`gamma-${suffix}`],
      });
      assert.equal((await store.connectors.find(`alpha-${suffix}`))?.origin, 'catalog');
      assert.deepEqual(await store.connectors.find(custom.id), custom, 'the custom connector is kept as it was');

      // The next start: nothing changed, then one definition changed (new ids are ignored for known rows).
      const same = [builtIn('alpha', '{"v":1}'), builtIn('beta', '{"v":1}')];
      assert.deepEqual(await store.connectors.syncBuiltIns(same), { inserted: [], updated: [], taken: [] });
      const alphaBefore = await store.connectors.find(`alpha-${suffix}`);
      const changed = [{ ...builtIn('alpha', '{"v":2}'), updated_at: NOW + 9 }, builtIn('beta', '{"v":1}')];
      assert.deepEqual(await store.connectors.syncBuiltIns(changed), { inserted: [], updated: [`alpha-${suffix}`], taken: [] });
      const alphaAfter = await store.connectors.find(`alpha-${suffix}`);
      assert.equal(alphaAfter?.id, alphaBefore?.id, 'connections keep pointing at the same row');
      assert.equal(alphaAfter?.definition, '{"v":2}');
      assert.equal(alphaAfter?.updated_at, NOW + 9);
      assert.equal(alphaAfter?.created_at, alphaBefore?.created_at);
    });

    test('lists connectors by origin', async () => {
      const suffix = newId('x').slice(2);
      const { origin: _origin, ...catalogRow } = connectorRow({ identifier: `listed-builtin-${suffix}` });
      await store.connectors.syncBuiltIns([catalogRow]);
      const custom = connectorRow({ identifier: `listed-custom-${suffix}` });
      await store.connectors.insert(custom);
      const identifiers = async (filter?: { origin?: 'custom' | 'catalog' }) =>
        (await store.connectors.list({ pageSize: 1000 }, filter)).items.map((row) => row.identifier);
      assert.ok((await identifiers({ origin: 'catalog' })).includes(catalogRow.identifier));
      assert.ok(!(await identifiers({ origin: 'catalog' })).includes(custom.identifier));
      assert.ok((await identifiers({ origin: 'custom' })).includes(custom.identifier));
      assert.ok(!(await identifiers({ origin: 'custom' })).includes(catalogRow.identifier));
      assert.ok((await identifiers()).includes(catalogRow.identifier) && (await identifiers()).includes(custom.identifier));
    });

    test('deletes a connector only when no connection uses it', async () => {
      const { connector, connection } = await seedConnection(store);
      assert.equal(await store.connectors.deleteIfUnused(connector.id), 'in_use');
      assert.ok(await store.connectors.find(connector.id));

      assert.equal(await store.connections.deleteIfUnused(connection.id), 'deleted');
      assert.equal(await store.connectors.deleteIfUnused(connector.id), 'deleted');
      assert.equal(await store.connectors.find(connector.id), undefined);
      assert.equal(await store.connectors.deleteIfUnused(connector.id), 'not_found');
    });

    test('never leaves a connection without its connector when a delete races an insert', async () => {
      const connector = connectorRow();
      await store.connectors.insert(connector);
      const inserts = Array.from({ length: 5 }, () => store.connections.insert(connectionRow(connector.id)).catch(() => false));
      const [outcome, ...inserted] = await Promise.all([store.connectors.deleteIfUnused(connector.id), ...inserts]);
      const stored = await store.connections.list({ pageSize: 100 }, { connectorId: connector.id });
      if (outcome === 'deleted') assert.equal(stored.items.length, 0);
      else assert.equal(outcome, 'in_use');
      assert.equal(stored.items.length, inserted.filter(Boolean).length);
    });

    test('refuses a connection whose name is taken, returning false', async () => {
      const { connector, connection } = await seedConnection(store);
      assert.equal(await store.connections.insert(connectionRow(connector.id, { name: connection.name })), false);
      assert.equal(await store.connections.insert(connectionRow(connector.id)), true);
      assert.equal((await store.connections.findByName(connection.name))?.id, connection.id);
      assert.equal(await store.connections.findByName(connection.name.toUpperCase()), undefined);
    });

    test('lists connections of one connector page by page', async () => {
      const { connector, connection } = await seedConnection(store);
      const more = [connectionRow(connector.id), connectionRow(connector.id)];
      for (const row of more) assert.equal(await store.connections.insert(row), true);
      await seedConnection(store); // another connector's, filtered out

      const first = await store.connections.list({ pageSize: 2 }, { connectorId: connector.id });
      assert.equal(first.items.length, 2);
      assert.ok(first.nextPageToken);
      const second = await store.connections.list({ pageSize: 2, pageToken: first.nextPageToken }, { connectorId: connector.id });
      assert.equal(second.nextPageToken, null);
      const ids = [...first.items, ...second.items].map((row) => row.id);
      assert.deepEqual(ids, [connection.id, ...more.map((row) => row.id)].sort());
    });

    test('updates a connection with a partial patch', async () => {
      const { connection } = await seedConnection(store);
      await store.connections.update(connection.id, { enabled: 0, secrets: 'v1.k.iv.ct.tag', updated_at: NOW + 9 });
      await store.connections.update(connection.id, {});
      const row = await store.connections.findById(connection.id);
      assert.deepEqual(row, { ...connection, enabled: 0, secrets: 'v1.k.iv.ct.tag', updated_at: NOW + 9 });
    });

    test('deletes a connection only when no connected account uses it', async () => {
      const { connection } = await seedConnection(store);
      const { account } = await store.accounts.getOrCreate(accountRow(connection.id, 'user-1'));
      assert.equal(await store.connections.deleteIfUnused(connection.id), 'in_use');
      assert.equal(await store.accounts.delete(account.id), true);
      assert.equal(await store.connections.deleteIfUnused(connection.id), 'deleted');
      assert.equal(await store.connections.deleteIfUnused(connection.id), 'not_found');
    });
  });
}
