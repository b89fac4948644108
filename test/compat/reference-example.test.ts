import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type OAuthProviderHarness, type ProtectedApi, BASIC_CLIENT, startOAuthProvider, startProtectedApi, TestBrowser, oauthConnectorDefinition } from '../helpers/oauth-provider.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { REFERENCE_EXAMPLE, runReferenceExample } from './run-example.ts';

/**
 * Drop-in compatibility, the acceptance test: the reference page's Node example, run unchanged
 * with the official `@scalekit-sdk/node` against a toolproxy server (only the SCALEKIT_* env
 * values point at it), once for an API_KEY connector and once for an OAuth connector whose
 * authorization goes through a real OAuth server. The proxied call must return the upstream's data.
 */

/** The example as the page shows it (the page flattens line breaks; the code is character for character). */
const PAGE_TEXT =
  "import { ScalekitClient } from '@scalekit-sdk/node';import 'dotenv/config';\n" +
  "const connectionName = 'your-provider-connection'; // get your connection name from connection configurationsconst identifier = 'user_123'; // your unique user identifier\n" +
  '// Get your credentials from app.scalekit.com → Developers → Settings → API Credentialsconst scalekit = new ScalekitClient( process.env.SCALEKIT_ENV_URL, process.env.SCALEKIT_CLIENT_ID, process.env.SCALEKIT_CLIENT_SECRET);const actions = scalekit.actions;\n' +
  "// Authenticate the userconst { link } = await actions.getAuthorizationLink({ connectionName, identifier,});console.log('Authorize connector:', link);process.stdout.write('Press Enter after authorizing...');await new Promise(r => process.stdin.once('data', r));\n" +
  "// Make a request via Scalekit proxyconst result = await actions.request({ connectionName, identifier, path: '/v1/customers', method: 'GET',});console.log(result);";

const CONNECTION = 'your-provider-connection';
const IDENTIFIER = 'user_123';

test('the example file is the page code, only its line breaks restored', () => {
  const strip = (text: string) => text.replace(/\s+/g, '');
  assert.equal(strip(readFileSync(REFERENCE_EXAMPLE, 'utf8')), strip(PAGE_TEXT));
});

describe('the reference example against an API_KEY connector', () => {
  let upstream: Upstream;
  let server: TestServer;
  before(async () => {
    upstream = await startUpstream();
    server = await startTestServer({ dualProtocol: true });
    const connector = await server.api('POST', '/api/v1/custom-providers', {
      display_name: 'Acme Billing',
      proxy_url: `${upstream.url}/api`,
      proxy_enabled: true,
      auth_patterns: [
        {
          type: 'API_KEY',
          display_name: 'API key',
          fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }],
          auth_header_key_override: 'X-API-Key',
        },
      ],
    });
    assert.equal(connector.status, 201, connector.text);
    const connection = await server.api('POST', '/api/v1/connections', { name: CONNECTION, connector: connector.body.provider.identifier });
    assert.equal(connection.status, 201, connection.text);
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  test('link → hosted form → Enter → the proxied GET /v1/customers returns the upstream data', async () => {
    const run = await runReferenceExample({ url: server.url, clientId: server.clientId, clientSecret: server.clientSecret }, async (link) => {
      assert.ok(link.startsWith(`${server.url}/connect/`), link);
      const submitted = await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: 'sk_example_123' }) });
      assert.equal(submitted.status, 200, await submitted.clone().text());
    });
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    // console.log(result) prints the SDK's AxiosResponse: status and the upstream's parsed JSON
    // (util.inspect stops at depth 2, hence [Object] for the customer).
    assert.match(run.stdout, /status: 200/);
    assert.match(run.stdout, /data: \{ data: \[ \[Object\] \], has_more: false \}/);
    assert.match(run.stdout, /'x-request-id': 'req_123'/);
    const seen = upstream.received.at(-1)!;
    assert.equal(seen.url, '/api/v1/customers');
    assert.equal(seen.headers['x-api-key'], 'sk_example_123');
    assert.match(String(seen.headers['user-agent']), /^Scalekit-Node\/2\.11\.0 /, 'the SDK sent it');

    const account = await server.api('GET', `/api/v1/connections/${CONNECTION}/connected_accounts/${IDENTIFIER}`);
    assert.equal(account.body.connected_account.status, 'ACTIVE');
  });
});

describe('the reference example against an OAuth connector', () => {
  let api: ProtectedApi;
  let provider: OAuthProviderHarness;
  let server: TestServer;
  before(async () => {
    api = await startProtectedApi(() => provider?.provider);
    server = await startTestServer({ dualProtocol: true });
    provider = await startOAuthProvider({ redirectUris: [`${server.url}/oauth/callback/${CONNECTION}`], apiOrigin: api.url });
    const connector = await server.api('POST', '/api/v1/custom-providers', oauthConnectorDefinition(provider.issuer, api.url, { displayName: 'Provider API' }));
    assert.equal(connector.status, 201, connector.text);
    const connection = await server.api('POST', '/api/v1/connections', {
      name: CONNECTION,
      connector: connector.body.provider.identifier,
      client_id: BASIC_CLIENT.id,
      client_secret: BASIC_CLIENT.secret,
      token_endpoint_auth_method: 'client_secret_basic',
    });
    assert.equal(connection.status, 201, connection.text);
  });
  after(async () => {
    await server.close();
    await provider.close();
    await api.close();
  });

  test('link → provider consent → callback → Enter → the proxied call carries the provider token', async () => {
    const run = await runReferenceExample({ url: server.url, clientId: server.clientId, clientSecret: server.clientSecret }, async (link) => {
      const browser = new TestBrowser();
      const { url, response } = await browser.navigate(link, (u) => u.pathname.startsWith('/oauth/callback/'));
      assert.equal(response, undefined, `expected the provider to redirect to the callback, got ${response?.status} at ${url}`);
      const callback = await browser.fetch(url);
      assert.equal(callback.status, 200);
    });
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /status: 200/);
    // The protected API answers only to the provider's token, and says whose it was.
    assert.match(run.stdout, /sub: 'end-user-1'/);
    assert.match(run.stdout, /path: '\/v1\/customers'/);
    assert.equal(api.tokensSeen.size, 1);
    assert.deepEqual(provider.grants.map((g) => g.grantType), ['authorization_code']);
  });
});
