import type { Kysely } from 'kysely';
import { createRepositories } from './create-repositories.ts';
import type { StoreDialect } from './dialect.ts';
import { migrateToLatest } from './migrate.ts';
import type { Repositories } from './repositories.ts';
import type { Database } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import { StatementCounter } from './statement-counter.ts';

export type { StoreDialect } from './dialect.ts';

export interface Store extends Repositories {
  readonly dialect: StoreDialect;
  /** For health checks and housekeeping only; services go through the repositories. */
  readonly db: Kysely<Database>;
  /** Statements sent so far, by kind and table (`toolproxy_db_statements_total` on /metrics). */
  readonly statements: StatementCounter;
  /** Runs `fn` in one transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (repos: Repositories) => Promise<T>): Promise<T>;
  /** Closes the database (idempotent). */
  close(): Promise<void>;
}

export type StoreOptions =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; poolSize?: number };

/** Opens the database and migrates it to the latest schema before returning. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const dialect: StoreDialect = options.kind;
  // pg is loaded only when Postgres is used: the embedded default does not pay its memory.
  const statements = new StatementCounter();
  const db = options.kind === 'sqlite'
    ? openSqlite(options.path, statements)
    : (await import('./postgres.ts')).openPostgres(options.url, options.poolSize, statements);

  try {
    await migrateToLatest(db, dialect);
  } catch (error) {
    // The migration error is the one to report; a failure to close behind it adds nothing.
    await db.destroy().catch(() => undefined);
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    ...createRepositories(db, dialect),
    dialect,
    db,
    statements,
    transaction: (fn) => db.transaction().execute((trx) => fn(createRepositories(trx, dialect))),
    close: () => (closing ??= db.destroy()),
  };
}
