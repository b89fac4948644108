import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import {
  ScalekitBadRequestException,
  ScalekitClient,
  ScalekitForbiddenException,
  ScalekitNotFoundException,
  ScalekitNotImplementedException,
} from '@scalekit-sdk/node';
import { ConnectorStatus, ConnectorType } from '../../src/compat/descriptors.ts';
import { BASIC_CLIENT, type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi, TestBrowser, oauthConnectorDefinition } from '../helpers/oauth-provider.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * OAuth user verification through the SDK (reference §3.5): a link with userVerifyUrl, the
 * provider's consent, the redirect to the app with auth_request_id, then
 * `actions.verifyConnectedAccountUser` makes the account ACTIVE, for the right user only.
 */

const APP = 'https://app.example.test';
let api: ProtectedApi;
let provider: OAuthProviderHarness;
let server: TestServer;
let actions: ScalekitClient['actions'];

async function failure(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  api = await startProtectedApi(() => provider?.provider);
  server = await startTestServer({ dualProtocol: true, env: { TOOLPROXY_ALLOWED_REDIRECT_ORIGINS: APP } });
  provider = await startOAuthProvider({ redirectUris: [`${server.url}/oauth/callback/crm`], apiOrigin: api.url });
  const connector = await server.api('POST', '/api/v1/custom-providers', oauthConnectorDefinition(provider.issuer, api.url, { displayName: 'CRM' }));
  assert.equal(connector.status, 201, connector.text);
  const connection = await server.api('POST', '/api/v1/connections', {
    name: 'crm',
    connector: connector.body.provider.identifier,
    client_id: BASIC_CLIENT.id,
    client_secret: BASIC_CLIENT.secret,
    token_endpoint_auth_method: 'client_secret_basic',
  });
  assert.equal(connection.status, 201, connection.text);
  actions = new ScalekitClient(server.url, server.clientId, server.clientSecret).actions;
});
after(async () => {
  await server.close();
  await provider.close();
  await api.close();
});

/** Link → consent → callback; returns where the callback sends the browser (the app's verify page). */
async function consent(identifier: string): Promise<URL> {
  const { link } = await actions.getAuthorizationLink({ connectionName: 'crm', identifier, userVerifyUrl: `${APP}/verify?session=s-${identifier}` });
  const browser = new TestBrowser();
  const { url, response } = await browser.navigate(link, (u) => u.pathname.startsWith('/oauth/callback/'));
  assert.equal(response, undefined, `expected the callback, got ${response?.status} at ${url}`);
  const callback = await browser.fetch(url);
  assert.equal(callback.status, 303);
  return new URL(callback.headers.get('location')!);
}

test('verifyConnectedAccountUser activates the account for the user the link was for', async () => {
  const verify = await consent('vera');
  assert.equal(verify.origin + verify.pathname, `${APP}/verify`);
  assert.equal(verify.searchParams.get('session'), 's-vera', "the app's own parameters come back unchanged");
  const authRequestId = verify.searchParams.get('auth_request_id')!;
  assert.ok(authRequestId.length >= 43);

  const pending = await actions.getConnectedAccount({ connectionName: 'crm', identifier: 'vera' });
  assert.equal(pending.connectedAccount?.status, ConnectorStatus.PENDING_VERIFICATION);
  assert.equal(pending.connectedAccount?.authorizationType, ConnectorType.OAUTH);
  assert.deepEqual(pending.connectedAccount?.authorizationDetails?.details, {
    case: 'oauthToken',
    value: { $typeName: 'scalekit.v1.connected_accounts.OauthToken', accessToken: '', refreshToken: '', scopes: [], domain: '' },
  }, 'the tokens are stored, and never returned');
  assert.ok(pending.connectedAccount?.tokenExpiresAt);

  const mismatch = await failure(actions.verifyConnectedAccountUser({ authRequestId, identifier: 'mallory' }));
  assert.ok(mismatch instanceof ScalekitForbiddenException, inspect(mismatch));
  assert.equal(mismatch.errorCode, 'USER_VERIFICATION_MISMATCH');

  const verified = await actions.verifyConnectedAccountUser({ authRequestId, identifier: 'vera' });
  assert.equal(verified.postUserVerifyRedirectUrl, '');
  assert.equal((await actions.getConnectedAccount({ connectionName: 'crm', identifier: 'vera' })).connectedAccount?.status, ConnectorStatus.ACTIVE);
  const proxied = await actions.request({ connectionName: 'crm', identifier: 'vera', path: '/customers' });
  assert.equal(proxied.data.sub, 'end-user-1');

  const again = await failure(actions.verifyConnectedAccountUser({ authRequestId, identifier: 'vera' }));
  assert.ok(again instanceof ScalekitNotFoundException, 'an auth request verifies once');
  assert.equal(again.errorCode, 'AUTH_REQUEST_NOT_FOUND');
});

test('a userVerifyUrl outside the allowed origins, or a state, is refused before any link exists', async () => {
  const foreign = await failure(actions.getAuthorizationLink({ connectionName: 'crm', identifier: 'vera', userVerifyUrl: 'https://evil.example/verify' }));
  assert.ok(foreign instanceof ScalekitBadRequestException, inspect(foreign));
  assert.equal(foreign.errorCode, 'REDIRECT_URL_NOT_ALLOWED');
  const state = await failure(actions.getAuthorizationLink({ connectionName: 'crm', identifier: 'vera', state: 'xyz' }));
  assert.ok(state instanceof ScalekitNotImplementedException, inspect(state));
  assert.match(state.message, /state/);
});
