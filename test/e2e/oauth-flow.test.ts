import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Vault } from '../../src/vault/vault.ts';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { BASIC_CLIENT, oauthConnectorDefinition, POST_CLIENT, type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi, TestBrowser } from '../helpers/oauth-provider.ts';
import { type ApiResponse, freePort, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The OAuth authorization code flow end to end against a real authorization server
 * (oidc-provider: PKCE required, rotating refresh tokens) and an upstream that checks the
 * provider's tokens. Our server's clock is injected; the provider's is real.
 */

let server: TestServer;
let provider: OAuthProviderHarness;
let api: ProtectedApi;
let offsetMs = 0;
const responses: string[] = [];
const appPort = await freePort();
const APP_ORIGIN = `http://127.0.0.1:${appPort}`;
const CONNECTIONS = ['oauth-basic', 'oauth-post', 'oauth-nopkce', 'oauth-canary', 'oauth-fields'];

before(async () => {
  api = await startProtectedApi(() => provider?.provider);
  server = await startTestServer({
    database: await createSqliteDatabase(),
    clock: () => Date.now() + offsetMs,
    env: { TOOLPROXY_OAUTH_REFRESH_WINDOW_SECONDS: '60', TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: APP_ORIGIN },
    onResponse: (r: ApiResponse) => responses.push(r.text),
  });
  provider = await startOAuthProvider({ redirectUris: CONNECTIONS.map((c) => `${server.url}/oauth/callback/${c}`), apiOrigin: api.url });
  const definition = (pkce: boolean) =>
    oauthConnectorDefinition(provider.issuer, `${api.url}/v1`, { displayName: `Provider API${pkce ? '' : ' no PKCE'}`, pkce, revoke: true });
  const withPkce = (await server.api('POST', '/api/v1/custom-providers', definition(true))).body.provider.identifier;
  const withoutPkce = (await server.api('POST', '/api/v1/custom-providers', definition(false))).body.provider.identifier;
  const connect = async (name: string, connector: string, client: { id: string; secret: string }, method: string) => {
    const created = await server.api('POST', '/api/v1/connections', {
      name,
      connector,
      client_id: client.id,
      client_secret: client.secret,
      token_endpoint_auth_method: method,
    });
    assert.equal(created.status, 201, created.text);
    return created;
  };
  const basic = await connect('oauth-basic', withPkce, BASIC_CLIENT, 'client_secret_basic');
  assert.equal(basic.body.connection.redirect_uri, `${server.url}/oauth/callback/oauth-basic`);
  assert.equal(basic.body.connection.settings.has_client_secret, true);
  assert.ok(!basic.text.includes(BASIC_CLIENT.secret), 'the client secret is write-only');
  await connect('oauth-post', withPkce, POST_CLIENT, 'client_secret_post');
  await connect('oauth-nopkce', withoutPkce, BASIC_CLIENT, 'client_secret_basic');
  await connect('oauth-canary', withPkce, BASIC_CLIENT, 'client_secret_basic');
  // The catalog's Salesforce shape: a per-account value asked before sign-in, then used in proxy_url.
  const fields = definition(true) as { display_name: string; proxy_url: string; auth_patterns: Record<string, unknown>[] };
  fields.display_name = 'Provider API per workspace';
  fields.proxy_url = `${api.url}/v1/workspaces/{{workspace}}`;
  fields.auth_patterns[0]!['account_fields'] = [{ field_name: 'workspace', label: 'Workspace', input_type: 'text', required: true, is_path_param: true }];
  const withFields = await server.api('POST', '/api/v1/custom-providers', fields);
  assert.equal(withFields.status, 201, withFields.text);
  await connect('oauth-fields', withFields.body.provider.identifier, BASIC_CLIENT, 'client_secret_basic');
});
after(async () => {
  await server.close();
  await provider.close();
  await api.close();
});

const isCallback = (url: URL) => url.pathname.startsWith('/oauth/callback/');

/** Link → provider login/consent → the callback URL (not yet fetched). */
async function toCallback(connection: string, identifier: string, browser: TestBrowser, extra: Record<string, string> = {}): Promise<URL> {
  const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: connection, identifier, ...extra });
  assert.equal(magic.status, 200, magic.text);
  const { url, response } = await browser.navigate(magic.body.link, isCallback);
  assert.equal(response, undefined, `expected to reach the callback, got ${response?.status} at ${url}`);
  return url;
}

