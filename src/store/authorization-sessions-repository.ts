import type { Kysely } from 'kysely';
import type { AuthorizationSessionRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function authorizationSessionsRepository(db: Kysely<Database>): AuthorizationSessionRepository {
  return {
    async insert(row) {
      await db.insertInto('authorization_sessions').values({ ...row, used_at: null }).execute();
    },

    async startOAuthFlow(id, flow, now) {
      const result = await db
        .updateTable('authorization_sessions')
        .set(flow)
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async findByStateHash(stateHash) {
      return db.selectFrom('authorization_sessions').selectAll().where('oauth_state_hash', '=', stateHash).executeTakeFirst();
    },

    async takeState(id, stateHash, now) {
      const result = await db
        .updateTable('authorization_sessions')
        .set({ oauth_state_hash: null })
        .where('id', '=', id)
        .where('oauth_state_hash', '=', stateHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async setAuthRequest(id, authRequestHash) {
      await db.updateTable('authorization_sessions').set({ auth_request_hash: authRequestHash }).where('id', '=', id).execute();
    },

    async findByAuthRequestHash(authRequestHash) {
      return db.selectFrom('authorization_sessions').selectAll().where('auth_request_hash', '=', authRequestHash).executeTakeFirst();
    },

    async completeVerification(id, now) {
      const result = await db
        .updateTable('authorization_sessions')
        .set({ verified_at: now })
        .where('id', '=', id)
        .where('verified_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    },

    async findById(id) {
      return db.selectFrom('authorization_sessions').selectAll().where('id', '=', id).executeTakeFirst();
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

    async retireOutstanding(accountId, exceptId, now) {
      let query = db
        .updateTable('authorization_sessions')
        .set({ used_at: now, superseded_at: now, oauth_state_hash: null })
        .where('account_id', '=', accountId)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now);
      if (exceptId !== null) query = query.where('id', '<>', exceptId);
      const result = await query.executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async deleteExpired(before) {
      const result = await db.deleteFrom('authorization_sessions').where('expires_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
