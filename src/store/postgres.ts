import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';
import type { StatementCounter } from './statement-counter.ts';

const INT8_OID = 20;

/**
 * `bigint` columns hold epoch milliseconds and counts, far below 2^53, so they are read back as
 * numbers like SQLite gives them. The override is per pool: the global `pg.types` would change
 * every other pg user in the process.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function openPostgres(url: string, poolSize = 10, statements?: StatementCounter): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types });
  // An idle client losing its server (restart, failover) is emitted on the pool; unhandled, it
  // would crash the process. The pool drops that client and the next query reconnects.
  pool.on('error', (error) => {
    process.emitWarning(`Postgres idle connection error: ${error.message}`, 'ToolproxyStoreWarning');
  });
  const dialect = new PostgresDialect({ pool });
  return new Kysely<Database>({ dialect: statements ? statements.wrap(dialect) : dialect });
}