async function authorize(connection: string, identifier: string): Promise<Response> {
  const browser = new TestBrowser();
  return browser.fetch(await toCallback(connection, identifier, browser));
}

async function proxy(connection: string, identifier: string, path = '/customers', init: RequestInit = {}): Promise<Response> {
  const token = await server.token();
  return fetch(`${server.url}/proxy${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, connection_name: connection, identifier, ...(init.headers as Record<string, string>) },
  });
}

async function account(connection: string, identifier: string) {
  return (await server.api('GET', `/api/v1/connections/${connection}/connected_accounts/${identifier}`)).body.connected_account;
}

/** The stored tokens, decrypted the way the server does it (tests only). */
async function storedTokens(connection: string, identifier: string): Promise<{ access_token: string; refresh_token?: string }> {
  const { id } = await account(connection, identifier);
  const row = await server.server.store.accounts.findById(id);
  return new Vault(server.server.keyring).decryptJson(row!.credentials!, credentialsBinding(id));
}

describe('authorization through the provider', () => {
  test('client_secret_basic: link → consent → callback → ACTIVE → proxied call with the provider token', async () => {
    const grantsBefore = provider.grants.length;
    const callback = await authorize('oauth-basic', 'alice');
    assert.equal(callback.status, 200);
    assert.match(await callback.text(), /connected/i);
    const alice = await account('oauth-basic', 'alice');
    assert.equal(alice.status, 'ACTIVE');
    assert.ok(alice.token_expires_at);
    assert.deepEqual(provider.grants.slice(grantsBefore), [{ grantType: 'authorization_code', clientId: BASIC_CLIENT.id, auth: 'basic' }]);

    const response = await proxy('oauth-basic', 'alice', '/customers?limit=1');
    assert.equal(response.status, 200);
    const body = (await response.json()) as { sub: string; scope: string; path: string };
    assert.equal(body.sub, 'end-user-1');
    assert.match(body.scope, /customers:read/);
    assert.equal(body.path, '/v1/customers?limit=1');
  });

  test('client_secret_post authenticates in the body, once (O10)', async () => {
    const grantsBefore = provider.grants.length;
    assert.equal((await authorize('oauth-post', 'bob')).status, 200);
    assert.deepEqual(provider.grants.slice(grantsBefore), [{ grantType: 'authorization_code', clientId: POST_CLIENT.id, auth: 'post' }]);
    assert.equal((await proxy('oauth-post', 'bob')).status, 200);
  });

  test('access denied at the provider: a clear page, the account stays PENDING_AUTH, the link still works', async () => {
    provider.denyNext();
    const browser = new TestBrowser();
    const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'oauth-basic', identifier: 'dora' });
    const { url } = await browser.navigate(magic.body.link, isCallback);
    const denied = await browser.fetch(url);
    assert.equal(denied.status, 400);
    assert.equal(denied.headers.get('x-toolproxy-error'), 'OAUTH_ACCESS_DENIED');
    const page = await denied.text();
    assert.match(page, /Access not granted/);
    assert.doesNotMatch(page, /<script>alert/, 'provider text is never reflected unescaped (O8)');
    assert.equal((await account('oauth-basic', 'dora')).status, 'PENDING_AUTH');
    const { url: again } = await browser.navigate(magic.body.link, isCallback);
    assert.equal((await browser.fetch(again)).status, 200);
  });

  test('a connector without PKCE is refused by a provider that requires it, with a clear page', async () => {
    const browser = new TestBrowser();
    const callback = await toCallback('oauth-nopkce', 'eve', browser);
    assert.equal(callback.searchParams.get('error'), 'invalid_request');
    const page = await browser.fetch(callback);
    assert.equal(page.status, 502);
    assert.equal(page.headers.get('x-toolproxy-error'), 'OAUTH_PROVIDER_ERROR');
    assert.equal((await account('oauth-nopkce', 'eve')).status, 'PENDING_AUTH');
  });
});

describe('account fields before sign-in (catalog/salesforce.yaml)', () => {
  test('the link shows a form for them; a bad value shows it again; then consent, and calls go to the URL they fill', async () => {
    const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'oauth-fields', identifier: 'wendy' });
    assert.equal(magic.status, 200, magic.text);
    const browser = new TestBrowser();
    const form = await browser.fetch(new URL(magic.body.link));
    assert.equal(form.status, 200);
    assert.match(await form.text(), /name="workspace"/);

    const post = (workspace: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ workspace }).toString(),
    });
    const refused = await browser.navigate(magic.body.link, isCallback, post('../admin'));
    assert.equal(refused.response?.status, 422, 'a value that would leave the path is refused on the form');

    const { url, response } = await browser.navigate(magic.body.link, isCallback, post('acme'));
    assert.equal(response, undefined, `expected to reach the callback, got ${response?.status} at ${url}`);
    assert.equal((await browser.fetch(url)).status, 200);
    const wendy = await account('oauth-fields', 'wendy');
    assert.equal(wendy.status, 'ACTIVE');

    const proxied = await proxy('oauth-fields', 'wendy', '/contacts?limit=1');
    assert.equal(proxied.status, 200);
    assert.equal(((await proxied.json()) as { path: string }).path, '/v1/workspaces/acme/contacts?limit=1');
  });
});

describe('state, browser binding and replay (O2, O3)', () => {
  test('a callback replayed after success is refused and changes nothing', async () => {
    const browser = new TestBrowser();
    const callback = await toCallback('oauth-basic', 'frank', browser);
    assert.equal((await browser.fetch(callback)).status, 200);
    const grants = provider.grants.length;
    const replay = await browser.fetch(callback);
    assert.equal(replay.status, 400);
    assert.equal(replay.headers.get('x-toolproxy-error'), 'OAUTH_STATE_INVALID');
    assert.equal(provider.grants.length, grants, 'the code is never sent twice');
  });

  test('a callback from another browser is refused without burning the real flow', async () => {
    const browser = new TestBrowser();
    const callback = await toCallback('oauth-basic', 'grace', browser);
    const attacker = await new TestBrowser().fetch(callback);
    assert.equal(attacker.status, 400);
    assert.equal(attacker.headers.get('x-toolproxy-error'), 'OAUTH_STATE_INVALID');
    assert.equal((await browser.fetch(callback)).status, 200);
    assert.equal((await account('oauth-basic', 'grace')).status, 'ACTIVE');
  });

  test('an unknown state or a state delivered to another connection is refused', async () => {
    const unknown = await fetch(`${server.url}/oauth/callback/oauth-basic?state=forged&code=abc`);
    assert.equal(unknown.status, 400);
    const missing = await fetch(`${server.url}/oauth/callback/oauth-basic?code=abc`);
    assert.equal(missing.status, 400);
    const browser = new TestBrowser();
    const callback = await toCallback('oauth-basic', 'heidi', browser);
    const moved = new URL(callback);
    moved.pathname = '/oauth/callback/oauth-post';
    const response = await browser.fetch(moved);
    assert.equal(response.status, 400);
    assert.equal((await account('oauth-basic', 'heidi')).status, 'PENDING_AUTH');
  });
});

describe('token lifecycle', () => {
  test('100 concurrent calls with an expired access token cause exactly one refresh (R1)', async () => {
    assert.equal((await authorize('oauth-basic', 'ivan')).status, 200);
    const before = await storedTokens('oauth-basic', 'ivan');
    const refreshes = provider.refreshCount();
    offsetMs += 2 * 3600 * 1000; // our clock: the token expired long ago
    const responses = await Promise.all(Array.from({ length: 100 }, () => proxy('oauth-basic', 'ivan')));
    assert.deepEqual(new Set(responses.map((r) => r.status)), new Set([200]));
    assert.equal(provider.refreshCount() - refreshes, 1);
    const after = await storedTokens('oauth-basic', 'ivan');
    assert.notEqual(after.access_token, before.access_token);
    assert.notEqual(after.refresh_token, before.refresh_token, 'the provider rotated the refresh token');
    // The grant is intact: the stored (rotated) refresh token still works.
    offsetMs += 2 * 3600 * 1000;
    assert.equal((await proxy('oauth-basic', 'ivan')).status, 200);
    assert.equal(provider.refreshCount() - refreshes, 2);
    assert.equal(provider.grantErrors.filter((e) => e === 'invalid_grant').length, 0);
  });

  test('an upstream 401 refreshes once and retries once, body included (O13)', async () => {
    assert.equal((await authorize('oauth-basic', 'judy')).status, 200);
    const { access_token } = await storedTokens('oauth-basic', 'judy');
    await (await provider.provider.AccessToken.find(access_token))!.destroy();
    const refreshes = provider.refreshCount();
    const response = await proxy('oauth-basic', 'judy', '/customers', { method: 'POST', body: '{"name":"Grace"}', headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 200);
    assert.equal(provider.refreshCount() - refreshes, 1);
    assert.deepEqual(api.bodies.slice(-2), ['{"name":"Grace"}', '{"name":"Grace"}']);
  });

  test('a tool call (routed by account id, a rendered body, the answer collected) gets the same refresh and one retry (O13)', async () => {
    assert.equal((await authorize('oauth-basic', 'judy-tool')).status, 200);
    const { access_token } = await storedTokens('oauth-basic', 'judy-tool');
    await (await provider.provider.AccessToken.find(access_token))!.destroy();
    const refreshes = provider.refreshCount();
    const answer = await server.server.pipeline.collect(
      {
        method: 'POST',
        routing: { accountId: (await account('oauth-basic', 'judy-tool')).id },
        pathAndQuery: '/customers',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from('{"name":"Tool"}'),
        retries: 0,
      },
      { door: 'tool', actor: null, toolName: 'create_customer', executionId: 'exec_oauth' },
      64 * 1024,
    );
    assert.equal(answer.status, 200);
    assert.equal(provider.refreshCount() - refreshes, 1);
    assert.deepEqual(api.bodies.slice(-2), ['{"name":"Tool"}', '{"name":"Tool"}']);
  });

  test('an upstream that always answers 401: one refresh, two upstream calls, then the 401', async () => {
    assert.equal((await authorize('oauth-basic', 'ken')).status, 200);
    const refreshes = provider.refreshCount();
    const calls = api.calls;
    api.rejectAll = true;
    try {
      const response = await proxy('oauth-basic', 'ken');
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('x-toolproxy-error'), null, "the upstream's own 401");
    } finally {
      api.rejectAll = false;
    }
    assert.equal(provider.refreshCount() - refreshes, 1);
    assert.equal(api.calls - calls, 2);
  });

  test('a token endpoint outage never expires an account (O12)', async () => {
    assert.equal((await authorize('oauth-basic', 'leo')).status, 200);
    offsetMs += 2 * 3600 * 1000;
    provider.tokenEndpointStatus = 503;
    try {
      const response = await proxy('oauth-basic', 'leo');
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('x-toolproxy-error'), 'OAUTH_PROVIDER_UNAVAILABLE');
    } finally {
      provider.tokenEndpointStatus = undefined;
    }
    assert.equal((await account('oauth-basic', 'leo')).status, 'ACTIVE');
    assert.equal((await proxy('oauth-basic', 'leo')).status, 200, 'recovers once the provider is back');
  });

  test('a refresh token revoked at the provider marks the account EXPIRED with ACCOUNT_EXPIRED', async () => {
    assert.equal((await authorize('oauth-basic', 'mallory')).status, 200);
    const { refresh_token } = await storedTokens('oauth-basic', 'mallory');
    await (await provider.provider.RefreshToken.find(refresh_token!))!.destroy();
    offsetMs += 2 * 3600 * 1000;
    const response = await proxy('oauth-basic', 'mallory');
    assert.equal(response.status, 409);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'ACCOUNT_EXPIRED');
    assert.match(body.error.message, /new authorization link/);
    assert.equal((await account('oauth-basic', 'mallory')).status, 'EXPIRED');
    const again = await proxy('oauth-basic', 'mallory');
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'ACCOUNT_EXPIRED');
    // A new authorization brings it back.
    assert.equal((await authorize('oauth-basic', 'mallory')).status, 200);
    assert.equal((await proxy('oauth-basic', 'mallory')).status, 200);
  });

  test('deleting an account revokes its grant at the provider (O17)', async () => {
    assert.equal((await authorize('oauth-basic', 'nina')).status, 200);
    const { refresh_token } = await storedTokens('oauth-basic', 'nina');
    assert.ok(await provider.provider.RefreshToken.find(refresh_token!));
    assert.equal((await server.api('DELETE', '/api/v1/connections/oauth-basic/connected_accounts/nina')).status, 204);
    for (let i = 0; i < 50 && (await provider.provider.RefreshToken.find(refresh_token!)); i++) await sleep(20);
    assert.equal(await provider.provider.RefreshToken.find(refresh_token!), undefined);
  });
});

describe('user verification (reference §3.5)', () => {
  test('PENDING_VERIFICATION until the app confirms the identifier; a mismatch is refused', async () => {
    const browser = new TestBrowser();
    const callback = await toCallback('oauth-basic', 'olivia', browser, { user_verify_url: `${APP_ORIGIN}/verify`, redirect_url: `${APP_ORIGIN}/done` });
    const response = await browser.fetch(callback);
    assert.equal(response.status, 303);
    const verify = new URL(response.headers.get('location')!);
    assert.equal(verify.origin + verify.pathname, `${APP_ORIGIN}/verify`);
    const authRequestId = verify.searchParams.get('auth_request_id')!;
    assert.equal((await account('oauth-basic', 'olivia')).status, 'PENDING_VERIFICATION');
    assert.equal((await proxy('oauth-basic', 'olivia')).status, 409);

    const wrong = await server.api('POST', '/api/v1/connected_accounts/user/verify', { auth_request_id: authRequestId, identifier: 'mallory' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'USER_VERIFICATION_MISMATCH');
    const ok = await server.api('POST', '/api/v1/connected_accounts/user/verify', { auth_request_id: authRequestId, identifier: 'olivia' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.connected_account.status, 'ACTIVE');
    assert.equal(ok.body.post_user_verify_redirect_url, `${APP_ORIGIN}/done`);
    const replay = await server.api('POST', '/api/v1/connected_accounts/user/verify', { auth_request_id: authRequestId, identifier: 'olivia' });
    assert.equal(replay.status, 404);
    assert.equal((await proxy('oauth-basic', 'olivia')).status, 200);
  });

  test('redirect URLs outside the allowed origins are refused (O7)', async () => {
    for (const redirect of ['https://evil.example/x', '//evil.example', `${APP_ORIGIN}.evil.example/x`, `http://user@127.0.0.1:${appPort}/x`]) {
      const response = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'oauth-basic', identifier: 'x', redirect_url: redirect });
      assert.equal(response.status, 400, redirect);
      assert.equal(response.body.error.code, 'REDIRECT_URL_NOT_ALLOWED');
    }
  });
});

