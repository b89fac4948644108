import type { Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { inTransaction } from './in-transaction.ts';
import { keyset, toPage } from './pagination.ts';
import type { BuiltInSync, ConnectorRepository } from './repositories.ts';
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

    async list(page, filter = {}) {
      const ks = keyset(page);
      let query = db.selectFrom('connectors').selectAll().orderBy('id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('id', '>', ks.after);
      if (filter.origin !== undefined) query = query.where('origin', '=', filter.origin);
      return toPage(await query.execute(), ks);
    },

    async syncBuiltIns(rows) {
      const outcome: BuiltInSync = { inserted: [], updated: [], taken: [] };
      if (rows.length === 0) return outcome;
      return inTransaction(db, async (trx) => {
        const stored = await trx
          .selectFrom('connectors')
          .select(['identifier', 'origin', 'display_name', 'description', 'definition'])
          .where('identifier', 'in', rows.map((row) => row.identifier))
          .execute();
        const byIdentifier = new Map(stored.map((row) => [row.identifier, row]));
        const missing = rows.filter((row) => !byIdentifier.has(row.identifier));
        if (missing.length > 0) {
          // Another instance starting at the same moment may insert them first: theirs stand.
          await trx
            .insertInto('connectors')
            .values(missing.map((row) => ({ ...row, origin: 'catalog' as const })))
            .onConflict((conflict) => conflict.column('identifier').doNothing())
            .execute();
          outcome.inserted.push(...missing.map((row) => row.identifier));
        }
        for (const row of rows) {
          const current = byIdentifier.get(row.identifier);
          if (current === undefined) continue;
          if (current.origin !== 'catalog') {
            outcome.taken.push(row.identifier);
            continue;
          }
          if (current.definition === row.definition && current.display_name === row.display_name && current.description === row.description) continue;
          const { display_name, description, definition, updated_at } = row;
          await trx
            .updateTable('connectors')
            .set({ display_name, description, definition, updated_at })
            .where('identifier', '=', row.identifier)
            .where('origin', '=', 'catalog')
            .execute();
          outcome.updated.push(row.identifier);
        }
        return outcome;
      });
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
