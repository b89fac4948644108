import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections } from '../helpers/mcp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/** MCP server configs through the management API: CRUD, validation, session tokens, connected accounts. */

let upstream: Upstream;
let server: TestServer;
const APP = 'https://app.example.com';

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: APP } });
  await createTestConnections(server.api, upstream.url);
});
after(async () => {
  await server.close();
  await upstream.close();
});

test('an invalid config is refused with every problem listed', async () => {
  const response = await server.api('POST', '/api/v1/mcp/configs', {
    name: 'Bad Name!',
    description: 'x'.repeat(1001),
    connection_tool_mappings: [
      { connection_name: 'acme', tools: ['ok_tool', 'ok_tool', 'bad tool'] },
      { connection_name: 'acme', tools: [] },
      { connection_name: 'nope', tools: [] },
    ],
    user_verify_url: 'https://evil.example/verify',
    extra: true,
  });
  assert.equal(response.status, 422, response.text);
  assert.equal(response.body.error.code, 'MCP_CONFIG_INVALID');
  const paths = response.body.error.details.problems.map((p: { path: string }) => p.path).sort();
  assert.deepEqual(paths, [
    '/connection_tool_mappings/0/tools',
    '/connection_tool_mappings/0/tools/2',
    '/connection_tool_mappings/1/connection_name',
    '/connection_tool_mappings/2/connection_name',
    '/description',
    '/extra',
    '/name',
    '/user_verify_url',
  ]);
  const tooMany = await server.api('POST', '/api/v1/mcp/configs', {
    name: 'too-many',
    connection_tool_mappings: Array.from({ length: 26 }, (_, i) => ({ connection_name: `c${i}`, tools: [] })),
  });
  assert.equal(tooMany.status, 422);
  assert.ok(tooMany.body.error.details.problems.some((p: { path: string; message: string }) => p.path === '/connection_tool_mappings' && /at most 25/.test(p.message)));
  const missing = await server.api('POST', '/api/v1/mcp/configs', {});
  assert.deepEqual(missing.body.error.details.problems.map((p: { path: string }) => p.path).sort(), ['/connection_tool_mappings', '/name']);
});

test('create, get, list, update and delete a config; each has a stable URL', async () => {
  const created = await server.api('POST', '/api/v1/mcp/configs', {
    name: 'crud-test',
    connection_tool_mappings: [{ connection_name: 'acme', tools: ['acme_list_customers'] }],
    user_verify_url: `${APP}/verify`,
  });
  assert.equal(created.status, 201, created.text);
  const config = created.body.mcp_config;
  assert.match(config.id, /^mcp_[A-Za-z0-9_-]{20}$/);
  assert.equal(config.mcp_server_url, `${server.url}/mcp/${config.id}`);
  assert.deepEqual(config.connection_tool_mappings, [{ connection_name: 'acme', tools: ['acme_list_customers'] }]);
  assert.equal(config.description, '');
  assert.equal((await server.api('POST', '/api/v1/mcp/configs', { name: 'crud-test', connection_tool_mappings: [] })).body.error.code, 'MCP_CONFIG_EXISTS');

  assert.deepEqual((await server.api('GET', `/api/v1/mcp/configs/${config.id}`)).body.mcp_config, config);
  const listed = await server.api('GET', '/api/v1/mcp/configs?page_size=100');
  assert.ok(listed.body.mcp_configs.some((c: { id: string }) => c.id === config.id));

  const patched = await server.api('PATCH', `/api/v1/mcp/configs/${config.id}`, { description: 'now described', user_verify_url: null });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.mcp_config.description, 'now described');
  assert.equal(patched.body.mcp_config.user_verify_url, null);
  assert.equal(patched.body.mcp_config.name, 'crud-test');
  assert.equal(patched.body.mcp_config.mcp_server_url, config.mcp_server_url, 'the URL does not change');
  const badPatch = await server.api('PATCH', `/api/v1/mcp/configs/${config.id}`, { connection_tool_mappings: [{ connection_name: 'gone', tools: [] }] });
  assert.equal(badPatch.status, 422);

  const token = (await server.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'u1' })).body.session_token;
  assert.equal((await server.api('DELETE', `/api/v1/mcp/configs/${config.id}`)).status, 204);
  assert.equal((await server.api('GET', `/api/v1/mcp/configs/${config.id}`)).body.error.code, 'MCP_CONFIG_NOT_FOUND');
  assert.equal((await server.api('DELETE', `/api/v1/mcp/configs/${config.id}`)).status, 404);
  // Its tokens stop working at once.
  const call = await fetch(config.mcp_server_url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(call.status, 401);
  assert.equal(call.headers.get('x-toolproxy-error'), 'MCP_TOKEN_INVALID');
});

