import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { createPostgresDatabase, createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call } from '../proxy/fixtures.ts';

/** DESIGN.md §2: built-in connectors come from catalog/*.yaml and are used like custom ones. */

/** A custom BEARER connector definition. */
const bearerConnector = (displayName: string, proxyUrl: string) => ({
  display_name: displayName,
  proxy_url: proxyUrl,
  proxy_enabled: true,
  auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', input_type: 'password', required: true }] }],
});

describe('the shipped catalog', () => {
  let server: TestServer;
  after(() => server?.close());

  test('every catalog file is listed as a built-in connector; custom ones are listed apart', async () => {
    server = await startTestServer();
    const shipped = (await readdir(new URL('../../catalog/', import.meta.url))).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
    assert.ok(shipped.length >= 15, `the catalog holds ${shipped.length} connectors`);
    const custom = await server.api('POST', '/api/v1/custom-providers', bearerConnector('In House', 'https://api.in-house.example'));
    assert.equal(custom.status, 201, custom.text);

    const list = async (type?: string) => {
      const response = await server.api('GET', `/api/v1/providers?page_size=100${type ? `&filter.provider_type=${type}` : ''}`);
      assert.equal(response.status, 200, response.text);
      return response.body.providers as { identifier: string; is_custom: boolean; proxy_url: string }[];
    };
    const builtIn = await list('DEFAULT');
    assert.deepEqual(builtIn.map((p) => p.identifier).sort(), [...shipped].sort());
    assert.ok(builtIn.every((p) => p.is_custom === false && p.proxy_url.startsWith('https://')));
    assert.deepEqual((await list('CUSTOM')).map((p) => [p.identifier, p.is_custom]), [['in-house', true]]);
    assert.equal((await list('ALL')).length, shipped.length + 1);
    assert.equal((await list()).length, shipped.length + 1, 'no filter lists both, like ALL');
  });

  test('a built-in connector cannot be replaced or deleted, and stays as it was', async () => {
    const before = await server.api('GET', '/api/v1/custom-providers/stripe');
    assert.equal(before.status, 200, before.text);
    const { provider } = before.body;
    for (const [method, body] of [['PUT', { ...provider, proxy_url: 'https://evil.example' }], ['DELETE', undefined]] as const) {
      const refused = await server.api(method, '/api/v1/custom-providers/stripe', body);
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.error.code, 'CONNECTOR_BUILT_IN');
    }
    assert.deepEqual((await server.api('GET', '/api/v1/custom-providers/stripe')).body, before.body);
  });

  test('a custom connector named like a built-in one gets an identifier of its own', async () => {
    const created = await server.api('POST', '/api/v1/custom-providers', bearerConnector('Stripe', 'https://stripe-mirror.example'));
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.provider.identifier, /^stripe-[0-9a-f]{6}$/);
  });

  test('an OAuth connection on a built-in connector shows the redirect URI to register', async () => {
    const created = await server.api('POST', '/api/v1/connections', {
      name: 'github',
      connector: 'github',
      client_id: 'Iv1.abc',
      client_secret: 'shh-not-shown',
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.connection.connector, 'github');
    assert.equal(created.body.connection.type, 'OAUTH');
    assert.match(created.body.connection.redirect_uri, /^http:\/\/127\.0\.0\.1:\d+\//);
    assert.ok(!created.text.includes('shh-not-shown'), 'the client secret is never returned');
  });
});

/** A connection `billing` on the loopback built-in `acme`, and an ACTIVE account `user_1` with key `sk_acme`. */
async function connectAcme(server: TestServer): Promise<void> {
  assert.equal((await server.api('POST', '/api/v1/connections', { name: 'billing', connector: 'acme' })).status, 201);
  const account = await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: 'billing',
    identifier: 'user_1',
    authorization_details: { static_auth: { details: { api_key: 'sk_acme' } } },
  });
  assert.equal(account.status, 201, account.text);
}

