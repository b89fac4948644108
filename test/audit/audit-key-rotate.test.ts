import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cli } from '../cli/run-cli.ts';
import { type TestDatabase, withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** `toolproxy keys rotate` leaves one `key.rotate` entry (the key's id, never the key), beside a running server's own. */

const databases: TestDatabase[] = await withTestDatabases();

for (const database of databases) {
  describe(`key rotation audit entry on ${database.name}`, () => {
    let server: TestServer;
    after(async () => {
      await server?.close();
      await database.cleanup();
    });

    test('keys rotate writes key.rotate; the chain with the server\'s entries still verifies', async () => {
      // SQLite: the server's own data dir (where `keys rotate` finds the key file and the database).
      server = await startTestServer(database.name === 'postgres' ? { database } : {});
      const env: Record<string, string> = { TOOLPROXY_DATA_DIR: server.dataDir, ...(database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url } : {}) };
      await server.api('POST', '/api/v1/clients', { name: 'before rotation' });
      await server.server.audit.flush();
      const rotated = await cli(['keys', 'rotate', '--json'], env);
      assert.equal(rotated.code, 0, rotated.stderr);
      const kid = JSON.parse(rotated.stdout).kid as string;
      await server.api('POST', '/api/v1/clients', { name: 'after rotation' });
      await server.server.audit.flush();
      const exported = await cli(['audit', 'export', '--from', '0', '--to', String(Date.now() + 60_000)], env);
      assert.equal(exported.code, 0, exported.stderr);
      const entries = exported.stdout.trim().split('\n').map((line) => JSON.parse(line));
      const rotations = entries.filter((e) => e.action === 'key.rotate');
      assert.equal(rotations.length, 1);
      assert.deepEqual(rotations[0].actor, { type: 'system', id: 'toolproxy keys rotate' });
      assert.deepEqual(rotations[0].target, { type: 'encryption_key', id: kid });
      assert.equal(rotations[0].outcome, 'ok');
      // In the order they happened: the bootstrap client made at first start, then around the rotation.
      assert.deepEqual(
        entries.filter((e) => e.action === 'api_client.create' || e.action === 'key.rotate').map((e) => e.details.name ?? e.action),
        ['bootstrap', 'before rotation', 'key.rotate', 'after rotation'],
      );
      const verified = await cli(['audit', 'verify', '--json'], env);
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      assert.equal(JSON.parse(verified.stdout).ok, true);
    });
  });
}
