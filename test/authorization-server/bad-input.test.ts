import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { createTestConnections, LoopbackToolProvider, TEST_TOOLS } from '../helpers/mcp.ts';
import { consentOverHttp, startVerifyingApp, type VerifyingApp } from '../helpers/mcp-oauth.ts';
import { TestBrowser } from '../helpers/oauth-provider.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * Bad input at the MCP authorization server (issue 13 "Done when" (c)), each refused as OAuth 2.1,
 * RFC 7591, RFC 7636, RFC 8707 and the MCP spec name it, and nothing issued.
 */

let upstream: Upstream;
let server: TestServer;
let app: VerifyingApp;
let mcpUrl: string;
let bareConfigUrl: string;
let offsetMs = 0;
let signedIn = 'alice';
const provider = new LoopbackToolProvider(TEST_TOOLS);
const REDIRECT = 'http://127.0.0.1:49152/callback';

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
  app = await startVerifyingApp(server.api, () => signedIn, appPort);
  await createTestConnections(server.api, upstream.url);
  await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'acme', identifier: 'alice', authorization_details: { static_auth: { details: { api_key: 'alice-key' } } } });
  const mappings = [{ connection_name: 'acme', tools: [] }];
  mcpUrl = (await server.api('POST', '/api/v1/mcp/configs', { name: 'oauth-bad', connection_tool_mappings: mappings, user_verify_url: app.verifyUrl })).body.mcp_config.mcp_server_url;
  bareConfigUrl = (await server.api('POST', '/api/v1/mcp/configs', { name: 'no-verify', connection_tool_mappings: mappings })).body.mcp_config.mcp_server_url;
});
after(async () => {
  await server.close();
  await upstream.close();
  await app.close();
});

async function register(metadata: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}/oauth2/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(metadata) });
  return { status: response.status, body: await response.json() };
}

