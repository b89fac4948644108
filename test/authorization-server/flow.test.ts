import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { consentOverHttp, MemoryOAuthProvider, startVerifyingApp, type VerifyingApp } from '../helpers/mcp-oauth.ts';
import { TestBrowser } from '../helpers/oauth-provider.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * Issue 13 "Done when" (b): an agent host connects by itself, with the MCP SDK client's own OAuth
 * support (OAuthClientProvider + auth()): 401 → protected resource metadata → authorization
 * server metadata → dynamic registration → authorize (the app's user verification, then consent,
 * over HTTP) → token → tool calls; then the access token expires and is refreshed (rotated).
 */

let upstream: Upstream;
let server: TestServer;
let app: VerifyingApp;
let mcpUrl: string;
let configId: string;
let offsetMs = 0;
const provider = new LoopbackToolProvider(TEST_TOOLS);
const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;

before(async () => {
  upstream = await startUpstream();
  const appPort = await freePort();
  server = await startTestServer({
    database: await createSqliteDatabase(),
    mcpToolProvider: provider,
    clock: () => Date.now() + offsetMs,
    env: { TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: `http://127.0.0.1:${appPort}` },
  });
  provider.attach(server);
  app = await startVerifyingApp(server.api, () => 'alice', appPort);
  await createTestConnections(server.api, upstream.url);
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'alice', authorization_details: { static_auth: { details: { api_key: 'alice-key' } } } });
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'bob', authorization_details: { static_auth: { details: { api_key: 'bob-key' } } } });
  const created = await server.api('POST', '/api/v1/mcp/configs', { name: 'agent-host', connection_tool_mappings: [{ connection_name: 'acme', tools: [] }], user_verify_url: app.verifyUrl });
  assert.equal(created.status, 201, created.text);
  configId = created.body.mcp_config.id;
  mcpUrl = created.body.mcp_config.mcp_server_url;
});
after(async () => {
  await server.close();
  await upstream.close();
  await app.close();
});

