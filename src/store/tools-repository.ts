import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { ToolproxyError } from '../errors.ts';
import { inTransaction } from './in-transaction.ts';
import { encodePageToken, keyset } from './pagination.ts';
import type { Page, PageRequest } from './pagination.ts';
import type { AccountStatus, Database, ToolOrigin, ToolRow } from './schema.ts';

/** A tool row with its connector's identifier (the reference's `provider`). */
export interface ToolListRow extends ToolRow {
  provider: string;
}

export interface ToolFilter {
  connectorId?: string;
  /** Connector identifiers (exact, lower case). */
  providers?: readonly string[];
  names?: readonly string[];
  /** Lower-cased text that the name, display name or description contains. */
  query?: string;
}

export interface IdentifierToolFilter {
  connectionNames?: readonly string[];
  providers?: readonly string[];
  names?: readonly string[];
}

/** A tool reachable through one connection, with the identifier's account on it (if any). */
export interface ConnectionToolRow extends ToolListRow {
  connection_id: string;
  connection_name: string;
  account_id: string | null;
  account_status: AccountStatus | null;
}

export interface ToolWrite {
  id: string;
  connector_id: string;
  name: string;
  definition: string;
  origin: ToolOrigin;
  search_text: string;
  now: number;
}

/** What syncing the catalog's tools did, by tool name. */
export interface BuiltInToolSync {
  inserted: string[];
  updated: string[];
  deleted: string[];
  /** Held by a custom tool: the built-in one is not installed. */
  taken: string[];
}

export interface ToolRepository {
  findByName(name: string): Promise<ToolListRow | undefined>;
  findById(id: string): Promise<ToolListRow | undefined>;
  /** Keyset pages in name order (byte-wise on both dialects). */
  list(page: PageRequest, filter?: ToolFilter): Promise<Page<ToolListRow>>;
  count(filter?: ToolFilter): Promise<number>;
  listForConnector(connectorId: string): Promise<ToolRow[]>;
  /** For each of `names` that exists: which connector holds it. */
  owners(names: readonly string[]): Promise<Array<{ name: string; connector_id: string; origin: ToolOrigin }>>;
  /** Inserts new tools (version 1); returns the names a concurrent writer took first (nothing inserted for those). */
  insertMany(rows: readonly ToolWrite[]): Promise<string[]>;
  /** Replaces the definition, bumping the version; false when the row is gone. */
  update(id: string, patch: { definition: string; search_text: string; origin: ToolOrigin; now: number }): Promise<boolean>;
  deleteMany(ids: readonly string[]): Promise<number>;
  /**
   * Makes the catalog tools of the given built-in connectors match `rows`, in one transaction:
   * adds, rewrites (version bump) and removes catalog tools; never touches another origin's.
   */
  syncBuiltIns(connectorIds: readonly string[], rows: readonly ToolWrite[]): Promise<BuiltInToolSync>;
  /**
   * Tools of every enabled connection whose connector has them, with the identifier's account on
   * that connection: all of them (`accounts: 'any'`), or only where the account is ACTIVE.
   * Ordered by tool name, then connection id.
   */
  listForIdentifier(identifier: string, accounts: 'active' | 'any', page: PageRequest, filter?: IdentifierToolFilter): Promise<Page<ConnectionToolRow>>;
  countForIdentifier(identifier: string, accounts: 'active' | 'any', filter?: IdentifierToolFilter): Promise<number>;
}

/** Rows per insert statement (Postgres caps bind parameters at 65 535). */
const INSERT_BATCH = 500;

type ToolQuery = SelectQueryBuilder<Database & { t: Database['tools']; p: Database['connectors'] }, 't' | 'p', object>;

