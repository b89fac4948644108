import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  ScalekitBadRequestException,
  ScalekitClient,
  ScalekitConflictException,
  ScalekitNotFoundException,
  ScalekitNotImplementedException,
} from '@scalekit-sdk/node';
import { ConnectorStatus, ConnectorType } from '../../src/compat/descriptors.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { apiKeyConnection, staticAuth } from './setup.ts';

/**
 * Every connected-account and connection method of the official SDK's `actions` (2.11.0, the
 * real package, unchanged) against a toolproxy server, over gRPC on h2c.
 */

let upstream: Upstream;
let server: TestServer;
let actions: ScalekitClient['actions'];
let connectorId: string;
/** Every message the SDK handed back, for the no-secrets sweep at the end (S10). */
const seen: unknown[] = [];
const SECRET = 'sk_live_canary_7f3a9b2c4d5e';

/** Runs an SDK call expected to fail and returns the exception it threw. */
async function failure(call: Promise<unknown>): Promise<any> {
  try {
    seen.push(await call);
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ dualProtocol: true });
  connectorId = await apiKeyConnection(server, 'acme', upstream.url);
  await apiKeyConnection(server, 'geo', upstream.url, { region: true });
  actions = new ScalekitClient(server.url, server.clientId, server.clientSecret).actions;
});
after(async () => {
  await server.close();
  await upstream.close();
});

describe('authorization links and get-or-create', () => {
  test('getAuthorizationLink creates the account and returns a hosted link with its expiry', async () => {
    const before = Date.now();
    const response = await actions.getAuthorizationLink({ connectionName: 'acme', identifier: 'alice' });
    seen.push(response);
    assert.match(response.link, new RegExp(`^${server.url}/connect/tpl_`));
    const expiryMs = Number(response.expiry!.seconds) * 1000;
    assert.ok(expiryMs > before && expiryMs <= Date.now() + 600_000 + 1000);
    const account = await actions.getConnectedAccount({ connectionName: 'acme', identifier: 'alice' });
    assert.equal(account.connectedAccount?.status, ConnectorStatus.PENDING_AUTH);
  });

  test('getAuthorizationLink by connectedAccountId', async () => {
    const { connectedAccount } = await actions.getConnectedAccount({ connectionName: 'acme', identifier: 'alice' });
    const response = await actions.getAuthorizationLink({ connectedAccountId: connectedAccount!.id } as never);
    assert.match(response.link, /\/connect\/tpl_/);
  });

  test('getOrCreateConnectedAccount creates a PENDING_AUTH account, then returns the same one', async () => {
    const created = await actions.getOrCreateConnectedAccount({ connectionName: 'acme', identifier: 'bob' });
    seen.push(created);
    const account = created.connectedAccount!;
    assert.match(account.id, /^ca_/);
    assert.equal(account.identifier, 'bob');
    assert.equal(account.connector, 'acme', "the SDK's connector is our connection name");
    assert.equal(account.provider, connectorId);
    assert.equal(account.status, ConnectorStatus.PENDING_AUTH);
    assert.equal(account.authorizationType, ConnectorType.API_KEY);
    assert.equal(account.authorizationDetails, undefined, 'no credentials yet');
    const again = await actions.getOrCreateConnectedAccount({ connectionName: ' acme ', identifier: 'bob ' });
    assert.equal(again.connectedAccount?.id, account.id);
  });

  test('getOrCreateConnectedAccount with credentials stores them on the existing account: ACTIVE', async () => {
    const updated = await actions.getOrCreateConnectedAccount({ connectionName: 'acme', identifier: 'bob', authorizationDetails: staticAuth({ api_key: SECRET }) });
    seen.push(updated);
    assert.equal(updated.connectedAccount?.status, ConnectorStatus.ACTIVE);
    const proxied = await actions.request({ connectionName: 'acme', identifier: 'bob', path: '/v1/customers' });
    assert.equal(proxied.status, 200);
    assert.equal(upstream.received.at(-1)?.headers['x-api-key'], SECRET);
  });

  test('concurrent getOrCreateConnectedAccount calls for a new user agree on one account', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => actions.getOrCreateConnectedAccount({ connectionName: 'acme', identifier: 'racer' })));
    assert.equal(new Set(results.map((r) => r.connectedAccount?.id)).size, 1);
  });
});

