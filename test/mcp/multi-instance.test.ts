import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * DESIGN.md §9: MCP is stateless across instances. Two instances share one Postgres database and
 * one public URL (as behind a load balancer that is not sticky). The SDK client's POSTs alternate
 * between them; its notification stream (GET) is held by instance A; the user authorizes the
 * pending account through instance B; A's stream hears tools/list_changed through the change
 * relay (Postgres LISTEN/NOTIFY).
 */

let database: TestDatabase | undefined;
let upstream: Upstream;
const instances: TestServer[] = [];
const posted: string[] = [];

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the multi-instance MCP test is SKIPPED\n\n');
    return;
  }
  upstream = await startUpstream();
  const [portA, portB] = [await freePort(), await freePort()];
  const env = {
    TOOLPROXY_PUBLIC_URL: `http://127.0.0.1:${portA}`,
    TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOOLPROXY_BOOTSTRAP_CLIENT_ID: 'tp-mcp-multi',
    TOOLPROXY_BOOTSTRAP_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  };
  for (const [port, extraHost] of [[portA, ''], [portB, `127.0.0.1:${portB}`]] as const) {
    const provider = new LoopbackToolProvider(TEST_TOOLS);
    const server = await startTestServer({ database, port, mcpToolProvider: provider, env: { ...env, ...(extraHost ? { TOOLPROXY_MCP_ALLOWED_HOSTS: extraHost } : {}) } });
    provider.attach(server);
    instances.push(server);
  }
});
after(async () => {
  for (const server of instances) await server.close();
  await upstream?.close();
  await database?.cleanup();
});

test('POSTs on any instance, the stream on another, list_changed across instances', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const [a, b] = instances as [TestServer, TestServer];
  await createTestConnections(a.api, upstream.url);
  await a.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'alice', authorization_details: { static_auth: { details: { api_key: 'alice-key' } } } });
  const config = (await a.api('POST', '/api/v1/mcp/configs', { name: 'multi', connection_tool_mappings: [{ connection_name: 'acme', tools: [] }, { connection_name: 'beta', tools: [] }] })).body.mcp_config;
  // Minted by B, used on both: the token is verified by its MAC, with no shared memory.
  const token = (await b.api('POST', `/api/v1/mcp/configs/${config.id}/session_tokens`, { identifier: 'alice' })).body.session_token;

  let turn = 0;
  const balancer: typeof fetch = (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const target = init?.method === 'GET' ? a : [a, b][turn++ % 2]!;
    if (init?.method !== 'GET') posted.push(target.url);
    return fetch(`${target.url}${url.pathname}${url.search}`, init);
  };
  const client = new Client({ name: 'multi-instance', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(config.mcp_server_url), { fetch: balancer, requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  try {
    const first = await client.listTools();
    assert.deepEqual(first.tools.map((tool) => tool.name).sort(), ['acme_broken', 'acme_create_customer', 'acme_list_customers', 'authorize_beta']);
    const called = (await client.callTool({ name: 'acme_list_customers', arguments: {} })) as CallToolResult;
    assert.deepEqual(called.structuredContent, { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false });
    assert.ok(posted.includes(a.url) && posted.includes(b.url), `POSTs went to both instances: ${posted.join(', ')}`);

    const authorize = (await client.callTool({ name: 'authorize_beta', arguments: {} })) as CallToolResult;
    const link = new URL((authorize.structuredContent as { authorization_link: string }).authorization_link);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    // The user's browser reaches instance B; the stream is on A.
    const submitted = await fetch(`${b.url}${link.pathname}`, { method: 'POST', body: new URLSearchParams({ token: 'alice-beta' }) });
    assert.equal(submitted.status, 200);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([changed, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('no list_changed across instances')), 10_000)))]).finally(() => clearTimeout(timer));
    const after = await client.listTools();
    assert.ok(after.tools.some((tool) => tool.name === 'beta_me'));
    assert.ok(!after.tools.some((tool) => tool.name === 'authorize_beta'));
  } finally {
    await client.close();
  }
});