export function toolsRepository(db: Kysely<Database>): ToolRepository {
  const base = () =>
    db
      .selectFrom('tools as t')
      .innerJoin('connectors as p', 'p.id', 't.connector_id')
      .selectAll('t')
      .select('p.identifier as provider');

  return {
    async findByName(name) {
      return base().where('t.name', '=', name).executeTakeFirst();
    },

    async findById(id) {
      return base().where('t.id', '=', id).executeTakeFirst();
    },

    async list(page, filter = {}) {
      const ks = keyset(page);
      let query = filtered(base(), filter).orderBy('t.name').limit(ks.limit);
      if (ks.after !== undefined) query = query.where('t.name', '>', ks.after);
      const rows = await query.execute();
      return pageOf(rows, ks.pageSize, (row) => row.name);
    },

    async count(filter = {}) {
      const query = filtered(
        db.selectFrom('tools as t').innerJoin('connectors as p', 'p.id', 't.connector_id').select((eb) => eb.fn.countAll<string | number>().as('n')),
        filter,
      );
      return Number((await query.executeTakeFirstOrThrow()).n);
    },

    async listForConnector(connectorId) {
      return db.selectFrom('tools').selectAll().where('connector_id', '=', connectorId).orderBy('name').execute();
    },

    async owners(names) {
      if (names.length === 0) return [];
      const found: Array<{ name: string; connector_id: string; origin: ToolWrite['origin'] }> = [];
      for (const chunk of chunks(names, INSERT_BATCH)) {
        found.push(...(await db.selectFrom('tools').select(['name', 'connector_id', 'origin']).where('name', 'in', chunk).execute()));
      }
      return found;
    },

    async insertMany(rows) {
      const taken: string[] = [];
      for (const chunk of chunks(rows, INSERT_BATCH)) {
        const inserted = await db
          .insertInto('tools')
          .values(chunk.map(toRow))
          .onConflict((oc) => oc.column('name').doNothing())
          .returning('name')
          .execute();
        const names = new Set(inserted.map((row) => row.name));
        taken.push(...chunk.filter((row) => !names.has(row.name)).map((row) => row.name));
      }
      return taken;
    },

    async update(id, patch) {
      const result = await db
        .updateTable('tools')
        .set((eb) => ({
          definition: patch.definition,
          search_text: patch.search_text,
          origin: patch.origin,
          updated_at: patch.now,
          version: eb('version', '+', 1),
        }))
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async deleteMany(ids) {
      let deleted = 0;
      for (const chunk of chunks(ids, INSERT_BATCH)) {
        const result = await db.deleteFrom('tools').where('id', 'in', chunk).executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
      return deleted;
    },

    async syncBuiltIns(connectorIds, rows) {
      const outcome = { inserted: [] as string[], updated: [] as string[], deleted: [] as string[], taken: [] as string[] };
      if (connectorIds.length === 0) return outcome;
      return inTransaction(db, async (trx) => {
        const repo = toolsRepository(trx);
        const stored = new Map<string, { id: string; connector_id: string; origin: string; definition: string }>();
        const mine = await trx.selectFrom('tools').select(['id', 'name', 'connector_id', 'origin', 'definition']).where('connector_id', 'in', [...connectorIds]).execute();
        for (const row of mine) stored.set(row.name, row);
        for (const owner of await repo.owners(rows.map((row) => row.name).filter((name) => !stored.has(name)))) {
          stored.set(owner.name, { id: '', ...owner, definition: '' });
        }
        const wanted = new Set(rows.map((row) => row.name));
        const fresh: ToolWrite[] = [];
        for (const row of rows) {
          const current = stored.get(row.name);
          if (current === undefined) fresh.push(row);
          else if (current.origin !== 'catalog' || current.connector_id !== row.connector_id) outcome.taken.push(row.name);
          else if (current.definition !== row.definition) {
            await repo.update(current.id, { definition: row.definition, search_text: row.search_text, origin: 'catalog', now: row.now });
            outcome.updated.push(row.name);
          }
        }
        // Another instance starting at the same moment may insert some first: theirs stand.
        const raced = new Set(await repo.insertMany(fresh));
        outcome.inserted.push(...fresh.filter((row) => !raced.has(row.name)).map((row) => row.name));
        const gone = mine.filter((row) => row.origin === 'catalog' && !wanted.has(row.name));
        await repo.deleteMany(gone.map((row) => row.id));
        outcome.deleted.push(...gone.map((row) => row.name));
        return outcome;
      });
    },

    async listForIdentifier(identifier, accounts, page, filter = {}) {
      const ks = keyset(page);
      let query = forIdentifier(db, identifier, accounts, filter)
        .selectAll('t')
        .select(['p.identifier as provider', 'c.id as connection_id', 'c.name as connection_name', 'a.id as account_id', 'a.status as account_status'])
        .orderBy('t.name')
        .orderBy('c.id')
        .limit(ks.limit);
      if (ks.after !== undefined) {
        const [name, connectionId] = splitToken(ks.after);
        query = query.where((eb) => eb.or([eb('t.name', '>', name), eb.and([eb('t.name', '=', name), eb('c.id', '>', connectionId)])]));
      }
      const rows = (await query.execute()) as ConnectionToolRow[];
      return pageOf(rows, ks.pageSize, (row) => `${row.name}\n${row.connection_id}`);
    },

    async countForIdentifier(identifier, accounts, filter = {}) {
      const row = await forIdentifier(db, identifier, accounts, filter)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

function filtered<Q extends ToolQuery>(query: Q, filter: ToolFilter): Q {
  let q = query as ToolQuery;
  if (filter.connectorId !== undefined) q = q.where('t.connector_id', '=', filter.connectorId);
  if (filter.providers !== undefined) q = q.where('p.identifier', 'in', filter.providers.length > 0 ? [...filter.providers] : ['']);
  if (filter.names !== undefined) q = q.where('t.name', 'in', filter.names.length > 0 ? [...filter.names] : ['']);
  if (filter.query !== undefined && filter.query !== '') {
    const pattern = `%${filter.query.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    q = q.where(sql<boolean>`${sql.ref('t.search_text')} like ${pattern} escape '!'`);
  }
  return q as Q;
}

/**
 * Tools × enabled connections of their connector × the identifier's account on each connection
 * (inner join for 'active', left join for 'any'), with the identifier filters.
 */
function forIdentifier(db: Kysely<Database>, identifier: string, accounts: 'active' | 'any', filter: IdentifierToolFilter) {
  const joined = db
    .selectFrom('tools as t')
    .innerJoin('connectors as p', 'p.id', 't.connector_id')
    .innerJoin('connections as c', 'c.connector_id', 't.connector_id');
  const onAccount = (join: any) => join.onRef('a.connection_id', '=', 'c.id').on('a.identifier', '=', identifier);
  let query =
    accounts === 'active'
      ? joined.innerJoin('connected_accounts as a', onAccount).where('a.status', '=', 'ACTIVE')
      : joined.leftJoin('connected_accounts as a', onAccount);
  query = query.where('c.enabled', '=', 1);
  const inList = (eb: ExpressionBuilder<any, any>, column: string, values: readonly string[]) => eb(column, 'in', values.length > 0 ? [...values] : ['']);
  if (filter.connectionNames !== undefined) query = query.where((eb) => inList(eb, 'c.name', filter.connectionNames!));
  if (filter.providers !== undefined) query = query.where((eb) => inList(eb, 'p.identifier', filter.providers!));
  if (filter.names !== undefined) query = query.where((eb) => inList(eb, 't.name', filter.names!));
  return query;
}

function pageOf<T>(rows: T[], pageSize: number, cursor: (row: T) => string): Page<T> {
  if (rows.length <= pageSize) return { items: rows, nextPageToken: null };
  const items = rows.slice(0, pageSize);
  return { items, nextPageToken: encodePageToken(cursor(items[items.length - 1]!)) };
}

function splitToken(after: string): [string, string] {
  const parts = after.split('\n');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new ToolproxyError('VALIDATION_FAILED', { details: [{ path: '/page_token', message: 'is not a page token returned by a previous call' }] });
  }
  return [parts[0]!, parts[1]!];
}

function toRow(row: ToolWrite) {
  return {
    id: row.id,
    connector_id: row.connector_id,
    name: row.name,
    definition: row.definition,
    origin: row.origin,
    version: 1,
    search_text: row.search_text,
    created_at: row.now,
    updated_at: row.now,
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
