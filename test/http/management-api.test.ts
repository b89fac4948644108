import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let now = Date.now();

const apiKeyConnector = {
  display_name: 'Lifecycle API',
  proxy_url: 'https://api.lifecycle.example/v2',
  proxy_enabled: true,
  auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
};

before(async () => {
  server = await startTestServer({ database: await createSqliteDatabase(), clock: () => now });
});
after(() => server.close());

describe('connectors', () => {
  test('create, get, list, replace and delete a custom connector', async () => {
    const created = await server.api('POST', '/api/v1/custom-providers', apiKeyConnector);
    assert.equal(created.status, 201);
    const { identifier, id } = created.body.provider;
    assert.equal(identifier, 'lifecycle-api');
    assert.match(id, /^prov_/);
    assert.equal(created.body.provider.is_custom, true);

    const second = await server.api('POST', '/api/v1/custom-providers', apiKeyConnector);
    assert.notEqual(second.body.provider.identifier, identifier, 'identifiers stay unique');

    assert.equal((await server.api('GET', `/api/v1/custom-providers/${identifier}`)).body.provider.id, id);
    assert.equal((await server.api('GET', `/api/v1/custom-providers/${id}`)).body.provider.identifier, identifier);
    const listed = await server.api('GET', '/api/v1/providers?filter.provider_type=CUSTOM');
    assert.ok(listed.body.providers.some((p: { id: string }) => p.id === id));

    const replaced = await server.api('PUT', `/api/v1/custom-providers/${identifier}`, { ...apiKeyConnector, description: 'v2' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.provider.description, 'v2');

    await server.api('POST', '/api/v1/connections', { name: 'lifecycle', connector: identifier });
    const inUse = await server.api('DELETE', `/api/v1/custom-providers/${identifier}`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'CONNECTOR_IN_USE');
    const typeChange = await server.api('PUT', `/api/v1/custom-providers/${identifier}`, {
      ...apiKeyConnector,
      auth_patterns: [{ type: 'BEARER', fields: [{ field_name: 'token', label: 'Token', input_type: 'password', required: true }] }],
    });
    assert.equal(typeChange.status, 409);

    assert.equal((await server.api('DELETE', `/api/v1/connections/lifecycle`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/custom-providers/${identifier}`)).status, 204);
    assert.equal((await server.api('GET', `/api/v1/custom-providers/${identifier}`)).body.error.code, 'CONNECTOR_NOT_FOUND');
  });

  test('create and replace warn about a proxy_url the egress policy will refuse; the connector is saved all the same', async () => {
    const clean = await server.api('POST', '/api/v1/custom-providers', { ...apiKeyConnector, display_name: 'Public API' });
    assert.deepEqual(clean.body.warnings, []);
    const created = await server.api('POST', '/api/v1/custom-providers', { ...apiKeyConnector, display_name: 'Metadata API', proxy_url: 'http://169.254.169.254/latest' });
    assert.equal(created.status, 201);
    assert.deepEqual(
      created.body.warnings.map((w: { code: string; path: string }) => [w.code, w.path]),
      [['UPSTREAM_ADDRESS_FORBIDDEN', '/proxy_url']],
    );
    const { identifier } = created.body.provider;
    const replaced = await server.api('PUT', `/api/v1/custom-providers/${identifier}`, { ...apiKeyConnector, display_name: 'Metadata API', proxy_url: 'https://10.20.30.40/v1' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.warnings[0].code, 'UPSTREAM_ADDRESS_FORBIDDEN');
    assert.equal((await server.api('GET', `/api/v1/custom-providers/${identifier}`)).body.provider.proxy_url, 'https://10.20.30.40/v1');
    // The test server allows loopback (TOOLPROXY_EGRESS_ALLOW_CIDRS): no warning for it here.
    const loopback = await server.api('POST', '/api/v1/custom-providers', { ...apiKeyConnector, display_name: 'Local API', proxy_url: 'http://localhost:4000' });
    assert.deepEqual(loopback.body.warnings, []);
  });

  test('serves the connector definition JSON Schema', async () => {
    const response = await fetch(`${server.url}/api/connector-definition.schema.json`);
    assert.equal(response.status, 200);
    const schema = (await response.json()) as { type: string; required: string[] };
    assert.equal(schema.type, 'object');
    for (const field of ['display_name', 'proxy_url', 'auth_patterns']) assert.ok(schema.required.includes(field));
  });
});

describe('connections and accounts', () => {
  let connector: string;
  before(async () => {
    connector = (await server.api('POST', '/api/v1/custom-providers', { ...apiKeyConnector, display_name: 'Accounts API' })).body.provider.identifier;
    await server.api('POST', '/api/v1/connections', { name: 'accounts', connector });
  });

  test('refuses a duplicate connection name and a bad one', async () => {
    const duplicate = await server.api('POST', '/api/v1/connections', { name: 'accounts', connector });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.error.code, 'CONNECTION_EXISTS');
    const bad = await server.api('POST', '/api/v1/connections', { name: 'has space', connector });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  });

  test('get-or-create is atomic: 10 concurrent calls give one account', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () => server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'accounts', identifier: 'racer' })),
    );
    assert.equal(new Set(results.map((r) => r.body.connected_account.id)).size, 1);
    assert.equal(results.filter((r) => r.body.created).length, 1);
    assert.equal(results.filter((r) => r.status === 201).length, 1);
  });

  test('an account can be read, updated and deleted by id or by (connection, identifier)', async () => {
    const created = await server.api('POST', '/api/v1/connected_accounts', {
      connection_name: 'accounts',
      identifier: 'user/with/slashes',
      authorization_details: { static_auth: { details: { api_key: 'k_first' } } },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.connected_account.status, 'ACTIVE');
    const id = created.body.connected_account.id;
    const byKey = `/api/v1/connections/accounts/connected_accounts/${encodeURIComponent('user/with/slashes')}`;
    assert.equal((await server.api('GET', byKey)).body.connected_account.id, id);
    const updated = await server.api('PATCH', `/api/v1/connected_accounts/${id}`, { authorization_details: { static_auth: { details: { api_key: 'k_second' } } } });
    assert.equal(updated.status, 200);
    assert.ok(!updated.text.includes('k_second'));
    const duplicate = await server.api('POST', '/api/v1/connected_accounts', {
      connection_name: 'accounts',
      identifier: 'user/with/slashes',
      authorization_details: { static_auth: { details: { api_key: 'k' } } },
    });
    assert.equal(duplicate.body.error.code, 'ACCOUNT_EXISTS');
    assert.equal((await server.api('DELETE', byKey)).status, 204);
    assert.equal((await server.api('GET', `/api/v1/connected_accounts/${id}`)).body.error.code, 'ACCOUNT_NOT_FOUND');
  });

  test('lists accounts with filters and pages', async () => {
    for (const identifier of ['p1', 'p2', 'p3']) {
      await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'accounts', identifier });
    }
    const first = await server.api('GET', '/api/v1/connected_accounts?connection_name=accounts&status=PENDING_AUTH&page_size=2');
    assert.equal(first.body.connected_accounts.length, 2);
    assert.ok(first.body.next_page_token);
    const second = await server.api('GET', `/api/v1/connected_accounts?connection_name=accounts&status=PENDING_AUTH&page_size=2&page_token=${first.body.next_page_token}`);
    const ids = [...first.body.connected_accounts, ...second.body.connected_accounts].map((a: { identifier: string }) => a.identifier);
    assert.deepEqual(new Set(ids), new Set(['racer', 'p1', 'p2', 'p3']));
    const bad = await server.api('GET', '/api/v1/connected_accounts?status=SLEEPING');
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  });

  test('an expired authorization link shows a clear page and stores nothing', async () => {
    const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'accounts', identifier: 'late' });
    const link = `${server.url}${new URL(magic.body.link).pathname}`;
    now += 10 * 60 * 1000 + 1;
    try {
      const page = await fetch(link);
      assert.equal(page.status, 410);
      assert.match(await page.text(), /expired/);
      const submit = await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: 'too late' }) });
      assert.equal(submit.status, 410);
    } finally {
      now -= 10 * 60 * 1000 + 1;
    }
    const account = await server.api('GET', '/api/v1/connections/accounts/connected_accounts/late');
    assert.equal(account.body.connected_account.status, 'PENDING_AUTH');
    assert.equal(account.body.connected_account.has_credentials, false);
    const unknown = await fetch(`${server.url}/connect/tpl_not-a-real-token`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /not valid/);
  });

  test('a hosted form with a missing field shows it again with the problem, and the link stays usable', async () => {
    const magic = await server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'accounts', identifier: 'retry' });
    const link = `${server.url}${new URL(magic.body.link).pathname}`;
    const empty = await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: '' }) });
    assert.equal(empty.status, 422);
    assert.match(await empty.text(), /is required/);
    const ok = await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: 'k_retry' }) });
    assert.equal(ok.status, 200);
  });
});

describe('OpenAPI', () => {
  test('documents the management API at /api/openapi.json', async () => {
    const response = await fetch(`${server.url}/api/openapi.json`);
    assert.equal(response.status, 200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(doc.openapi, /^3\./);
    for (const path of ['/api/v1/custom-providers', '/api/v1/connections', '/api/v1/connected_accounts', '/api/v1/connected_accounts/magic_link', '/oauth/token']) {
      assert.ok(path in doc.paths, `${path} documented`);
    }
  });
});
