import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * The audit trail (docs/audit.md; src/audit): an append-only, hash-chained record of every
 * credential use and every change. `seq` is given by the appender (1, 2, 3, … without gaps)
 * under the chain head's row lock, never by the database: a gap is a deleted entry.
 * `audit_chain` is one row: the head (last seq and hash, updated in the transaction that appends)
 * and the retention checkpoint (the last removed entry's seq and hash, where `verify` starts).
 * Frozen once released.
 */
export function auditMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', int64, (c) => c.primaryKey())
        .addColumn('at', int64, (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('status', 'integer')
        // Canonical JSON (sorted keys) as text, hashed exactly as stored.
        .addColumn('details', 'text')
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_entries_at_idx').on('audit_entries').column('at').execute();

      await db.schema
        .createTable('audit_chain')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('last_seq', int64, (c) => c.notNull())
        .addColumn('last_hash', 'text', (c) => c.notNull())
        .addColumn('pruned_seq', int64, (c) => c.notNull())
        .addColumn('pruned_hash', 'text', (c) => c.notNull())
        .addColumn('pruned_at', int64)
        .execute();
      const genesis = '0'.repeat(64);
      await db.insertInto('audit_chain').values({ id: 1, last_seq: 0, last_hash: genesis, pruned_seq: 0, pruned_hash: genesis, pruned_at: null }).execute();
    },
  };
}
