import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { consentOverHttp, MemoryOAuthProvider, startVerifyingApp, type VerifyingApp } from '../helpers/mcp-oauth.ts';
import { TestBrowser } from '../helpers/oauth-provider.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * S13 for MCP: credentials planted in accounts never reach an MCP client, a log line or the
 * database in clear; the secrets MCP issues — session tokens, access and refresh tokens,
 * authorization codes, auth_request_ids, client secrets — appear in exactly one response (the
 * one that issues them), never in a log line, and never in the database (only digests).
 */

const canary = (name: string) => `canary_${name}_${randomBytes(9).toString('hex')}`;
const planted = { apiKey: canary('mcpkey'), bearer: canary('mcpbearer') };
const responses: string[] = [];
const realFetch = globalThis.fetch;

let upstream: Upstream;
let server: TestServer;
let database: TestDatabase;
let app: VerifyingApp;
const provider = new LoopbackToolProvider(TEST_TOOLS);

before(async () => {
  // Every response any client in this test gets from our server, headers and body.
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    const contentType = response.headers.get('content-type') ?? '';
    responses.push(JSON.stringify([...response.headers]));
    if (!contentType.startsWith('text/event-stream')) responses.push(await response.clone().text());
    return response;
  };
  upstream = await startUpstream();
  database = await createSqliteDatabase();
  const appPort = await freePort();
  server = await startTestServer({ database, mcpToolProvider: provider, env: { TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: `http://127.0.0.1:${appPort}` } });
  provider.attach(server);
  app = await startVerifyingApp(server.api, () => 'alice', appPort);
  await createTestConnections(server.api, upstream.url);
});
after(async () => {
  globalThis.fetch = realFetch;
  await server.close();
  await upstream.close();
  await app.close();
  await database.cleanup();
});

test('no MCP secret or planted credential leaks into responses, logs or the database', async () => {
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'alice', authorization_details: { static_auth: { details: { api_key: planted.apiKey } } } });
  const config = (await server.api('POST', '/api/v1/mcp/configs', { name: 'canary', connection_tool_mappings: [{ connection_name: 'acme', tools: [] }, { connection_name: 'beta', tools: [] }], user_verify_url: app.verifyUrl })).body.mcp_config;
  const issued: string[] = [];

  // A session token, its tools (ok, upstream error, invalid input), a link used with a planted bearer.
  const session = (await server.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'alice' })).body.session_token as string;
  issued.push(session);
  const client = new Client({ name: 'canary', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(config.mcp_server_url), { requestInit: { headers: { authorization: `Bearer ${session}` } } }));
  await client.callTool({ name: 'acme_list_customers', arguments: {} });
  await client.callTool({ name: 'acme_broken', arguments: {} });
  await client.callTool({ name: 'acme_create_customer', arguments: {} });
  const link = ((await client.callTool({ name: 'authorize_beta', arguments: {} })).structuredContent as { authorization_link: string }).authorization_link;
  await fetch(link, { method: 'POST', body: new URLSearchParams({ token: planted.bearer }) });
  await client.callTool({ name: 'beta_me', arguments: {} });
  await client.close();
  // Refused tokens are not echoed either.
  await fetch(config.mcp_server_url, { method: 'POST', headers: { authorization: `Bearer ${session}x`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });

  // OAuth: a confidential client (its secret), the flow, a refresh, a reuse that revokes.
  const redirectUrl = `http://127.0.0.1:${await freePort()}/callback`;
  const host = new MemoryOAuthProvider(redirectUrl, { token_endpoint_auth_method: 'client_secret_post', client_name: 'Canary Host' });
  const oauthClient = new Client({ name: 'canary-oauth', version: '1' });
  await assert.rejects(oauthClient.connect(new StreamableHTTPClientTransport(new URL(config.mcp_server_url), { authProvider: host })), UnauthorizedError);
  issued.push(String((host.clientInfo as { client_secret?: string }).client_secret));
  const { callback } = await consentOverHttp(new TestBrowser(), host.authorizationUrl!, redirectUrl);
  issued.push(callback.searchParams.get('code')!, ...app.verified.map((v) => v.authRequestId));
  const transport = new StreamableHTTPClientTransport(new URL(config.mcp_server_url), { authProvider: host });
  await transport.finishAuth(callback.searchParams.get('code')!);
  issued.push(host.savedTokens!.access_token, host.savedTokens!.refresh_token!);
  await oauthClient.connect(transport);
  await oauthClient.callTool({ name: 'acme_list_customers', arguments: {} });
  await oauthClient.close();
  const refreshed = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: host.savedTokens!.refresh_token!, client_id: String(host.clientInfo!.client_id), client_secret: issued[1]! }),
  });
  const rotated = (await refreshed.json()) as { access_token: string; refresh_token: string };
  issued.push(rotated.access_token, rotated.refresh_token);
  await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: host.savedTokens!.refresh_token!, client_id: String(host.clientInfo!.client_id), client_secret: issued[1]! }) });

  const dbDir = dirname(database.options.kind === 'sqlite' ? database.options.path : '');
  const haystacks = {
    responses: responses.join('\n'),
    logs: server.logs.join('\n'),
    database: readdirSync(dbDir).map((name) => readFileSync(join(dbDir, name)).toString('latin1')).join('\n'),
  };
  assert.ok(haystacks.logs.includes('mcp tool call') && haystacks.responses.length > 2000, 'the sweep has something to look at');
  const forms = (value: string) => [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url'), encodeURIComponent(value)];
  for (const secret of Object.values(planted)) {
    for (const [where, haystack] of Object.entries(haystacks)) {
      for (const form of forms(secret)) assert.ok(!haystack.includes(form), `a planted credential (${secret.slice(0, 16)}…) leaked into ${where}`);
    }
  }
  assert.equal(issued.length, 8);
  for (const secret of issued) {
    // The MAC or random part: a prefix alone is not a secret.
    const needle = secret.slice(-32);
    assert.ok(!haystacks.logs.includes(needle), `an issued MCP secret (${secret.slice(0, 8)}…) is in the logs`);
    assert.ok(!haystacks.database.includes(needle), `an issued MCP secret (${secret.slice(0, 8)}…) is stored in clear`);
    const inResponses = haystacks.responses.split(needle).length - 1;
    assert.equal(inResponses, 1, `an issued MCP secret (${secret.slice(0, 8)}…) appears in ${inResponses} responses, not only the one that issued it`);
  }
  // Stored as digests: the code's SHA-256 is what the database holds.
  assert.ok(haystacks.database.includes(createHash('sha256').update(issued[2]!).digest('hex')));
});
