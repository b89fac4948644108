import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { inTransaction } from './in-transaction.ts';
import { keyset, likeContains, toPage } from './pagination.ts';
import type { ConnectionFilter, ConnectionRepository } from './repositories.ts';
import type { Database } from './schema.ts';

function filtered<O>(query: SelectQueryBuilder<any, 'c', O>, filter: ConnectionFilter): SelectQueryBuilder<any, 'c', O> {
  let q = query as SelectQueryBuilder<any, any, O>;
  if (filter.connectorId !== undefined) q = q.where('c.connector_id', '=', filter.connectorId);
  if (filter.query !== undefined) {
    const pattern = likeContains(filter.query.toLowerCase());
    q = q
      .innerJoin('connectors as p', 'p.id', 'c.connector_id')
      .where((eb) => eb.or(['c.name', 'p.identifier'].map((column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`)));
  }
  return q as SelectQueryBuilder<any, 'c', O>;
}

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
      let query = filtered(db.selectFrom('connections as c').selectAll('c'), filter).orderBy('c.id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('c.id', '>', ks.after);
      return toPage(await query.execute(), ks);
    },

    async count(filter = {}) {
      const row = await filtered(db.selectFrom('connections as c').select((eb) => eb.fn.countAll<number | string>().as('n')), filter).executeTakeFirst();
      return Number(row?.n ?? 0);
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
