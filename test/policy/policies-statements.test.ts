import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { isBackgroundStatement, statementCounts } from '../helpers/statements.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * The policy step on the hot path (issue 14): with a policy, a call on a warm account still sends
 * no SQL (`toolproxy_db_statements_total`, as the bench reads it); with a rate limit on Postgres,
 * one statement per batch of tokens, not per call.
 */

const databases = await withTestDatabases();

async function onPathDuring(server: TestServer, token: string, calls: () => Promise<void>): Promise<[string, number][]> {
  const before = await statementCounts(server, token);
  await calls();
  const after = await statementCounts(server, token);
  return [...after].map(([key, count]) => [key, count - (before.get(key) ?? 0)] as [string, number]).filter(([key, added]) => added > 0 && !isBackgroundStatement(key));
}

for (const database of databases) {
  describe(`policy statements on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;
    let token: string;
    before(async () => {
      upstream = await startUpstream();
      server = await startTestServer({ database });
      token = await server.token();
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
      await database.cleanup();
    });

    test('a call checked against a policy on a warm account sends no statement', async () => {
      await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url });
      const put = await server.api('PUT', '/api/v1/connections/crm/policy', { allowed_methods: ['GET', 'POST'], paths: { allow: ['/v1/**'], deny: ['/v1/admin/**'] }, max_request_body_bytes: 4096 });
      assert.equal(put.status, 200);
      assert.equal((await call(server, token, 'crm', '/v1/me')).status, 200);
      const onPath = await onPathDuring(server, token, async () => {
        for (let i = 0; i < 20; i++) assert.equal((await call(server, token, 'crm', `/v1/customers?page=${i}`)).status, 200);
        assert.equal((await call(server, token, 'crm', '/v1/admin')).status, 403);
      });
      assert.deepEqual(onPath, []);
    });

    test('a rate-limited account sends no statement per call (SQLite), or one per batch of tokens (Postgres)', async () => {
      await connectApiKey(server, { name: 'rated', proxyUrl: upstream.url });
      // A batch is 1/50 of the bucket: 20 tokens for a bucket of 1000.
      assert.equal((await server.api('PUT', '/api/v1/connections/rated/policy', { rate_limit: { requests: 1000, per_seconds: 1 } })).status, 200);
      assert.equal((await call(server, token, 'rated', '/v1/me')).status, 200);
      const onPath = await onPathDuring(server, token, async () => {
        for (let i = 0; i < 40; i++) assert.equal((await call(server, token, 'rated', '/v1/customers')).status, 200);
      });
      if (database.name === 'sqlite') assert.deepEqual(onPath, []);
      else {
        const buckets = onPath.filter(([key]) => key === 'insert policy_rate_buckets').map(([, count]) => count)[0] ?? 0;
        assert.deepEqual(onPath.filter(([key]) => key !== 'insert policy_rate_buckets'), []);
        assert.ok(buckets >= 1 && buckets <= 3, `${buckets} bucket statements for 40 calls`);
      }
    });
  });
}
