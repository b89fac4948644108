import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * DESIGN.md §4: two instances on one Postgres, each caching accounts for an hour. A change made
 * through one reaches the other's cache by LISTEN/NOTIFY, long before the TTL would.
 */

const HOUR_MS = '3600000';
/** Far below the TTL: what "at once" means across a NOTIFY round trip. */
const PROPAGATION_MS = 3000;

let database: TestDatabase | undefined;
let a: TestServer;
let b: TestServer;
let upstream: Upstream;
let tokenB: string;

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the multi-instance cache invalidation tests are SKIPPED\n\n');
    return;
  }
  const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), TOOLPROXY_ACCOUNT_CACHE_TTL_MS: HOUR_MS };
  // The first instance migrates; the second starts after it on the same schema.
  a = await startTestServer({ database, env });
  b = await startTestServer({ database, env });
  upstream = await startUpstream();
  tokenB = await b.token();
});

after(async () => {
  await b?.close();
  await a?.close();
  await upstream?.close();
  await database?.cleanup();
});

/** Calls through b until `accept` holds, failing after PROPAGATION_MS. */
async function untilB(connection: string, what: string, accept: (status: number, errorCode: string | undefined) => boolean): Promise<void> {
  const deadline = Date.now() + PROPAGATION_MS;
  for (;;) {
    const response = await call(b, tokenB, connection, '/customers');
    if (accept(response.status, response.headers['x-toolproxy-error'] as string | undefined)) return;
    if (Date.now() > deadline) assert.fail(`instance b did not see ${what} within ${PROPAGATION_MS} ms (last: ${response.status} ${response.body.toString()})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const lastApiKey = () => upstream.received.at(-1)?.headers['x-api-key'];

async function sql(text: string, values: unknown[] = []): Promise<void> {
  if (database?.options.kind !== 'postgres') throw new Error('expected Postgres');
  const client = new pg.Client({ connectionString: database.options.url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

test('new credentials submitted on one instance reach the upstream through the other at once', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  await connectApiKey(a, { name: 'crm', proxyUrl: `${upstream.url}/v1`, apiKey: 'sk_first' });
  assert.equal((await call(b, tokenB, 'crm', '/customers')).status, 200);
  assert.equal(lastApiKey(), 'sk_first', 'b has resolved (and cached) the account');

  const patched = await a.api('PATCH', '/api/v1/connections/crm/connected_accounts/user_1', {
    authorization_details: { static_auth: { details: { api_key: 'sk_second' } } },
  });
  assert.equal(patched.status, 200, patched.text);
  await untilB('crm', 'the new credential', (status) => status === 200 && lastApiKey() === 'sk_second');
});

test('a connection disabled and enabled again on one instance is obeyed by the other at once', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  await connectApiKey(a, { name: 'tickets', proxyUrl: `${upstream.url}/v1` });
  assert.equal((await call(b, tokenB, 'tickets', '/customers')).status, 200);

  assert.equal((await a.api('PATCH', '/api/v1/connections/tickets', { enabled: false })).status, 200);
  await untilB('tickets', 'the disabled connection', (status, code) => status === 409 && code === 'CONNECTION_DISABLED');
  assert.equal((await a.api('PATCH', '/api/v1/connections/tickets', { enabled: true })).status, 200);
  await untilB('tickets', 'the enabled connection', (status) => status === 200);
});

test('an account deleted on one instance is gone on the other at once', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  await connectApiKey(a, { name: 'mail', proxyUrl: `${upstream.url}/v1` });
  assert.equal((await call(b, tokenB, 'mail', '/customers')).status, 200);

  assert.equal((await a.api('DELETE', '/api/v1/connections/mail/connected_accounts/user_1')).status, 204);
  await untilB('mail', 'the deletion', (status, code) => status === 404 && code === 'ACCOUNT_NOT_FOUND');
});

test('after its listener session is killed, an instance reconnects and drops what it cached meanwhile', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  // Set up through b itself: its own writes reach its cache synchronously, so no notification
  // from a can arrive late and drop what b is about to cache.
  await connectApiKey(b, { name: 'files', proxyUrl: `${upstream.url}/v1` });
  assert.equal((await call(b, tokenB, 'files', '/customers')).status, 200);

  // A change no instance announces (as if its NOTIFY were lost): b keeps serving its cached copy.
  await sql(`update connected_accounts set status = 'EXPIRED' where identifier = 'user_1' and connection_id = (select id from connections where name = 'files')`);
  assert.equal((await call(b, tokenB, 'files', '/customers')).status, 200, 'b answers from its cache');

  const listening = () => b.logs.filter((line) => line.includes('listening for changes made by other instances')).length;
  const before = listening();
  await sql(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'toolproxy-change-listener' and datname = current_database()`);
  const deadline = Date.now() + PROPAGATION_MS;
  while (listening() === before) {
    if (Date.now() > deadline) assert.fail('b did not reconnect its listener');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(b.logs.some((line) => line.includes('lost the change listener connection')));

  const response = await call(b, tokenB, 'files', '/customers');
  assert.equal(response.headers['x-toolproxy-error'], 'ACCOUNT_EXPIRED', 'b read the account again');
});
