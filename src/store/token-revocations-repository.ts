import type { Kysely } from 'kysely';
import type { TokenRevocationRepository } from './repositories.ts';
import type { Database } from './schema.ts';

/**
 * The revocation retry queue. Any instance may work it: a row is taken under a lease by
 * compare-and-set (as for token refresh, security-checklist §3.3), and only the lease holder may
 * remove or reschedule it, so two instances never send the same revocation at once.
 */
export function tokenRevocationsRepository(db: Kysely<Database>): TokenRevocationRepository {
  return {
    async insert(row) {
      await db.insertInto('token_revocations').values(row).execute();
    },

    async due(now, limit) {
      const rows = await db
        .selectFrom('token_revocations')
        .select('id')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('next_attempt_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((row) => row.id);
    },

    async claim(id, owner, now, until) {
      return db
        .updateTable('token_revocations')
        .set({ lease_owner: owner, lease_until: until })
        .where('id', '=', id)
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
    },

    async remove(id, owner) {
      const result = await db.deleteFrom('token_revocations').where('id', '=', id).where('lease_owner', '=', owner).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async reschedule(id, owner, patch) {
      const result = await db
        .updateTable('token_revocations')
        .set({ ...patch, lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async findById(id) {
      return db.selectFrom('token_revocations').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async count() {
      const row = await db.selectFrom('token_revocations').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirst();
      return Number(row?.n ?? 0);
    },
  };
}
