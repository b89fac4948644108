import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * Policies (docs/policies.md): one per connection, and one per connected account that only
 * narrows its connection's, as validated JSON documents; they go with what they govern. And the
 * rate limit's token buckets, one per account, shared by every instance on Postgres (an
 * instance on SQLite keeps its buckets in memory and never writes this table). Frozen once released.
 */
export function policiesMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  const double = dialect === 'postgres' ? 'double precision' : 'real';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('connection_policies')
        .addColumn('connection_id', 'text', (c) => c.primaryKey())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addForeignKeyConstraint('connection_policies_connection_id_fkey', ['connection_id'], 'connections', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();
      await db.schema
        .createTable('account_policies')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('document', 'text', (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .addForeignKeyConstraint('account_policies_account_id_fkey', ['account_id'], 'connected_accounts', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();
      // No foreign key: a bucket is written on the calls' path, and a stale one is harmless (refilled on use).
      await db.schema
        .createTable('policy_rate_buckets')
        .addColumn('account_id', 'text', (c) => c.primaryKey())
        .addColumn('tokens', double, (c) => c.notNull())
        .addColumn('granted', double, (c) => c.notNull())
        .addColumn('updated_at', double, (c) => c.notNull())
        .execute();
    },
  };
}
