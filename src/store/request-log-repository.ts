import { CompiledQuery, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import type { NewRequestLogRow, RequestLogEntryRow, RequestLogFilter, RequestLogRepository } from './repositories.ts';
import type { Database } from './schema.ts';

/** Most rows per INSERT (the service sends smaller batches; see RequestLog). */
const INSERT_CHUNK = 200;
const COLUMNS = [
  'created_at', 'connection_name', 'account_id', 'method', 'path', 'status', 'latency_ms', 'bytes_in', 'bytes_out', 'error_code',
  'door', 'tool_name', 'execution_id', 'actor_type', 'actor_id',
] as const;

/**
 * The batch insert is written as plain parameterised SQL: the log receives a row per proxied
 * call, and building Kysely's query tree value by value cost more than the insert itself
 * (bench/README.md). Only the placeholders differ between the dialects.
 */
function insertStatement(rows: number, dialect: StoreDialect): string {
  let n = 0;
  const placeholder = dialect === 'postgres' ? () => `$${++n}` : () => '?';
  const tuples = Array.from({ length: rows }, () => `(${COLUMNS.map(placeholder).join(',')})`);
  return `insert into request_log (${COLUMNS.join(',')}) values ${tuples.join(',')}`;
}

/** A row's values in COLUMNS order, read by name (one shape, no keyed lookups per value). */
function pushValues(row: NewRequestLogRow, into: unknown[]): void {
  into.push(
    row.created_at, row.connection_name, row.account_id ?? null, row.method, row.path, row.status, row.latency_ms, row.bytes_in ?? 0,
    row.bytes_out ?? 0, row.error_code ?? null, row.door ?? 'proxy', row.tool_name ?? null, row.execution_id ?? null,
    row.actor_type ?? null, row.actor_id ?? null,
  );
}

export function requestLogRepository(db: Kysely<Database>, dialect: StoreDialect): RequestLogRepository {
  // Under load every chunk has the same size: its statement text is built once.
  const statements = new Map<number, string>();
  const insert = (rows: readonly NewRequestLogRow[]) => {
    let sql = statements.get(rows.length);
    if (sql === undefined) statements.set(rows.length, (sql = insertStatement(rows.length, dialect)));
    const parameters: unknown[] = [];
    for (const row of rows) pushValues(row, parameters);
    return db.executeQuery(CompiledQuery.raw(sql, parameters));
  };

  return {
    async insertMany(rows) {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) await insert(rows.slice(start, start + INSERT_CHUNK));
    },

    async list(filter: RequestLogFilter, limit) {
      // The table has no identifier column: it comes from the account (null once that is deleted).
      let query = db
        .selectFrom('request_log as rl')
        .leftJoin('connected_accounts as ca', 'ca.id', 'rl.account_id')
        .select([
          'rl.id', 'rl.created_at', 'rl.connection_name', 'rl.account_id', 'rl.method', 'rl.path', 'rl.status',
          'rl.latency_ms', 'rl.bytes_in', 'rl.bytes_out', 'rl.error_code', 'rl.door', 'rl.tool_name', 'rl.execution_id',
          'rl.actor_type', 'rl.actor_id', 'ca.identifier',
        ])
        .orderBy('rl.id', 'desc')
        .limit(limit);
      if (filter.before !== undefined) query = query.where('rl.id', '<', filter.before);
      if (filter.connectionName !== undefined) query = query.where('rl.connection_name', '=', filter.connectionName);
      if (filter.accountId !== undefined) query = query.where('rl.account_id', '=', filter.accountId);
      if (filter.identifier !== undefined) query = query.where('ca.identifier', '=', filter.identifier);
      if (filter.door !== undefined) query = query.where('rl.door', '=', filter.door);
      if (filter.toolName !== undefined) query = query.where('rl.tool_name', '=', filter.toolName);
      if (filter.executionId !== undefined) query = query.where('rl.execution_id', '=', filter.executionId);
      const status = filter.status;
      if (status?.kind === 'exact') query = query.where('rl.status', '=', status.status);
      if (status?.kind === 'range') query = query.where('rl.status', '>=', status.from).where('rl.status', '<', status.to);
      if (status?.kind === 'error') query = query.where((eb) => eb.or([eb('rl.status', '>=', 400), eb('rl.error_code', 'is not', null)]));
      if (status?.kind === 'success') query = query.where('rl.status', '<', 400).where('rl.error_code', 'is', null);
      return (await query.execute()) as RequestLogEntryRow[];
    },

    async since(from, connectionName) {
      let query = db
        .selectFrom('request_log')
        .select(['created_at', 'status', 'latency_ms', 'error_code'])
        .where('created_at', '>=', from);
      if (connectionName !== undefined) query = query.where('connection_name', '=', connectionName);
      return query.execute();
    },

    async maxId() {
      const row = await db.selectFrom('request_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return row?.id === null || row?.id === undefined ? null : Number(row.id);
    },

    async deleteBatch(olderThan, upToId, limit) {
      // A bounded batch (the subquery's LIMIT), so a prune never holds the database for long.
      const result = await db
        .deleteFrom('request_log')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('request_log')
            .select('id')
            .where((w) => w.or([w('created_at', '<', olderThan), w('id', '<=', upToId)]))
            .orderBy('id')
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
