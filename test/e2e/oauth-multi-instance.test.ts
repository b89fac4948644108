import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createPostgresDatabase, type TestDatabase } from '../helpers/databases.ts';
import { BASIC_CLIENT, oauthConnectorDefinition, type OAuthProviderHarness, type ProtectedApi, startOAuthProvider, startProtectedApi, TestBrowser } from '../helpers/oauth-provider.ts';
import { freePort } from '../helpers/server.ts';

/**
 * R2: two server processes share one Postgres. 100 concurrent calls (50 to each) on an account
 * whose access token has expired, with a rotating refresh token, must refresh exactly once.
 */

const clientId = 'tp-multi-instance';
const clientSecret = randomBytes(24).toString('base64url');
const encryptionKey = randomBytes(32).toString('base64');
let database: TestDatabase | undefined;
let provider: OAuthProviderHarness;
let api: ProtectedApi;
const servers: Array<{ url: string; child: ChildProcess; dataDir: string }> = [];

async function startInstance(databaseUrl: string): Promise<{ url: string; child: ChildProcess; dataDir: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'tp-multi-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      TOOLPROXY_PUBLIC_URL: url,
      TOOLPROXY_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      TOOLPROXY_ENCRYPTION_KEY: encryptionKey,
      TOOLPROXY_BOOTSTRAP_CLIENT_ID: clientId,
      TOOLPROXY_BOOTSTRAP_CLIENT_SECRET: clientSecret,
      // Every call reads the account again, so each instance sees the other's writes at once.
      TOOLPROXY_ACCOUNT_CACHE_TTL_MS: '0',
      TOOLPROXY_EGRESS_ALLOW_CIDRS: '127.0.0.0/8,::1/128',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('client_secret')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}: ${stderr}`)));
  });
  return { url, child, dataDir };
}

async function appToken(url: string): Promise<string> {
  const response = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

before(async () => {
  try {
    database = await createPostgresDatabase();
  } catch (error) {
    if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
    process.stderr.write('\n!!! Postgres not reachable: the multi-instance OAuth test is SKIPPED\n\n');
    return;
  }
  if (database.options.kind !== 'postgres') throw new Error('expected Postgres');
  const url = database.options.url;
  // The first instance migrates; the second starts after it so both see one schema.
  servers.push(await startInstance(url));
  servers.push(await startInstance(url));
  api = await startProtectedApi(() => provider?.provider);
  provider = await startOAuthProvider({ redirectUris: [`${servers[0]!.url}/oauth/callback/shared`], apiOrigin: api.url });
});

after(async () => {
  for (const server of servers) {
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    rmSync(server.dataDir, { recursive: true, force: true });
  }
  await provider?.close();
  await api?.close();
  await database?.cleanup();
});

test('two instances on one Postgres refresh an expired token exactly once for 100 concurrent calls (R2)', { skip: false }, async (t) => {
  if (!database || database.options.kind !== 'postgres') return t.skip('Postgres not reachable');
  const [a, b] = servers as [(typeof servers)[0], (typeof servers)[0]];
  const token = await appToken(a.url);
  const call = (path: string, body: unknown) =>
    fetch(`${a.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  const connector = await call('/api/v1/custom-providers', oauthConnectorDefinition(provider.issuer, api.url, { displayName: 'Shared provider' }));
  assert.equal(connector.status, 201);
  const identifier = ((await connector.json()) as { provider: { identifier: string } }).provider.identifier;
  assert.equal((await call('/api/v1/connections', { name: 'shared', connector: identifier, client_id: BASIC_CLIENT.id, client_secret: BASIC_CLIENT.secret })).status, 201);
  const magic = (await (await call('/api/v1/connected_accounts/magic_link', { connection_name: 'shared', identifier: 'u1' })).json()) as { link: string };
  const browser = new TestBrowser();
  const { url } = await browser.navigate(magic.link, (u) => u.pathname.startsWith('/oauth/callback/'));
  assert.equal((await browser.fetch(url)).status, 200);

  // Expire the access token for both instances at once.
  const client = new pg.Client({ connectionString: database.options.url });
  await client.connect();
  await client.query('update connected_accounts set token_expires_at = 1');
  await client.end();

  const before = provider.refreshCount();
  const tokens = { a: await appToken(a.url), b: await appToken(b.url) };
  const responses = await Promise.all(
    Array.from({ length: 100 }, (_, i) => {
      const target = i % 2 === 0 ? { url: a.url, token: tokens.a } : { url: b.url, token: tokens.b };
      return fetch(`${target.url}/proxy/customers`, { headers: { authorization: `Bearer ${target.token}`, connection_name: 'shared', identifier: 'u1' } });
    }),
  );
  const statuses = responses.map((r) => r.status);
  assert.deepEqual(new Set(statuses), new Set([200]), `statuses: ${JSON.stringify(statuses)}`);
  assert.equal(provider.refreshCount() - before, 1, 'exactly one refresh across both instances');
  assert.equal(provider.grantErrors.filter((e) => e === 'invalid_grant').length, 0);
});
