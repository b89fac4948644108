import type { Kysely } from 'kysely';
import type { EncryptionKeyRepository } from './repositories.ts';
import type { Database } from './schema.ts';

export function encryptionKeysRepository(db: Kysely<Database>): EncryptionKeyRepository {
  return {
    async list() {
      const rows = await db.selectFrom('encryption_keys').select('kid').orderBy('created_at').orderBy('kid').execute();
      return rows.map((row) => row.kid);
    },

    async ensure(kid, now) {
      await db
        .insertInto('encryption_keys')
        .values({ kid, created_at: now })
        .onConflict((oc) => oc.column('kid').doNothing())
        .execute();
    },
  };
}
