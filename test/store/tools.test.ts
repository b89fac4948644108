import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ToolWrite } from '../../src/store/repositories.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { accountRow, connectionRow, connectorRow, newId, NOW } from './fixtures.ts';

const databases = await withTestDatabases();

const tool = (connectorId: string, name: string, overrides: Partial<ToolWrite> = {}): ToolWrite => ({
  id: newId('tool'),
  connector_id: connectorId,
  name,
  definition: JSON.stringify({ name }),
  origin: 'custom',
  search_text: `${name} ${name.replace(/_/g, ' ')}`,
  now: NOW,
  ...overrides,
});

for (const database of databases) {
  describe(`tools on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    async function connector(identifier = `acme-${newId('x').slice(2, 10).toLowerCase()}`) {
      const row = connectorRow({ identifier });
      await store.connectors.insert(row);
      return row;
    }

    test('inserts tools, finds one by exact name with its provider, and refuses a taken name', async () => {
      const acme = await connector();
      const prefix = newId('t').slice(2, 8).toLowerCase();
      assert.deepEqual(await store.tools.insertMany([tool(acme.id, `${prefix}_a`), tool(acme.id, `${prefix}_b`)]), []);
      const found = await store.tools.findByName(`${prefix}_a`);
      assert.equal(found?.provider, acme.identifier);
      assert.equal(found?.version, 1);
      assert.equal(found?.created_at, NOW);
      assert.equal(await store.tools.findByName(`${prefix}_A`), undefined);
      assert.equal(await store.tools.findByName(`${prefix}_`), undefined);
      const other = await connector();
      assert.deepEqual(await store.tools.insertMany([tool(other.id, `${prefix}_b`), tool(other.id, `${prefix}_c`)]), [`${prefix}_b`]);
      assert.deepEqual(
        (await store.tools.owners([`${prefix}_b`, `${prefix}_c`, `${prefix}_z`])).map((o) => [o.name, o.connector_id]).sort(),
        [[`${prefix}_b`, acme.id], [`${prefix}_c`, other.id]],
      );
    });

    test('lists in byte order with keyset pages, a real total, and every filter', async () => {
      const acme = await connector();
      const other = await connector();
      const p = `l${newId('t').slice(2, 7).toLowerCase()}`;
      const names = [`${p}_b`, `${p}_a_z`, `${p}_a1`, `${p}_aa`, `${p}_9`];
      await store.tools.insertMany(names.map((name) => tool(acme.id, name)));
      await store.tools.insertMany([tool(other.id, `${p}_other`, { search_text: 'send 100% of the_money' })]);
      const expected = [...names, `${p}_other`].sort(); // byte order: 9 < _ < a
      const seen: string[] = [];
      let token: string | null = null;
      do {
        const page = await store.tools.list({ pageSize: 2, pageToken: token }, { providers: [acme.identifier, other.identifier] });
        seen.push(...page.items.map((row) => row.name));
        token = page.nextPageToken;
      } while (token);
      assert.deepEqual(seen, expected);
      assert.equal(await store.tools.count({ providers: [acme.identifier, other.identifier] }), 6);
      assert.equal(await store.tools.count({ connectorId: acme.id }), 5);
      assert.deepEqual((await store.tools.list({ pageSize: 10 }, { names: [`${p}_aa`, `${p}_9`, 'nope'] })).items.map((r) => r.name), [`${p}_9`, `${p}_aa`]);
      assert.deepEqual((await store.tools.list({ pageSize: 10 }, { query: '100% of the_m' })).items.map((r) => r.name), [`${p}_other`]);
      assert.equal(await store.tools.count({ query: '100%_of' }), 0, '% and _ are literal');
      assert.equal(await store.tools.count({ names: [] }), 0);
      await assert.rejects(store.tools.list({ pageSize: 2, pageToken: 'not-a-token!' }), { code: 'VALIDATION_FAILED' });
    });

    test('an update bumps the version; a connector takes its tools with it when deleted', async () => {
      const acme = await connector();
      const name = `u${newId('t').slice(2, 8).toLowerCase()}_x`;
      await store.tools.insertMany([tool(acme.id, name)]);
      const row = await store.tools.findByName(name);
      assert.equal(await store.tools.update(row!.id, { definition: '{"v":2}', search_text: 'v2', origin: 'openapi', now: NOW + 1 }), true);
      const updated = await store.tools.findByName(name);
      assert.deepEqual([updated?.version, updated?.definition, updated?.origin, updated?.updated_at, updated?.created_at], [2, '{"v":2}', 'openapi', NOW + 1, NOW]);
      assert.equal(await store.connectors.deleteIfUnused(acme.id), 'deleted');
      assert.equal(await store.tools.findByName(name), undefined);
      assert.equal(await store.tools.update(row!.id, { definition: '{}', search_text: '', origin: 'custom', now: NOW }), false);
    });

    test('syncs built-in tools: adds, rewrites, removes; never touches a custom tool or another connector', async () => {
      const github = await connector();
      const custom = await connector();
      const p = `s${newId('t').slice(2, 8).toLowerCase()}`;
      await store.tools.insertMany([tool(custom.id, `${p}_held`)]);
      const catalog = (name: string, definition = '{"v":1}') => tool(github.id, name, { origin: 'catalog', definition });
      assert.deepEqual(await store.tools.syncBuiltIns([github.id], [catalog(`${p}_a`), catalog(`${p}_b`), catalog(`${p}_held`)]), {
        inserted: [`${p}_a`, `${p}_b`],
        updated: [],
        deleted: [],
        taken: [`${p}_held`],
      });
      const before = await store.tools.findByName(`${p}_a`);
      assert.deepEqual(await store.tools.syncBuiltIns([github.id], [catalog(`${p}_a`), catalog(`${p}_b`)]), { inserted: [], updated: [], deleted: [], taken: [] });
      assert.deepEqual(await store.tools.syncBuiltIns([github.id], [catalog(`${p}_a`, '{"v":2}')]), { inserted: [], updated: [`${p}_a`], deleted: [`${p}_b`], taken: [] });
      const after = await store.tools.findByName(`${p}_a`);
      assert.deepEqual([after?.id, after?.version, after?.definition], [before?.id, 2, '{"v":2}']);
      assert.equal((await store.tools.findByName(`${p}_held`))?.connector_id, custom.id);
    });

    test('lists the tools an identifier can call (ACTIVE accounts of enabled connections) and those available to it', async () => {
      const acme = await connector();
      const p = `i${newId('t').slice(2, 8).toLowerCase()}`;
      await store.tools.insertMany([tool(acme.id, `${p}_get`), tool(acme.id, `${p}_list`)]);
      const [one, two, off] = [connectionRow(acme.id), connectionRow(acme.id), connectionRow(acme.id, { enabled: 0 })];
      for (const row of [one, two, off]) assert.equal(await store.connections.insert(row), true);
      const user = newId('user');
      await store.accounts.insert(accountRow(one.id, user, { status: 'ACTIVE' }));
      await store.accounts.insert(accountRow(two.id, user, { status: 'EXPIRED' }));
      await store.accounts.insert(accountRow(off.id, user, { status: 'ACTIVE' }));
      await store.accounts.insert(accountRow(two.id, 'someone-else', { status: 'ACTIVE' }));

      const scoped = await store.tools.listForIdentifier(user, 'active', { pageSize: 10 });
      assert.deepEqual(scoped.items.map((r) => [r.name, r.connection_name, r.account_status, r.provider]), [
        [`${p}_get`, one.name, 'ACTIVE', acme.identifier],
        [`${p}_list`, one.name, 'ACTIVE', acme.identifier],
      ]);
      assert.equal(await store.tools.countForIdentifier(user, 'active'), 2);

      const sorted = [one, two].sort((a, b) => (a.id < b.id ? -1 : 1));
      const available: string[] = [];
      let token: string | null = null;
      do {
        const page = await store.tools.listForIdentifier(user, 'any', { pageSize: 3, pageToken: token }, { providers: [acme.identifier] });
        available.push(...page.items.map((r) => `${r.name}@${r.connection_name}:${r.account_status}`));
        token = page.nextPageToken;
      } while (token);
      const status = (id: string) => (id === one.id ? 'ACTIVE' : 'EXPIRED');
      assert.deepEqual(available, [`${p}_get`, `${p}_list`].flatMap((name) => sorted.map((c) => `${name}@${c.name}:${status(c.id)}`)));
      assert.equal(await store.tools.countForIdentifier(user, 'any', { providers: [acme.identifier] }), 4);
      assert.equal(await store.tools.countForIdentifier('nobody', 'any', { providers: [acme.identifier] }), 4, 'available whether or not connected');
      const nobody = await store.tools.listForIdentifier('nobody', 'any', { pageSize: 1 }, { providers: [acme.identifier] });
      assert.deepEqual([nobody.items[0]?.account_id, nobody.items[0]?.account_status], [null, null]);

      assert.equal(await store.tools.countForIdentifier(user, 'active', { connectionNames: [two.name] }), 0);
      assert.equal(await store.tools.countForIdentifier(user, 'active', { names: [`${p}_get`] }), 1);
      assert.equal(await store.tools.countForIdentifier(user, 'active', { providers: ['other'] }), 0);
    });
  });
}