/** A catalog of one loopback connector, so a built-in one can be called end to end and changed between starts. */
describe('built-in connectors across restarts', () => {
  let database: TestDatabase;
  let upstream: Upstream;
  let catalogDir: string;
  const env = {
    TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TOOLPROXY_BOOTSTRAP_CLIENT_ID: 'catalog-test',
    TOOLPROXY_BOOTSTRAP_CLIENT_SECRET: randomBytes(24).toString('hex'),
  };
  after(async () => {
    await upstream?.close();
    await database?.cleanup();
    if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
  });

  const acme = (header: string) => ({
    display_name: 'Acme',
    description: 'Acme billing',
    proxy_url: `${upstream.url}/v1`,
    proxy_enabled: true,
    metadata: { category: 'Payments', docs_url: 'https://acme.example/docs' },
    auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', input_type: 'password', required: true }], auth_header_key_override: header }],
  });

  async function start(header: string): Promise<TestServer> {
    await writeFile(join(catalogDir, 'acme.yaml'), stringify(acme(header)));
    return startTestServer({ database, env, catalogDir });
  }

  test('a built-in connector works through the whole flow, and an upgraded definition applies on the next start', async () => {
    database = await createSqliteDatabase();
    upstream = await startUpstream();
    catalogDir = await mkdtemp(join(tmpdir(), 'tp-catalog-'));

    const first = await start('X-Acme-Key');
    try {
      await connectAcme(first);
      assert.equal((await call(first, await first.token(), 'billing', '/customers')).status, 200);
      assert.equal(upstream.received.at(-1)?.headers['x-acme-key'], 'sk_acme');
    } finally {
      await first.close();
    }

    const second = await start('X-Acme-Token');
    try {
      assert.equal((await call(second, await second.token(), 'billing', '/customers')).status, 200);
      const received = upstream.received.at(-1)?.headers;
      assert.equal(received?.['x-acme-token'], 'sk_acme', 'the new release of the definition is in use');
      assert.equal(received?.['x-acme-key'], undefined);
      const { provider } = (await second.api('GET', '/api/v1/custom-providers/acme')).body;
      assert.equal(provider.auth_patterns[0].auth_header_key_override, 'X-Acme-Token');
    } finally {
      await second.close();
    }
  });

  test('a custom connector that already holds a built-in identifier is kept, and the start says so', async () => {
    const server = await start('X-Acme-Key');
    try {
      await writeFile(join(catalogDir, 'in-house.yaml'), stringify({ ...acme('X-Other'), display_name: 'In House' }));
      const custom = await server.api('POST', '/api/v1/custom-providers', { ...acme('X-Mine'), display_name: 'In House', metadata: {} });
      assert.equal(custom.body.provider.identifier, 'in-house');
    } finally {
      await server.close();
    }
    const again = await startTestServer({ database, env, catalogDir });
    try {
      assert.ok(again.logs.some((line) => line.includes('built-in connectors not installed') && line.includes('in-house')));
      const { provider } = (await again.api('GET', '/api/v1/custom-providers/in-house')).body;
      assert.equal(provider.is_custom, true);
      assert.equal(provider.auth_patterns[0].auth_header_key_override, 'X-Mine');
    } finally {
      await again.close();
    }
  });

  test('a catalog file that does not validate stops the start with its name and problem', async () => {
    await writeFile(join(catalogDir, 'broken.yaml'), stringify({ display_name: 'Broken', auth_patterns: [] }));
    try {
      await assert.rejects(startTestServer({ database, env, catalogDir }), /broken\.yaml: .*proxy_url/);
    } finally {
      await rm(join(catalogDir, 'broken.yaml'));
    }
  });
});

/** DESIGN.md §4: an upgraded instance rewrites a built-in connector; instances already running hear of it. */
describe('a built-in connector upgraded by a new instance on a shared Postgres', () => {
  let database: TestDatabase | undefined;
  let upstream: Upstream;
  let catalogDir: string;
  const servers: TestServer[] = [];
  after(async () => {
    for (const server of servers.reverse()) await server.close();
    await upstream?.close();
    await database?.cleanup();
    if (catalogDir) await rm(catalogDir, { recursive: true, force: true });
  });

  test('reaches the running instance long before its cache TTL', async (t) => {
    try {
      database = await createPostgresDatabase();
    } catch (error) {
      if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
      process.stderr.write('\n!!! Postgres not reachable: the catalog upgrade across instances test is SKIPPED\n\n');
      return t.skip('Postgres not reachable');
    }
    upstream = await startUpstream();
    catalogDir = await mkdtemp(join(tmpdir(), 'tp-catalog-'));
    const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64'), TOOLPROXY_ACCOUNT_CACHE_TTL_MS: '3600000' };
    const write = (header: string) =>
      writeFile(join(catalogDir, 'acme.yaml'), stringify({
        display_name: 'Acme',
        proxy_url: `${upstream.url}/v1`,
        proxy_enabled: true,
        auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', input_type: 'password', required: true }], auth_header_key_override: header }],
      }));

    await write('X-Acme-Key');
    const running = await startTestServer({ database, env, catalogDir });
    servers.push(running);
    await connectAcme(running);
    const token = await running.token();
    assert.equal((await call(running, token, 'billing', '/customers')).status, 200);
    assert.equal(upstream.received.at(-1)?.headers['x-acme-key'], 'sk_acme', 'cached with the first release');

    await write('X-Acme-Token');
    servers.push(await startTestServer({ database, env, catalogDir }));
    const deadline = Date.now() + 3000;
    for (;;) {
      assert.equal((await call(running, token, 'billing', '/customers')).status, 200);
      if (upstream.received.at(-1)?.headers['x-acme-token'] === 'sk_acme') break;
      if (Date.now() > deadline) assert.fail('the running instance kept the old definition');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
