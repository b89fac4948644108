import { closeSync, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.ts';
import type { StatementCounter } from './statement-counter.ts';
import { withStatementCache } from './sqlite-statements.ts';

/**
 * Opens the embedded SQLite database. The file holds ciphertext only, but also hashes and
 * account metadata, so it is created owner-only (0600) before SQLite ever touches it; SQLite
 * gives its `-wal` and `-shm` files the same mode. The data directory is the caller's job.
 */
export function openSqlite(path: string, statements?: StatementCounter): Kysely<Database> {
  // 'a' creates the file if absent (mode applies only then) and never truncates an existing one,
  // so there is no exists-then-create race.
  if (path !== ':memory:') closeSync(openSync(path, 'a', 0o600));

  let database: BetterSqlite3.Database | undefined;
  try {
    database = new BetterSqlite3(path);
    // WAL keeps every committed transaction across an application crash whatever `synchronous`
    // says; NORMAL only risks the last commits on power loss or an OS crash, and the file stays
    // consistent (security-checklist §6.2).
    const mode = database.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && mode !== 'wal') {
      throw new Error(`WAL mode was refused (got ${String(mode)}); is the file on a network filesystem?`);
    }
    database.pragma('synchronous = NORMAL');
    // Per connection, off by default: without it the schema's foreign keys and cascades are inert.
    database.pragma('foreign_keys = ON');
    database.pragma('busy_timeout = 5000');
  } catch (error) {
    database?.close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot open the SQLite database at ${path}: ${reason}`, { cause: error });
  }

  const dialect = new SqliteDialect({ database: withStatementCache(database) });
  return new Kysely<Database>({ dialect: statements ? statements.wrap(dialect) : dialect });
}
