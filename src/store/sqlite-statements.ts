import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/** Distinct SQL texts whose prepared statements are kept (most queries have one fixed text). */
const STATEMENTS_KEPT = 256;

/**
 * Kysely's SQLite driver prepares every query again, and SQLite parses and plans the text each
 * time: for the request log's 50-row INSERT, one per 50 proxied calls, that was 40 % of the
 * insert's cost (bench/README.md). A better-sqlite3 statement can be run again and again, so the
 * most recently used SQL texts keep theirs. A statement still being iterated (`busy`) is never
 * handed out twice; SQLite itself re-prepares a statement whose schema changed.
 */
export function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => void database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement !== undefined && !statement.busy) {
        // A Map iterates in insertion order: re-inserting keeps the least recently used first.
        statements.delete(sql);
        statements.set(sql, statement);
        return statement;
      }
      statement = database.prepare(sql);
      if (!statements.has(sql)) {
        if (statements.size >= STATEMENTS_KEPT) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
