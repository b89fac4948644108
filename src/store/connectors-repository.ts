import type { Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { inTransaction } from './in-transaction.ts';
import { keyset, toPage } from './pagination.ts';
import type { ConnectorRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function connectorsRepository(db: Kysely<Database>, dialect: StoreDialect): ConnectorRepository {
  return {
    async insert(row) {
      await db.insertInto('connectors').values(row).execute();
    },

    async find(idOrIdentifier) {
      // Exact matches only (S11). An id wins over an identifier that happens to equal it.
      const byId = await db.selectFrom('connectors').selectAll().where('id', '=', idOrIdentifier).executeTakeFirst();
      return (
        byId ??
        (await db.selectFrom('connectors').selectAll().where('identifier', '=', idOrIdentifier).executeTakeFirst())
      );
    },

    async identifierExists(identifier) {
      const row = await db.selectFrom('connectors').select('id').where('identifier', '=', identifier).executeTakeFirst();
      return row !== undefined;
    },

    async list(page) {
      const ks = keyset(page);
      let query = db.selectFrom('connectors').selectAll().orderBy('id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('id', '>', ks.after);
      return toPage(await query.execute(), ks);
    },

    async update(id, patch) {
      const { display_name, description, definition, updated_at } = patch;
      await db
        .updateTable('connectors')
        .set({ display_name, description, definition, updated_at })
        .where('id', '=', id)
        .execute();
    },

    async deleteIfUnused(id) {
      return inTransaction(db, async (trx) => {
        // On Postgres, FOR UPDATE conflicts with the KEY SHARE lock a concurrent connection insert
        // takes on this row for its foreign key check: we wait for that insert to commit and then
        // see it, and inserts that come later wait for us and fail their foreign key check.
        // SQLite has one writer at a time, so the transaction alone suffices.
        let lock = trx.selectFrom('connectors').select('id').where('id', '=', id);
        if (dialect === 'postgres') lock = lock.forUpdate();
        if ((await lock.executeTakeFirst()) === undefined) return 'not_found' as const;

        const user = await trx.selectFrom('connections').select('id').where('connector_id', '=', id).limit(1).executeTakeFirst();
        if (user !== undefined) return 'in_use' as const;

        await trx.deleteFrom('connectors').where('id', '=', id).execute();
        return 'deleted' as const;
      });
    },
  };
}
