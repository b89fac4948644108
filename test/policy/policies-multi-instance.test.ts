import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * Issue 14: two instances on one Postgres. A policy set through one is obeyed by the other within
 * a second (LISTEN/NOTIFY, not a TTL), and an account's rate limit holds across both within ±10 %.
 */

let database: TestDatabase | undefined;
let a: TestServer;
let b: TestServer;
let upstream: Upstream;
let tokenA: string;
let tokenB: string;

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the multi-instance policy tests are SKIPPED\n\n');
    return;
  }
  const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), TOOLPROXY_ACCOUNT_CACHE_TTL_MS: '3600000' };
  a = await startTestServer({ database, env });
  b = await startTestServer({ database, env });
  upstream = await startUpstream();
  tokenA = await a.token();
  tokenB = await b.token();
});

after(async () => {
  await b?.close();
  await a?.close();
  await upstream?.close();
  await database?.cleanup();
});

/** Calls through b until it answers `status`; fails after a second. */
async function untilB(connection: string, status: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const response = await call(b, tokenB, connection, '/v1/customers');
    if (response.status === status) return Date.now() - started;
    if (Date.now() - started > 1000) assert.fail(`b did not answer ${status} within a second (last: ${response.status} ${response.body.toString()})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a policy set, changed and deleted on one instance applies on the other within a second', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  await connectApiKey(a, { name: 'crm', proxyUrl: upstream.url });
  assert.equal((await call(b, tokenB, 'crm', '/v1/customers')).status, 200, 'b has the account warm');

  assert.equal((await a.api('PUT', '/api/v1/connections/crm/policy', { paths: { deny: ['/v1/customers'] } })).status, 200);
  await untilB('crm', 403);
  assert.equal((await a.api('PUT', '/api/v1/connections/crm/policy', { paths: { deny: ['/v1/orders'] } })).status, 200);
  await untilB('crm', 200);
  assert.equal((await a.api('PUT', '/api/v1/connections/crm/policy', { read_only: true, paths: { allow: ['/v1/orders'] } })).status, 200);
  await untilB('crm', 403);
  assert.equal((await a.api('DELETE', '/api/v1/connections/crm/policy')).status, 204);
  await untilB('crm', 200);
});

test("an account's rate limit holds across two instances within ±10 %", async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  await connectApiKey(a, { name: 'limited', proxyUrl: upstream.url });
  // 100 per hour: the refill during the test is a fraction of one token.
  assert.equal((await a.api('PUT', '/api/v1/connections/limited/policy', { rate_limit: { requests: 100, per_seconds: 3600 } })).status, 200);
  // Both instances must see the policy before the count starts.
  await untilB('limited', 200);
  let admitted = 1;
  let limited = 0;
  const before = upstream.received.length;
  for (let round = 0; round < 15; round++) {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? call(a, tokenA, 'limited', '/v1/customers') : call(b, tokenB, 'limited', '/v1/customers'))),
    );
    for (const response of responses) {
      if (response.status === 200) admitted++;
      else if (response.status === 429) limited++;
      else assert.fail(`unexpected ${response.status} ${response.body.toString()}`);
    }
  }
  t.diagnostic(`admitted ${admitted}, limited ${limited}`);
  assert.equal(admitted + limited, 151);
  assert.ok(admitted >= 90 && admitted <= 110, `admitted ${admitted} of 151 with a limit of 100`);
  assert.equal(upstream.received.length - before, admitted - 1, 'the upstream saw exactly the admitted calls');
});
