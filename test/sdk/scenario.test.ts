import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ToolproxyApiError,
  ToolproxyClient,
  UpstreamHttpError,
} from '../../packages/sdk/src/index.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { API_KEY, apiKeyConnector, submitHostedForm } from './scenario-fixtures.ts';

/** The seed flow through the Node SDK against a real server and a real upstream on loopback. */

let upstream: Upstream;
let server: TestServer;
let client: ToolproxyClient;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase() });
  client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
});
after(async () => {
  // The upstream closes even when the server failed to start, so the file never hangs.
  try {
    await server?.close();
  } finally {
    await upstream?.close();
  }
});

describe('Node SDK: the seed flow', () => {
  const connectionName = 'acme';
  const identifier = 'user_123';

  test('defines an API_KEY connector and a connection', async () => {
    const connector = await client.connectors.create(apiKeyConnector(upstream.url));
    assert.equal(connector.identifier, 'acme-billing');
    assert.equal(connector.displayName, 'Acme Billing');
    assert.ok(connector.createdAt instanceof Date);
    assert.equal(connector.definition.proxy_url, `${upstream.url}/api`);
    assert.equal((connector.definition as Record<string, unknown>).identifier, undefined, 'read-only fields are not part of the definition');

    const connection = await client.connections.create({ name: connectionName, connector: connector.identifier });
    assert.equal(connection.type, 'API_KEY');
    assert.equal(connection.enabled, true);
    const { connections } = await client.actions.listConnections();
    assert.deepEqual(connections.map((c) => c.name), [connectionName]);
  });

  test('refuses the proxy call while the account is not active, with the stable code (inactive account error)', async () => {
    const { connectedAccount, created } = await client.actions.getOrCreateConnectedAccount({ connectionName, identifier });
    assert.equal(created, true);
    assert.equal(connectedAccount.status, 'PENDING_AUTH');
    assert.equal(connectedAccount.hasCredentials, false);

    upstream.received.length = 0;
    await assert.rejects(client.actions.request({ connectionName, identifier, path: '/v1/customers' }), (error: unknown) => {
      assert.ok(error instanceof ToolproxyApiError);
      assert.equal(error.code, 'ACCOUNT_NOT_ACTIVE');
      assert.equal(error.status, 409);
      assert.equal((error.details as { status: string }).status, 'PENDING_AUTH');
      return true;
    });
    assert.equal(upstream.received.length, 0, 'nothing reached the upstream');
  });

  test('gets an authorization link; the hosted form makes the account ACTIVE', async () => {
    const { link, expiry, connectedAccount } = await client.actions.getAuthorizationLink({ connectionName, identifier });
    assert.match(link, /\/connect\/[A-Za-z0-9_-]+$/);
    assert.ok(expiry instanceof Date && expiry.getTime() > Date.now());
    assert.equal(connectedAccount.identifier, identifier);

    await submitHostedForm(link, server.url);
    const { connectedAccount: active } = await client.actions.getConnectedAccount({ connectionName, identifier });
    assert.equal(active.status, 'ACTIVE');
    assert.equal(active.hasCredentials, true);
    assert.ok(!JSON.stringify(active).includes(API_KEY), 'credentials never come back');
  });

  test('proxies a GET with query parameters and the key injected; the JSON body is parsed', async () => {
    upstream.received.length = 0;
    const result = await client.actions.request({ connectionName, identifier, path: '/v1/customers', queryParams: { limit: 2, tag: ['a', 'b'] } });
    assert.equal(result.status, 200);
    assert.equal(result.ok, true);
    assert.deepEqual(result.body, { data: [{ id: 'cus_1', name: 'Ada' }], has_more: false });
    assert.deepEqual(result.data, result.body, 'data is the reference name of the body');
    assert.equal(result.headers.get('x-request-id'), 'req_123');
    const seen = upstream.received[0]!;
    assert.equal(seen.url, '/api/v1/customers?limit=2&tag=a&tag=b');
    assert.equal(seen.headers['x-api-key'], API_KEY);
    assert.equal(seen.headers.connection_name, undefined);
    assert.equal(seen.headers.authorization, undefined, 'the app token never reaches the upstream');
  });

  test('proxies a POST with a JSON body and passes the upstream 201 through', async () => {
    const result = await client.actions.request({ connectionName, identifier, path: 'v1/customers', method: 'post', body: { name: 'Grace', tags: ['vip'] } });
    assert.equal(result.status, 201);
    assert.equal(result.headers.get('location'), '/v1/customers/cus_2');
    assert.deepEqual((result.body as { received: unknown }).received, { name: 'Grace', tags: ['vip'] });
    const seen = upstream.received.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.headers['content-type'], 'application/json');
  });

  test('returns an upstream 404 as data, and throws it only with throwOnError', async () => {
    const missing = await client.actions.request({ connectionName, identifier, path: '/v1/nothing-here' });
    assert.equal(missing.status, 404);
    assert.equal(missing.ok, false);
    assert.deepEqual(missing.body, { error: { type: 'invalid_request_error', message: 'No such route: /api/v1/nothing-here' } });

    await assert.rejects(client.actions.request({ connectionName, identifier, path: '/v1/nothing-here', throwOnError: true }), (error: unknown) => {
      assert.ok(error instanceof UpstreamHttpError);
      assert.equal(error.code, 'UPSTREAM_HTTP_ERROR');
      assert.equal(error.status, 404);
      assert.equal(error.response.status, 404);
      return true;
    });
    const broken = await client.actions.request({ connectionName, identifier, path: '/v1/broken' });
    assert.equal(broken.status, 500);
    assert.equal(broken.headers.get('retry-after'), '7');
  });

  test('lists, updates and deletes connected accounts', async () => {
    const created = await client.actions.createConnectedAccount({
      connectionName,
      identifier: 'user_byo',
      authorizationDetails: { staticAuth: { details: { api_key: 'sk_byo_1' } } },
    });
    assert.equal(created.connectedAccount.status, 'ACTIVE');
    await assert.rejects(client.actions.createConnectedAccount({ connectionName, identifier: 'user_byo' }), { code: 'ACCOUNT_EXISTS' });

    const page = await client.actions.listConnectedAccounts({ connectionName, pageSize: 1 });
    assert.equal(page.connectedAccounts.length, 1);
    assert.ok(page.nextPageToken);
    const rest = await client.actions.listConnectedAccounts({ connectionName, pageSize: 1, pageToken: page.nextPageToken });
    assert.notEqual(rest.connectedAccounts[0]!.id, page.connectedAccounts[0]!.id);
    const active = await client.actions.listConnectedAccounts({ status: 'ACTIVE' });
    assert.deepEqual(active.connectedAccounts.map((a) => a.identifier).sort(), ['user_123', 'user_byo']);

    const { connectedAccount } = await client.actions.updateConnectedAccount({
      connectedAccountId: created.connectedAccount.id,
      authorizationDetails: { staticAuth: { details: { api_key: 'sk_byo_2' } } },
    });
    assert.equal(connectedAccount.id, created.connectedAccount.id);
    upstream.received.length = 0;
    await client.actions.request({ connectionName, identifier: 'user_byo', path: '/v1/customers' });
    assert.equal(upstream.received[0]!.headers['x-api-key'], 'sk_byo_2');

    await client.actions.deleteConnectedAccount({ connectionName, identifier: 'user_byo' });
    await assert.rejects(client.actions.getConnectedAccount({ connectedAccountId: created.connectedAccount.id }), (error: unknown) => {
      assert.ok(error instanceof ToolproxyApiError);
      assert.equal(error.code, 'ACCOUNT_NOT_FOUND');
      assert.equal(error.status, 404);
      return true;
    });
  });

  test('disconnects, searches and scopes accounts; identifiers are sent exactly as given, never trimmed', async () => {
    const details = { staticAuth: { details: { api_key: 'sk_scoped' } } };
    const created = await client.actions.createConnectedAccount({ connectionName, identifier: 'org-user@example.com', organizationId: 'org_7', userId: 'usr_7', authorizationDetails: details });
    assert.equal(created.connectedAccount.organizationId, 'org_7');
    assert.equal(created.connectedAccount.userId, 'usr_7');
    await assert.rejects(client.actions.getConnectedAccount({ connectionName, identifier: 'org-user@example.com', organizationId: 'org_8' }), { code: 'ACCOUNT_NOT_FOUND', status: 404 });
    const inOrg = await client.actions.listConnectedAccounts({ organizationId: 'org_7' });
    assert.deepEqual(inOrg.connectedAccounts.map((a) => a.identifier), ['org-user@example.com']);
    assert.equal(inOrg.totalSize, 1);

    const found = await client.actions.searchConnectedAccounts({ query: 'EXAMPLE.COM' });
    assert.deepEqual(found.connectedAccounts.map((a) => a.identifier), ['org-user@example.com']);
    await assert.rejects(client.actions.searchConnectedAccounts({ query: 'ab' }), { code: 'VALIDATION_FAILED' });

    const { connectedAccount } = await client.actions.disconnectConnectedAccount({ connectedAccountId: created.connectedAccount.id, organizationId: 'org_7' });
    assert.equal(connectedAccount.status, 'DISCONNECTED');
    assert.equal(connectedAccount.hasCredentials, false);
    await assert.rejects(client.actions.request({ connectionName, identifier: 'org-user@example.com', path: '/v1/customers' }), { code: 'ACCOUNT_DISCONNECTED', status: 409 });

    // What used to be trimmed into another user's account is refused before anything is sent.
    const sent = upstream.received.length;
    for (const identifier of ['user_123 ', '\tuser_123', 'user_123\u00a0']) {
      await assert.rejects(client.actions.request({ connectionName, identifier, path: '/v1/customers' }), { code: 'INVALID_IDENTIFIER' });
      await assert.rejects(client.actions.getAuthorizationLink({ connectionName, identifier }), { code: 'INVALID_IDENTIFIER' });
      await assert.rejects(client.actions.createConnectedAccount({ connectionName, identifier, authorizationDetails: details }), { code: 'INVALID_IDENTIFIER' });
    }
    assert.equal(upstream.received.length, sent);
    // Lookups by key send the identifier as it is: no account "user_123 " exists, and user_123 is not it.
    await assert.rejects(client.actions.getConnectedAccount({ connectionName, identifier: 'user_123 ' }), { code: 'ACCOUNT_NOT_FOUND' });
  });

  test('getOrCreateConnectedAccount with authorizationDetails stores them, as the reference does', async () => {
    const { connectedAccount, created } = await client.actions.getOrCreateConnectedAccount({
      connectionName,
      identifier: 'user_upsert',
      authorizationDetails: { staticAuth: { details: { api_key: 'sk_upsert' } } },
    });
    assert.equal(created, true);
    assert.equal(connectedAccount.status, 'ACTIVE');
  });
});

