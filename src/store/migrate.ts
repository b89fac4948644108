import { type Kysely, Migrator, type MigrationResultSet, sql } from 'kysely';
import type { StoreDialect } from './dialect.ts';
import { InCodeMigrationProvider } from './migrations/index.ts';

/** Brings the schema to the latest migration; throws an Error naming the migration that failed. */
export async function migrateToLatest(db: Kysely<any>, dialect: StoreDialect): Promise<void> {
  if (dialect === 'postgres') {
    // Kysely runs each migration in a transaction under an advisory lock, so several instances
    // starting together migrate once.
    check(await new Migrator({ db, provider: new InCodeMigrationProvider(dialect) }).migrateToLatest());
    return;
  }
  // Kysely runs SQLite migrations outside a transaction. SQLite has transactional DDL, so take
  // the write lock up front (IMMEDIATE: a concurrent starter waits on busy_timeout instead of
  // failing to upgrade a read lock) and apply all pending migrations atomically.
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      check(await new Migrator({ db: conn, provider: new InCodeMigrationProvider(dialect) }).migrateToLatest());
      await sql`commit`.execute(conn);
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });
}

function check({ error, results }: MigrationResultSet): void {
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(
    failed === undefined
      ? `Database migration could not run: ${reason}`
      : `Database migration "${failed}" failed: ${reason}`,
    { cause: error },
  );
}
