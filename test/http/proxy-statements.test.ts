import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { isBackgroundStatement, statementCounts } from '../helpers/statements.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * Issue 15: a proxied call on a warm account sends no SQL statement. Counted by the store's
 * statement counter as /metrics exposes it (`toolproxy_db_statements_total`); the background
 * batches (request log, the last_used_at flush) run on timers and are told apart by table and
 * kind, as the bench does (bench/README.md); so is the audit trail's batch (docs/audit.md).
 */

const databases = await withTestDatabases();

/** `"<statement> <table>" → count` from a /metrics body. */
for (const database of databases) {
  describe(`statements per proxied call on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;
    let token: string;
    before(async () => {
      upstream = await startUpstream();
      server = await startTestServer({ database });
      await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url });
      token = await server.token();
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
      await database.cleanup();
    });

    test('/metrics counts statements by kind and table', async () => {
      const counts = await statementCounts(server, token);
      assert.ok((counts.get('insert connected_accounts') ?? 0) >= 1, JSON.stringify([...counts]));
      assert.ok((counts.get('select connections') ?? 0) >= 1);
    });

    test('a call on a warm account sends no statement outside the background batches', async () => {
      assert.equal((await call(server, token, 'crm', '/v1/me')).status, 200);
      const before = await statementCounts(server, token);
      for (let i = 0; i < 20; i++) {
        const response = await call(server, token, 'crm', `/v1/customers?page=${i}`, i % 2 ? { method: 'POST', body: '{}' } : {});
        assert.equal(response.status, i % 2 ? 201 : 200);
      }
      const after = await statementCounts(server, token);
      const onPath = [...after].map(([key, count]) => [key, count - (before.get(key) ?? 0)] as const).filter(([key, added]) => added > 0 && !isBackgroundStatement(key));
      assert.deepEqual(onPath, [], 'statements on the call path');
    });
  });
}