async function publicClient(redirectUris = [REDIRECT]): Promise<string> {
  const registered = await register({ client_name: 'Bad Input Host', redirect_uris: redirectUris, token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return registered.body.client_id;
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(params: Record<string, string | undefined>): URL {
  const url = new URL(`${server.url}/oauth2/authorize`);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

const goodParams = (clientId: string, challenge: string, extra: Record<string, string | undefined> = {}) => ({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: REDIRECT,
  code_challenge: challenge,
  code_challenge_method: 'S256',
  resource: mcpUrl,
  state: 'st-123',
  ...extra,
});

/** GET /oauth2/authorize without following: where it sends the browser, or the page it shows. */
async function authorize(params: Record<string, string | undefined>): Promise<{ status: number; location: URL | undefined; text: string; code: string | null }> {
  const response = await fetch(authorizeUrl(params), { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location ? new URL(location) : undefined, text: await response.text(), code: response.headers.get('x-toolproxy-error') };
}

async function codeFor(clientId: string, challenge: string, extra: Record<string, string | undefined> = {}): Promise<string> {
  const { callback } = await consentOverHttp(new TestBrowser(), authorizeUrl(goodParams(clientId, challenge, extra)), REDIRECT);
  const code = callback.searchParams.get('code');
  assert.ok(code, callback.href);
  return code;
}

async function token(params: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(params) });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

const exchange = (clientId: string, code: string, verifier: string, extra: Record<string, string> = {}) =>
  token({ grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: REDIRECT, resource: mcpUrl, ...extra });

async function mcpStatus(accessToken: string): Promise<number> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await response.arrayBuffer();
  return response.status;
}

test('registration refuses redirect URIs that are not https or loopback http, or have a fragment', async () => {
  for (const [uri, ok] of [
    ['http://evil.example/cb', false],
    ['http://10.0.0.1/cb', false],
    ['https://app.example/cb#frag', false],
    ['javascript:alert(1)', false],
    ['myapp://callback', false],
    ['https://user:pw@app.example/cb', false],
    ['https://app.example/cb', true],
    ['http://localhost:8080/cb', true],
    ['http://[::1]:8080/cb', true],
  ] as const) {
    const registered = await register({ client_name: 'x', redirect_uris: [uri], token_endpoint_auth_method: 'none' });
    assert.equal(registered.status, ok ? 201 : 400, `${uri}: ${JSON.stringify(registered.body)}`);
    if (!ok) assert.equal(registered.body.error, 'invalid_redirect_uri');
  }
  const noUris = await register({ client_name: 'x', token_endpoint_auth_method: 'none' });
  assert.equal(noUris.body.error, 'invalid_redirect_uri');
  const badGrant = await register({ redirect_uris: [REDIRECT], grant_types: ['client_credentials'] });
  assert.equal(badGrant.body.error, 'invalid_client_metadata');
  const badMethod = await register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' });
  assert.equal(badMethod.body.error, 'invalid_client_metadata');
});

test('an unknown client or an unregistered redirect URI gets an error page, never a redirect', async () => {
  const clientId = await publicClient();
  const { challenge } = pkce();
  for (const params of [
    goodParams('tpmc_unknownclient', challenge),
    goodParams(clientId, challenge, { redirect_uri: 'http://127.0.0.1:49152/other' }),
    goodParams(clientId, challenge, { redirect_uri: 'https://evil.example/callback' }),
    goodParams(clientId, challenge, { redirect_uri: `${REDIRECT}?x=1` }),
  ]) {
    const answer = await authorize(params);
    assert.equal(answer.status, 400, JSON.stringify(params));
    assert.equal(answer.location, undefined);
    assert.match(answer.text, /Authorization failed/);
  }
});

test('PKCE is required, S256 only; the resource must be one config URL; refusals go back to the client with state and iss', async () => {
  const clientId = await publicClient();
  const { challenge } = pkce();
  for (const [extra, error] of [
    [{ code_challenge: undefined }, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge_method: undefined }, 'invalid_request'],
    [{ code_challenge: 'short' }, 'invalid_request'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ resource: undefined }, 'invalid_target'],
    [{ resource: server.url }, 'invalid_target'],
    [{ resource: 'https://evil.example/mcp/x' }, 'invalid_target'],
    [{ resource: `${server.url}/mcp/mcp_doesnotexist` }, 'invalid_target'],
    [{ scope: 'tools:read admin' }, 'invalid_scope'],
    [{ resource: bareConfigUrl }, 'server_error'],
  ] as const) {
    const answer = await authorize(goodParams(clientId, challenge, extra as Record<string, string | undefined>));
    assert.equal(answer.status, 302, JSON.stringify(extra));
    assert.equal(answer.location?.origin + answer.location!.pathname, REDIRECT);
    assert.equal(answer.location!.searchParams.get('error'), error, JSON.stringify(extra));
    assert.equal(answer.location!.searchParams.get('state'), 'st-123');
    assert.equal(answer.location!.searchParams.get('iss'), server.url);
    assert.equal(answer.location!.searchParams.get('code'), null);
  }
});

test('a code is single-use: replaying it is invalid_grant and revokes what it issued', async () => {
  const clientId = await publicClient();
  const { verifier, challenge } = pkce();
  const code = await codeFor(clientId, challenge);
  const first = await exchange(clientId, code, verifier);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.headers.get('cache-control'), 'no-store');
  assert.equal(await mcpStatus(first.body.access_token), 200);
  const replay = await exchange(clientId, code, verifier);
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, 'invalid_grant');
  assert.equal(await mcpStatus(first.body.access_token), 401, 'the replay revoked the grant');
  assert.equal((await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: first.body.refresh_token })).body.error, 'invalid_grant');
});

test('a wrong or missing PKCE verifier, redirect URI, resource or client gets no token; the code still works for its owner', async () => {
  const clientId = await publicClient();
  const otherClient = await publicClient();
  const { verifier, challenge } = pkce();
  const code = await codeFor(clientId, challenge);
  for (const [params, error] of [
    [{ code_verifier: pkce().verifier }, 'invalid_grant'],
    [{ code_verifier: challenge }, 'invalid_grant'],
    [{ code_verifier: 'too-short' }, 'invalid_grant'],
    [{ redirect_uri: 'http://127.0.0.1:49152/other' }, 'invalid_grant'],
    [{ resource: bareConfigUrl }, 'invalid_target'],
    [{ resource: 'https://evil.example/mcp' }, 'invalid_target'],
    [{ client_id: otherClient }, 'invalid_grant'],
  ] as const) {
    const refused = await exchange(clientId, code, verifier, params);
    assert.equal(refused.status, 400, JSON.stringify(params));
    assert.equal(refused.body.error, error, JSON.stringify(params));
    assert.equal(refused.body.access_token, undefined);
  }
  const missing = await token({ grant_type: 'authorization_code', client_id: clientId, code, redirect_uri: REDIRECT });
  assert.equal(missing.body.error, 'invalid_request');
  assert.equal((await exchange(clientId, code, verifier)).status, 200);
});

test('an expired code is refused', async () => {
  const clientId = await publicClient();
  const { verifier, challenge } = pkce();
  const code = await codeFor(clientId, challenge);
  offsetMs += 61_000;
  const refused = await exchange(clientId, code, verifier);
  assert.equal(refused.body.error, 'invalid_grant');
  assert.match(refused.body.error_description, /expired/);
});

