import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi } from '../helpers/oauth-provider.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizeThroughLink, createOAuthConnection, storedOAuthTokens } from '../helpers/oauth-accounts.ts';

/**
 * The audit trail against a real authorization server (oidc-provider): the OAuth flow sets the
 * credentials (actor: the hosted link), a proxied call past the token's expiry refreshes it, a
 * disconnect revokes the grant; one entry each, and no token the provider issued is in any of them.
 */

let database: TestDatabase;
let server: TestServer;
let provider: OAuthProviderHarness;
let api: ProtectedApi;
let offsetMs = 0;

before(async () => {
  database = await createSqliteDatabase();
  api = await startProtectedApi(() => provider?.provider);
  server = await startTestServer({ database, clock: () => Date.now() + offsetMs });
  provider = await startOAuthProvider({ redirectUris: [`${server.url}/oauth/callback/oauth`], apiOrigin: api.url });
  await createOAuthConnection(server, provider.issuer, `${api.url}/v1`, { revoke: true });
});
after(async () => {
  await server.close();
  await provider.close();
  await api.close();
  await database.cleanup();
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('OAuth: authorize, refresh and revoke leave one entry each, with no token in any', async () => {
  await server.server.audit.flush();
  const start = (await server.server.audit.repository.head()).last_seq;
  await authorizeThroughLink(server, 'alice');
  const accountId = (await server.api('GET', '/api/v1/connections/oauth/connected_accounts/alice')).body.connected_account.id;
  const issued = new Set<string>();
  const remember = async () => {
    const stored = await storedOAuthTokens(server, 'alice');
    issued.add(stored.access_token);
    issued.add(stored.refresh_token);
  };
  await remember();
  const call = async () =>
    (await fetch(`${server.url}/proxy/customers`, { headers: { authorization: `Bearer ${await server.token()}`, connection_name: 'oauth', identifier: 'alice' } })).status;
  assert.equal(await call(), 200);
  // Two hours on, the access token has expired: the next call refreshes it first.
  offsetMs = 2 * 3_600_000;
  assert.equal(await call(), 200);
  offsetMs = 0;
  await remember();
  assert.equal((await server.api('POST', '/api/v1/connections/oauth/connected_accounts/alice/disconnect')).status, 200);
  await until(async () => (await server.server.store.tokenRevocations.count()) === 0, 'the revocation');

  await server.server.audit.flush();
  const entries = await server.server.audit.repository.range(0, Number.MAX_SAFE_INTEGER, start, 1_000);
  assert.deepEqual(
    entries.map((e) => `${e.action} ${e.actor_type} ${e.outcome}`),
    [
      'account.create api_client ok',
      'credentials.set hosted_link ok',
      'proxy.call api_client ok',
      'credentials.refresh system ok',
      'proxy.call api_client ok',
      'account.disconnected api_client ok',
      'credentials.revoke system ok',
    ],
  );
  assert.ok(entries.every((e) => e.action.startsWith('api_client') || e.target_id === accountId), 'every entry is about the account');
  assert.equal(JSON.parse(entries[1]!.details!).via, 'oauth');
  assert.ok(issued.size >= 3, 'the provider issued tokens (and a refresh rotated them)');
  const exported = (await server.api('GET', `/api/v1/audit/export?from=0&to=${Date.now() + 60_000}`)).text;
  for (const token of issued) {
    assert.ok(!JSON.stringify(entries).includes(token), 'a token is in an entry');
    assert.ok(!exported.includes(token), 'a token is in the export');
  }
});
