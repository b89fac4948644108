import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { OAuthClient } from '../../../src/auth/oauth/oauth-client.ts';
import type { OAuthPattern } from '../../../src/connectors/definition-schema.ts';

/**
 * The token types a token endpoint may answer with: Bearer, and Slack's "bot" (catalog/slack.yaml),
 * which is sent as Bearer. Anything else is refused, so a token we do not know how to send is never stored.
 */

let tokenType = 'bot';
let server: http.Server;
let base: string;

before(async () => {
  server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ ok: true, access_token: 'xoxb-access', token_type: tokenType, refresh_token: 'xoxe-refresh', expires_in: 43200 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client(): OAuthClient {
  const pattern = {
    type: 'OAUTH',
    fields: [],
    account_fields: [],
    oauth_config: { authorize_uri: `${base}/authorize`, token_uri: `${base}/token`, available_scopes: [], pkce_enabled: false },
  } as unknown as OAuthPattern;
  return new OAuthClient(
    pattern,
    { clientId: 'c', clientSecret: null, authMethod: 'none', redirectUri: `${base}/callback`, scopes: [], extraAuthorizeParams: {} },
    { timeoutMs: 5000, clock: () => 1_000_000 },
  );
}

for (const type of ['bot', 'Bearer']) {
  test(`a "${type}" token is accepted on exchange and refresh`, async () => {
    tokenType = type;
    const oauth = client();
    const exchanged = await oauth.exchangeCode(oauth.validateCallback(new URLSearchParams({ code: 'abc', state: 's' }), 's'), null);
    assert.equal(exchanged.credentials.access_token, 'xoxb-access');
    assert.equal(exchanged.expiresAt, 1_000_000 + 43_200_000);
    const refreshed = await client().refresh(exchanged.credentials);
    assert.equal(refreshed.credentials.refresh_token, 'xoxe-refresh');
  });
}

test('a token type we do not know how to send is refused, not stored', async () => {
  tokenType = 'mac';
  const oauth = client();
  await assert.rejects(oauth.exchangeCode(oauth.validateCallback(new URLSearchParams({ code: 'abc', state: 's' }), 's'), null), (error: Error & { code?: string; cause?: unknown }) => {
    assert.equal(error.code, 'OAUTH_PROVIDER_UNAVAILABLE');
    assert.match(String(error.cause), /token_type/);
    return true;
  });
});
