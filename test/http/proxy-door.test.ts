import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * The `/proxy` front door of the pipeline: what its request log entries say (door, actor, the
 * routing of a call refused after its account was resolved) and refusals in the documented
 * error shape, logged below error level.
 */

let upstream: Upstream;
let server: TestServer;
let token: string;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase() });
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, identifier: 'alice' });
  token = await server.token();
});
after(async () => {
  await server.close();
  await upstream.close();
});

async function entries(query = ''): Promise<any[]> {
  const list = await server.api('GET', `/api/v1/request_log?limit=500${query}`);
  assert.equal(list.status, 200, list.text);
  return list.body.entries;
}

/** One raw exchange with node:http, so any method (QUERY) and any header set can be sent. */
function exchange(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${path}`, { method, agent: false, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('the request log of /proxy calls', () => {
  test('says the call came through the proxy door and which API client made it', async () => {
    assert.equal((await call(server, token, 'crm', '/v1/customers?actor=1', { identifier: 'alice' })).status, 200);
    const entry = (await entries()).find((e) => e.path === '/v1/customers?actor=…');
    assert.ok(entry);
    assert.equal(entry.door, 'proxy');
    assert.deepEqual(entry.actor, { type: 'api_client', id: server.clientId });
    assert.equal(entry.tool_name, null);
    assert.equal(entry.execution_id, null);
  });

  test('filters by door; a door that does not exist is VALIDATION_FAILED', async () => {
    const proxied = await entries('&door=proxy');
    assert.ok(proxied.length > 0);
    assert.ok(proxied.every((e) => e.door === 'proxy'));
    assert.deepEqual(await entries('&door=tool'), []);
    assert.deepEqual(await entries('&tool_name=create_customer'), []);
    const bad = await server.api('GET', '/api/v1/request_log?door=backdoor');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  });
});

describe('a call refused after its account was resolved keeps its routing (issue 16)', () => {
  let strict: TestServer;
  before(async () => {
    // Production defaults: loopback is not an allowed upstream address.
    strict = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_EGRESS_ALLOW_CIDRS: '' } });
    await connectApiKey(strict, { name: 'internal', proxyUrl: upstream.url, identifier: 'bob' });
  });
  after(() => strict.close());

  test('UPSTREAM_ADDRESS_FORBIDDEN is logged with the connection, the identifier and the account', async () => {
    const refused = await call(strict, await strict.token(), 'internal', '/v1/customers', { identifier: 'bob' });
    assert.equal(refused.status, 403);
    assert.equal(refused.headers['x-toolproxy-error'], 'UPSTREAM_ADDRESS_FORBIDDEN');
    const account = (await strict.api('GET', '/api/v1/connections/internal/connected_accounts/bob')).body.connected_account;
    const [entry] = (await strict.api('GET', '/api/v1/request_log')).body.entries;
    assert.equal(entry.error_code, 'UPSTREAM_ADDRESS_FORBIDDEN');
    assert.equal(entry.connection_name, 'internal');
    assert.equal(entry.identifier, 'bob');
    assert.equal(entry.account_id, account.id);
  });

  test('so is a call refused because the account is not active', async () => {
    await strict.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'internal', identifier: 'carol' });
    const refused = await call(strict, await strict.token(), 'internal', '/v1/customers', { identifier: 'carol' });
    assert.equal(refused.headers['x-toolproxy-error'], 'ACCOUNT_NOT_ACTIVE');
    const [entry] = (await strict.api('GET', '/api/v1/request_log')).body.entries;
    assert.equal(entry.error_code, 'ACCOUNT_NOT_ACTIVE');
    assert.equal(entry.identifier, 'carol');
    assert.match(entry.account_id, /^ca_/);
  });
});

describe('methods the proxy refuses (P18)', () => {
  for (const [label, headers, body] of [
    ['QUERY without a Content-Type (issue 16)', {}, 'q=1'],
    ['QUERY with a Content-Type', { 'content-type': 'application/json' }, '{"q":1}'],
    ['TRACE', {}, undefined],
  ] as const) {
    test(`${label} is 400 INVALID_METHOD in the documented shape, nothing goes upstream, and no error-level log line`, async () => {
      const method = label.split(' ')[0]!;
      const sent = upstream.received.length;
      const logged = server.logs.length;
      const response = await exchange(method, `/proxy/v1/customers?refused=${method}`, { authorization: `Bearer ${token}`, connection_name: 'crm', identifier: 'alice', ...headers }, body);
      assert.equal(response.status, 400, response.text);
      assert.equal(response.headers['x-toolproxy-error'], 'INVALID_METHOD');
      const error = JSON.parse(response.text).error;
      assert.equal(error.code, 'INVALID_METHOD');
      assert.equal(typeof error.message, 'string');
      assert.equal(error.details.method, method);
      assert.equal(upstream.received.length, sent);
      const errorLines = server.logs.slice(logged).filter((line) => JSON.parse(line).level >= 50);
      assert.deepEqual(errorLines, []);
      const entry = (await entries()).find((e) => e.path === `/v1/customers?refused=…`);
      assert.equal(entry.error_code, 'INVALID_METHOD');
      assert.equal(entry.method, method);
    });
  }

  test('the refusal needs an app token first, like every proxy call', async () => {
    const response = await exchange('QUERY', '/proxy/v1/customers', { connection_name: 'crm', identifier: 'alice' }, 'q=1');
    assert.equal(response.status, 401);
    assert.equal(response.headers['x-toolproxy-error'], 'UNAUTHENTICATED');
  });
});
