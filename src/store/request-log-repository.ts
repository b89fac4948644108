import { CompiledQuery, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import type { NewRequestLogRow, RequestLogEntryRow, RequestLogFilter, RequestLogRepository } from './repositories.ts';
import type { Database } from './schema.ts';

/** Most rows per INSERT (the service sends smaller batches; see RequestLog). */
const INSERT_CHUNK = 200;
/** A `/proxy` call's row: the door, tool and execution columns keep their defaults (proxy, null, null). */
const PROXY_COLUMNS = [
  'created_at', 'connection_name', 'account_id', 'method', 'path', 'status', 'latency_ms', 'bytes_in', 'bytes_out', 'error_code', 'actor',
] as const;
/** A tool or MCP call's row. */
const DOOR_COLUMNS = [...PROXY_COLUMNS, 'door', 'tool_name', 'execution_id'] as const;

/**
 * The batch insert is written as plain parameterised SQL: the log receives a row per proxied
 * call, and building Kysely's query tree value by value cost more than the insert itself
 * (bench/README.md). Only the placeholders differ between the dialects.
 */
function insertStatement(columns: readonly string[], rows: number, dialect: StoreDialect): string {
  let n = 0;
  const placeholder = dialect === 'postgres' ? () => `$${++n}` : () => '?';
  const tuples = Array.from({ length: rows }, () => `(${columns.map(placeholder).join(',')})`);
  return `insert into request_log (${columns.join(',')}) values ${tuples.join(',')}`;
}

/** Every column is bound once per proxied call: a /proxy row (nearly all of them) binds only its own. */
function isProxyRow(row: NewRequestLogRow): boolean {
  return (row.door === undefined || row.door === 'proxy') && row.tool_name == null && row.execution_id == null;
}

/** A row's values in PROXY_COLUMNS (or DOOR_COLUMNS) order, read by name: one shape, no keyed lookups. */
function pushValues(row: NewRequestLogRow, proxyRow: boolean, into: unknown[]): void {
  into.push(
    row.created_at, row.connection_name, row.account_id ?? null, row.method, row.path, row.status, row.latency_ms, row.bytes_in ?? 0,
    row.bytes_out ?? 0, row.error_code ?? null, row.actor ?? null,
  );
  if (!proxyRow) into.push(row.door ?? 'proxy', row.tool_name ?? null, row.execution_id ?? null);
}

export function requestLogRepository(db: Kysely<Database>, dialect: StoreDialect): RequestLogRepository {
  // Under load every chunk has the same size: its statement text is built once per shape.
  const statements = new Map<number, string>();
  const insert = (rows: readonly NewRequestLogRow[], start: number, end: number, proxyRows: boolean) => {
    const key = proxyRows ? end - start : -(end - start);
    let sql = statements.get(key);
    if (sql === undefined) statements.set(key, (sql = insertStatement(proxyRows ? PROXY_COLUMNS : DOOR_COLUMNS, end - start, dialect)));
    const parameters: unknown[] = [];
    for (let i = start; i < end; i++) pushValues(rows[i]!, proxyRows, parameters);
    return db.executeQuery(CompiledQuery.raw(sql, parameters));
  };

  return {
    async insertMany(rows) {
      // One statement per run of rows of one shape, so ids keep the order the calls were recorded in.
      for (let start = 0; start < rows.length; ) {
        const proxyRows = isProxyRow(rows[start]!);
        let end = start + 1;
        while (end < rows.length && end - start < INSERT_CHUNK && isProxyRow(rows[end]!) === proxyRows) end++;
        await insert(rows, start, end, proxyRows);
        start = end;
      }
    },

    async list(filter: RequestLogFilter, limit) {
      // The table has no identifier column: it comes from the account (null once that is deleted).
      let query = db
        .selectFrom('request_log as rl')
        .leftJoin('connected_accounts as ca', 'ca.id', 'rl.account_id')
        .select([
          'rl.id', 'rl.created_at', 'rl.connection_name', 'rl.account_id', 'rl.method', 'rl.path', 'rl.status',
          'rl.latency_ms', 'rl.bytes_in', 'rl.bytes_out', 'rl.error_code', 'rl.door', 'rl.tool_name', 'rl.execution_id',
          'rl.actor', 'ca.identifier',
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
