import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { StatementCount } from '../../src/store/statement-counter.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { connectorRow } from './fixtures.ts';

const databases = await withTestDatabases();

/** What ran between two snapshots, as `"<statement> <table>": count`. */
function added(before: StatementCount[], after: StatementCount[]): Record<string, number> {
  const earlier = new Map(before.map((entry) => [`${entry.statement} ${entry.table}`, entry.count]));
  const result: Record<string, number> = {};
  for (const entry of after) {
    const key = `${entry.statement} ${entry.table}`;
    const count = entry.count - (earlier.get(key) ?? 0);
    if (count > 0) result[key] = count;
  }
  return result;
}

for (const database of databases) {
  describe(`statement counter on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    test('counts each statement by kind and first table: built queries, raw SQL and the batch insert', async () => {
      const start = store.statements.counts();
      const connector = connectorRow();
      await store.connectors.insert(connector);
      await store.connectors.find(connector.id);
      await sql`select 1 as one`.execute(store.db);
      await store.requestLog.insertMany([
        { created_at: 1, connection_name: 'x', account_id: null, method: 'GET', path: '/', status: 200, latency_ms: 1, bytes_in: 0, bytes_out: 0, error_code: null },
      ]);
      const counted = added(start, store.statements.counts());
      assert.equal(counted['insert connectors'], 1);
      assert.equal(counted['select connectors'], 1);
      assert.equal(counted['select '], 1, 'a select that names no table');
      assert.equal(counted['insert request_log'], 1);
    });

    test('counts begin and commit of a transaction, and rollback of a failed one', async () => {
      const start = store.statements.counts();
      await store.transaction(async (repos) => repos.connectors.insert(connectorRow()));
      await assert.rejects(store.transaction(async () => {
        throw new Error('undo');
      }));
      const counted = added(start, store.statements.counts());
      assert.deepEqual(counted, { 'begin ': 2, 'insert connectors': 1, 'commit ': 1, 'rollback ': 1 });
    });

    test('the store still works after a failed statement inside a transaction', async () => {
      const connector = connectorRow();
      await store.connectors.insert(connector);
      await assert.rejects(store.transaction(async (repos) => repos.connectors.insert(connector)));
      assert.equal((await store.connectors.find(connector.id))?.identifier, connector.identifier);
    });
  });
}
