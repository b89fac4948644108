import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolproxyApiError, ToolproxyClient } from '../../packages/sdk/src/index.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections } from '../helpers/mcp.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/** MCP configs and session tokens through the Node SDK; the token works with the official MCP client. */

let upstream: Upstream;
let server: TestServer;
let client: ToolproxyClient;
const APP = `http://127.0.0.1:${await freePort()}`;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: APP } });
  client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
  await createTestConnections(server.api, upstream.url);
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

test('client.mcp creates, lists, updates and deletes configs; a bad one lists every problem', async () => {
  const refused = await client.mcp.createConfig({ name: 'Bad!', connectionToolMappings: [{ connectionName: 'nope' }] }).catch((error: unknown) => error);
  assert.ok(refused instanceof ToolproxyApiError);
  assert.equal(refused.code, 'MCP_CONFIG_INVALID');
  assert.deepEqual(refused.problems.map((p) => p.path).sort(), ['/connection_tool_mappings/0/connection_name', '/name']);

  const config = await client.mcp.createConfig({ name: 'node-sdk', description: 'From Node', connectionToolMappings: [{ connectionName: 'acme', tools: ['acme_list_customers'] }, { connectionName: 'beta' }], userVerifyUrl: `${APP}/verify` });
  assert.equal(config.mcpServerUrl, `${server.url}/mcp/${config.id}`);
  assert.deepEqual(config.connectionToolMappings, [{ connectionName: 'acme', tools: ['acme_list_customers'] }, { connectionName: 'beta', tools: [] }]);
  assert.ok(config.createdAt instanceof Date);
  assert.ok((await client.mcp.listConfigs({ pageSize: 100 })).configs.some((c) => c.id === config.id));
  const updated = await client.mcp.updateConfig(config.id, { userVerifyUrl: null, name: 'node-sdk-2' });
  assert.equal(updated.userVerifyUrl, null);
  assert.equal(updated.name, 'node-sdk-2');
  assert.equal((await client.mcp.getConfig(config.id)).description, 'From Node');

  const token = await client.mcp.createSessionToken({ configId: config.id, identifier: 'node_user', expirySeconds: 300 });
  assert.ok(token.expiresAt.getTime() - Date.now() <= 300_000);
  const mcp = new Client({ name: 'node-sdk-test', version: '1' });
  await mcp.connect(new StreamableHTTPClientTransport(new URL(token.mcpServerUrl), { requestInit: { headers: { authorization: `Bearer ${token.sessionToken}` } } }));
  try {
    assert.deepEqual((await mcp.listTools()).tools.map((t) => t.name), ['authorize_acme', 'authorize_beta']);
  } finally {
    await mcp.close();
  }

  const accounts = await client.mcp.listConnectedAccounts({ configId: config.id, identifier: 'node_user', includeAuthLink: true });
  assert.deepEqual(accounts.map((a) => [a.connectionName, a.connector, a.status]), [['acme', 'Acme Billing', 'PENDING_AUTH'], ['beta', 'Beta Notes', 'PENDING_AUTH']]);
  assert.ok(accounts.every((a) => a.authorizationLink?.expiry instanceof Date && /\/connect\/tpl_/.test(a.authorizationLink.link)));

  await client.mcp.deleteConfig(config.id);
  const gone = await client.mcp.getConfig(config.id).catch((error: unknown) => error);
  assert.equal((gone as ToolproxyApiError).code, 'MCP_CONFIG_NOT_FOUND');
});

test('verifyConnectedAccountUser confirms an MCP client authorization too (no account in the answer)', async () => {
  const config = await client.mcp.createConfig({ name: 'node-sdk-verify', connectionToolMappings: [{ connectionName: 'acme' }], userVerifyUrl: `${APP}/verify` });
  const registered = (await (await fetch(`${server.url}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'x', redirect_uris: ['http://127.0.0.1:1/cb'], token_endpoint_auth_method: 'none' }) })).json()) as { client_id: string };
  const authorize = new URL(`${server.url}/oauth2/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: registered.client_id, redirect_uri: 'http://127.0.0.1:1/cb', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', resource: config.mcpServerUrl })) authorize.searchParams.set(k, v);
  const redirected = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
  assert.equal(redirected.origin, APP);
  const verified = await client.actions.verifyConnectedAccountUser({ authRequestId: redirected.searchParams.get('auth_request_id')!, identifier: 'node_user' });
  assert.equal(verified.connectedAccount, null);
  assert.match(verified.postUserVerifyRedirectUrl!, new RegExp(`^${server.url}/oauth2/consent/mar_`));
});
