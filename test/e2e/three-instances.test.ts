import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';
import { BASIC_CLIENT, oauthConnectorDefinition, type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi, TestBrowser } from '../helpers/oauth-provider.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Three instances on one Postgres, each with its own caches, pool and change listener, on real
 * sockets, against a real OAuth provider (oidc-provider). Their shared clock is moved past each
 * access token's expiry while calls go round-robin to all three: exactly one refresh per expiry.
 * Then a delete on one instance is refused on the other two within a second, although their
 * cached copies would be trusted for an hour: only the change relay can tell them.
 */

const HOUR_MS = 3_600_000;
const CYCLES = 3;
const CALLS_PER_CYCLE = 30;

let database: TestDatabase | undefined;
let provider: OAuthProviderHarness;
let api: ProtectedApi;
const instances: TestServer[] = [];
let now = Date.now();

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the three-instance test is SKIPPED\n\n');
    return;
  }
  const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), TOOLPROXY_ACCOUNT_CACHE_TTL_MS: String(HOUR_MS), LOG_LEVEL: 'warn' };
  // The first migrates the schema; the other two start together on it.
  instances.push(await startTestServer({ database, env, clock: () => now }));
  instances.push(...(await Promise.all([startTestServer({ database, env, clock: () => now }), startTestServer({ database, env, clock: () => now })])));
  api = await startProtectedApi(() => provider?.provider);
  provider = await startOAuthProvider({ redirectUris: [`${instances[0]!.url}/oauth/callback/shared`], apiOrigin: api.url });
});

after(async () => {
  for (const instance of instances) await instance.close();
  await provider?.close();
  await api?.close();
  await database?.cleanup();
});

const proxied = (instance: TestServer, token: string) =>
  fetch(`${instance.url}/proxy/customers`, { headers: { authorization: `Bearer ${token}`, connection_name: 'shared', identifier: 'u1' } });

test('three instances on one Postgres: calls round-robin while tokens expire refresh once per expiry; a delete is refused everywhere within a second', async (t) => {
  if (!database) return t.skip('Postgres not reachable');
  const [a, b, c] = instances as [TestServer, TestServer, TestServer];
  const connector = await a.api('POST', '/api/v1/custom-providers', oauthConnectorDefinition(provider.issuer, api.url, { displayName: 'Shared provider' }));
  assert.equal(connector.status, 201, connector.text);
  const connection = await a.api('POST', '/api/v1/connections', { name: 'shared', connector: connector.body.provider.identifier, client_id: BASIC_CLIENT.id, client_secret: BASIC_CLIENT.secret });
  assert.equal(connection.status, 201, connection.text);
  const magic = await a.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'shared', identifier: 'u1' });
  const browser = new TestBrowser();
  const { url } = await browser.navigate(magic.body.link, (u) => u.pathname.startsWith('/oauth/callback/'));
  assert.equal((await browser.fetch(url)).status, 200);

  let tokens: string[] = [];
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    // Every instance's clock passes the access token's expiry at once (our own app tokens' too).
    now += HOUR_MS + 1000;
    tokens = await Promise.all(instances.map((instance) => instance.token()));
    const before = provider.refreshCount();
    const statuses = await Promise.all(
      Array.from({ length: CALLS_PER_CYCLE }, async (_, i) => (await proxied(instances[i % 3]!, tokens[i % 3]!)).status),
    );
    assert.deepEqual([...new Set(statuses)], [200], `cycle ${cycle}: ${JSON.stringify(statuses)}`);
    assert.equal(provider.refreshCount() - before, 1, `cycle ${cycle}: exactly one refresh across the three instances`);
  }
  assert.deepEqual(provider.grantErrors, [], 'no refresh token was used twice');

  // Warm every cache, then delete on one instance.
  for (const [i, instance] of instances.entries()) assert.equal((await proxied(instance, tokens[i]!)).status, 200);
  const deleted = await a.api('DELETE', '/api/v1/connections/shared/connected_accounts/u1');
  assert.equal(deleted.status, 204);
  const deletedAt = Date.now();
  for (const [i, instance] of [b, c].entries()) {
    let refusedAfter: number | undefined;
    while (refusedAfter === undefined && Date.now() - deletedAt < 5000) {
      const response = await proxied(instance, tokens[i + 1]!);
      if (response.headers.get('x-toolproxy-error') === 'ACCOUNT_NOT_FOUND') refusedAfter = Date.now() - deletedAt;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(refusedAfter !== undefined && refusedAfter < 1000, `instance ${i + 2} refused the deleted account after ${refusedAfter ?? '> 5000'} ms`);
  }
});
