import type { Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { inTransaction } from './in-transaction.ts';
import { keyset, toPage } from './pagination.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { Database } from './schema.ts';
import type { WebhookDeliveryRow, WebhookDeliveryStatus, WebhookEndpointRow, WebhookEventRow } from './webhooks-schema.ts';

export type WebhookEndpointPatch = Partial<Pick<WebhookEndpointRow, 'url' | 'description' | 'events' | 'enabled' | 'secret'>> & { updated_at: number };

/** What one attempt left behind. */
export interface DeliveryOutcome {
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: number;
  last_duration_ms: number;
  delivered_at: number | null;
}

/**
 * Webhook endpoints, events and the delivery outbox. Any instance works the outbox: rows are
 * claimed under a lease in one statement (a conditional UPDATE; on Postgres the candidates are
 * locked with `FOR UPDATE SKIP LOCKED`, so two instances never take the same row), and only the
 * lease holder records an attempt's outcome. A lease left by a dead instance lapses and the row is
 * claimed again (at least once).
 */
export interface WebhookRepository {
  insertEndpoint(row: WebhookEndpointRow): Promise<void>;
  findEndpoint(id: string): Promise<WebhookEndpointRow | undefined>;
  listEndpoints(page: PageRequest): Promise<Page<WebhookEndpointRow>>;
  enabledEndpoints(): Promise<WebhookEndpointRow[]>;
  updateEndpoint(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpointRow | undefined>;
  /** Deletes the endpoint and its deliveries. */
  deleteEndpoint(id: string): Promise<boolean>;

  /** The event and its deliveries, in one transaction (or the caller's). */
  enqueue(event: WebhookEventRow, deliveries: WebhookDeliveryRow[]): Promise<void>;
  findEvents(ids: readonly string[]): Promise<WebhookEventRow[]>;

  /** Takes the lease of up to `limit` due, pending, unleased deliveries; returns them. */
  claimDue(owner: string, now: number, until: number, limit: number): Promise<WebhookDeliveryRow[]>;
  /** Records an attempt if `owner` still holds the lease (and releases it). */
  recordAttempt(id: string, owner: string, outcome: DeliveryOutcome): Promise<boolean>;
  findDelivery(endpointId: string, id: string): Promise<WebhookDeliveryRow | undefined>;
  /** Newest first. */
  listDeliveries(endpointId: string, page: PageRequest): Promise<Page<WebhookDeliveryRow>>;
  /** Makes a delivery pending and due now again, attempts from zero (the lease, if any, is dropped). */
  replay(endpointId: string, id: string, now: number): Promise<WebhookDeliveryRow | undefined>;
  /** Retention: finished deliveries made before `cutoff`, and events left with no delivery; returns deliveries removed. */
  prune(cutoff: number): Promise<number>;
}

export function webhooksRepository(db: Kysely<Database>, dialect: StoreDialect): WebhookRepository {
  return {
    async insertEndpoint(row) {
      await db.insertInto('webhook_endpoints').values(row).execute();
    },

    async findEndpoint(id) {
      return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async listEndpoints(page) {
      const ks = keyset(page);
      let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('id', '>', ks.after);
      return toPage(await query.execute(), ks);
    },

    async enabledEndpoints() {
      return db.selectFrom('webhook_endpoints').selectAll().where('enabled', '=', 1).orderBy('id').execute();
    },

    async updateEndpoint(id, patch) {
      return db.updateTable('webhook_endpoints').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
    },

    async deleteEndpoint(id) {
      return inTransaction(db, async (trx) => {
        await trx.deleteFrom('webhook_deliveries').where('endpoint_id', '=', id).execute();
        const result = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
        return result.numDeletedRows === 1n;
      });
    },

    async enqueue(event, deliveries) {
      await inTransaction(db, async (trx) => {
        await trx.insertInto('webhook_events').values(event).execute();
        if (deliveries.length > 0) await trx.insertInto('webhook_deliveries').values(deliveries).execute();
      });
    },

    async findEvents(ids) {
      if (ids.length === 0) return [];
      return db.selectFrom('webhook_events').selectAll().where('id', 'in', ids).execute();
    },

    async claimDue(owner, now, until, limit) {
      return db
        .updateTable('webhook_deliveries')
        .set({ lease_owner: owner, lease_until: until })
        .where('id', 'in', (eb) => {
          const candidates = eb
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('status', '=', 'pending')
            .where('next_attempt_at', '<=', now)
            .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
            .orderBy('next_attempt_at')
            .limit(limit);
          // SQLite has one writer at a time, so the statement is atomic there as it is.
          return dialect === 'postgres' ? candidates.forUpdate().skipLocked() : candidates;
        })
        // Checked again on the locked row (Postgres re-reads it after the lock).
        .where('status', '=', 'pending')
        .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
        .returningAll()
        .execute();
    },

    async recordAttempt(id, owner, outcome) {
      const result = await db
        .updateTable('webhook_deliveries')
        .set({ ...outcome, lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    async findDelivery(endpointId, id) {
      return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).where('endpoint_id', '=', endpointId).executeTakeFirst();
    },

    async listDeliveries(endpointId, page) {
      const ks = keyset(page);
      let query = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).orderBy('id', 'desc').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('id', '<', ks.after);
      return toPage(await query.execute(), ks);
    },

    async replay(endpointId, id, now) {
      return db
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('endpoint_id', '=', endpointId)
        .returningAll()
        .executeTakeFirst();
    },

    async prune(cutoff) {
      return inTransaction(db, async (trx) => {
        const result = await trx.deleteFrom('webhook_deliveries').where('status', '<>', 'pending').where('created_at', '<', cutoff).executeTakeFirst();
        await trx
          .deleteFrom('webhook_events')
          .where('created_at', '<', cutoff)
          .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'webhook_events.id'))))
          .execute();
        return Number(result.numDeletedRows);
      });
    },
  };
}