describe('Node SDK: management and errors', () => {
  test('an invalid connector definition is refused with every problem listed', async () => {
    await assert.rejects(
      client.connectors.create({ display_name: '', proxy_url: 'ftp://x', auth_patterns: [{ type: 'api_key' }] }),
      (error: unknown) => {
        assert.ok(error instanceof ToolproxyApiError);
        assert.equal(error.code, 'CONNECTOR_INVALID');
        assert.equal(error.status, 422);
        assert.ok(error.problems.length >= 3, JSON.stringify(error.problems));
        assert.ok(error.problems.some((p) => p.path === '/auth_patterns/0/type'));
        return true;
      },
    );
  });

  test('apply creates a connector, then replaces the one with the same name', async () => {
    const definition = apiKeyConnector(upstream.url, 'Applied API');
    const first = await client.connectors.apply(definition);
    assert.equal(first.action, 'created');
    const second = await client.connectors.apply({ ...definition, description: 'v2' });
    assert.equal(second.action, 'replaced');
    assert.equal(second.connector.identifier, first.connector.identifier);
    assert.equal((await client.connectors.get(first.connector.identifier)).definition.description, 'v2');
    await client.connectors.delete(first.connector.identifier);
    await assert.rejects(client.connectors.get(first.connector.identifier), { code: 'CONNECTOR_NOT_FOUND' });
  });

  test('lists built-in and custom connectors apart; apply never touches a built-in one', async () => {
    const builtIn = (await client.connectors.list({ type: 'builtin', pageSize: 100 })).connectors;
    assert.ok(builtIn.length > 0 && builtIn.every((c) => !c.isCustom));
    assert.ok(builtIn.some((c) => c.identifier === 'stripe'));
    const custom = (await client.connectors.list({ type: 'custom', pageSize: 100 })).connectors;
    assert.ok(custom.length > 0 && custom.every((c) => c.isCustom));

    const stripe = await client.connectors.get('stripe');
    const applied = await client.connectors.apply({ ...stripe.definition, proxy_url: upstream.url });
    assert.equal(applied.action, 'created');
    assert.notEqual(applied.connector.identifier, 'stripe');
    await assert.rejects(client.connectors.delete('stripe'), { code: 'CONNECTOR_BUILT_IN' });
    await client.connectors.delete(applied.connector.identifier);
  });

  test('connections can be disabled; a disabled connection refuses proxy calls', async () => {
    await client.connections.create({ name: 'acme-off', connector: 'acme-billing' });
    await client.actions.createConnectedAccount({ connectionName: 'acme-off', identifier: 'u', authorizationDetails: { staticAuth: { details: { api_key: 'k' } } } });
    const disabled = await client.connections.update('acme-off', { enabled: false });
    assert.equal(disabled.enabled, false);
    await assert.rejects(client.actions.request({ connectionName: 'acme-off', identifier: 'u', path: '/v1/customers' }), { code: 'CONNECTION_DISABLED' });
    await assert.rejects(client.connections.delete('acme-off'), { code: 'CONNECTION_IN_USE' });
  });

  test('API clients: the secret comes back once, works, and stops working when revoked', async () => {
    const { client: created, clientSecret } = await client.apiClients.create({ name: 'billing-worker' });
    assert.match(created.clientId, /^tpc_/);
    assert.match(clientSecret, /^tps_/);
    const listed = await client.apiClients.list();
    assert.ok(listed.some((c) => c.clientId === created.clientId && c.revokedAt === null));
    assert.ok(!JSON.stringify(listed).includes(clientSecret), 'the secret is never listed');

    const worker = new ToolproxyClient(server.url, created.clientId, clientSecret);
    assert.ok((await worker.actions.listConnections()).connections.length > 0);
    await client.apiClients.revoke(created.clientId);
    // The token is refused (UNAUTHENTICATED); the SDK asks for a new one, which the revoked client cannot get.
    await assert.rejects(worker.actions.listConnections(), { code: 'INVALID_CLIENT' });
    await assert.rejects(client.apiClients.revoke(created.clientId), { code: 'CLIENT_NOT_FOUND', status: 404 });
  });

  test('refuses to revoke the last active API client', async () => {
    await assert.rejects(client.apiClients.revoke(server.clientId), { code: 'LAST_ACTIVE_CLIENT', status: 409 });
  });

  test('wrong client credentials are an INVALID_CLIENT error', async () => {
    const wrong = new ToolproxyClient(server.url, server.clientId, 'tps_wrong');
    await assert.rejects(wrong.actions.listConnections(), (error: unknown) => {
      assert.ok(error instanceof ToolproxyApiError);
      assert.equal(error.code, 'INVALID_CLIENT');
      assert.equal(error.status, 401);
      assert.ok(!error.message.includes('tps_wrong'));
      return true;
    });
  });

  test('authorization-link options and user verification reach the server', async () => {
    await assert.rejects(
      client.actions.getAuthorizationLink({ connectionName: 'acme', identifier: 'user_123', redirectUrl: 'https://not-allowed.example/back' }),
      { code: 'REDIRECT_URL_NOT_ALLOWED', status: 400 },
    );
    await assert.rejects(client.actions.verifyConnectedAccountUser({ authRequestId: 'ar_unknown', identifier: 'user_123' }), { code: 'AUTH_REQUEST_NOT_FOUND', status: 404 });
  });

  test('refuses bad arguments before any call', async () => {
    assert.throws(() => new ToolproxyClient('not a url', 'a', 'b'), TypeError);
    assert.throws(() => new ToolproxyClient(server.url, '', 'b'), TypeError);
    await assert.rejects(client.actions.request({ connectionName: 'acme', identifier: ' ', path: '/x' }), TypeError);
    await assert.rejects(client.actions.request({ connectionName: 'acme', identifier: 'u', path: '/x', body: {}, rawBody: 'x' }), TypeError);
  });
});
