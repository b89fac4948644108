import type { Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { inTransaction } from './in-transaction.ts';
import { keyset, toPage } from './pagination.ts';
import type { ConnectionRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function connectionsRepository(db: Kysely<Database>, dialect: StoreDialect): ConnectionRepository {
  return {
    async insert(row) {
      // ON CONFLICT on the name only: any other violation (a foreign key, an id collision) is a
      // bug and must surface as an error, not as "name taken".
      const inserted = await db
        .insertInto('connections')
        .values(row)
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async findByName(name) {
      return db.selectFrom('connections').selectAll().where('name', '=', name).executeTakeFirst();
    },

    async findById(id) {
      return db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(page, filter = {}) {
      const ks = keyset(page);
      let query = db.selectFrom('connections').selectAll().orderBy('id').limit(ks.limit);
      if (filter.connectorId !== undefined) query = query.where('connector_id', '=', filter.connectorId);
      if (ks.after !== undefined) query = query.where('id', '>', ks.after);
      return toPage(await query.execute(), ks);
    },

    async update(id, patch) {
      if (Object.keys(patch).length === 0) return;
      await db.updateTable('connections').set(patch).where('id', '=', id).execute();
    },

    async deleteIfUnused(id) {
      return inTransaction(db, async (trx) => {
        // Same locking as connectorsRepository.deleteIfUnused, against concurrent account inserts.
        let lock = trx.selectFrom('connections').select('id').where('id', '=', id);
        if (dialect === 'postgres') lock = lock.forUpdate();
        if ((await lock.executeTakeFirst()) === undefined) return 'not_found' as const;

        const user = await trx
          .selectFrom('connected_accounts')
          .select('id')
          .where('connection_id', '=', id)
          .limit(1)
          .executeTakeFirst();
        if (user !== undefined) return 'in_use' as const;

        await trx.deleteFrom('connections').where('id', '=', id).execute();
        return 'deleted' as const;
      });
    },
  };
}