describe('OAuth secrets never leak (S13)', () => {
  test('no token, code, verifier or client secret in logs or API responses', async () => {
    const browser = new TestBrowser();
    const callback = await toCallback('oauth-canary', 'canary-user', browser);
    const code = callback.searchParams.get('code')!;
    const state = callback.searchParams.get('state')!;
    assert.equal((await browser.fetch(callback)).status, 200);
    offsetMs += 2 * 3600 * 1000;
    assert.equal((await proxy('oauth-canary', 'canary-user')).status, 200);
    const tokens = await storedTokens('oauth-canary', 'canary-user');
    await server.api('GET', '/api/v1/connected_accounts?connection_name=oauth-canary');
    await server.api('GET', '/api/v1/connections/oauth-canary');
    const haystack = [...server.logs, ...responses].join('\n');
    const secrets = { code, state, access: tokens.access_token, refresh: tokens.refresh_token!, basic: BASIC_CLIENT.secret, post: POST_CLIENT.secret };
    for (const [name, secret] of Object.entries(secrets)) {
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
        assert.ok(!haystack.includes(form), `${name} leaked`);
      }
    }
  });
});

describe('OAuth connection settings (reference §2)', () => {
  test('are validated with every problem listed; the secret is write-only; reserved params are refused', async () => {
    const connector = (await server.api('GET', '/api/v1/connections/oauth-basic')).body.connection.connector;
    const missing = await server.api('POST', '/api/v1/connections', { name: 'oauth-bad', connector, extra_authorize_params: { state: 'x', access_type: 'offline' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.code, 'VALIDATION_FAILED');
    assert.deepEqual(missing.body.error.details.problems.map((p: { path: string }) => p.path).sort(), ['/client_id', '/client_secret', '/extra_authorize_params/state']);

    const created = await server.api('POST', '/api/v1/connections', {
      name: 'oauth-settings',
      connector,
      client_id: 'abc',
      client_secret: 'write-only-secret-value',
      extra_authorize_params: { access_type: 'offline', prompt: 'consent' },
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.connection.settings, {
      client_id: 'abc',
      scopes: ['customers:read'],
      token_endpoint_auth_method: 'client_secret_basic',
      extra_authorize_params: { access_type: 'offline', prompt: 'consent' },
      has_client_secret: true,
    });
    const updated = await server.api('PATCH', '/api/v1/connections/oauth-settings', { scopes: ['customers:read', 'customers:write'] });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.body.connection.settings.scopes, ['customers:read', 'customers:write']);
    assert.equal(updated.body.connection.settings.has_client_secret, true, 'an update without the secret keeps it');
    assert.ok(![created.text, updated.text].some((t) => t.includes('write-only-secret-value')));

    const staticConnector = (await server.api('POST', '/api/v1/custom-providers', {
      display_name: 'Static for settings',
      proxy_url: api.url,
      auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] }],
    })).body.provider.identifier;
    const refused = await server.api('POST', '/api/v1/connections', { name: 'static-with-oauth', connector: staticConnector, client_id: 'abc' });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.error.details.problems, [{ path: '/client_id', message: 'only applies to OAUTH connectors' }]);
  });

  test('the authorization URL carries PKCE S256, state, the exact redirect URI and the extra params', async () => {
    const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'oauth-settings', identifier: 'peek' });
    const start = await new TestBrowser().fetch(new URL(magic.body.link));
    assert.equal(start.status, 303);
    assert.match(start.headers.get('set-cookie') ?? '', /^tp_oauth_as_[^=]+=[^;]+; Max-Age=\d+; Path=\/oauth\/callback; HttpOnly; SameSite=Lax$/);
    const location = new URL(start.headers.get('location')!);
    assert.equal(location.origin + location.pathname, `${provider.issuer}/auth`);
    const params = Object.fromEntries(location.searchParams);
    assert.equal(params.response_type, 'code');
    assert.equal(params.client_id, 'abc');
    assert.equal(params.redirect_uri, `${server.url}/oauth/callback/oauth-settings`);
    assert.equal(params.scope, 'customers:read customers:write');
    assert.equal(params.code_challenge_method, 'S256');
    assert.match(params.code_challenge!, /^[A-Za-z0-9_-]{43}$/);
    assert.match(params.state!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(params.access_type, 'offline');
    assert.equal(params.prompt, 'consent');
  });
});
