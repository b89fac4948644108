import { type Kysely, sql } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/** A stored policy with what it governs, as the policies' cache loads them. */
export interface StoredConnectionPolicy {
  connection_id: string;
  connection_name: string;
  document: string;
  updated_at: number;
}

export interface StoredAccountPolicy {
  account_id: string;
  document: string;
  updated_at: number;
}

/** Tokens taken from a shared bucket, and what is left in it. */
export interface TokensTaken {
  granted: number;
  tokens: number;
}

/** Connection and account policies, and the rate limit's shared buckets (Postgres). */
export interface PolicyRepository {
  /** Every policy, for the in-memory cache (policies are few: one per connection, some accounts). */
  listAll(): Promise<{ connections: StoredConnectionPolicy[]; accounts: StoredAccountPolicy[] }>;
  putConnection(connectionId: string, document: string, now: number): Promise<void>;
  deleteConnection(connectionId: string): Promise<boolean>;
  putAccount(accountId: string, document: string, now: number): Promise<void>;
  deleteAccount(accountId: string): Promise<boolean>;
  /**
   * Postgres: takes up to `batch` whole tokens from the account's bucket (`capacity` tokens,
   * refilled at `perMs` a millisecond by the database's clock) in one atomic statement.
   */
  takeTokens(accountId: string, capacity: number, perMs: number, batch: number): Promise<TokensTaken>;
}

export function policiesRepository(db: Kysely<Database>, dialect: StoreDialect): PolicyRepository {
  return {
    async listAll() {
      const connections = await db
        .selectFrom('connection_policies')
        .innerJoin('connections', 'connections.id', 'connection_policies.connection_id')
        .select(['connection_policies.connection_id', 'connections.name as connection_name', 'connection_policies.document', 'connection_policies.updated_at'])
        .execute();
      const accounts = await db.selectFrom('account_policies').selectAll().execute();
      return { connections: connections.map((row) => ({ ...row, updated_at: Number(row.updated_at) })), accounts: accounts.map((row) => ({ ...row, updated_at: Number(row.updated_at) })) };
    },

    async putConnection(connectionId, document, now) {
      await db
        .insertInto('connection_policies')
        .values({ connection_id: connectionId, document, updated_at: now })
        .onConflict((oc) => oc.column('connection_id').doUpdateSet({ document, updated_at: now }))
        .execute();
    },

    async deleteConnection(connectionId) {
      const result = await db.deleteFrom('connection_policies').where('connection_id', '=', connectionId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async putAccount(accountId, document, now) {
      await db
        .insertInto('account_policies')
        .values({ account_id: accountId, document, updated_at: now })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ document, updated_at: now }))
        .execute();
    },

    async deleteAccount(accountId) {
      const result = await db.deleteFrom('account_policies').where('account_id', '=', accountId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async takeTokens(accountId, capacity, perMs, batch) {
      if (dialect !== 'postgres') throw new Error('shared rate-limit buckets need Postgres; one SQLite instance keeps them in memory');
      // SET reads the old row: refill by the time passed (database clock, the same for every
      // instance), cap at capacity, then take up to `batch` whole tokens. The row lock of the
      // upsert makes concurrent takers queue, so no token is handed out twice.
      const now = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::double precision`;
      const refilled = sql<number>`least(${capacity}::double precision, b.tokens + greatest(0, ${now} - b.updated_at) * ${perMs}::double precision)`;
      const first = Math.min(batch, capacity);
      const result = await sql<TokensTaken>`
        insert into policy_rate_buckets as b (account_id, tokens, granted, updated_at)
        values (${accountId}, ${capacity - first}::double precision, ${first}::double precision, ${now})
        on conflict (account_id) do update set
          granted = least(${batch}::double precision, floor(${refilled})),
          tokens = ${refilled} - least(${batch}::double precision, floor(${refilled})),
          updated_at = greatest(b.updated_at, ${now})
        returning granted, tokens`.execute(db);
      const row = result.rows[0]!;
      return { granted: Number(row.granted), tokens: Number(row.tokens) };
    },
  };
}
