import type { Kysely } from 'kysely';
import type { ApiClientRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function apiClientsRepository(db: Kysely<Database>): ApiClientRepository {
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
  };
}
