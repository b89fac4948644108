import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ToolproxyApiError, ToolproxyClient } from '../../packages/sdk/src/index.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { connectApiKey } from '../proxy/fixtures.ts';

/** Policies through the Node SDK: set, read, narrow, refuse; a proxied call the policy refuses raises POLICY_DENIED. */

let upstream: Upstream;
let server: TestServer;
let client: ToolproxyClient;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase() });
  client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url });
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

test('client.policies sets, reads, narrows and deletes policies; bad ones list every problem', async () => {
  const invalid = await client.policies.setConnectionPolicy('crm', { read_only: true, allowed_methods: ['POST'] }).catch((error: unknown) => error);
  assert.ok(invalid instanceof ToolproxyApiError);
  assert.equal(invalid.code, 'POLICY_INVALID');
  assert.deepEqual(invalid.problems.map((p) => p.path), ['/allowed_methods/0']);

  const set = await client.policies.setConnectionPolicy('crm', { allowed_methods: ['GET', 'POST'], paths: { deny: ['/v1/admin/**'] } });
  assert.deepEqual(set.policy, { allowed_methods: ['GET', 'POST'], paths: { deny: ['/v1/admin/**'] } });
  assert.ok(set.updatedAt instanceof Date);
  assert.deepEqual((await client.policies.getConnectionPolicy('crm')).policy, set.policy);

  const { connectedAccount: account } = await client.actions.getConnectedAccount({ connectionName: 'crm', identifier: 'user_1' });
  const widening = await client.policies.setAccountPolicy(account.id, { allowed_methods: ['DELETE'] }).catch((error: unknown) => error);
  assert.ok(widening instanceof ToolproxyApiError);
  assert.equal(widening.code, 'POLICY_WIDENS');
  await client.policies.setAccountPolicy(account.id, { read_only: true });
  const effective = await client.policies.getEffectivePolicy(account.id);
  assert.equal(effective.connectionName, 'crm');
  assert.deepEqual(effective.layers, [set.policy, { read_only: true }]);

  const denied = await client.actions.request({ connectionName: 'crm', identifier: 'user_1', path: '/v1/customers', method: 'POST', body: {} }).catch((error: unknown) => error);
  assert.ok(denied instanceof ToolproxyApiError);
  assert.equal(denied.code, 'POLICY_DENIED');

  await client.policies.deleteAccountPolicy(account.id);
  await client.policies.deleteConnectionPolicy('crm');
  assert.equal((await client.policies.getAccountPolicy(account.id)).policy, null);
  assert.equal((await client.policies.getConnectionPolicy('crm')).policy, null);
});
