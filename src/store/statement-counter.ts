import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryResult } from 'kysely';

/** One count per statement kind and table: `select connected_accounts`, `insert request_log`, `begin `. */
export interface StatementCount {
  statement: string;
  table: string;
  count: number;
}

const KINDS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback', 'savepoint', 'release', 'start']);
const FIRST_WORD = /^\s*([a-z]+)/i;
// Kysely quotes identifiers ("connected_accounts"); the hand-written statements do not.
const FIRST_TABLE = /\b(?:from|into|update)\s+"?([a-z_][a-z0-9_]*)/i;

/**
 * Counts the SQL statements the store sends, by kind and the first table the statement names
 * (`toolproxy_db_statements_total` on /metrics). It sits under Kysely, at the driver, so it sees
 * every statement: built queries, raw SQL, transaction control and the migrations. The bench
 * (bench/README.md) reads it around a load to show that a proxied call on a warm account sends
 * none. Cost: one regex pair per statement, and the hot path is meant to send none.
 */
export class StatementCounter {
  readonly #counts = new Map<string, StatementCount>();

  count(sql: string): void {
    const word = FIRST_WORD.exec(sql)?.[1]?.toLowerCase() ?? '';
    const statement = KINDS.has(word) ? (word === 'start' ? 'begin' : word) : 'other';
    const table = statement === 'select' || statement === 'insert' || statement === 'update' || statement === 'delete' ? (FIRST_TABLE.exec(sql)?.[1]?.toLowerCase() ?? '') : '';
    const key = `${statement} ${table}`;
    const entry = this.#counts.get(key);
    if (entry === undefined) this.#counts.set(key, { statement, table, count: 1 });
    else entry.count++;
  }

  /** A snapshot, one entry per kind and table seen so far. */
  counts(): StatementCount[] {
    return [...this.#counts.values()].map((entry) => ({ ...entry }));
  }

  /** Wraps a Kysely dialect so that every statement its connections run is counted here. */
  wrap(dialect: Dialect): Dialect {
    const counter = this;
    return {
      createAdapter: () => dialect.createAdapter(),
      createQueryCompiler: () => dialect.createQueryCompiler(),
      createIntrospector: (db: Kysely<any>) => dialect.createIntrospector(db),
      createDriver: () => new CountingDriver(dialect.createDriver(), counter),
    };
  }
}

type Compile = Parameters<NonNullable<Driver['savepoint']>>[2];

/** Hands out connections that count each statement, and gives the driver back its own. */
class CountingDriver implements Driver {
  readonly #driver: Driver;
  readonly #counter: StatementCounter;
  readonly #inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
  readonly #wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(driver: Driver, counter: StatementCounter) {
    this.#driver = driver;
    this.#counter = counter;
  }

  init(): Promise<void> {
    return this.#driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.#driver.acquireConnection();
    let wrapped = this.#wrapped.get(connection);
    if (wrapped === undefined) {
      const counter = this.#counter;
      wrapped = {
        executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
          counter.count(query.sql);
          return connection.executeQuery<R>(query);
        },
        streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
          counter.count(query.sql);
          return connection.streamQuery<R>(query, chunkSize);
        },
      };
      this.#wrapped.set(connection, wrapped);
      this.#inner.set(wrapped, connection);
    }
    return wrapped;
  }

  // Transaction control gets the driver's own connection (Postgres marks it for discard when a
  // rollback fails, through a private method the wrapper does not have) and is counted here.
  beginTransaction(connection: DatabaseConnection, settings: Parameters<Driver['beginTransaction']>[1]): Promise<void> {
    this.#counter.count('begin');
    return this.#driver.beginTransaction(this.#own(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#counter.count('commit');
    return this.#driver.commitTransaction(this.#own(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#counter.count('rollback');
    return this.#driver.rollbackTransaction(this.#own(connection));
  }

  savepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    this.#counter.count('savepoint');
    return this.#supported(this.#driver.savepoint).call(this.#driver, this.#own(connection), name, compile);
  }

  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    this.#counter.count('rollback');
    return this.#supported(this.#driver.rollbackToSavepoint).call(this.#driver, this.#own(connection), name, compile);
  }

  releaseSavepoint(connection: DatabaseConnection, name: string, compile: Compile): Promise<void> {
    this.#counter.count('release');
    return this.#supported(this.#driver.releaseSavepoint).call(this.#driver, this.#own(connection), name, compile);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#driver.releaseConnection(this.#own(connection));
  }

  destroy(): Promise<void> {
    return this.#driver.destroy();
  }

  #own(connection: DatabaseConnection): DatabaseConnection {
    return this.#inner.get(connection) ?? connection;
  }

  #supported<T>(method: T | undefined): T {
    if (method === undefined) throw new Error('this database driver does not support savepoints');
    return method;
  }
}
