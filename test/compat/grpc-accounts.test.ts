import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ConnectedAccountService, ConnectionProvider, ConnectionService, ConnectionStatus, ConnectorStatus, ErrorInfoSchema } from '../../src/compat/descriptors.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { apiKeyConnection, staticAuth } from './setup.ts';

/**
 * The account RPCs the Node SDK never calls (`GetConnectedAccount`, `SearchConnectedAccounts`,
 * `DisconnectConnectedAccount`), over the real gRPC wire: a connect-node client built from the
 * same descriptors the SDK ships, on h2c, as any other gRPC client would call them. And
 * `ListAppConnections` for built-in connectors.
 */

let upstream: Upstream;
let server: TestServer;
let accounts: Client<typeof ConnectedAccountService>;
let connections: Client<typeof ConnectionService>;
const SECRET = 'sk_live_grpc_canary_5e1d0c9b';

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ dualProtocol: true });
  await apiKeyConnection(server, 'acme', upstream.url);
  await apiKeyConnection(server, 'beta', upstream.url);
  const token = await server.token();
  const bearer: Interceptor = (next) => (req) => {
    req.header.set('authorization', `Bearer ${token}`);
    return next(req);
  };
  const transport = createGrpcTransport({ baseUrl: server.url, interceptors: [bearer] });
  accounts = createClient(ConnectedAccountService, transport);
  connections = createClient(ConnectionService, transport);
  for (const [connector, identifier] of [['acme', 'alice@example.com'], ['acme', 'bob@example.com'], ['beta', 'alice@corp.example'], ['acme', 'zed']] as const) {
    await accounts.createConnectedAccount({ connector, identifier, connectedAccount: { authorizationDetails: staticAuth({ api_key: SECRET }) } });
  }
});
after(async () => {
  await server.close();
  await upstream.close();
});

async function rpcError(call: Promise<unknown>): Promise<{ code: Code; errorCode: string | undefined }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ConnectError, String(error));
    return { code: error.code, errorCode: error.findDetails(ErrorInfoSchema)[0]?.errorCode };
  }
  assert.fail('expected the RPC to fail');
}

test('GetConnectedAccount by id; an unknown or missing id is NOT_FOUND or INVALID_ARGUMENT', async () => {
  const { connectedAccount } = await accounts.getConnectedAccountAuth({ connector: 'acme', identifier: 'zed' });
  const got = await accounts.getConnectedAccount({ id: connectedAccount!.id });
  assert.equal(got.connectedAccount?.identifier, 'zed');
  assert.equal(got.connectedAccount?.connector, 'acme');
  assert.equal(got.connectedAccount?.status, ConnectorStatus.ACTIVE);
  assert.equal(got.connectedAccount?.authorizationDetails?.details.case, 'staticAuth', 'it says what is stored, never the value');
  assert.deepEqual(await rpcError(accounts.getConnectedAccount({ id: 'ca_nope' })), { code: Code.NotFound, errorCode: 'ACCOUNT_NOT_FOUND' });
  assert.deepEqual(await rpcError(accounts.getConnectedAccount({ id: '' })), { code: Code.InvalidArgument, errorCode: 'VALIDATION_FAILED' });
});

test('SearchConnectedAccounts matches identifiers, connection names and connectors case-insensitively, with total_size and page tokens', async () => {
  const alice = await accounts.searchConnectedAccounts({ query: 'ALICE' });
  assert.deepEqual(alice.connectedAccounts.map((a) => a.identifier).sort(), ['alice@corp.example', 'alice@example.com']);
  assert.equal(alice.totalSize, 2);
  const { connections: list } = await connections.listAppConnections({});
  const beta = list.find((c) => c.keyId === 'beta')!;
  const inBeta = await accounts.searchConnectedAccounts({ query: 'alice', connectionId: beta.id });
  assert.deepEqual(inBeta.connectedAccounts.map((a) => a.identifier), ['alice@corp.example']);
  const byConnection = await accounts.searchConnectedAccounts({ query: 'acm' });
  assert.equal(byConnection.totalSize, 3, 'every account on the "acme" connection');
  const byConnector = await accounts.searchConnectedAccounts({ query: 'BETA-API' });
  assert.deepEqual(byConnector.connectedAccounts.map((a) => a.identifier), ['alice@corp.example'], 'the connector identifier matches too');

  const seen: string[] = [];
  let pageToken = '';
  do {
    const page = await accounts.searchConnectedAccounts({ query: 'example', pageSize: 2, pageToken });
    assert.equal(page.totalSize, 3);
    assert.ok(page.connectedAccounts.length <= 2);
    seen.push(...page.connectedAccounts.map((a) => a.identifier));
    pageToken = page.nextPageToken;
  } while (pageToken);
  assert.equal(new Set(seen).size, 3);

  assert.deepEqual(await rpcError(accounts.searchConnectedAccounts({ query: 'al' })), { code: Code.InvalidArgument, errorCode: 'VALIDATION_FAILED' });
  assert.deepEqual(await rpcError(accounts.searchConnectedAccounts({ query: 'alice', pageSize: 31 })), { code: Code.InvalidArgument, errorCode: 'VALIDATION_FAILED' });
  assert.deepEqual(await rpcError(accounts.searchConnectedAccounts({ query: 'alice', pageToken: 'not-a-token!' })), { code: Code.InvalidArgument, errorCode: 'VALIDATION_FAILED' });
  assert.equal((await accounts.searchConnectedAccounts({ query: '%%%' })).totalSize, 0, 'LIKE wildcards are text');
});

