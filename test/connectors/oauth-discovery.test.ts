import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { metadataUrls } from '../../src/connectors/oauth-discovery.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { BASIC_CLIENT, type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi, TestBrowser } from '../helpers/oauth-provider.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * RFC 8414 / OpenID discovery: an OAUTH connector that names only its `issuer` gets its
 * endpoints from the issuer's metadata when it is saved, fetched through the egress policy and
 * used only when its `issuer` equals the configured one exactly (RFC 8414 §3.3). Against the
 * in-process oidc-provider, and a hand-made metadata server for what it would never serve.
 */

let server: TestServer;
let provider: OAuthProviderHarness;
let api: ProtectedApi;
/** Serves whatever `documents[path]` holds as JSON, and records the paths asked for. */
let metadata: { url: string; documents: Record<string, unknown>; asked: string[]; close(): Promise<void> };

function issuerOnly(issuer: string, extra: Record<string, unknown> = {}) {
  return {
    display_name: `Discovered ${Math.random().toString(36).slice(2, 8)}`,
    proxy_url: `${api.url}/v1`,
    auth_patterns: [{ type: 'OAUTH', oauth_config: { issuer, available_scopes: [{ scope: 'customers:read', required: true }], ...extra } }],
  };
}

async function startMetadataServer() {
  const state = { documents: {} as Record<string, unknown>, asked: [] as string[] };
  const httpServer = http.createServer((req, res) => {
    state.asked.push(req.url ?? '');
    const document = state.documents[req.url ?? ''];
    if (document === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(typeof document === 'string' ? document : JSON.stringify(document));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    ...state,
    close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
  };
}

before(async () => {
  api = await startProtectedApi(() => provider?.provider);
  server = await startTestServer({ database: await createSqliteDatabase() });
  provider = await startOAuthProvider({ redirectUris: [`${server.url}/oauth/callback/discovered`], apiOrigin: api.url });
  metadata = await startMetadataServer();
});
after(async () => {
  await server.close();
  await provider.close();
  await api.close();
  await metadata.close();
});

describe('discovery from the issuer', () => {
  test('fills authorize_uri, token_uri and revoke_uri from oidc-provider, and the OAuth flow runs through them', async () => {
    const created = await server.api('POST', '/api/v1/custom-providers', issuerOnly(provider.issuer));
    assert.equal(created.status, 201, created.text);
    const config = created.body.provider.auth_patterns[0].oauth_config;
    assert.equal(config.authorize_uri, `${provider.issuer}/auth`);
    assert.equal(config.token_uri, `${provider.issuer}/token`);
    assert.equal(config.revoke_uri, `${provider.issuer}/token/revocation`);
    assert.equal(config.issuer, provider.issuer);

    const connection = await server.api('POST', '/api/v1/connections', {
      name: 'discovered', connector: created.body.provider.identifier, client_id: BASIC_CLIENT.id, client_secret: BASIC_CLIENT.secret, token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(connection.status, 201, connection.text);
    const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'discovered', identifier: 'dana' });
    const browser = new TestBrowser();
    const { url } = await browser.navigate(magic.body.link, (u) => u.pathname.startsWith('/oauth/callback/'));
    assert.equal((await browser.fetch(url)).status, 200);
    const proxied = await fetch(`${server.url}/proxy/customers`, { headers: { authorization: `Bearer ${await server.token()}`, connection_name: 'discovered', identifier: 'dana' } });
    assert.equal(proxied.status, 200);
  });

  test('endpoints the author wrote are kept; only the missing ones are discovered', async () => {
    const created = await server.api('POST', '/api/v1/custom-providers', issuerOnly(provider.issuer, { authorize_uri: `${provider.issuer}/auth?prompt=consent` }));
    assert.equal(created.status, 201, created.text);
    const config = created.body.provider.auth_patterns[0].oauth_config;
    assert.equal(config.authorize_uri, `${provider.issuer}/auth?prompt=consent`);
    assert.equal(config.token_uri, `${provider.issuer}/token`);
  });

  test('RFC 8414 first, with the well-known suffix between host and path; then OpenID discovery', async () => {
    assert.deepEqual(metadataUrls('https://as.example/tenant/1/'), [
      'https://as.example/.well-known/oauth-authorization-server/tenant/1',
      'https://as.example/tenant/1/.well-known/openid-configuration',
    ]);
    const issuer = `${metadata.url}/tenant1`;
    metadata.documents['/.well-known/oauth-authorization-server/tenant1'] = {
      issuer, authorization_endpoint: `${metadata.url}/tenant1/authorize`, token_endpoint: `${metadata.url}/tenant1/token`,
    };
    const created = await server.api('POST', '/api/v1/custom-providers', issuerOnly(issuer));
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.provider.auth_patterns[0].oauth_config.token_uri, `${metadata.url}/tenant1/token`);
    assert.equal(created.body.provider.auth_patterns[0].oauth_config.revoke_uri, undefined, 'no revocation endpoint advertised');
    assert.deepEqual(metadata.asked, ['/.well-known/oauth-authorization-server/tenant1']);
  });
});

describe('discovery refuses', () => {
  const refused = async (definition: object, pattern: RegExp) => {
    const response = await server.api('POST', '/api/v1/custom-providers', definition);
    assert.equal(response.status, 422, response.text);
    assert.equal(response.body.error.code, 'OAUTH_DISCOVERY_FAILED');
    const [problem] = response.body.error.details.problems;
    assert.equal(problem.path, '/auth_patterns/0/oauth_config/issuer');
    assert.match(problem.message, pattern);
  };

  test('metadata naming another issuer (RFC 8414 §3.3, mix-up), even one differing by a trailing slash', async () => {
    const issuer = `${metadata.url}/mixup`;
    metadata.documents['/.well-known/oauth-authorization-server/mixup'] = { issuer: 'https://evil.example', authorization_endpoint: 'https://evil.example/a', token_endpoint: 'https://evil.example/t' };
    await refused(issuerOnly(issuer), /names the issuer "https:\/\/evil\.example", not/);
    await refused(issuerOnly(`${provider.issuer}/`), /must match exactly/);
  });

  test('no metadata, a document that is not JSON or lacks an endpoint, an http issuer off loopback', async () => {
    await refused(issuerOnly(`${metadata.url}/nothing-here`), /has no metadata at .*oauth-authorization-server\/nothing-here or .*nothing-here\/\.well-known\/openid-configuration/);
    metadata.documents['/.well-known/oauth-authorization-server/html'] = '<html>login</html>';
    await refused(issuerOnly(`${metadata.url}/html`), /could not be fetched/);
    const partial = `${metadata.url}/partial`;
    metadata.documents['/.well-known/oauth-authorization-server/partial'] = { issuer: partial, authorization_endpoint: `${partial}/a` };
    await refused(issuerOnly(partial), /no usable token_endpoint/);
    await refused(issuerOnly('http://auth.example.com'), /must be an https URL/);
  });

  test('the egress policy: an issuer on a loopback address is not fetched unless allowed', async () => {
    const strict = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_EGRESS_ALLOW_CIDRS: '10.0.0.0/8' } });
    try {
      const asked = metadata.asked.length;
      const response = await strict.api('POST', '/api/v1/custom-providers', issuerOnly(provider.issuer));
      assert.equal(response.status, 422, response.text);
      assert.equal(response.body.error.code, 'OAUTH_DISCOVERY_FAILED');
      assert.equal(metadata.asked.length, asked);
    } finally {
      await strict.close();
    }
  });

  test('neither endpoints nor an issuer: CONNECTOR_INVALID naming both endpoints, with no network call', async () => {
    const response = await server.api('POST', '/api/v1/custom-providers', {
      display_name: 'No Endpoints', proxy_url: `${api.url}/v1`, auth_patterns: [{ type: 'OAUTH', oauth_config: { available_scopes: [] } }],
    });
    assert.equal(response.status, 422);
    assert.equal(response.body.error.code, 'CONNECTOR_INVALID');
    assert.deepEqual(response.body.error.details.problems.map((p: { path: string }) => p.path).sort(), [
      '/auth_patterns/0/oauth_config/authorize_uri',
      '/auth_patterns/0/oauth_config/token_uri',
    ]);
  });
});
