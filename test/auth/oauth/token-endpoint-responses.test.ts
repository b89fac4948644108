import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { OAuthClient } from '../../../src/auth/oauth/oauth-client.ts';
import type { OAuthPattern } from '../../../src/connectors/definition-schema.ts';

/**
 * What a token endpoint may answer, as real providers answer it: Slack's "bot" token type (sent as
 * Bearer), and errors given with HTTP 200 and provider-specific codes (GitHub, Slack), which must
 * still expire a dead grant (O12) rather than read as an outage. Unknown token types are refused,
 * so a token we do not know how to send is never stored.
 */

let answer: { status: number; body: Record<string, unknown> } = { status: 200, body: {} };
let server: http.Server;
let base: string;

before(async () => {
  server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(answer.body));
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

async function exchange(): Promise<Awaited<ReturnType<OAuthClient['exchangeCode']>>> {
  const oauth = client();
  return oauth.exchangeCode(oauth.validateCallback(new URLSearchParams({ code: 'abc', state: 's' }), 's'), null);
}

const refresh = () => client().refresh({ access_token: 'old', refresh_token: 'rt', token_type: 'bearer', obtained_at: 0 });

const tokens = (tokenType: string) => ({ ok: true, access_token: 'xoxb-access', token_type: tokenType, refresh_token: 'xoxe-refresh', expires_in: 43200 });

for (const type of ['bot', 'Bearer']) {
  test(`a "${type}" token is accepted on exchange and refresh`, async () => {
    answer = { status: 200, body: tokens(type) };
    const exchanged = await exchange();
    assert.equal(exchanged.credentials.access_token, 'xoxb-access');
    assert.equal(exchanged.expiresAt, 1_000_000 + 43_200_000);
    assert.equal((await refresh()).credentials.refresh_token, 'xoxe-refresh');
  });
}

test('a token type we do not know how to send is refused, not stored', async () => {
  answer = { status: 200, body: tokens('mac') };
  await assert.rejects(exchange(), (error: Error & { code?: string; cause?: unknown }) => {
    assert.equal(error.code, 'OAUTH_PROVIDER_UNAVAILABLE');
    assert.match(String(error.cause), /token_type/);
    return true;
  });
});

for (const [body, code] of [
  [{ error: 'bad_refresh_token', error_description: 'The refresh token passed is incorrect or expired.' }, 'ACCOUNT_EXPIRED'], // GitHub
  [{ ok: false, error: 'invalid_refresh_token' }, 'ACCOUNT_EXPIRED'], // Slack
  [{ error: 'invalid_grant' }, 'ACCOUNT_EXPIRED'],
  [{ error: 'incorrect_client_credentials' }, 'OAUTH_CLIENT_REJECTED'], // GitHub
  [{ ok: false, error: 'bad_client_secret' }, 'OAUTH_CLIENT_REJECTED'], // Slack
  [{ ok: false, error: 'ratelimited' }, 'OAUTH_PROVIDER_ERROR'],
] as const) {
  test(`an error answered with HTTP 200 (${body.error}) reads as the error it is: ${code}`, async () => {
    answer = { status: 200, body };
    await assert.rejects(refresh(), { code });
    await assert.rejects(exchange(), { code });
  });
}

test('the same codes with the status RFC 6749 gives them mean the same', async () => {
  answer = { status: 400, body: { error: 'bad_refresh_token' } };
  await assert.rejects(refresh(), { code: 'ACCOUNT_EXPIRED' });
  answer = { status: 503, body: { error: 'temporarily_unavailable' } };
  await assert.rejects(refresh(), { code: 'OAUTH_PROVIDER_UNAVAILABLE' });
});
