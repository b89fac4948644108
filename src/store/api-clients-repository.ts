import { type Kysely, sql } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import type { ApiClientRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function apiClientsRepository(db: Kysely<Database>, dialect: StoreDialect): ApiClientRepository {
  return {
    async insert(row) {
      await db.insertInto('api_clients').values({ ...row, revoked_at: null }).execute();
    },

    async findByClientId(clientId) {
      return db.selectFrom('api_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    },

    async list() {
      return db.selectFrom('api_clients').selectAll().orderBy('created_at').orderBy('id').execute();
    },

    /** True when this call revoked the client; false when it is unknown or already revoked. */
    async revoke(clientId, now) {
      const result = await db
        .updateTable('api_clients')
        .set({ revoked_at: now })
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async findBootstrap() {
      return db.selectFrom('api_clients').selectAll().where('is_bootstrap', '=', 1).orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
    },

    async lockBootstrap() {
      // Transaction-scoped: released at commit or rollback, and with the session if it dies.
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext('toolproxy:bootstrap-client'))`.execute(db);
    },
  };
}
