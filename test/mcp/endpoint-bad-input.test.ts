import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { McpTokenSigner } from '../../src/mcp/tokens.ts';
import { deriveSubkeys } from '../../src/vault/keyring.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * Bad input at the MCP endpoint, each refused with the status and error the specs name (MCP
 * basic/transports and basic/authorization, RFC 6750, RFC 8707), and nothing run: the tool
 * provider is never asked and the upstream never called.
 */

let upstream: Upstream;
let server: TestServer;
let configId: string;
let otherConfigId: string;
let mcpUrl: string;
let offsetMs = 0;
const provider = new LoopbackToolProvider(TEST_TOOLS);
const ACCEPT = 'application/json, text/event-stream';
const toolCall = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'acme_list_customers', arguments: {} } };
const initialize = (version: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({
    database: await createSqliteDatabase(),
    mcpToolProvider: provider,
    clock: () => Date.now() + offsetMs,
    env: { TOOLPROXY_BODY_LIMIT_BYTES: '4096' },
  });
  provider.attach(server);
  await createTestConnections(server.api, upstream.url);
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'alice', authorization_details: { static_auth: { details: { api_key: 'alice-key' } } } });
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'bob', authorization_details: { static_auth: { details: { api_key: 'bob-key' } } } });
  const mappings = [{ connection_name: 'acme', tools: [] }];
  configId = (await server.api('POST', '/api/v1/mcp/configs', { name: 'main', connection_tool_mappings: mappings })).body.mcp_config.id;
  otherConfigId = (await server.api('POST', '/api/v1/mcp/configs', { name: 'other', connection_tool_mappings: mappings })).body.mcp_config.id;
  mcpUrl = `${server.url}/mcp/${configId}`;
});
after(async () => {
  await server.close();
  await upstream.close();
});

async function token(config = configId, identifier = 'alice', expirySeconds?: number): Promise<string> {
  const minted = await server.api('POST', `/api/v1/mcp/configs/${config}/session_tokens`, { identifier, ...(expirySeconds ? { expiry_seconds: expirySeconds } : {}) });
  assert.equal(minted.status, 201, minted.text);
  return minted.body.session_token;
}

