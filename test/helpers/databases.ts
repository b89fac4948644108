import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store, type StoreOptions } from '../../src/store/store.ts';

export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  options: StoreOptions;
  cleanup(): Promise<void>;
}

const ADMIN_URL = process.env.TOOLPROXY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh, empty database per dialect: a SQLite file in a new temp dir and, when Postgres is
 * reachable, a new `tp_test_<random>` database. Postgres missing is loud, and fatal when
 * TOOLPROXY_REQUIRE_POSTGRES=1 (CI), so a green run never hides skipped Postgres tests.
 */
export async function withTestDatabases(): Promise<TestDatabase[]> {
  const databases = [await createSqliteDatabase()];
  try {
    databases.push(await createPostgresDatabase());
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') {
      await databases[0]!.cleanup();
      throw error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\n!!! Postgres not reachable at ${redact(ADMIN_URL)} (${reason}): Postgres tests SKIPPED\n\n`);
  }
  return databases;
}

/** An opened, migrated store on a fresh database of `kind`; Postgres must be reachable. */
export async function createTestStore(kind: 'sqlite' | 'postgres'): Promise<{ store: Store; cleanup(): Promise<void> }> {
  const database = kind === 'sqlite' ? await createSqliteDatabase() : await createPostgresDatabase();
  let store: Store;
  try {
    store = await openStore(database.options);
  } catch (error) {
    await database.cleanup();
    throw error;
  }
  return {
    store,
    async cleanup() {
      await store.close();
      await database.cleanup();
    },
  };
}

export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'tp-test-'));
  return {
    name: 'sqlite',
    options: { kind: 'sqlite', path: join(dir, 'toolproxy.db') },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function createPostgresDatabase(): Promise<TestDatabase> {
  const name = `tp_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name: 'postgres',
    options: { kind: 'postgres', url: url.toString(), poolSize: 10 },
    cleanup: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}
