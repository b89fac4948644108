import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { keyset, likeContains, toPage } from './pagination.ts';
import type { AccountFilter, AccountRepository } from './repositories.ts';
import type { AccountStatus, Database } from './schema.ts';

/** A row deleted between our insert attempt and our read makes getOrCreate try again, this often. */
const GET_OR_CREATE_ATTEMPTS = 3;

/** Accounts per `last_used_at` flush statement. */
const TOUCH_BATCH = 200;

/** `status_updated_at` moves only when the status really changes. */
function statusUpdatedAt(eb: ExpressionBuilder<Database, 'connected_accounts'>, status: AccountStatus, now: number) {
  return eb.case().when('status', '=', status).then(eb.ref('status_updated_at')).else(now).end();
}

/** Whitespace at either end (what `String.prototype.trim` and HTTP header parsing remove). */
const EDGE_SPACE = '\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
/** Control characters anywhere (C0 without NUL, DEL, C1). */
const CONTROL = '\u0001-\u001f\u007f-\u009f';

/** Filters on connected_accounts (aliased `a`); `c`/`p` joins only when a filter needs them. */
function filtered<O>(query: SelectQueryBuilder<any, 'a', O>, filter: AccountFilter): SelectQueryBuilder<any, 'a', O> {
  let q = query as SelectQueryBuilder<any, any, O>;
  if (filter.query !== undefined || filter.connectorId !== undefined) {
    q = q.innerJoin('connections as c', 'c.id', 'a.connection_id').innerJoin('connectors as p', 'p.id', 'c.connector_id');
  }
  if (filter.connectionId !== undefined) q = q.where('a.connection_id', '=', filter.connectionId);
  if (filter.connectionIds !== undefined) q = q.where('a.connection_id', 'in', filter.connectionIds.length > 0 ? [...filter.connectionIds] : ['']);
  if (filter.connectorId !== undefined) q = q.where('c.connector_id', '=', filter.connectorId);
  if (filter.identifier !== undefined) q = q.where('a.identifier', '=', filter.identifier);
  if (filter.status !== undefined) q = q.where('a.status', '=', filter.status);
  if (filter.organizationId !== undefined) q = q.where('a.organization_id', '=', filter.organizationId);
  if (filter.userId !== undefined) q = q.where('a.user_id', '=', filter.userId);
  if (filter.query !== undefined) {
    const pattern = likeContains(filter.query.toLowerCase());
    q = q.where((eb) => eb.or(['a.identifier', 'c.name', 'p.identifier'].map((column) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`)));
  }
  return q as SelectQueryBuilder<any, 'a', O>;
}

export function accountsRepository(db: Kysely<Database>, dialect: StoreDialect): AccountRepository {
  const findByKey = (connectionId: string, identifier: string) =>
    db
      .selectFrom('connected_accounts')
      .selectAll()
      .where('connection_id', '=', connectionId)
      .where('identifier', '=', identifier)
      .executeTakeFirst();

  return {
    async getOrCreate(row) {
      for (let attempt = 0; attempt < GET_OR_CREATE_ATTEMPTS; attempt++) {
        // The unique (connection_id, identifier) constraint decides the winner on both
        // dialects: a loser's insert does nothing (waiting on Postgres for the winner to commit)
        // and returns no row; only the winner gets one back.
        const inserted = await db
          .insertInto('connected_accounts')
          .values(row)
          .onConflict((oc) => oc.columns(['connection_id', 'identifier']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted !== undefined) return { account: inserted, created: true };

        const existing = await findByKey(row.connection_id, row.identifier);
        if (existing !== undefined) return { account: existing, created: false };
      }
      throw new Error(
        `getOrCreate for connection ${row.connection_id} kept losing to concurrent deletes; giving up`,
      );
    },

    async insert(row) {
      const inserted = await db
        .insertInto('connected_accounts')
        .values(row)
        .onConflict((oc) => oc.columns(['connection_id', 'identifier']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async findById(id) {
      return db.selectFrom('connected_accounts').selectAll().where('id', '=', id).executeTakeFirst();
    },

    findByKey,

    async list(page, filter = {}) {
      const ks = keyset(page);
      let query = filtered(db.selectFrom('connected_accounts as a').selectAll('a'), filter).orderBy('a.id').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('a.id', '>', ks.after);
      return toPage(await query.execute(), ks);
    },

    async count(filter = {}) {
      const row = await filtered(db.selectFrom('connected_accounts as a').select((eb) => eb.fn.countAll<number | string>().as('n')), filter).executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    async findIdentifierCandidates(limit) {
      // A coarse filter in each dialect's own pattern language (SQLite GLOB, Postgres regex);
      // the characters are bound as parameters, never spliced into the SQL.
      const match = dialect === 'postgres'
        ? sql<boolean>`identifier ~ ${`^[${EDGE_SPACE}]|[${EDGE_SPACE}]$|[${CONTROL}]`}`
        : sql<boolean>`(identifier glob ${`[${EDGE_SPACE}]*`} or identifier glob ${`*[${EDGE_SPACE}]`} or identifier glob ${`*[${CONTROL}]*`})`;
      return db.selectFrom('connected_accounts').select(['id', 'connection_id', 'identifier']).where(match).orderBy('id').limit(limit).execute();
    },

    async disconnect(id, expectedVersion, now) {
      return db
        .updateTable('connected_accounts')
        .set((eb) => ({
          credentials: null,
          status: 'DISCONNECTED' as const,
          status_updated_at: statusUpdatedAt(eb, 'DISCONNECTED', now),
          token_expires_at: null,
          granted_scopes: null,
          credentials_version: eb('credentials_version', '+', 1),
          updated_at: now,
        }))
        .where('id', '=', id)
        .where('credentials_version', '=', expectedVersion)
        .returningAll()
        .executeTakeFirst();
    },

    async writeCredentials(id, expectedVersion, patch) {
      // Compare-and-set in one statement; RETURNING gives the row exactly as this write left it.
      // A deleted row matches nothing, so a late writer cannot bring it back.
      return db
        .updateTable('connected_accounts')
        .set((eb) => ({
          credentials: patch.credentials,
          api_config: patch.api_config,
          status: patch.status,
          status_updated_at: statusUpdatedAt(eb, patch.status, patch.now),
          token_expires_at: patch.token_expires_at,
          ...(patch.granted_scopes === undefined ? {} : { granted_scopes: patch.granted_scopes }),
          credentials_version: eb('credentials_version', '+', 1),
          updated_at: patch.now,
        }))
        .where('id', '=', id)
        .where('credentials_version', '=', expectedVersion)
        .returningAll()
        .executeTakeFirst();
    },

    async claimRefreshLease(id, owner, now, until) {
      // Compare-and-set on the lease columns: a short statement, never a transaction held
      // across the token call. RETURNING gives the caller its re-read under the lease.
      return db
        .updateTable('connected_accounts')
        .set({ refresh_owner: owner, refresh_lease_until: until })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('refresh_lease_until', 'is', null), eb('refresh_lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
    },

    async releaseRefreshLease(id, owner) {
      await db
        .updateTable('connected_accounts')
        .set({ refresh_owner: null, refresh_lease_until: null })
        .where('id', '=', id)
        .where('refresh_owner', '=', owner)
        .execute();
    },

    async writeRefreshedCredentials(id, owner, expectedVersion, patch) {
      return db
        .updateTable('connected_accounts')
        .set((eb) => ({
          credentials: patch.credentials,
          token_expires_at: patch.token_expires_at,
          granted_scopes: patch.granted_scopes,
          credentials_version: eb('credentials_version', '+', 1),
          refresh_owner: null,
          refresh_lease_until: null,
          updated_at: patch.now,
        }))
        .where('id', '=', id)
        .where('refresh_owner', '=', owner)
        .where('credentials_version', '=', expectedVersion)
        .returningAll()
        .executeTakeFirst();
    },

    async setStatus(id, status, now) {
      return db
        .updateTable('connected_accounts')
        .set((eb) => ({ status, status_updated_at: statusUpdatedAt(eb, status, now), updated_at: now }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    async versions(ids) {
      if (ids.length === 0) return [];
      return await db
        .selectFrom('connected_accounts as a')
        .innerJoin('connections as c', 'c.id', 'a.connection_id')
        .innerJoin('connectors as p', 'p.id', 'c.connector_id')
        .select([
          'a.id', 'a.status', 'a.credentials_version', 'a.updated_at',
          'c.updated_at as connection_updated_at', 'c.enabled as connection_enabled', 'p.updated_at as connector_updated_at',
        ])
        .where('a.id', 'in', ids)
        .execute();
    },

    async touchLastUsed(entries) {
      const latest = new Map<string, number>();
      for (const { id, at } of entries) latest.set(id, Math.max(at, latest.get(id) ?? at));
      // Sorted, so two concurrent flushes lock rows in the same order and cannot deadlock.
      const ids = [...latest.keys()].sort();
      // One statement per batch (UPDATE … FROM VALUES, SQLite ≥ 3.33 and Postgres), no
      // transaction around them, and a turn of the event loop between batches: a flush of
      // 100,000 accounts must not stall the proxy (better-sqlite3 runs synchronously).
      for (let start = 0; start < ids.length; start += TOUCH_BATCH) {
        const rows = ids.slice(start, start + TOUCH_BATCH).map((id) => sql`(${id}, cast(${latest.get(id)!} as bigint))`);
        await sql`update connected_accounts set last_used_at = v.column2
          from (values ${sql.join(rows)}) as v
          where connected_accounts.id = v.column1
            and (connected_accounts.last_used_at is null or connected_accounts.last_used_at < v.column2)`.execute(db);
        if (start + TOUCH_BATCH < ids.length) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },

    async delete(id, expectedVersion) {
      // Its authorization sessions go with it (ON DELETE CASCADE).
      let query = db.deleteFrom('connected_accounts').where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('credentials_version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}