/** A raw HTTP request, so any Host, Origin or body can be sent. */
function raw(method: string, url: string, headers: Record<string, string>, body?: string | Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

const post = (body: unknown, headers: Record<string, string> = {}, url = mcpUrl) =>
  raw('POST', url, { 'content-type': 'application/json', accept: ACCEPT, ...headers }, typeof body === 'string' ? body : JSON.stringify(body));

/** Every refusal leaves the provider and the upstream untouched. */
async function nothingRan<T>(run: () => Promise<T>): Promise<T> {
  const calls = provider.calls.length;
  const listed = provider.listed.length;
  const sent = upstream.received.length;
  const result = await run();
  assert.equal(provider.calls.length, calls, 'no tool call reached the provider');
  assert.equal(provider.listed.length, listed, 'no tool list reached the provider');
  assert.equal(upstream.received.length, sent, 'nothing reached the upstream');
  return result;
}

const prm = () => `${server.url}/.well-known/oauth-protected-resource/mcp/${configId}`;

test('no token: 401 with WWW-Authenticate naming the resource metadata and the scope, and no error code (RFC 6750 §3.1)', async () => {
  const response = await nothingRan(() => post(toolCall));
  assert.equal(response.status, 401);
  assert.equal(response.headers['www-authenticate'], `Bearer resource_metadata="${prm()}", scope="tools:read tools:call"`);
  assert.equal(response.headers['x-toolproxy-error'], 'MCP_TOKEN_MISSING');
  assert.equal(response.json.code, 'MCP_TOKEN_MISSING');
  assert.equal(response.json.error, undefined);
  // The same for a GET stream and for a config that does not exist (no oracle for config ids).
  assert.equal((await raw('GET', mcpUrl, { accept: 'text/event-stream' })).status, 401);
  assert.equal((await post(toolCall, {}, `${server.url}/mcp/mcp_doesnotexist`)).status, 401);
  assert.equal((await post(toolCall, { authorization: 'Basic YTpi' })).status, 401);
});

test('an expired session token: 401 invalid_token', async () => {
  const short = await token(configId, 'alice', 60);
  offsetMs = 61_000;
  try {
    const response = await nothingRan(() => post(toolCall, { authorization: `Bearer ${short}` }));
    assert.equal(response.status, 401);
    assert.equal(response.headers['x-toolproxy-error'], 'MCP_TOKEN_EXPIRED');
    assert.match(response.headers['www-authenticate']!, /^Bearer error="invalid_token", error_description="The token has expired.", resource_metadata="/);
    assert.equal(response.json.error, 'invalid_token');
  } finally {
    offsetMs = 0;
  }
});

test("a token of another config, or with another audience, is refused: it was not issued for this resource (RFC 8707)", async () => {
  const other = await token(otherConfigId);
  const response = await nothingRan(() => post(toolCall, { authorization: `Bearer ${other}` }));
  assert.equal(response.status, 401);
  assert.equal(response.headers['x-toolproxy-error'], 'MCP_TOKEN_WRONG_RESOURCE');
  // Signed with the right key and naming this config, but for another URL.
  const signer = new McpTokenSigner(deriveSubkeys(server.server.keyring, 'mcp-tokens'));
  const now = Date.now();
  const foreign = signer.sign({ kind: 'session', configId, identifier: 'alice', audience: `https://evil.example/mcp/${configId}`, issuedAt: now, expiresAt: now + 60_000, scope: ['tools:read', 'tools:call'], policy: null });
  const wrongAudience = await nothingRan(() => post(toolCall, { authorization: `Bearer ${foreign}` }));
  assert.equal(wrongAudience.status, 401);
  assert.equal(wrongAudience.headers['x-toolproxy-error'], 'MCP_TOKEN_WRONG_RESOURCE');
  // Signed with another key: not ours at all.
  const forged = new McpTokenSigner([Buffer.alloc(32, 7)]).sign({ kind: 'session', configId, identifier: 'alice', audience: mcpUrl, issuedAt: now, expiresAt: now + 60_000, scope: ['tools:read', 'tools:call'], policy: null });
  for (const bad of [forged, `${(await token()).slice(0, -3)}AAA`, 'tpms_garbage', 'tpat_not-an-mcp-token.x']) {
    const refused = await nothingRan(() => post(toolCall, { authorization: `Bearer ${bad}` }));
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['x-toolproxy-error'], 'MCP_TOKEN_INVALID');
  }
});

test("a token reaches only its own identifier's accounts, whatever routing headers the request carries", async () => {
  const before = upstream.received.length;
  const response = await post(toolCall, { authorization: `Bearer ${await token(configId, 'alice')}`, identifier: 'bob', connection_name: 'acme' });
  assert.equal(response.status, 200, response.text);
  assert.equal(upstream.received.length, before + 1);
  assert.equal(upstream.received.at(-1)!.headers['x-api-key'], 'alice-key');
  assert.equal(provider.calls.at(-1)!.scope.identifier, 'alice');
});

test('a token without the tools:call scope cannot call a tool: 403 insufficient_scope, and may still list', async () => {
  const signer = new McpTokenSigner(deriveSubkeys(server.server.keyring, 'mcp-tokens'));
  const now = Date.now();
  const readOnly = signer.sign({ kind: 'session', configId, identifier: 'alice', audience: mcpUrl, issuedAt: now, expiresAt: now + 60_000, scope: ['tools:read'], policy: null });
  const response = await nothingRan(() => post(toolCall, { authorization: `Bearer ${readOnly}` }));
  assert.equal(response.status, 403);
  assert.equal(response.headers['x-toolproxy-error'], 'MCP_INSUFFICIENT_SCOPE');
  assert.equal(
    response.headers['www-authenticate'],
    `Bearer error="insufficient_scope", error_description="This request needs the tools:call scope.", resource_metadata="${prm()}", scope="tools:read tools:call"`,
  );
  const listed = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: `Bearer ${readOnly}`, 'mcp-protocol-version': '2025-11-25' });
  assert.equal(listed.status, 200, listed.text);
  assert.ok(listed.json.result.tools.length > 0);
});

test('malformed JSON, a body that is not JSON-RPC and a batch are 400 with JSON-RPC errors', async () => {
  const auth = { authorization: `Bearer ${await token()}` };
  for (const [body, rpcCode] of [
    ['{"jsonrpc":"2.0","id":1,"method":', -32700],
    ['{"hello":"world"}', -32700],
    ['"tools/call"', -32700],
    [JSON.stringify([toolCall, toolCall]), -32700],
  ] as const) {
    const response = await nothingRan(() => post(body, auth));
    assert.equal(response.status, 400, `${body}: ${response.text}`);
    assert.equal(response.json.jsonrpc, '2.0');
    assert.equal(response.json.error.code, rpcCode);
    assert.equal(response.json.id, null);
    assert.equal(response.headers['x-toolproxy-error'], 'MCP_MALFORMED_MESSAGE');
  }
  const wrongType = await nothingRan(() => raw('POST', mcpUrl, { ...auth, 'content-type': 'text/plain', accept: ACCEPT }, JSON.stringify(toolCall)));
  assert.equal(wrongType.status, 415);
});

