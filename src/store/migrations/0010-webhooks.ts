import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.ts';

/**
 * Webhooks (issue 14, DESIGN.md §9): endpoints with a vault-encrypted signing secret, the events
 * they were sent (the signed body, exactly as delivered), and the durable outbox of deliveries,
 * one row per (event, endpoint), which any instance works under a lease. Frozen once released.
 */
export function webhooksMigration(dialect: StoreDialect): Migration {
  const int64 = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        // JSON array of event types; empty means every event.
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .addColumn('updated_at', int64, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', int64, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', int64, (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', int64)
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempt_at', int64)
        .addColumn('last_duration_ms', 'integer')
        .addColumn('delivered_at', int64)
        .addColumn('created_at', int64, (c) => c.notNull())
        .addForeignKeyConstraint('webhook_deliveries_event_id_fkey', ['event_id'], 'webhook_events', ['id'], (fk) => fk.onDelete('cascade'))
        // No foreign key to the endpoint: an account change queuing a delivery must never fail
        // because the endpoint was deleted at that moment. Deleting an endpoint deletes its
        // deliveries; a delivery queued in that instant finds no endpoint and is given up.
        .execute();
      // The worker's poll: pending rows by due time.
      await db.schema.createIndex('webhook_deliveries_due_idx').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
      await db.schema.createIndex('webhook_deliveries_event_idx').on('webhook_deliveries').column('event_id').execute();
    },
  };
}
