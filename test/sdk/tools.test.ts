import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ToolExecutionError,
  ToolForbiddenError,
  ToolproxyApiError,
  ToolproxyClient,
  ToolproxyError,
  ToolRateLimitError,
  ToolUnauthorizedError,
} from '../../packages/sdk/src/index.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startWireRecorder, type WireRecorder } from '../helpers/wire-recorder.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { acmeUpstream, createToolFixtures, IDENTIFIER, TOOL_CANARY } from './tool-fixtures.ts';

let upstream: Upstream;
let server: TestServer;
let stub: WireRecorder;
/** Straight to the real server: listings. */
let client: ToolproxyClient;
/** Through a wire recorder in front of the real server (it keeps the execute_tool bodies sent). */
let viaStub: ToolproxyClient;
let accountId: string;
let euAccountId: string;
const seen: unknown[] = [];

before(async () => {
  upstream = await startUpstream(acmeUpstream);
  server = await startTestServer({ database: await createSqliteDatabase() });
  ({ accountId, euAccountId } = await createToolFixtures(server.api, upstream.url));
  stub = await startWireRecorder(server.url);
  client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
  viaStub = new ToolproxyClient(stub.url, server.clientId, server.clientSecret);
});
after(async () => {
  await stub?.close();
  await server?.close();
  await upstream?.close();
});

const keep = <T>(value: T): T => (seen.push(value), value);

describe('Node SDK: tool listings (real server)', () => {
  test('listScoped: the tools of the ACTIVE accounts, once per connection, with the account; filters flat or under filter', async () => {
    const all = keep(await client.tools.listScoped(IDENTIFIER));
    assert.equal(all.totalSize, 6);
    // Ordered by tool name, then connection (by its id, not its name).
    assert.deepEqual(all.tools.map((t) => [t.tool.definition.name, t.connectionName]).sort(), [
      ['acme_customer_get', 'acme'],
      ['acme_customer_get', 'acme-eu'],
      ['acme_customers_list', 'acme'],
      ['acme_customers_list', 'acme-eu'],
      ['acme_invoice_create', 'acme'],
      ['acme_invoice_create', 'acme-eu'],
    ]);
    const first = all.tools.find((t) => t.connectionName === 'acme')!;
    assert.equal(first.connectedAccountId, accountId);
    assert.equal(first.identifier, IDENTIFIER);
    assert.equal(first.tool.provider, 'acme');
    assert.ok(first.tool.createdAt instanceof Date);
    assert.deepEqual(first.tool.definition.input_schema.required, ['customer_id']);

    const eu = await client.tools.listScoped(IDENTIFIER, { connectionNames: ['acme-eu'], toolNames: ['acme_customer_get', 'acme_invoice_create'] });
    assert.deepEqual(eu.tools.map((t) => [t.tool.definition.name, t.connectedAccountId]), [['acme_customer_get', euAccountId], ['acme_invoice_create', euAccountId]]);
    // The reference SDK's call, verbatim.
    const reference = await client.tools.listScopedTools(IDENTIFIER, { filter: { connectionNames: ['acme'] } });
    assert.equal(reference.totalSize, 3);
    assert.ok(reference.tools.every((t) => t.connectionName === 'acme'));
  });

  test('listScoped pages with nextPageToken; totalSize counts every page', async () => {
    const one = await client.tools.listScoped(IDENTIFIER, { pageSize: 4 });
    assert.equal(one.tools.length, 4);
    assert.equal(one.totalSize, 6);
    assert.ok(one.nextPageToken);
    const two = await client.tools.listScoped(IDENTIFIER, { pageSize: 4, pageToken: one.nextPageToken });
    assert.deepEqual(two.tools.map((t) => t.connectionName).sort(), ['acme', 'acme-eu']);
    assert.ok(two.tools.every((t) => t.tool.definition.name === 'acme_invoice_create'));
    assert.equal(two.nextPageToken, null);
  });

  test('listAvailable: every connection, with the account status (null where not connected)', async () => {
    const available = keep(await client.tools.listAvailable(IDENTIFIER, { providers: ['BETA', 'acme'], toolNames: ['beta_note_get', 'acme_customer_get'] }));
    assert.deepEqual(available.tools.map((t) => [t.tool.definition.name, t.connectionName, t.accountStatus, t.connectedAccountId]).sort(), [
      ['acme_customer_get', 'acme', 'ACTIVE', accountId],
      ['acme_customer_get', 'acme-eu', 'ACTIVE', euAccountId],
      ['beta_note_get', 'beta', null, null],
    ]);
    assert.deepEqual((await client.tools.listAvailableTools('nobody')).tools.map((t) => t.accountStatus), Array(7).fill(null));
  });

  test('listTools (the reference\'s name for list) filters by connector and names', async () => {
    const listed = await client.tools.listTools({ connector: 'acme', toolNames: ['acme_customer_get', 'beta_note_get'] });
    assert.deepEqual(listed.tools.map((t) => t.definition.name), ['acme_customer_get']);
    assert.equal(listed.totalSize, 1);
  });

  test('bad input: an identifier with a control character, and none at all', async () => {
    const refused = await client.tools.listScoped('bad\u0001id').catch((error: unknown) => error);
    assert.ok(refused instanceof ToolproxyApiError);
    assert.equal(refused.code, 'INVALID_IDENTIFIER');
    await assert.rejects(client.tools.listScoped(''), TypeError);
  });
});