test('an expired refresh token is refused; a rotated one revokes the family', async () => {
  const clientId = await publicClient();
  const { verifier, challenge } = pkce();
  const issued = (await exchange(clientId, await codeFor(clientId, challenge), verifier)).body;
  const rotated = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: issued.refresh_token, resource: mcpUrl });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  assert.notEqual(rotated.body.refresh_token, issued.refresh_token);
  const narrower = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: rotated.body.refresh_token, scope: 'tools:read' });
  assert.equal(narrower.body.scope, 'tools:read');
  const wider = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: narrower.body.refresh_token, scope: 'tools:read tools:call admin' });
  assert.equal(wider.body.error, 'invalid_scope');
  offsetMs += 31 * 24 * 3600_000;
  const expired = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: narrower.body.refresh_token });
  assert.equal(expired.body.error, 'invalid_grant');
  assert.match(expired.body.error_description, /expired/);
  offsetMs -= 31 * 24 * 3600_000;
  // The old, rotated token: reuse. The newest one dies with the grant.
  const reused = await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: issued.refresh_token });
  assert.equal(reused.body.error, 'invalid_grant');
  assert.equal((await token({ grant_type: 'refresh_token', client_id: clientId, refresh_token: narrower.body.refresh_token })).body.error, 'invalid_grant');
  assert.equal(await mcpStatus(narrower.body.access_token), 401);
  assert.equal((await token({ grant_type: 'password', client_id: clientId })).body.error, 'unsupported_grant_type');
});

test('a token scoped tools:read lists tools but a tools/call is 403 insufficient_scope', async () => {
  const clientId = await publicClient();
  const { verifier, challenge } = pkce();
  const issued = (await exchange(clientId, await codeFor(clientId, challenge, { scope: 'tools:read' }), verifier)).body;
  assert.equal(issued.scope, 'tools:read');
  const call = await fetch(mcpUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${issued.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'acme_list_customers', arguments: {} } }),
  });
  assert.equal(call.status, 403);
  assert.match(call.headers.get('www-authenticate')!, /error="insufficient_scope".*scope="tools:read tools:call"/);
  assert.equal(await mcpStatus(issued.access_token), 200);
});

test('consent is bound to the browser that started it, after the app verified its user, once', async () => {
  const clientId = await publicClient();
  const { challenge } = pkce();
  const victim = new TestBrowser();
  const attacker = new TestBrowser();
  // The attacker starts an authorization and gets the app's verify link...
  const started = await attacker.navigate(authorizeUrl(goodParams(clientId, challenge)).href, (url) => url.pathname === '/verify');
  const verifyLink = started.url;
  // Even its own browser gets no consent page before the app has verified the user.
  const pending = await fetch(authorizeUrl(goodParams(clientId, challenge)), { redirect: 'manual' });
  const binding = pending.headers.get('set-cookie')!.split(';')[0]!;
  const requestId = binding.match(/^tp_mcp_(mar_[A-Za-z0-9_-]+)=/)![1]!;
  const unverified = await fetch(`${server.url}/oauth2/consent/${requestId}`, { headers: { cookie: binding } });
  assert.equal(unverified.status, 400, 'no consent before the app verified the user');
  assert.equal(unverified.headers.get('x-toolproxy-error'), 'MCP_AUTHORIZATION_REQUEST_INVALID');
  // ...and sends it to the victim, whose app session vouches for them: the consent page refuses their browser.
  const atVictim = await victim.navigate(verifyLink.href, () => false);
  assert.equal(atVictim.response?.status, 400);
  assert.equal(atVictim.response?.headers.get('x-toolproxy-error'), 'MCP_AUTHORIZATION_REQUEST_INVALID');
  // A verification cannot be repeated, or made for an unknown request.
  const again = await server.api('POST', '/api/v1/connected_accounts/user/verify', { auth_request_id: verifyLink.searchParams.get('auth_request_id'), identifier: 'mallory' });
  assert.equal(again.status, 404);
  assert.equal(again.body.error.code, 'AUTH_REQUEST_NOT_FOUND');
  assert.equal((await server.api('POST', '/api/v1/connected_accounts/user/verify', { auth_request_id: 'tpmar_nope', identifier: 'alice' })).status, 404);
  // Denying sends access_denied back to the client, and the request is over.
  const { callback, consentUrl } = await consentOverHttp(new TestBrowser(), authorizeUrl(goodParams(clientId, challenge)), REDIRECT, 'deny');
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('iss'), server.url);
  assert.equal((await fetch(consentUrl, { method: 'POST', body: new URLSearchParams({ decision: 'allow' }) })).status, 400);
});