describe('create, get, update, list, delete', () => {
  test('createConnectedAccount with an API key: ACTIVE at once, and a second create conflicts', async () => {
    const created = await actions.createConnectedAccount({ connectionName: 'acme', identifier: 'carol', authorizationDetails: staticAuth({ api_key: SECRET }) });
    seen.push(created);
    assert.equal(created.connectedAccount?.status, ConnectorStatus.ACTIVE);
    const again = await failure(actions.createConnectedAccount({ connectionName: 'acme', identifier: 'carol', authorizationDetails: staticAuth({ api_key: 'x' }) }));
    assert.ok(again instanceof ScalekitConflictException, inspect(again));
    assert.equal(again.errorCode, 'ACCOUNT_EXISTS');
  });

  test('createConnectedAccount with apiConfig fills proxy_url template fields', async () => {
    const created = await actions.createConnectedAccount({
      connectionName: 'geo',
      identifier: 'dave',
      authorizationDetails: staticAuth({ api_key: SECRET }),
      apiConfig: { region: 'eu-west' },
    });
    seen.push(created);
    assert.deepEqual(created.connectedAccount?.apiConfig, { region: 'eu-west' });
    await actions.request({ connectionName: 'geo', identifier: 'dave', path: '/v1/customers' });
    assert.equal(upstream.received.at(-1)?.url, '/eu-west/v1/customers');
  });

  test('invalid credential fields: ScalekitBadRequestException listing every problem', async () => {
    const error = await failure(actions.createConnectedAccount({ connectionName: 'geo', identifier: 'erin', authorizationDetails: staticAuth({ apikey: 'typo', api_key: 42 }) }));
    assert.ok(error instanceof ScalekitBadRequestException, inspect(error));
    assert.equal(error.errorCode, 'INVALID_FIELD');
    const violations = error.unpackedDetails[0]?.validationErrorInfo?.fieldViolations.map((v) => v.field).sort();
    assert.deepEqual(violations, ['/api_key', '/apikey', '/region']);
  });

  test('bring-your-own OAuth tokens are refused by name (UNIMPLEMENTED)', async () => {
    const oauth = await failure(
      actions.createConnectedAccount({ connectionName: 'acme', identifier: 'frank', authorizationDetails: { details: { case: 'oauthToken', value: { accessToken: 'at' } } } as never }),
    );
    assert.ok(oauth instanceof ScalekitNotImplementedException, inspect(oauth));
    assert.equal(oauth.errorCode, 'NOT_SUPPORTED');
    assert.match(oauth.message, /oauth_token/);
  });

  test('organizationId and userId: stored at creation, and every call that gives them must match', async () => {
    const created = await actions.createConnectedAccount({
      connectionName: 'acme', identifier: 'olga', organizationId: 'org_1', userId: 'usr_1', authorizationDetails: staticAuth({ api_key: SECRET }),
    });
    seen.push(created);
    const id = created.connectedAccount!.id;
    assert.equal((await actions.getConnectedAccount({ connectionName: 'acme', identifier: 'olga', organizationId: 'org_1' })).connectedAccount?.id, id);
    assert.equal((await actions.getConnectedAccount({ connectedAccountId: id, userId: 'usr_1' })).connectedAccount?.id, id);
    const elsewhere = await failure(actions.getConnectedAccount({ connectionName: 'acme', identifier: 'olga', organizationId: 'org_2' }));
    assert.ok(elsewhere instanceof ScalekitNotFoundException, inspect(elsewhere));
    assert.ok((await failure(actions.deleteConnectedAccount({ connectedAccountId: id, organizationId: 'org_2' }))) instanceof ScalekitNotFoundException);
    assert.ok((await failure(actions.updateConnectedAccount({ connectedAccountId: id, userId: 'usr_2', authorizationDetails: staticAuth({ api_key: 'x' }) }))) instanceof ScalekitNotFoundException);
    assert.ok((await failure(actions.getAuthorizationLink({ connectionName: 'acme', identifier: 'olga', organizationId: 'org_2' }))) instanceof ScalekitConflictException);
    // The SDK's get-or-create in another organization: NOT_FOUND, then create conflicts.
    const other = await failure(actions.getOrCreateConnectedAccount({ connectionName: 'acme', identifier: 'olga', organizationId: 'org_2' }));
    assert.ok(other instanceof ScalekitConflictException, inspect(other));
    assert.equal(other.errorCode, 'ACCOUNT_EXISTS');
    const listed = await actions.listConnectedAccounts({ organizationId: 'org_1' });
    assert.deepEqual(listed.connectedAccounts.map((a) => a.identifier), ['olga']);
    assert.equal(listed.totalSize, 1);
    assert.deepEqual((await actions.listConnectedAccounts({ userId: 'usr_9' })).connectedAccounts, []);
    await actions.deleteConnectedAccount({ connectedAccountId: id, organizationId: 'org_1', userId: 'usr_1' });
  });

  test('getConnectedAccount by key and by id; authorization details say what is stored, never the secret', async () => {
    const byKey = await actions.getConnectedAccount({ connectionName: 'acme', identifier: 'carol' });
    const byId = await actions.getConnectedAccount({ connectedAccountId: byKey.connectedAccount!.id });
    seen.push(byKey, byId);
    assert.equal(byId.connectedAccount?.identifier, 'carol');
    assert.equal(byKey.connectedAccount?.authorizationDetails?.details.case, 'staticAuth');
    assert.deepEqual(byKey.connectedAccount?.authorizationDetails?.details.value, { $typeName: 'scalekit.v1.connected_accounts.StaticAuth', details: {} });
  });

  test('getConnectedAccount for an unknown user: ScalekitNotFoundException with ACCOUNT_NOT_FOUND', async () => {
    const error = await failure(actions.getConnectedAccount({ connectionName: 'acme', identifier: 'nobody' }));
    assert.ok(error instanceof ScalekitNotFoundException, inspect(error));
    assert.equal(error.errorCode, 'ACCOUNT_NOT_FOUND');
    assert.equal(error.grpcStatus, 5);
    const noConnection = await failure(actions.getConnectedAccount({ connectionName: 'nope', identifier: 'alice' }));
    assert.equal(noConnection.errorCode, 'CONNECTION_NOT_FOUND');
  });

  test('updateConnectedAccount by id and by key replaces the credentials', async () => {
    const { connectedAccount } = await actions.getConnectedAccount({ connectionName: 'acme', identifier: 'alice' });
    const byId = await actions.updateConnectedAccount({ connectedAccountId: connectedAccount!.id, authorizationDetails: staticAuth({ api_key: 'key_one' }) });
    assert.equal(byId.connectedAccount?.status, ConnectorStatus.ACTIVE);
    await actions.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers' });
    assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'key_one');
    await actions.updateConnectedAccount({ connectionName: 'acme', identifier: 'alice', authorizationDetails: staticAuth({ api_key: 'key_two' }) });
    await actions.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers' });
    assert.equal(upstream.received.at(-1)?.headers['x-api-key'], 'key_two');
    const missing = await failure(actions.updateConnectedAccount({ connectionName: 'acme', identifier: 'ghost', authorizationDetails: staticAuth({ api_key: 'k' }) }));
    assert.ok(missing instanceof ScalekitNotFoundException);
  });

  test('listConnectedAccounts filters by connection and identifier and pages with nextPageToken', async () => {
    const all = await actions.listConnectedAccounts({ connectionName: 'acme' });
    seen.push(all);
    const names = all.connectedAccounts.map((a) => a.identifier).sort();
    assert.deepEqual(names, ['alice', 'bob', 'carol', 'racer']);
    assert.equal(all.totalSize, 4);
    assert.equal(all.nextPageToken, '');
    const one = await actions.listConnectedAccounts({ connectionName: 'acme', identifier: 'carol' });
    assert.deepEqual(one.connectedAccounts.map((a) => [a.identifier, a.connector, a.status]), [['carol', 'acme', ConnectorStatus.ACTIVE]]);

    const paged: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await actions.listConnectedAccounts({ connectionName: 'acme', pageSize: 3, ...(pageToken ? { pageToken } : {}) });
      paged.push(...page.connectedAccounts.map((a) => a.identifier));
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
    assert.deepEqual(paged.sort(), names);

    const everywhere = await actions.listConnectedAccounts();
    assert.ok(everywhere.connectedAccounts.some((a) => a.connector === 'geo'));
    assert.equal(everywhere.totalSize, 5, 'total_size counts every page');
    assert.deepEqual((await actions.listConnectedAccounts({ provider: 'STRIPE' })).connectedAccounts, [], 'an unknown provider matches nothing');
    const byProvider = await actions.listConnectedAccounts({ provider: connectorId, pageSize: 2 });
    assert.equal(byProvider.totalSize, 4);
    assert.equal(byProvider.connectedAccounts.length, 2);
    const byNames = await actions.listConnectedAccounts({ connectionNames: ['geo', 'nope'] });
    assert.deepEqual(byNames.connectedAccounts.map((a) => a.identifier), ['dave']);
    const byQuery = await actions.listConnectedAccounts({ query: 'AROL' });
    assert.deepEqual(byQuery.connectedAccounts.map((a) => a.identifier), ['carol']);
    const both = await failure(actions.listConnectedAccounts({ connectionName: 'acme', connectionNames: ['geo'] }));
    assert.ok(both instanceof ScalekitBadRequestException, 'connectionNames with connectionName is refused, as the reference does');
  });

  test('deleteConnectedAccount by key and by id; the account is gone', async () => {
    await actions.deleteConnectedAccount({ connectionName: 'acme', identifier: 'racer' });
    assert.ok((await failure(actions.getConnectedAccount({ connectionName: 'acme', identifier: 'racer' }))) instanceof ScalekitNotFoundException);
    const { connectedAccount } = await actions.getConnectedAccount({ connectionName: 'geo', identifier: 'dave' });
    await actions.deleteConnectedAccount({ connectedAccountId: connectedAccount!.id });
    assert.ok((await failure(actions.getConnectedAccount({ connectedAccountId: connectedAccount!.id }))) instanceof ScalekitNotFoundException);
    assert.ok((await failure(actions.deleteConnectedAccount({ connectedAccountId: connectedAccount!.id }))) instanceof ScalekitNotFoundException);
  });
});

