import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { CANARY, execUpstream, ITEM, setUpExec } from '../tools/exec-fixtures.ts';

/**
 * MCP `tools/list` and `tools/call` over the real tools (the server's own ExecutorToolProvider,
 * no test provider): the official MCP SDK client with a session token, tool calls that reach a
 * loopback upstream with the user's injected credential through the proxy pipeline.
 */

const CAROL_KEY = 'sk_carol_key_5d2a';
let upstream: Upstream;
let server: TestServer;
let configId: string;
let mcpUrl: string;

before(async () => {
  upstream = await startUpstream(execUpstream);
  server = await startTestServer({ database: await createSqliteDatabase() });
  await setUpExec(server, upstream.url);
  const carol = await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'exec', identifier: 'carol', authorization_details: { static_auth: { details: { api_key: CAROL_KEY } } } });
  assert.equal(carol.status, 201, carol.text);
  const created = await server.api('POST', '/api/v1/mcp/configs', {
    name: 'exec-agent',
    connection_tool_mappings: [
      { connection_name: 'exec', tools: ['exec_item_get', 'exec_item_create', 'exec_status'] },
      { connection_name: 'other', tools: [] },
    ],
  });
  assert.equal(created.status, 201, created.text);
  configId = created.body.mcp_config.id;
  mcpUrl = created.body.mcp_config.mcp_server_url;
});
after(async () => {
  await server.close();
  await upstream.close();
});

async function connect(identifier: string): Promise<Client> {
  const minted = await server.api('POST', `/api/v1/mcp/configs/${configId}/session_tokens`, { identifier });
  assert.equal(minted.status, 201, minted.text);
  const client = new Client({ name: 'tools-exec-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${minted.body.session_token}` } } }));
  return client;
}

const text = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

test('tools/list shows the mapped tools of the ACTIVE account with hints; tools/call reaches the upstream with the user credential', async () => {
  const client = await connect('alice');
  try {
    const listed = await client.listTools();
    assert.deepEqual(listed.tools.map((t) => t.name).sort(), ['exec_item_create', 'exec_item_get', 'exec_status'], 'exec_items_list is not mapped');
    const get = listed.tools.find((t) => t.name === 'exec_item_get')!;
    assert.equal(get.title, 'Get an item');
    assert.equal(get.inputSchema.type, 'object');
    assert.deepEqual(get.inputSchema.required, ['id']);
    assert.equal(get.annotations?.readOnlyHint, true);
    assert.equal(listed.tools.find((t) => t.name === 'exec_item_create')!.annotations?.readOnlyHint, false);
    assert.equal((get._meta as Record<string, string>)['toolproxy/connection'], 'exec');

    const before = upstream.received.length;
    const result = (await client.callTool({ name: 'exec_item_get', arguments: { id: 'it_3' } })) as CallToolResult;
    assert.equal(result.isError, undefined, text(result));
    const projected = { id: 'it_3', name: ITEM.name, owner: { login: 'ada' } };
    assert.deepEqual(result.structuredContent, projected, 'structured: the tool has an output schema');
    assert.deepEqual(JSON.parse(text(result)), projected);
    const executionId = (result._meta as Record<string, string>)['toolproxy/execution_id']!;
    assert.match(executionId, /^ex_/);
    const sent = upstream.received.slice(before);
    assert.equal(sent.length, 1);
    assert.deepEqual([sent[0]!.url, sent[0]!.headers['x-api-key']], ['/v1/items/it_3', CANARY]);
    assert.equal(sent[0]!.headers.authorization, undefined, 'the MCP token is never passed upstream');

    const created = (await client.callTool({ name: 'exec_item_create', arguments: { name: 'Via MCP' } })) as CallToolResult;
    assert.deepEqual(JSON.parse(text(created)), { id: 'it_new', received: { name: 'Via MCP' } });

    const log = await server.api('GET', '/api/v1/request_log?door=mcp');
    const entry = log.body.entries.find((e: { execution_id: string }) => e.execution_id === executionId);
    assert.deepEqual([entry?.tool_name, entry?.identifier, entry?.actor?.type], ['exec_item_get', 'alice', 'mcp_client']);
  } finally {
    await client.close();
  }
});

test('an upstream 500 is isError; invalid input is isError and sends nothing; an unmapped tool is unknown', async () => {
  const client = await connect('alice');
  try {
    const broken = (await client.callTool({ name: 'exec_status', arguments: { code: 500 } })) as CallToolResult;
    assert.equal(broken.isError, true);
    assert.match(text(broken), /HTTP 500/);
    assert.match(text(broken), /upstream said 500/);
    const before = upstream.received.length;
    const invalid = (await client.callTool({ name: 'exec_item_get', arguments: { id: '../admin' } })) as CallToolResult;
    assert.equal(invalid.isError, true);
    assert.match(text(invalid), /\/id: must not/);
    await assert.rejects(client.callTool({ name: 'exec_items_list', arguments: {} }), /Unknown tool/);
    assert.equal(upstream.received.length, before, 'nothing was sent upstream');
  } finally {
    await client.close();
  }
});

test('an account that is not ACTIVE gets the authorization-link result, and nothing is sent', async () => {
  const client = await connect('bob');
  try {
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name), ['authorize_exec', 'authorize_other']);
    const before = upstream.received.length;
    const result = (await client.callTool({ name: 'exec_item_get', arguments: { id: 'a' } })) as CallToolResult;
    assert.equal(result.isError, true);
    const link = (result._meta as Record<string, string>)['toolproxy/authorization_link']!;
    assert.match(link, /\/connect\/tpl_/);
    assert.ok(text(result).includes(link));
    assert.equal(upstream.received.length, before);
  } finally {
    await client.close();
  }
});