describe('Node SDK: executeTool (the real route, behind a wire recorder)', () => {
  test('by connected account id: the wire body, the upstream call with the injected key, projected data and an execution id', async () => {
    const before = upstream.received.length;
    const result = keep(await viaStub.actions.executeTool({ toolName: 'acme_customer_get', toolInput: { customer_id: 'c 1 é' }, connectedAccountId: euAccountId }));
    assert.deepEqual(result.data, { id: 'c 1 é', name: 'Customer c 1 é', plan: 'pro' });
    assert.match(result.executionId, /^ex_/);
    assert.deepEqual(stub.executions.at(-1), { tool_name: 'acme_customer_get', params: { customer_id: 'c 1 é' }, connected_account_id: euAccountId });
    const sent = upstream.received.slice(before);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.url, '/api/customers/c%201%20%C3%A9');
    assert.equal(sent[0]!.headers['x-api-key'], TOOL_CANARY);
  });

  test('by identifier and connector (the reference\'s name for the connection) and by connection name; tools.executeTool is the same call', async () => {
    const invoice = keep(await viaStub.actions.executeTool({ toolName: 'acme_invoice_create', toolInput: { customer_id: 'c_9', amount: 1200, currency: 'eur' }, identifier: IDENTIFIER, connector: 'acme' }));
    assert.deepEqual(invoice.data, { id: 'inv_1', customer: 'c_9', amount: 1200, currency: 'eur' });
    assert.deepEqual(stub.executions.at(-1), { tool_name: 'acme_invoice_create', params: { customer_id: 'c_9', amount: 1200, currency: 'eur' }, identifier: IDENTIFIER, connector: 'acme' });
    const listed = await viaStub.tools.executeTool<Array<{ id: string }>>({ toolName: 'acme_customers_list', toolInput: { limit: 3 }, identifier: IDENTIFIER, connectionName: 'acme-eu', organizationId: 'org_1' });
    assert.deepEqual(listed.data.map((c) => c.id), ['c_1', 'c_2', 'c_3']);
    assert.deepEqual(stub.executions.at(-1), { tool_name: 'acme_customers_list', params: { limit: 3 }, identifier: IDENTIFIER, connection_name: 'acme-eu', organization_id: 'org_1' });
  });

  test('refusals are typed: input invalid (every problem), unknown tool, 401 with the link, 429 with Retry-After', async () => {
    const before = upstream.received.length;
    const invalid = await viaStub.actions.executeTool({ toolName: 'acme_invoice_create', toolInput: { amount: 0, currency: 'gbp', extra: 1 }, connectedAccountId: accountId }).catch((e: unknown) => e);
    assert.ok(invalid instanceof ToolExecutionError);
    assert.equal(invalid.code, 'TOOL_INPUT_INVALID');
    assert.equal(invalid.status, 400);
    assert.equal(invalid.toolName, 'acme_invoice_create');
    assert.deepEqual(invalid.problems.map((p) => p.path).sort(), ['/amount', '/currency', '/customer_id', '/extra']);
    assert.equal(upstream.received.length, before, 'nothing sent upstream');

    const unknown = await viaStub.actions.executeTool({ toolName: 'acme_nope', connectedAccountId: accountId }).catch((e: unknown) => e);
    assert.ok(unknown instanceof ToolExecutionError);
    assert.equal(unknown.code, 'TOOL_NOT_FOUND');

    const unauthorized = await viaStub.actions.executeTool({ toolName: 'acme_customer_get', toolInput: { customer_id: 'c_401' }, connectedAccountId: accountId }).catch((e: unknown) => e);
    assert.ok(unauthorized instanceof ToolUnauthorizedError);
    assert.deepEqual([unauthorized.status, unauthorized.code, unauthorized.upstreamStatus], [424, 'TOOL_UNAUTHORIZED', 401]);
    assert.match(unauthorized.authorizationLink ?? '', /magic_link/);
    assert.match(unauthorized.executionId ?? '', /^ex_/);
    assert.deepEqual(unauthorized.upstreamBody, { message: 'bad key' });

    const forbidden = await viaStub.actions.executeTool({ toolName: 'acme_customer_get', toolInput: { customer_id: 'c_403' }, connectedAccountId: accountId }).catch((e: unknown) => e);
    assert.ok(forbidden instanceof ToolForbiddenError);
    assert.equal(forbidden.upstreamStatus, 403);

    const limited = await viaStub.actions.executeTool({ toolName: 'acme_customer_get', toolInput: { customer_id: 'c_429' }, connectedAccountId: accountId }).catch((e: unknown) => e);
    assert.ok(limited instanceof ToolRateLimitError);
    assert.deepEqual([limited.status, limited.code, limited.retryAfterSeconds], [429, 'TOOL_RATE_LIMITED', 7]);

    const failed = await viaStub.actions.executeTool({ toolName: 'acme_customer_get', toolInput: { customer_id: 'c_500' }, connectedAccountId: accountId }).catch((e: unknown) => e);
    assert.ok(failed instanceof ToolExecutionError && !(failed instanceof ToolRateLimitError));
    assert.deepEqual([failed.status, failed.code, failed.upstreamStatus, failed.upstreamBody], [502, 'TOOL_UPSTREAM_FAILED', 500, { message: 'upstream broke' }]);
  });

  test('an account that is not ACTIVE keeps the server\'s code', async () => {
    await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'beta', identifier: 'pending_user' });
    const refused = await viaStub.actions.executeTool({ toolName: 'beta_note_get', toolInput: { note_id: 'n1' }, identifier: 'pending_user', connectionName: 'beta' }).catch((e: unknown) => e);
    assert.ok(refused instanceof ToolExecutionError);
    assert.equal(refused.code, 'ACCOUNT_NOT_ACTIVE');
  });

  test('checked before anything is sent: no tool name, no account, a non-object input, an identifier HTTP would trim', async () => {
    const count = stub.executions.length;
    await assert.rejects(viaStub.actions.executeTool({ toolName: '', identifier: IDENTIFIER, connector: 'acme' }), /toolName is required/);
    await assert.rejects(viaStub.actions.executeTool({ toolName: 'acme_customer_get' }), /connectedAccountId, or identifier/);
    await assert.rejects(viaStub.actions.executeTool({ toolName: 'acme_customer_get', identifier: IDENTIFIER }), /with connectionName \(or connector\)/);
    await assert.rejects(viaStub.actions.executeTool({ toolName: 'acme_customer_get', identifier: IDENTIFIER, connector: 'acme', toolInput: [] as never }), /toolInput must be an object/);
    const trimmed = await viaStub.actions.executeTool({ toolName: 'acme_customer_get', identifier: ' bob', connectionName: 'acme' }).catch((e: unknown) => e);
    assert.ok(trimmed instanceof ToolproxyError);
    assert.equal(trimmed.code, 'INVALID_IDENTIFIER');
    assert.equal(stub.executions.length, count);
  });

  test('canary: the credential appears in nothing the SDK returned', () => {
    assert.ok(seen.length >= 4);
    for (const value of seen) assert.ok(!JSON.stringify(value).includes(TOOL_CANARY));
  });
});
