import assert from 'node:assert/strict';
import { stat, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { migrations } from '../../src/store/migrations/index.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { createPostgresDatabase, createSqliteDatabase, withTestDatabases } from '../helpers/databases.ts';
import { connectorRow, NOW } from './fixtures.ts';

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`store on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await openStore(database.options);
    });
    after(async () => {
      await store?.close();
      await database.cleanup();
    });

    test('opening a migrated database again runs no migration and keeps the data', async () => {
      const connector = connectorRow();
      await store.connectors.insert(connector);

      const again = await openStore(database.options);
      try {
        assert.equal((await again.connectors.find(connector.id))?.identifier, connector.identifier);
        const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(again.db);
        assert.deepEqual(applied.rows.map((row) => row.name), ['0001-initial', '0002-oauth', '0003-catalog', '0004-pipeline', '0005-accounts', '0006-tools', '0007-mcp', '0008-policies', '0009-audit', '0012-approvals']);
      } finally {
        await again.close();
      }
    });

    test('reads epoch-millisecond times back as numbers', async () => {
      const connector = connectorRow({ created_at: NOW, updated_at: NOW + 1 });
      await store.connectors.insert(connector);
      const row = await store.connectors.find(connector.id);
      assert.equal(row?.created_at, NOW);
      assert.equal(row?.updated_at, NOW + 1);

      const logged = await store.db
        .insertInto('request_log')
        .values({ created_at: NOW, connection_name: 'acme', account_id: null, method: 'GET', path: '/v1/x', status: 200, latency_ms: 12, error_code: null })
        .returningAll()
        .executeTakeFirstOrThrow();
      assert.equal(typeof logged.id, 'number');
      assert.equal(logged.created_at, NOW);
      assert.equal(logged.bytes_in, 0);
    });

    test('a transaction commits when its function resolves and rolls back when it throws', async () => {
      const kept = connectorRow();
      const dropped = connectorRow();
      await store.transaction((repos) => repos.connectors.insert(kept));
      await assert.rejects(
        store.transaction(async (repos) => {
          await repos.connectors.insert(dropped);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.ok(await store.connectors.find(kept.id));
      assert.equal(await store.connectors.find(dropped.id), undefined);
    });

    test('repositories that need a transaction join the surrounding one', async () => {
      const connector = connectorRow();
      await store.connectors.insert(connector);
      await assert.rejects(
        store.transaction(async (repos) => {
          assert.equal(await repos.connectors.deleteIfUnused(connector.id), 'deleted');
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.ok(await store.connectors.find(connector.id), 'the delete rolled back with the transaction');
    });

    test('enforces foreign keys', async () => {
      await assert.rejects(
        store.connections.insert({
          id: 'conn_orphan',
          name: 'orphan',
          connector_id: 'prov_missing',
          auth_type: 'API_KEY',
          settings: '{}',
          secrets: null,
          enabled: 1,
          created_at: NOW,
          updated_at: NOW,
        }),
      );
    });

    test('reports a migration that fails by name', async () => {
      const { options, cleanup } = await (database.name === 'sqlite' ? createSqliteDatabase() : createPostgresDatabase());
      try {
        // Forget that 0001 ran: re-running it meets its own tables.
        const first = await openStore(options);
        await sql`delete from kysely_migration`.execute(first.db);
        await first.close();
        await assert.rejects(openStore(options), /Database migration "0001-initial" failed: .*connectors.* already exists/);
      } finally {
        await cleanup();
      }
    });

    if (database.name === 'sqlite') {
      test('creates the SQLite file owner-only and runs it in WAL mode with foreign keys on', async () => {
        assert.equal(database.options.kind, 'sqlite');
        const path = database.options.kind === 'sqlite' ? database.options.path : '';
        assert.equal((await stat(path)).mode & 0o777, 0o600);
        assert.equal((await stat(`${path}-wal`)).mode & 0o777, 0o600);

        const pragma = async (name: string) =>
          Object.values((await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(store.db)).rows[0]!)[0];
        assert.equal(await pragma('journal_mode'), 'wal');
        assert.equal(await pragma('foreign_keys'), 1);
        assert.equal(await pragma('synchronous'), 1); // NORMAL
        assert.equal(await pragma('busy_timeout'), 5000);
      });
    }

    if (database.name === 'postgres') {
      test('several instances opening a fresh database together migrate it once', async () => {
        const fresh = await createPostgresDatabase();
        try {
          const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(fresh.options)));
          const applied = await sql<{ n: number }>`select count(*) as n from kysely_migration`.execute(stores[0]!.db);
          assert.equal(Number(applied.rows[0]!.n), Object.keys(migrations('postgres')).length, 'each migration applied once');
          await Promise.all(stores.map((s) => s.close()));
        } finally {
          await fresh.cleanup();
        }
      });
    }
  });
}

test('a file that is not a SQLite database fails to open with a clear error', async () => {
  const { options, cleanup } = await createSqliteDatabase();
  try {
    assert.equal(options.kind, 'sqlite');
    if (options.kind === 'sqlite') await writeFile(options.path, 'not a database, just text'.repeat(100));
    await assert.rejects(openStore(options), /^Error: Cannot open the SQLite database at .*toolproxy\.db: file is not a database/);
  } finally {
    await cleanup();
  }
});

test('an in-memory SQLite store works for quick tests', async () => {
  const store = await openStore({ kind: 'sqlite', path: ':memory:' });
  try {
    await store.encryptionKeys.ensure('kid-1', NOW);
    assert.deepEqual(await store.encryptionKeys.list(), ['kid-1']);
  } finally {
    await store.close();
    await store.close();
  }
});

test('an unreachable Postgres fails to open with a clear error', async () => {
  await assert.rejects(
    openStore({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', poolSize: 1 }),
    /^Error: Database migration could not run: .*ECONNREFUSED/,
  );
});