test('session tokens: 60 s to 24 h, 1 h by default, for a valid identifier of an existing config', async () => {
  const config = (await server.api('POST', '/api/v1/mcp/configs', { name: 'tokens', connection_tool_mappings: [] })).body.mcp_config;
  const before = Date.now();
  const minted = await server.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'user-1' });
  assert.equal(minted.status, 201, minted.text);
  assert.match(minted.body.session_token, /^tpms_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  assert.equal(minted.headers.get('cache-control'), 'no-store');
  const expiresIn = Date.parse(minted.body.expires_at) - before;
  assert.ok(expiresIn > 3_590_000 && expiresIn <= 3_601_000, `${expiresIn}`);
  assert.equal(minted.body.identifier, 'user-1');
  for (const expiry_seconds of [59, 86_401, 1.5]) {
    const refused = await server.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'user-1', expiry_seconds });
    assert.equal(refused.status, 400, `${expiry_seconds}`);
  }
  assert.equal((await server.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'user-1', expiry_seconds: 86_400 })).status, 201);
  assert.equal((await server.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'bad\nid' })).status, 400);
  assert.equal((await server.api('POST', '/api/v1/mcp/configs/mcp_nope/session_tokens', { identifier: 'u' })).body.error.code, 'MCP_CONFIG_NOT_FOUND');
  const unauthenticated = await fetch(`${server.url}/api/v1/mcp/configs/${config.id}/session_tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"identifier":"u"}' });
  assert.equal(unauthenticated.status, 401);
});

test('connected accounts of a config: status per mapped connection, and fresh links when asked', async () => {
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'carol', authorization_details: { static_auth: { details: { api_key: 'k' } } } });
  const config = (await server.api('POST', '/api/v1/mcp/configs', {
    name: 'accounts',
    connection_tool_mappings: [{ connection_name: 'acme', tools: [] }, { connection_name: 'beta', tools: [] }],
  })).body.mcp_config;
  const plain = await server.api('GET', `/api/v1/mcp/configs/${config.id}/connected_accounts?identifier=carol`);
  assert.equal(plain.status, 200, plain.text);
  assert.deepEqual(
    plain.body.connected_accounts.map((a: Record<string, unknown>) => [a.connection_name, a.connector, a.status, a.authorization_link]),
    [['acme', 'Acme Billing', 'ACTIVE', null], ['beta', 'Beta Notes', 'NOT_CONNECTED', null]],
  );
  const withLinks = await server.api('GET', `/api/v1/mcp/configs/${config.id}/connected_accounts?identifier=carol&include_auth_link=true`);
  const [acme, beta] = withLinks.body.connected_accounts;
  assert.equal(acme.authorization_link, null);
  assert.match(beta.authorization_link.link, /\/connect\/tpl_/);
  assert.equal(beta.status, 'PENDING_AUTH');
  assert.match(beta.connected_account_id, /^ca_/);
  assert.equal(withLinks.headers.get('cache-control'), 'no-store');
  assert.equal((await server.api('GET', `/api/v1/mcp/configs/${config.id}/connected_accounts`)).status, 400);
});

test('the OpenAPI document describes the MCP config API', async () => {
  const doc = (await server.api('GET', '/api/openapi.json')).body;
  for (const path of ['/api/v1/mcp/configs', '/api/v1/mcp/configs/{id}', '/api/v1/mcp/configs/{id}/session_tokens', '/api/v1/mcp/configs/{id}/connected_accounts']) {
    assert.ok(doc.paths[path], `${path} is documented`);
  }
  const body = doc.paths['/api/v1/mcp/configs'].post.requestBody.content['application/json'].schema;
  assert.equal(body.properties.connection_tool_mappings.maxItems, 25);
  assert.equal(body.properties.name.pattern, '^[a-z0-9_-]{1,100}$');
});
