import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { verifyWebhook } from '../../packages/sdk/src/index.ts';
import type { ApprovalRequirement } from '../../src/approvals/approval-step.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * approval.requested and approval.decided webhooks, on SQLite and Postgres: a call held for
 * approval and then approved (or denied) through the API reaches a loopback receiver as two
 * signed events; neither carries the held body, its query string or the credential.
 */

const databases = await withTestDatabases();
const requirement: ApprovalRequirement = (c) => (c.method === 'GET' ? null : { rule: 'every non-GET' });

for (const database of databases) {
  describe(`approval webhooks on ${database.name}`, () => {
    const canary = `canary_${randomBytes(9).toString('hex')}`;
    const apiKey = `key_${randomBytes(9).toString('hex')}`;
    let upstream: Upstream;
    let receiver: Upstream;
    let server: TestServer;
    let token: string;
    let secret: string;

    before(async () => {
      upstream = await startUpstream((request, response) => json(response, 201, { ok: true, method: request.method }));
      receiver = await startUpstream((_request, response) => response.writeHead(204).end());
      server = await startTestServer({ database, approvalRequirement: requirement });
      await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, apiKey });
      token = await server.token();
      const created = await server.api('POST', '/api/v1/webhooks', { url: `${receiver.url}/approvals`, events: ['approval.requested', 'approval.decided'] });
      assert.equal(created.status, 201, created.text);
      secret = created.body.secret;
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
      await receiver?.close();
      await database.cleanup();
    });

    const events = () => receiver.received.map((r) => verifyWebhook<any>(secret, r.headers, r.body));
    async function eventFor(id: string, type: string) {
      for (let i = 0; i < 250; i++) {
        const found = events().find((e) => e.type === type && e.data.approval.id === id);
        if (found) return found;
        await sleep(20);
      }
      assert.fail(`no ${type} for ${id}`);
    }
    const hold = async () => {
      const held = await call(server, token, 'crm', `/v1/charges?note=${canary}`, { method: 'POST', body: JSON.stringify({ secret: canary }), headers: { 'content-type': 'application/json' } });
      assert.equal(held.status, 403);
      return JSON.parse(held.body.toString('utf8')).error.details.approval_id as string;
    };

    test('a held call, then approved: approval.requested and approval.decided (approved), signed', async () => {
      const id = await hold();
      const requested = await eventFor(id, 'approval.requested');
      assert.equal(requested.data.approval.status, 'PENDING');
      assert.equal(requested.data.approval.connection_name, 'crm');
      assert.equal(requested.data.approval.method, 'POST');
      assert.equal(requested.data.approval.path, '/v1/charges');
      assert.equal(requested.data.approval.link, `${server.url}/dashboard#/approvals/${id}`);
      assert.equal(requested.data.actor.type, 'api_client');

      assert.equal((await server.api('POST', `/api/v1/approvals/${id}/approve`)).status, 200);
      const decided = await eventFor(id, 'approval.decided');
      assert.equal(decided.data.approval.decision, 'approved');
      assert.deepEqual(decided.data.actor, { type: 'api_client', id: server.clientId });
    });

    test('a denied call: approval.decided (denied); no payload holds the body, the query or the credential', async () => {
      const id = await hold();
      assert.equal((await server.api('POST', `/api/v1/approvals/${id}/deny`)).status, 200);
      assert.equal((await eventFor(id, 'approval.decided')).data.approval.decision, 'denied');
      const payloads = receiver.received.map((r) => `${JSON.stringify(r.headers)}${r.body.toString('utf8')}`);
      assert.ok(payloads.length >= 4);
      for (const value of [canary, apiKey, secret]) assert.ok(!payloads.some((p) => p.includes(value)));
    });
  });
}
