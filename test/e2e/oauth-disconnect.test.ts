import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi, TestBrowser } from '../helpers/oauth-provider.ts';
import { type ApiResponse, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizeThroughLink, createOAuthConnection, type StoredOAuthTokens, storedOAuthTokens } from '../helpers/oauth-accounts.ts';

/**
 * DISCONNECTED and the revocation retry queue against a real authorization server
 * (oidc-provider, revocation on): disconnect revokes the grant and keeps the account; a new
 * link connects it again; a revocation endpoint outage leaves the token queued, encrypted,
 * across a restart, until an instance revokes it. The provider's tokens are the canaries.
 */

const ENCRYPTION_KEY = randomBytes(32).toString('base64');
let database: TestDatabase;
let server: TestServer;
let provider: OAuthProviderHarness;
let api: ProtectedApi;
let offsetMs = 0;
const responses: string[] = [];
/** Log lines of servers closed along the way. */
const earlierLogs: string[] = [];
/** Every token the provider issued to us, for the sweep at the end. */
const issued = new Set<string>();

const startServer = () =>
  startTestServer({
    database,
    clock: () => Date.now() + offsetMs,
    env: { TOOLPROXY_ENCRYPTION_KEY: ENCRYPTION_KEY },
    onResponse: (r: ApiResponse) => responses.push(r.text),
  });

before(async () => {
  database = await createSqliteDatabase();
  api = await startProtectedApi(() => provider?.provider);
  server = await startServer();
  provider = await startOAuthProvider({ redirectUris: [`${server.url}/oauth/callback/oauth`], apiOrigin: api.url });
  await createOAuthConnection(server, provider.issuer, `${api.url}/v1`, { revoke: true });
});
after(async () => {
  await server.close();
  await provider.close();
  await api.close();
  await database.cleanup();
});

async function authorize(identifier: string): Promise<void> {
  const { link, callback } = await authorizeThroughLink(server, identifier);
  responses.push(link, callback);
}

async function tokens(identifier: string): Promise<StoredOAuthTokens> {
  const stored = await storedOAuthTokens(server, identifier);
  issued.add(stored.access_token);
  issued.add(stored.refresh_token);
  return stored;
}

const proxy = async (identifier: string) => {
  const response = await fetch(`${server.url}/proxy/customers`, {
    headers: { authorization: `Bearer ${await server.token()}`, connection_name: 'oauth', identifier },
  });
  responses.push(await response.clone().text());
  return response;
};

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('disconnect an OAuth account', () => {
  test('revokes the grant at the provider, deletes the tokens, keeps the account; a new link connects it again', async () => {
    await authorize('alice');
    const before = await tokens('alice');
    assert.ok(await provider.provider.RefreshToken.find(before.refresh_token));
    assert.equal((await proxy('alice')).status, 200);

    const disconnected = await server.api('POST', '/api/v1/connections/oauth/connected_accounts/alice/disconnect');
    assert.equal(disconnected.status, 200, disconnected.text);
    assert.equal(disconnected.body.connected_account.status, 'DISCONNECTED');
    assert.equal(disconnected.body.connected_account.token_expires_at, null);
    const row = await server.server.store.accounts.findById(disconnected.body.connected_account.id);
    assert.equal(row?.credentials, null);
    await until(async () => (await provider.provider.RefreshToken.find(before.refresh_token)) === undefined, 'the refresh token to be revoked');
    await until(async () => (await server.server.store.tokenRevocations.count()) === 0, 'the queue to empty');

    const refused = await proxy('alice');
    assert.equal(refused.status, 409);
    assert.equal(refused.headers.get('x-toolproxy-error'), 'ACCOUNT_DISCONNECTED');
    const upstreamCalls = api.calls;
    assert.equal((await proxy('alice')).status, 409);
    assert.equal(api.calls, upstreamCalls, 'nothing reaches the upstream');

    await authorize('alice');
    const after = await tokens('alice');
    assert.notEqual(after.refresh_token, before.refresh_token);
    assert.equal((await server.api('GET', '/api/v1/connections/oauth/connected_accounts/alice')).body.connected_account.status, 'ACTIVE');
    assert.equal((await proxy('alice')).status, 200);
  });
});

