import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { approvalRequirement } from '../../src/policy/approval-requirement.ts';
import type { Call, CallContext, PipelineRequest } from '../../src/proxy/call.ts';
import { type PipelineStep, ProxyPipeline, STEP_ORDER } from '../../src/proxy/pipeline.ts';
import { CollectingSink } from '../../src/proxy/sinks.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { connectApiKey } from '../proxy/fixtures.ts';

/**
 * The tool door (tool execution and MCP run through the same pipeline, routed by account id with
 * the tool's name in the context): the `tools` allow-list, and `approvalRequirement(call)` as the
 * approval step (src/approvals/) reads it, from a step in the approval slot of the server's pipeline.
 */

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`policies at the tool door on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;
    let accountId: string;
    before(async () => {
      upstream = await startUpstream();
      server = await startTestServer({ database });
      await connectApiKey(server, { name: 'crm', proxyUrl: `${upstream.url}/v1`, identifier: 'alice' });
      accountId = (await server.api('GET', '/api/v1/connections/crm/connected_accounts/alice')).body.connected_account.id;
      const put = await server.api('PUT', '/api/v1/connections/crm/policy', {
        tools: ['create_customer', 'delete_customer', 'list_customers'],
        require_approval: { methods: ['DELETE'], tools: ['create_customer'], paths: ['/charges/**'] },
      });
      assert.equal(put.status, 200, put.text);
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
      await database.cleanup();
    });

    const request = (method: string, pathAndQuery: string): PipelineRequest => ({ method, routing: { accountId }, pathAndQuery, headers: {}, body: null, retries: 0 });
    const context = (toolName: string): CallContext => ({ door: 'tool', actor: null, toolName, executionId: `exec_${toolName}` });

    test('a tool outside the allow-list is refused before anything goes upstream; one inside goes through', async () => {
      const pipeline = server.server.pipeline;
      const sent = upstream.received.length;
      await assert.rejects(pipeline.collect(request('GET', '/customers'), context('drop_database'), 1024), { code: 'POLICY_DENIED', details: { rule: 'tools' } });
      assert.equal(upstream.received.length, sent, 'nothing reached upstream');
      assert.equal((await pipeline.collect(request('GET', '/customers'), context('list_customers'), 1024)).status, 200);
    });

    test("an MCP session token's policy is one more layer: it narrows the tools further", async () => {
      const pipeline = server.server.pipeline;
      const token = { door: 'mcp' as const, actor: null, policy: { tools: ['list_customers'] } };
      const sent = upstream.received.length;
      await assert.rejects(pipeline.collect(request('GET', '/customers'), { ...token, toolName: 'delete_customer' }, 1024), { code: 'POLICY_DENIED', details: { rule: 'tools' } });
      assert.equal(upstream.received.length, sent, 'nothing reached upstream');
      assert.equal((await pipeline.collect(request('GET', '/customers'), { ...token, toolName: 'list_customers' }, 1024)).status, 200);
    });

    test('approvalRequirement names the require_approval rule that matches the call, or null', async () => {
      const seen: unknown[] = [];
      const probe: PipelineStep = { name: 'approval', run: (call: Call) => void seen.push(approvalRequirement(call)) };
      // The probe takes the place of the server's own approval step (which would hold these calls).
      const steps = [...server.server.pipeline.steps.filter((step) => step.name !== 'approval'), probe].sort((a, b) => STEP_ORDER.indexOf(a.name) - STEP_ORDER.indexOf(b.name));
      const pipeline = new ProxyPipeline({ steps, clock: Date.now, totalTimeoutMs: 10_000, log: { level: 'info', debug() {}, warn() {}, error() {} } });
      await pipeline.run(request('GET', '/customers'), context('create_customer'), new CollectingSink(1024));
      await pipeline.run(request('DELETE', '/customers/1'), context('delete_customer'), new CollectingSink(1024));
      await pipeline.run(request('GET', '/charges/ch_1?expand=x'), context('list_customers'), new CollectingSink(1024));
      await pipeline.run(request('GET', '/customers'), context('list_customers'), new CollectingSink(1024));
      assert.deepEqual(seen, [
        { rule: 'require_approval.tools' },
        { rule: 'require_approval.methods' },
        { rule: 'require_approval.paths', pattern: '/charges/**' },
        null,
      ]);
    });
  });
}