test('the SDK client walks the whole MCP authorization flow by itself, then calls a tool for the verified user', async () => {
  const requests: string[] = [];
  const recording: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const response = await fetch(input, init);
    requests.push(`${init?.method ?? 'GET'} ${url.pathname} ${response.status}`);
    return response;
  };
  const host = new MemoryOAuthProvider(redirectUrl);
  const client = new Client({ name: 'agent-host', version: '1.0.0' });
  await assert.rejects(client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: host, fetch: recording })), UnauthorizedError);
  const path = new URL(mcpUrl).pathname;
  assert.deepEqual(requests, [
    `POST ${path} 401`,
    `GET /.well-known/oauth-protected-resource${path} 200`,
    'GET /.well-known/oauth-authorization-server 200',
    'POST /oauth2/register 201',
  ]);
  assert.match(String(host.clientInfo?.client_id), /^tpmc_/);

  const authorizationUrl = host.authorizationUrl!;
  assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${server.url}/oauth2/authorize`);
  assert.equal(authorizationUrl.searchParams.get('resource'), mcpUrl);
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authorizationUrl.searchParams.get('scope'), 'tools:read tools:call');

  const browser = new TestBrowser();
  const { callback, consentHtml } = await consentOverHttp(browser, authorizationUrl, redirectUrl);
  assert.deepEqual(app.verified.map((v) => [v.identifier, v.status]), [['alice', 200]]);
  assert.ok(app.verified[0]!.authRequestId.startsWith('tpmar_'));
  for (const shown of ['Test Agent Host', 'agent-host', 'Acme Billing', new URL(redirectUrl).host, 'Run those tools']) assert.ok(consentHtml.includes(shown), `the consent page names ${shown}`);
  assert.equal(callback.searchParams.get('iss'), server.url, 'RFC 9207 iss');
  const code = callback.searchParams.get('code')!;
  assert.match(code, /^tpmac_/);

  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: host, fetch: recording });
  await transport.finishAuth(code);
  assert.equal(requests.at(-1), 'POST /oauth2/token 200');
  const tokens = host.savedTokens!;
  assert.match(tokens.access_token, /^tpma_/);
  assert.match(tokens.refresh_token!, /^tpmrt_/);
  assert.equal(tokens.expires_in, 900);
  assert.equal(tokens.scope, 'tools:read tools:call');

  await client.connect(transport);
  try {
    const tools = await client.listTools();
    assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['acme_broken', 'acme_create_customer', 'acme_list_customers']);
    const sent = upstream.received.length;
    const result = (await client.callTool({ name: 'acme_list_customers', arguments: {} })) as CallToolResult;
    assert.deepEqual(result.structuredContent, { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false });
    const received = upstream.received.slice(sent);
    assert.equal(received.length, 1);
    assert.equal(received[0]!.headers['x-api-key'], 'alice-key', 'the account of the identifier the app verified');
    // Token passthrough is forbidden: the client's access token never reaches the upstream.
    assert.ok(!JSON.stringify(received[0]!.headers).includes(tokens.access_token.slice(5, 45)));
    assert.equal(received[0]!.headers.authorization, undefined);
    assert.equal(provider.calls.at(-1)!.scope.actor.id, `oauth:${host.clientInfo!.client_id}`);

    // 16 minutes on, the access token has expired: the SDK refreshes it (rotation) and retries.
    offsetMs += 16 * 60_000;
    const firstRefresh = tokens.refresh_token!;
    const again = (await client.callTool({ name: 'acme_list_customers', arguments: {} })) as CallToolResult;
    assert.equal(again.isError, undefined);
    const sinceExpiry = requests.slice(requests.lastIndexOf(`POST ${path} 401`));
    assert.deepEqual(sinceExpiry.filter((r) => !r.startsWith('GET /.well-known')), [`POST ${path} 401`, 'POST /oauth2/token 200', `POST ${path} 200`], 'a 401, a refresh, the retry');
    assert.notEqual(host.savedTokens!.refresh_token, firstRefresh, 'the refresh token rotated');
    assert.notEqual(host.savedTokens!.access_token, tokens.access_token);

    // Someone replays the rotated refresh token: the whole grant is revoked, the live access token with it.
    const replay = await fetch(`${server.url}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: firstRefresh, client_id: String(host.clientInfo!.client_id) }),
    });
    assert.equal(replay.status, 400);
    assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
    const revoked = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${host.savedTokens!.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    assert.equal(revoked.status, 401);
    assert.equal(revoked.headers.get('x-toolproxy-error'), 'MCP_TOKEN_INVALID');
    const metrics = await server.api('GET', '/metrics');
    assert.match(metrics.text, /toolproxy_mcp_oauth_events_total\{event="refresh_reuse_revoked"\} 1/);
    assert.match(metrics.text, /toolproxy_mcp_messages_total\{method="tools\/call",token="access"\} \d+/);
  } finally {
    await client.close();
  }
});

test('the metadata documents say what MCP clients need (RFC 8414, RFC 9728)', async () => {
  const as = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
  assert.equal(as.issuer, server.url);
  assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
  assert.equal(as.client_id_metadata_document_supported, true);
  assert.equal(as.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(as.grant_types_supported, ['authorization_code', 'refresh_token']);
  assert.deepEqual(as.response_types_supported, ['code']);
  assert.equal(as.registration_endpoint, `${server.url}/oauth2/register`);
  const prm = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp/${configId}`);
  assert.equal(prm.headers.get('access-control-allow-origin'), '*');
  assert.deepEqual(await prm.json(), { resource: mcpUrl, authorization_servers: [server.url], scopes_supported: ['tools:read', 'tools:call'], bearer_methods_supported: ['header'], resource_name: 'agent-host' });
  const root = (await (await fetch(`${server.url}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
  assert.deepEqual(root.authorization_servers, [server.url]);
  assert.equal((await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp/mcp_nope`)).status, 404);
});