test("a token of one identifier only ever reaches that identifier's account", async () => {
  const carol = await connect('carol');
  const alice = await connect('alice');
  try {
    await carol.callTool({ name: 'exec_item_get', arguments: { id: 'c' } });
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], CAROL_KEY);
    await alice.callTool({ name: 'exec_item_get', arguments: { id: 'a' } });
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], CANARY);
    // carol has no account on `other`: its tools are not hers, and no argument names an account.
    const listed = (await carol.listTools()).tools.map((t) => t.name);
    assert.ok(listed.includes('authorize_other'));
    const forged = (await carol.callTool({ name: 'exec_item_get', arguments: { id: 'x', identifier: 'alice', connected_account_id: 'ca_x' } })) as CallToolResult;
    assert.equal(forged.isError, true, 'extra arguments are refused by the input schema');
    assert.equal(upstream.received.at(-1)!.headers['x-api-key'], CANARY, 'nothing more was sent');
  } finally {
    await carol.close();
    await alice.close();
  }
  assert.ok(!server.logs.some((line) => line.includes(CANARY) || line.includes(CAROL_KEY)), 'no credential in the log');
});

test("a session token's own policy narrows what its agent may do: tools/list and every call are checked against it, and nothing refused is sent", async () => {
  const policy = { read_only: true, tools: ['exec_item_get', 'exec_item_create'] };
  const minted = await server.api('POST', `/api/v1/mcp/configs/${configId}/session_tokens`, { identifier: 'alice', policy });
  assert.equal(minted.status, 201, minted.text);
  const client = new Client({ name: 'tools-exec-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${minted.body.session_token}` } } }));
  try {
    assert.deepEqual((await client.listTools()).tools.map((t) => t.name).sort(), ['exec_item_create', 'exec_item_get'], 'the token narrows the config');
    const before = upstream.received.length;
    const refused = (await client.callTool({ name: 'exec_item_create', arguments: { name: 'Blocked' } })) as CallToolResult;
    assert.equal(refused.isError, true);
    assert.match(text(refused), /POLICY_DENIED/);
    assert.match(text(refused), /read_only/);
    assert.equal(upstream.received.length, before, 'nothing was sent upstream');
    await assert.rejects(client.callTool({ name: 'exec_status', arguments: { code: 200 } }), /Unknown tool/);
    const read = (await client.callTool({ name: 'exec_item_get', arguments: { id: 'it_9' } })) as CallToolResult;
    assert.equal(read.isError, undefined, text(read));
    assert.equal(upstream.received.length, before + 1);
  } finally {
    await client.close();
  }
  // A token without a policy on the same config still may write: the policy is the token's alone.
  const open = await connect('alice');
  try {
    assert.equal(((await open.callTool({ name: 'exec_item_create', arguments: { name: 'Allowed' } })) as CallToolResult).isError, undefined);
  } finally {
    await open.close();
  }
});

test('a session token policy that is malformed or too large is refused with every problem, naming where', async () => {
  const bad = await server.api('POST', `/api/v1/mcp/configs/${configId}/session_tokens`, { identifier: 'alice', policy: { read_only: 'yes', allowed_methods: ['FETCH'] } });
  assert.equal(bad.body.error.code, 'POLICY_INVALID', bad.text);
  const paths = bad.body.error.details.problems.map((p: { path: string }) => p.path).sort();
  assert.ok(paths.includes('/policy/read_only') && paths.some((p: string) => p.startsWith('/policy/allowed_methods')), bad.text);
  const huge = await server.api('POST', `/api/v1/mcp/configs/${configId}/session_tokens`, {
    identifier: 'alice',
    policy: { paths: { deny: Array.from({ length: 60 }, (_, i) => `/v1/blocked/area-${i}/**`) } },
  });
  assert.equal(huge.body.error.code, 'POLICY_INVALID', huge.text);
  assert.deepEqual(huge.body.error.details.problems.map((p: { path: string }) => p.path), ['/policy']);
});