test('DisconnectConnectedAccount: DISCONNECTED, credentials gone, proxy refuses; a new link connects it again', async () => {
  const { connectedAccount } = await accounts.getConnectedAccountAuth({ connector: 'acme', identifier: 'bob@example.com' });
  const id = connectedAccount!.id;
  const disconnected = await accounts.disconnectConnectedAccount({ id });
  assert.equal(disconnected.connectedAccount?.status, ConnectorStatus.DISCONNECTED);
  assert.equal(disconnected.connectedAccount?.authorizationDetails, undefined, 'nothing is stored any more');
  assert.equal((await server.server.store.accounts.findById(id))?.credentials, null);
  assert.equal((await accounts.disconnectConnectedAccount({ id })).connectedAccount?.status, ConnectorStatus.DISCONNECTED, 'twice is harmless');
  const listed = await accounts.listConnectedAccounts({ connector: 'acme', identifier: 'bob@example.com' });
  assert.equal(listed.connectedAccounts[0]?.status, ConnectorStatus.DISCONNECTED);

  const proxied = await fetch(`${server.url}/proxy/v1/customers`, {
    headers: { authorization: `Bearer ${await server.token()}`, connection_name: 'acme', identifier: 'bob@example.com' },
  });
  assert.equal(proxied.status, 409);
  assert.equal(((await proxied.json()) as { error: { code: string } }).error.code, 'ACCOUNT_DISCONNECTED');

  const { link } = await accounts.getMagicLinkForConnectedAccount({ id });
  assert.equal((await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: 'key-again' }) })).status, 200);
  assert.equal((await accounts.getConnectedAccount({ id })).connectedAccount?.status, ConnectorStatus.ACTIVE);
  assert.deepEqual(await rpcError(accounts.disconnectConnectedAccount({ id: 'ca_nope' })), { code: Code.NotFound, errorCode: 'ACCOUNT_NOT_FOUND' });
  assert.ok(server.logs.some((line) => line.includes('"rpc":"ConnectedAccountService/DisconnectConnectedAccount"')), 'the RPC is logged');
});

test('identifiers with surrounding whitespace are refused over gRPC too (INVALID_ARGUMENT, INVALID_IDENTIFIER)', async () => {
  for (const identifier of ['bob ', ' bob', 'bo\u0085b']) {
    assert.deepEqual(await rpcError(accounts.createConnectedAccount({ connector: 'acme', identifier, connectedAccount: { authorizationDetails: staticAuth({ api_key: 'k' }) } })), {
      code: Code.InvalidArgument,
      errorCode: 'INVALID_IDENTIFIER',
    });
    assert.equal((await rpcError(accounts.getMagicLinkForConnectedAccount({ connector: 'acme', identifier }))).errorCode, 'INVALID_IDENTIFIER');
  }
});

test('ListAppConnections: built-in connectors with their provider, custom ones CUSTOM, each with its real status and a total', async () => {
  for (const body of [
    { name: 'mail', connector: 'gmail', client_id: 'gmail-client', client_secret: 'gmail-secret' },
    { name: 'code', connector: 'github', client_id: 'gh-client', client_secret: 'gh-secret' },
    { name: 'pay', connector: 'stripe' },
  ]) {
    const created = await server.api('POST', '/api/v1/connections', body);
    assert.equal(created.status, 201, created.text);
  }
  const { connections: list, totalSize } = await connections.listAppConnections({ pageSize: 30 });
  const byName = new Map(list.map((c) => [c.keyId, c]));
  assert.equal(totalSize, 5);
  assert.equal(byName.get('mail')?.provider, ConnectionProvider.GOOGLE);
  assert.equal(byName.get('mail')?.providerKey, 'gmail');
  assert.equal(byName.get('code')?.provider, ConnectionProvider.GITHUB);
  assert.equal(byName.get('pay')?.provider, ConnectionProvider.CONNECTION_PROVIDER_UNSPECIFIED, 'a built-in the enum has no value for');
  assert.equal(byName.get('acme')?.provider, ConnectionProvider.CUSTOM);
  for (const connection of list) assert.equal(connection.status, ConnectionStatus.COMPLETED, connection.keyId);

  const byProvider = await connections.listAppConnections({ provider: 'GMAIL' });
  assert.deepEqual(byProvider.connections.map((c) => c.keyId), ['mail'], "the reference's upper-case key finds the built-in");
  const byQuery = await connections.listAppConnections({ query: 'GIT' });
  assert.deepEqual(byQuery.connections.map((c) => c.keyId), ['code']);
  const paged = await connections.listAppConnections({ pageSize: 2 });
  assert.equal(paged.totalSize, 5);
  assert.ok(paged.nextPageToken);
});

test('no RPC response carried the stored key, and no log line did', () => {
  assert.ok(!server.logs.some((line) => line.includes(SECRET)));
});
