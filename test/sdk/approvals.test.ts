import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ToolproxyApiError, ToolproxyClient } from '../../packages/sdk/src/index.ts';
import { eventually } from '../approvals/eventually.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { connectApiKey } from '../proxy/fixtures.ts';

/** Human approval through the Node SDK: the agent's refusal, the approver's list, get, approve, deny, execute. */

let upstream: Upstream;
let server: TestServer;
let client: ToolproxyClient;
const posts = () => upstream.received.filter((r) => r.method === 'POST').length;

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), approvalRequirement: (call) => (call.method === 'POST' ? { rule: 'every POST' } : null) });
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, apiKey: 'sk_sdk_approvals' });
  client = new ToolproxyClient(server.url, server.clientId, server.clientSecret);
});
after(async () => {
  await server?.close();
  await upstream?.close();
});

const create = (options: { headers?: Record<string, string> } = {}) =>
  client.actions.request({ connectionName: 'crm', identifier: 'user_1', path: '/v1/customers', method: 'POST', body: { name: 'Ada' }, ...options });

test('client.approvals: a held call is listed, shown, approved and runs once; then it is used', async () => {
  const refused = await create().catch((error: unknown) => error);
  assert.ok(refused instanceof ToolproxyApiError);
  assert.equal(refused.code, 'APPROVAL_REQUIRED');
  assert.equal(refused.status, 403);
  const id = (refused.details as { approval_id: string }).approval_id;
  assert.equal(posts(), 0);

  const { approvals } = await client.approvals.list({ status: 'PENDING' });
  const listed = approvals.find((a) => a.id === id)!;
  assert.equal(listed.rule, 'every POST');
  assert.ok(listed.expiresAt instanceof Date);
  const { approval, request } = await client.approvals.get(id);
  assert.equal(approval.status, 'PENDING');
  assert.deepEqual(JSON.parse(request.body!), { name: 'Ada' });
  assert.equal(request.headers['x-api-key'], undefined);

  const decision = await client.approvals.approve(id);
  assert.equal(decision.approval.status, 'EXECUTED');
  assert.ok(decision.execution && !('error' in decision.execution));
  assert.equal(decision.execution.status, 201);
  assert.equal(posts(), 1);
  const used = await client.approvals.execute(id).catch((error: unknown) => error);
  assert.ok(used instanceof ToolproxyApiError);
  assert.equal(used.code, 'APPROVAL_USED');
});

test('client.approvals: a caller that waits gets the upstream answer once approved; a denied one APPROVAL_DENIED', async () => {
  const before = posts();
  const waiting = create({ headers: { 'x-toolproxy-approval-wait': '30' } });
  const id = await eventually(async () => (await client.approvals.list({ status: 'PENDING' })).approvals.find((a) => a.callerWaiting)?.id);
  const decision = await client.approvals.approve(id);
  assert.equal(decision.execution, null);
  assert.equal((await waiting).status, 201);
  assert.equal(posts(), before + 1);

  const denied = create({ headers: { 'x-toolproxy-approval-wait': '30' } }).catch((error: unknown) => error);
  const deniedId = await eventually(async () => (await client.approvals.list({ status: 'PENDING' })).approvals.find((a) => a.callerWaiting)?.id);
  assert.equal((await client.approvals.deny(deniedId)).approval.status, 'DENIED');
  const refusal = await denied;
  assert.ok(refusal instanceof ToolproxyApiError);
  assert.equal(refusal.code, 'APPROVAL_DENIED');
  const decided = await client.approvals.approve(deniedId).catch((error: unknown) => error);
  assert.ok(decided instanceof ToolproxyApiError);
  assert.equal(decided.code, 'APPROVAL_ALREADY_DECIDED');
  assert.equal(posts(), before + 1);
});

test('the approvals API is in the OpenAPI document, with the refusals a decision can get', async () => {
  const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  for (const path of ['/api/v1/approvals', '/api/v1/approvals/{id}', '/api/v1/approvals/{id}/approve', '/api/v1/approvals/{id}/deny', '/api/v1/approvals/{id}/execute']) {
    assert.ok(path in doc.paths, `${path} documented`);
  }
  assert.deepEqual(Object.keys(doc.paths['/api/v1/approvals/{id}/approve']!.post!.responses).sort(), ['200', '400', '401', '403', '404', '409', '410', '422']);
});