test('a message over the body limit is refused with 413 before it is parsed', async () => {
  const huge = { ...toolCall, params: { name: 'acme_create_customer', arguments: { name: 'x'.repeat(10_000) } } };
  const auth = { authorization: `Bearer ${await token()}` };
  const response = await nothingRan(() => post(huge, auth));
  assert.equal(response.status, 413);
  assert.equal(response.headers['x-toolproxy-error'], 'PAYLOAD_TOO_LARGE');
  assert.equal(response.json.error.code, -32000);
});

test('an unsupported MCP-Protocol-Version header is 400; initialize negotiates 2025-06-18 or answers with 2025-11-25', async () => {
  const auth = { authorization: `Bearer ${await token()}` };
  for (const version of ['2025-03-26', '2024-11-05', 'banana']) {
    const response = await nothingRan(() => post(toolCall, { ...auth, 'mcp-protocol-version': version }));
    assert.equal(response.status, 400, version);
    assert.equal(response.headers['x-toolproxy-error'], 'MCP_PROTOCOL_VERSION_UNSUPPORTED');
  }
  for (const [asked, answered] of [['2025-06-18', '2025-06-18'], ['2025-11-25', '2025-11-25'], ['2025-03-26', '2025-11-25'], ['2099-01-01', '2025-11-25']]) {
    const response = await post(initialize(asked!), auth);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.json.result.protocolVersion, answered);
    assert.equal(response.headers['mcp-session-id'], undefined);
  }
  const ok = await post(toolCall, { ...auth, 'mcp-protocol-version': '2025-06-18' });
  assert.equal(ok.status, 200, ok.text);
});

test('DNS rebinding: a Host or Origin that does not name this server is 403', async () => {
  const auth = { authorization: `Bearer ${await token()}` };
  const port = new URL(server.url).port;
  const rebinding: Array<Record<string, string>> = [{ host: 'evil.example' }, { host: `evil.example:${port}` }, { host: 'localhost:1' }, { origin: 'http://evil.example' }, { origin: `http://evil.example:${port}` }, { origin: 'null' }];
  for (const headers of rebinding) {
    const response = await nothingRan(() => post(toolCall, { ...auth, ...headers }));
    assert.equal(response.status, 403, JSON.stringify(headers));
    assert.equal(response.headers['x-toolproxy-error'], 'MCP_ORIGIN_NOT_ALLOWED');
  }
  // The public origin, and on a loopback server the same port under another loopback name.
  const accepted: Array<Record<string, string>> = [{ origin: server.url }, { host: `localhost:${port}`, origin: `http://localhost:${port}` }, { host: `[::1]:${port}` }];
  for (const headers of accepted) {
    assert.equal((await post(toolCall, { ...auth, ...headers })).status, 200, JSON.stringify(headers));
  }
});

test('DELETE and PUT are 405 (stateless: no session to end); a GET without text/event-stream is 406', async () => {
  const auth = { authorization: `Bearer ${await token()}` };
  for (const method of ['DELETE', 'PUT']) {
    const response = await nothingRan(() => raw(method, mcpUrl, auth));
    assert.equal(response.status, 405);
    assert.equal(response.headers.allow, 'GET, POST');
  }
  assert.equal((await raw('GET', mcpUrl, { ...auth, accept: 'application/json' })).status, 406);
  assert.equal((await post(toolCall, { ...auth, accept: 'application/json' })).status, 406);
});

test('the endpoint logs and counts refusals, never a token', async () => {
  const secret = await token();
  await post(toolCall, { authorization: `Bearer ${secret.slice(0, -2)}xx` });
  const metrics = await server.api('GET', '/metrics');
  assert.match(metrics.text, /toolproxy_mcp_refusals_total\{code="MCP_TOKEN_INVALID"\} \d+/);
  assert.match(metrics.text, /toolproxy_mcp_tool_calls_total\{config="main",outcome="ok"\} \d+/);
  assert.ok(server.logs.some((line) => line.includes('"code":"MCP_TOKEN_INVALID"')));
  assert.ok(!server.logs.join('\n').includes(secret.slice(5, 60)));
});