test("the app's identifier decides whose accounts a token reaches", async () => {
  signedIn = 'bob';
  try {
    const clientId = await publicClient();
    const { verifier, challenge } = pkce();
    const issued = (await exchange(clientId, await codeFor(clientId, challenge), verifier)).body;
    const listed = await fetch(mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${issued.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    const tools = ((await listed.json()) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name);
    assert.deepEqual(tools, ['authorize_acme'], "bob has no acme account; alice's is not reachable");
  } finally {
    signedIn = 'alice';
  }
});

test('a confidential client must authenticate with its secret, by the method it registered', async () => {
  const registered = await register({ client_name: 'Server host', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic', grant_types: ['authorization_code', 'refresh_token'] });
  assert.equal(registered.status, 201);
  const { client_id: clientId, client_secret: secret } = registered.body;
  assert.match(secret, /^tpmcs_/);
  const { verifier, challenge } = pkce();
  const code = await codeFor(clientId, challenge);
  const basic = (id: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${pw}`).toString('base64')}` });
  const params = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT };
  for (const [body, headers] of [
    [params, basic(clientId, 'wrong')],
    [{ ...params, client_id: clientId }, {}],
    [{ ...params, client_id: clientId, client_secret: secret }, {}],
  ] as const) {
    const refused = await token(body as Record<string, string>, headers as Record<string, string>);
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
  }
  const issued = await token(params, basic(clientId, secret));
  assert.equal(issued.status, 200);
  assert.ok(issued.body.refresh_token);
});

test('a client that did not register the refresh_token grant gets no refresh token', async () => {
  const registered = await register({ client_name: 'No refresh', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
  const { verifier, challenge } = pkce();
  const issued = await exchange(registered.body.client_id, await codeFor(registered.body.client_id, challenge), verifier);
  assert.equal(issued.status, 200);
  assert.equal(issued.body.refresh_token, undefined);
  assert.match(issued.body.access_token, /^tpma_/);
});

test('a client ID metadata document client: fetched through the egress policy, and must name itself exactly', async () => {
  const documents = new Map<string, () => [number, string]>();
  const host = http.createServer((req, res) => {
    const entry = documents.get(req.url ?? '');
    const [status, body] = entry ? entry() : [404, '{}'];
    res.writeHead(status, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  try {
    const good = `${origin}/clients/good.json`;
    documents.set('/clients/good.json', () => [200, JSON.stringify({ client_id: good, client_name: 'Metadata Host', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'] })]);
    documents.set('/clients/liar.json', () => [200, JSON.stringify({ client_id: `${origin}/clients/good.json`, client_name: 'Liar', redirect_uris: [REDIRECT] })]);
    documents.set('/clients/huge.json', () => [200, JSON.stringify({ client_id: `${origin}/clients/huge.json`, client_name: 'x'.repeat(6000), redirect_uris: [REDIRECT] })]);
    documents.set('/clients/secret.json', () => [200, JSON.stringify({ client_id: `${origin}/clients/secret.json`, client_name: 'S', redirect_uris: [REDIRECT], token_endpoint_auth_method: 'client_secret_basic' })]);
    const { verifier, challenge } = pkce();
    const { consentHtml, callback } = await consentOverHttp(new TestBrowser(), authorizeUrl(goodParams(good, challenge)), REDIRECT);
    assert.ok(consentHtml.includes('Metadata Host') && consentHtml.includes(good));
    assert.equal((await exchange(good, callback.searchParams.get('code')!, verifier)).status, 200);
    for (const bad of [`${origin}/clients/liar.json`, `${origin}/clients/huge.json`, `${origin}/clients/secret.json`, `${origin}/clients/missing.json`, `${origin}/`, 'http://evil.example/client.json', 'https://10.0.0.1/client.json']) {
      const answer = await authorize(goodParams(bad, challenge));
      assert.equal(answer.status, 400, bad);
      assert.equal(answer.location, undefined, bad);
    }
  } finally {
    await new Promise<void>((resolve) => host.close(() => resolve()));
  }
});

test('revocation (RFC 7009) revokes the grant of a refresh token', async () => {
  const clientId = await publicClient();
  const { verifier, challenge } = pkce();
  const issued = (await exchange(clientId, await codeFor(clientId, challenge), verifier)).body;
  const revoked = await fetch(`${server.url}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: issued.refresh_token, client_id: clientId }) });
  assert.equal(revoked.status, 200);
  assert.equal(await mcpStatus(issued.access_token), 401);
  const unknown = await fetch(`${server.url}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: 'tpmrt_nothing', client_id: clientId }) });
  assert.equal(unknown.status, 200);
});
