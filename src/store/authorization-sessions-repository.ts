import type { Kysely } from 'kysely';
import type { AuthorizationSessionRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function authorizationSessionsRepository(db: Kysely<Database>): AuthorizationSessionRepository {
  return {
    async insert(row) {
      await db.insertInto('authorization_sessions').values({ ...row, used_at: null }).execute();
    },

    async findByTokenHash(tokenHash) {
      return db.selectFrom('authorization_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    },

    async consume(id, now) {
      // Authorization links are single use (S12): the conditional update is the lock; of any
      // number of concurrent callers exactly one changes the row.
      const result = await db
        .updateTable('authorization_sessions')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async deleteExpired(before) {
      const result = await db.deleteFrom('authorization_sessions').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
