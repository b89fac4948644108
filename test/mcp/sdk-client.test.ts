import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * Issue 13 "Done when" (a): the official MCP SDK client, with a session token the app minted,
 * against a real server whose tools run through /proxy to a real loopback upstream.
 */

let upstream: Upstream;
let server: TestServer;
let configId: string;
let mcpUrl: string;
const provider = new LoopbackToolProvider(TEST_TOOLS);
const ALICE_KEY = 'alice-acme-key-7f3a';

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), mcpToolProvider: provider });
  provider.attach(server);
  await createTestConnections(server.api, upstream.url);
  const alice = await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: 'acme',
    identifier: 'alice',
    authorization_details: { static_auth: { details: { api_key: ALICE_KEY } } },
  });
  assert.equal(alice.status, 201, alice.text);
  const created = await server.api('POST', '/api/v1/mcp/configs', {
    name: 'support-agent',
    description: 'Billing and notes for the support agent.',
    connection_tool_mappings: [
      { connection_name: 'acme', tools: [] },
      { connection_name: 'beta', tools: ['beta_me'] },
    ],
  });
  assert.equal(created.status, 201, created.text);
  configId = created.body.mcp_config.id;
  mcpUrl = created.body.mcp_config.mcp_server_url;
  assert.equal(mcpUrl, `${server.url}/mcp/${configId}`);
});
after(async () => {
  await server.close();
  await upstream.close();
});

async function sessionToken(identifier: string, expirySeconds?: number): Promise<string> {
  const minted = await server.api('POST', `/api/v1/mcp/configs/${configId}/session_tokens`, { identifier, ...(expirySeconds ? { expiry_seconds: expirySeconds } : {}) });
  assert.equal(minted.status, 201, minted.text);
  assert.equal(minted.body.mcp_server_url, mcpUrl);
  return minted.body.session_token;
}

async function connect(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'sdk-client-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  await client.connect(transport);
  return { client, transport };
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

test('the SDK client initializes, lists the tools of ACTIVE accounts, calls one, gets a link for the PENDING one and sees list_changed once it is authorized', async () => {
  const token = await sessionToken('alice');
  const { client, transport } = await connect(token);
  try {
    assert.equal(client.getServerVersion()?.name, 'toolproxy');
    assert.equal(client.getServerVersion()?.title, 'support-agent');
    assert.equal(transport.protocolVersion, '2025-11-25');
    assert.equal(transport.sessionId, undefined, 'stateless: no Mcp-Session-Id');
    assert.deepEqual(client.getServerCapabilities()?.tools, { listChanged: true });
    assert.equal(client.getInstructions(), 'Billing and notes for the support agent.');

    const listed = await client.listTools();
    assert.deepEqual(listed.tools.map((t) => t.name).sort(), ['acme_broken', 'acme_create_customer', 'acme_list_customers', 'authorize_beta']);
    const authorizeBeta = listed.tools.find((t) => t.name === 'authorize_beta')!;
    assert.match(authorizeBeta.description ?? '', /Beta Notes/);

    // An ACTIVE account: the upstream's answer, as text and (output schema) structured content.
    const before = upstream.received.length;
    const customers = (await client.callTool({ name: 'acme_list_customers', arguments: {} })) as CallToolResult;
    assert.equal(customers.isError, undefined);
    assert.deepEqual(customers.structuredContent, { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false });
    assert.deepEqual(JSON.parse(text(customers)), customers.structuredContent);
    const sent = upstream.received.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.headers['x-api-key'], ALICE_KEY, "alice's credential was injected");
    // Token passthrough is forbidden: the MCP token never reaches the upstream, in any header or the URL.
    assert.ok(!JSON.stringify(sent[0]!.headers).includes(token.slice(5, 40)));
    assert.ok(!sent[0]!.url.includes(token.slice(5, 40)));
    assert.equal(sent[0]!.headers.authorization, undefined);

    // A POST with a body, and an upstream 500 as a tool error the model can read.
    const createdCustomer = (await client.callTool({ name: 'acme_create_customer', arguments: { name: 'Grace' } })) as CallToolResult;
    assert.deepEqual(JSON.parse(text(createdCustomer)), { id: 'cus_2', received: { name: 'Grace' } });
    const broken = (await client.callTool({ name: 'acme_broken', arguments: {} })) as CallToolResult;
    assert.equal(broken.isError, true);
    assert.match(text(broken), /HTTP 500/);
    assert.match(text(broken), /upstream exploded/);
    const invalid = (await client.callTool({ name: 'acme_create_customer', arguments: { name: 42 } })) as CallToolResult;
    assert.equal(invalid.isError, true);
    assert.match(text(invalid), /\/name: must be a string/);

    // The PENDING connection: its authorize tool hands out a link to the hosted page.
    const authorization = (await client.callTool({ name: 'authorize_beta', arguments: {} })) as CallToolResult;
    assert.equal(authorization.isError, undefined);
    const link = (authorization.structuredContent as { authorization_link: string }).authorization_link;
    assert.match(link, new RegExp(`^${server.url}/connect/tpl_`));
    assert.ok(text(authorization).includes(link));
    assert.equal((authorization.structuredContent as { status: string }).status, 'PENDING_AUTH');

    // The user authorizes; the client's GET stream hears tools/list_changed.
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
    const form = await fetch(link, { method: 'POST', body: new URLSearchParams({ token: 'alice-beta-token' }) });
    assert.equal(form.status, 200, await form.text());
    await withTimeout(changed, 5000, 'notifications/tools/list_changed');
    const relisted = await client.listTools();
    assert.deepEqual(relisted.tools.map((t) => t.name).sort(), ['acme_broken', 'acme_create_customer', 'acme_list_customers', 'beta_me']);
    const me = (await client.callTool({ name: 'beta_me', arguments: {} })) as CallToolResult;
    assert.deepEqual(JSON.parse(text(me)), { ok: true });
    assert.equal(upstream.received.at(-1)!.headers.authorization, 'Bearer alice-beta-token');
  } finally {
    await client.close();
  }
});

test('a tool of a connection that is not ACTIVE answers with a fresh authorization link, and nothing reaches the upstream', async () => {
  const token = await sessionToken('bob');
  const { client } = await connect(token);
  try {
    const before = upstream.received.length;
    const result = (await client.callTool({ name: 'acme_list_customers', arguments: {} })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /Acme Billing/);
    const link = (result._meta as Record<string, string>)['toolproxy/authorization_link']!;
    assert.match(link, /\/connect\/tpl_/);
    assert.ok(text(result).includes(link));
    assert.equal(upstream.received.length, before);
    // Bob sees only the authorize tools: alice's accounts are not his.
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ['authorize_acme', 'authorize_beta']);
  } finally {
    await client.close();
  }
});

test('an unknown tool, and a tool outside the mappings, are JSON-RPC errors -32602 and run nothing', async () => {
  const { client } = await connect(await sessionToken('alice'));
  try {
    const calls = provider.calls.length;
    const sent = upstream.received.length;
    for (const name of ['no_such_tool', 'beta_hidden']) {
      await assert.rejects(client.callTool({ name, arguments: {} }), (error: { code?: number; message: string }) => {
        assert.equal(error.code, -32602);
        assert.match(error.message, new RegExp(`Unknown tool: ${name}`));
        return true;
      });
    }
    // The provider is asked with the config's mappings (beta maps only beta_me) and refuses both.
    assert.deepEqual(provider.calls.slice(calls).map((c) => c.name), ['no_such_tool', 'beta_hidden']);
    assert.equal(upstream.received.length, sent);
  } finally {
    await client.close();
  }
});

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
