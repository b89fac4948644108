import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * The rest of the reference's account API and its security fixes (issue 16):
 * - `organization_id` / `user_id` on connected accounts: labels set at creation, filterable, and
 *   required to match when a call gives them (docs/compat.md);
 * - `superseded_at` on authorization sessions: issuing or completing a link retires the
 *   account's other outstanding links;
 * - `token_revocations`: the durable retry queue of OAuth revocations (RFC 7009) that failed on
 *   delete or disconnect. The token stays vault ciphertext (bound to its row) until revoked.
 * Frozen once released.
 */
export function accountsMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('connected_accounts').addColumn('organization_id', 'text').execute();
      await db.schema.alterTable('connected_accounts').addColumn('user_id', 'text').execute();
      await db.schema.createIndex('connected_accounts_organization_id_idx').on('connected_accounts').column('organization_id').execute();
      await db.schema.createIndex('connected_accounts_user_id_idx').on('connected_accounts').column('user_id').execute();

      await db.schema.alterTable('authorization_sessions').addColumn('superseded_at', int64).execute();

      // No foreign keys: a revocation outlives the account it came from (deleted) and must not
      // block deleting its connection; a missing connection ends the retries (logged).
      await db.schema
        .createTable('token_revocations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('connection_id', 'text', (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('token_type_hint', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', int64, (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', int64)
        .addColumn('last_error', 'text')
        .addColumn('created_at', int64, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('token_revocations_next_attempt_at_idx').on('token_revocations').column('next_attempt_at').execute();
    },
  };
}
