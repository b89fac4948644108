import assert from 'node:assert/strict';
import { credentialsBinding } from '../../src/accounts/accounts-service.ts';
import { Vault } from '../../src/vault/vault.ts';
import { BASIC_CLIENT, oauthConnectorDefinition, TestBrowser } from './oauth-provider.ts';
import type { TestServer } from './server.ts';

/**
 * What the OAuth suites against oidc-provider share: the `oauth` connection (BASIC_CLIENT,
 * client_secret_basic), an account authorized through its hosted link in a TestBrowser, and the
 * tokens stored for it (decrypted, so a canary sweep can look for them everywhere else).
 */
export async function createOAuthConnection(server: TestServer, issuer: string, proxyUrl: string, options: { revoke?: boolean } = {}): Promise<void> {
  const connector = await server.api('POST', '/api/v1/custom-providers', oauthConnectorDefinition(issuer, proxyUrl, options));
  assert.equal(connector.status, 201, connector.text);
  const connection = await server.api('POST', '/api/v1/connections', {
    name: 'oauth',
    connector: connector.body.provider.identifier,
    client_id: BASIC_CLIENT.id,
    client_secret: BASIC_CLIENT.secret,
    token_endpoint_auth_method: 'client_secret_basic',
  });
  assert.equal(connection.status, 201, connection.text);
}

/** Issues a link for `identifier` on `oauth` and follows it through the provider to toolproxy's callback; both answers' texts. */
export async function authorizeThroughLink(server: TestServer, identifier: string): Promise<{ link: string; callback: string }> {
  const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'oauth', identifier });
  assert.equal(magic.status, 200, magic.text);
  const browser = new TestBrowser();
  const { url } = await browser.navigate(magic.body.link, (u) => u.pathname.startsWith('/oauth/callback/'));
  const callback = await browser.fetch(url);
  const text = await callback.text();
  assert.equal(callback.status, 200);
  return { link: magic.text, callback: text };
}

export interface StoredOAuthTokens {
  access_token: string;
  refresh_token: string;
}

/** The tokens stored for `identifier` on `oauth`, decrypted with the server's own key. */
export async function storedOAuthTokens(server: TestServer, identifier: string): Promise<StoredOAuthTokens> {
  const { id } = (await server.api('GET', `/api/v1/connections/oauth/connected_accounts/${identifier}`)).body.connected_account;
  const row = await server.server.store.accounts.findById(id);
  assert.ok(row?.credentials, `${identifier} has stored credentials`);
  return new Vault(server.server.keyring).decryptJson<StoredOAuthTokens>(row.credentials, credentialsBinding(id));
}
