import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createServer, type Server } from '../../src/server.ts';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';

/**
 * One bootstrap API client per database: instances that share a Postgres database, each with its
 * own data dir and all starting at once, create exactly one; the others name it without a secret.
 */

let database: TestDatabase | undefined;
const dirs: string[] = [];
const servers: Server[] = [];

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the bootstrap-per-database tests are SKIPPED\n\n');
  }
});
after(async () => {
  for (const server of servers) await server.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  await database?.cleanup();
});

async function instance(encryptionKey: string): Promise<{ server: Server; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tp-bootstrap-'));
  dirs.push(dataDir);
  const url = (database!.options as { url: string }).url;
  const server = await createServer(loadConfig({ TOOLPROXY_DATA_DIR: dataDir, DATABASE_URL: url, TOOLPROXY_ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'silent' }));
  servers.push(server);
  return { server, dataDir };
}

describe('the bootstrap client with several instances on one Postgres', () => {
  test('three instances starting together, each with its own data dir, create one bootstrap client', async (t) => {
    if (!database) return t.skip('Postgres not reachable');
    const key = randomBytes(32).toString('base64');
    // The first start migrates the schema; the three under test then race on an empty api_clients.
    const migratorDir = await mkdtemp(join(tmpdir(), 'tp-bootstrap-'));
    dirs.push(migratorDir);
    const first = await createServer(loadConfig({ TOOLPROXY_DATA_DIR: migratorDir, DATABASE_URL: (database.options as { url: string }).url, TOOLPROXY_ENCRYPTION_KEY: key, TOOLPROXY_BOOTSTRAP_CLIENT_ID: 'migrator', TOOLPROXY_BOOTSTRAP_CLIENT_SECRET: 'm'.repeat(32), LOG_LEVEL: 'silent' }));
    await first.store.db.deleteFrom('api_clients').execute();
    await first.close();

    const started = await Promise.all([instance(key), instance(key), instance(key)]);
    const rows = await started[0]!.server.store.db.selectFrom('api_clients').selectAll().execute();
    assert.equal(rows.filter((row) => row.is_bootstrap === 1).length, 1, 'one bootstrap client in the database');
    const creators = started.filter(({ server }) => server.bootstrap.created);
    assert.equal(creators.length, 1, 'one instance created it');
    const creator = creators[0]!;
    assert.equal(creator.server.bootstrap.source, 'file');
    assert.ok(existsSync(join(creator.dataDir, 'bootstrap-client.json')));
    for (const other of started.filter((s) => s !== creator)) {
      assert.deepEqual(other.server.bootstrap, { source: 'database', clientId: rows[0]!.client_id, created: false });
      assert.ok(!existsSync(join(other.dataDir, 'bootstrap-client.json')), 'no credentials file for a client this instance did not create');
    }

    // A restart of any of them creates nothing more.
    const again = await instance(key);
    assert.equal(again.server.bootstrap.source, 'database');
    assert.equal((await again.server.store.db.selectFrom('api_clients').select('id').execute()).length, 1);
  });
});