describe('links retire each other (OAuth)', () => {
  test('a flow started from an older link cannot complete once a newer link was issued; the newer one connects', async () => {
    const older = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'oauth', identifier: 'carl' });
    const olderBrowser = new TestBrowser();
    const { url: olderCallback } = await olderBrowser.navigate(older.body.link, (u) => u.pathname.startsWith('/oauth/callback/'));
    await authorize('carl');
    const before = await tokens('carl');
    const late = await olderBrowser.fetch(olderCallback);
    assert.equal(late.status, 400);
    assert.equal(late.headers.get('x-toolproxy-error'), 'OAUTH_STATE_INVALID');
    assert.deepEqual(await tokens('carl'), before, 'the credentials from the newer link stay');
    const reopened = await fetch(older.body.link, { redirect: 'manual' });
    assert.equal(reopened.status, 410);
    assert.match(await reopened.text(), /newer authorization link/);
  });
});

describe('the revocation retry queue', () => {
  test('an outage at the revocation endpoint: delete still answers 204; the token waits encrypted, survives a restart, and is revoked when the provider is back', async () => {
    await authorize('bob');
    const { refresh_token } = await tokens('bob');
    provider.revocationEndpointStatus = 503;
    const requestsBefore = provider.revocationRequests;

    const started = Date.now();
    assert.equal((await server.api('DELETE', '/api/v1/connections/oauth/connected_accounts/bob')).status, 204);
    assert.ok(Date.now() - started < 2_000, 'deletion never waits on the provider');
    await until(async () => (await server.server.store.tokenRevocations.due(Date.now() + 3_600_000, 10)).length === 1 && provider.revocationRequests > requestsBefore, 'the first attempt');
    const [id] = await server.server.store.tokenRevocations.due(Date.now() + 3_600_000, 10);
    await until(async () => (await server.server.store.tokenRevocations.findById(id!))?.attempts === 1, 'the attempt to be recorded');
    const queued = await server.server.store.tokenRevocations.findById(id!);
    assert.equal(queued?.last_error, 'OAUTH_PROVIDER_UNAVAILABLE');
    assert.ok(!queued!.token.includes(refresh_token), 'stored encrypted');
    assert.ok(await provider.provider.RefreshToken.find(refresh_token), 'still valid at the provider');
    const dbDir = dirname(database.options.kind === 'sqlite' ? database.options.path : '');
    for (const name of readdirSync(dbDir)) {
      assert.ok(!readFileSync(join(dbDir, name)).toString('latin1').includes(refresh_token), `the queued token is encrypted in ${name}`);
    }
    assert.ok(server.logs.some((line) => line.includes('token revocation failed; will retry')));

    // A restart (on another port: nothing here needs the redirect URI): the queue is in the
    // database, not in the process.
    earlierLogs.push(...server.logs);
    await server.close();
    provider.revocationEndpointStatus = undefined;
    server = await startServer();
    assert.equal(await server.server.revocations.runDue(), 0, 'not due before its backoff');
    offsetMs = 2 * 3_600_000;
    assert.equal(await server.server.revocations.runDue(), 1);
    assert.equal(await server.server.store.tokenRevocations.findById(id!), undefined);
    assert.equal(await provider.provider.RefreshToken.find(refresh_token), undefined, 'revoked at the provider');
    assert.ok(server.logs.some((line) => line.includes('token revoked after retries')));
    offsetMs = 0;
  });
});

test('no token the provider issued appears in a response, a log line or the database files (S13)', async () => {
  assert.ok(issued.size >= 6);
  const dbDir = dirname(database.options.kind === 'sqlite' ? database.options.path : '');
  const files = readdirSync(dbDir).map((name) => readFileSync(join(dbDir, name)).toString('latin1')).join('\n');
  const haystacks = { responses: responses.join('\n'), logs: [...earlierLogs, ...server.logs].join('\n'), database: files };
  for (const token of issued) {
    for (const [where, haystack] of Object.entries(haystacks)) {
      for (const form of [token, Buffer.from(token).toString('base64'), encodeURIComponent(token)]) {
        assert.ok(!haystack.includes(form), `a provider token leaked into ${where}`);
      }
    }
  }
});