describe('connections and tools', () => {
  test('listConnections returns every connection with its name, type and provider', async () => {
    const response = await actions.listConnections();
    seen.push(response);
    const byName = new Map(response.connections.map((c) => [c.connectionName, c]));
    assert.deepEqual([...byName.keys()].sort(), ['acme', 'geo']);
    const acme = byName.get('acme')!;
    assert.equal(acme.type, 'API_KEY');
    assert.equal(acme.status, 'COMPLETED');
    assert.equal(acme.enabled, true);
    assert.equal(acme.provider, connectorId);
    assert.match(acme.id, /^conn_/);
    assert.equal(response.totalSize, 2);
  });

  test('listConnections filters by provider (an unknown one is an empty list) and pages', async () => {
    assert.deepEqual((await actions.listConnections({ provider: connectorId })).connections.map((c) => c.connectionName), ['acme']);
    assert.deepEqual((await actions.listConnections({ provider: 'UNKNOWN' })).connections, []);
    const first = await actions.listConnections({ pageSize: 1 });
    assert.equal(first.connections.length, 1);
    const second = await actions.listConnections({ pageSize: 1, pageToken: first.nextPageToken });
    assert.notEqual(second.connections[0]?.connectionName, first.connections[0]?.connectionName);
  });

  test('executeTool of a tool that does not exist is NOT_FOUND (TOOL_NOT_FOUND); tools are tested in sdk-tools.test.ts', async () => {
    const error = await failure(actions.executeTool({ toolName: 'acme_list_customers', connector: 'acme', identifier: 'alice', toolInput: {} }));
    assert.ok(error instanceof ScalekitNotFoundException, inspect(error));
    assert.equal(error.errorCode, 'TOOL_NOT_FOUND');
  });
});

test('no SDK response carried a stored secret (S10), and no log line did (S13)', () => {
  const text = inspect(seen, { depth: null });
  assert.ok(text.length > 1000, 'the sweep saw the responses');
  assert.ok(!text.includes(SECRET), 'a secret came back through the SDK');
  assert.ok(!server.logs.some((line) => line.includes(SECRET)), 'a secret reached the log');
  assert.ok(server.logs.some((line) => line.includes('"rpc":"ConnectedAccountService/CreateConnectedAccount"')), 'RPCs are logged');
});
