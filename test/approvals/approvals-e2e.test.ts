import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ApprovalRequirement } from '../../src/approvals/approval-step.ts';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';
import { eventually } from './eventually.ts';

/**
 * Human approval end to end through `/proxy` (docs/approvals.md), on SQLite and Postgres: a
 * loopback upstream that must receive nothing until a person approves, and the call exactly once
 * after; the stored body is encrypted and never listed; the credentials are never shown.
 */

const databases = await withTestDatabases();
const ENVELOPE = /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/;
const canary = (name: string) => `canary_${name}_${randomBytes(9).toString('hex')}`;
// Every call but a GET needs approval (the policy's require_approval rule, injected).
const requirement: ApprovalRequirement = (call) => (call.method === 'GET' ? null : { rule: 'connection crm: every non-GET' });

for (const database of databases) {
  describe(`human approval through /proxy on ${database.name}`, () => {
    const apiKey = canary('apikey');
    let upstream: Upstream;
    let server: TestServer;
    let token: string;
    let offsetMs = 0;
    const posts = () => upstream.received.filter((r) => r.method !== 'GET');

    before(async () => {
      upstream = await startUpstream((request, response) => json(response, request.method === 'POST' ? 201 : 200, { ok: true, method: request.method }));
      server = await startTestServer({
        database,
        approvalRequirement: requirement,
        clock: () => Date.now() + offsetMs,
        env: { TOOLPROXY_BODY_LIMIT_BYTES: '4096' },
      });
      await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, apiKey });
      token = await server.token();
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
      await database.cleanup();
    });

    const post = (body: string, headers: Record<string, string> = {}) =>
      call(server, token, 'crm', '/v1/charges?amount=5', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    const errorOf = (response: { body: Buffer }) => JSON.parse(response.body.toString('utf8')).error;

    test('a call that needs approval is refused with APPROVAL_REQUIRED, sends nothing, and runs exactly once when approved', async () => {
      const secretBody = canary('body');
      const held = await post(JSON.stringify({ note: secretBody }));
      assert.equal(held.status, 403);
      const error = errorOf(held);
      assert.equal(error.code, 'APPROVAL_REQUIRED');
      assert.match(error.details.approval_id, /^apr_/);
      assert.equal(error.details.approval_url, `${server.url}/dashboard#/approvals/${error.details.approval_id}`);
      assert.ok(Date.parse(error.details.expires_at) > Date.now());
      assert.equal(posts().length, 0, 'nothing reaches the upstream before approval');
      // A call no rule matches goes through as before.
      assert.equal((await call(server, token, 'crm', '/v1/customers')).status, 200);

      const id = error.details.approval_id as string;
      const listed = await server.api('GET', '/api/v1/approvals?status=PENDING');
      assert.equal(listed.status, 200);
      const item = listed.body.approvals.find((a: { id: string }) => a.id === id);
      assert.equal(item.status, 'PENDING');
      assert.equal(item.method, 'POST');
      assert.equal(item.path, '/v1/charges?amount=5');
      assert.equal(item.connection_name, 'crm');
      assert.equal(item.identifier, 'user_1');
      assert.equal(item.rule, 'connection crm: every non-GET');
      assert.equal(item.caller_waiting, false);
      assert.match(item.requested_by, /^api_client:/);
      // Listings show metadata only: never the body, never a credential.
      assert.ok(!listed.text.includes(secretBody), 'the body is not listed');
      assert.ok(!listed.text.includes(apiKey));

      // The approver sees what they approve: the body and the headers, never the credentials.
      const shown = await server.api('GET', `/api/v1/approvals/${id}`);
      assert.equal(shown.status, 200);
      assert.equal(shown.body.request.body, JSON.stringify({ note: secretBody }));
      assert.equal(shown.body.request.body_encoding, 'utf8');
      assert.equal(shown.body.request.retained, true);
      assert.equal(shown.body.request.headers['content-type'], 'application/json');
      for (const name of ['authorization', 'x-api-key', 'connection_name', 'identifier']) assert.equal(shown.body.request.headers[name], undefined, name);
      assert.ok(!shown.text.includes(apiKey));
      assert.ok(!shown.text.includes(token));

      const approved = await server.api('POST', `/api/v1/approvals/${id}/approve`);
      assert.equal(approved.status, 200, approved.text);
      assert.equal(approved.body.approval.status, 'EXECUTED');
      assert.equal(approved.body.approval.result_status, 201);
      assert.match(approved.body.approval.decided_by, /^api_client:/);
      assert.equal(approved.body.execution.status, 201);
      assert.deepEqual(JSON.parse(approved.body.execution.body), { ok: true, method: 'POST' });
      assert.ok(!approved.text.includes(apiKey));
      assert.equal(posts().length, 1, 'the approved call ran once');
      const sent = posts()[0]!;
      assert.equal(sent.url, '/v1/charges?amount=5');
      assert.equal(sent.body.toString('utf8'), JSON.stringify({ note: secretBody }));
      assert.equal(sent.headers['x-api-key'], apiKey, 'fresh credentials are injected when it runs');

      // Used: no second run, whatever is asked.
      for (const action of ['approve', 'execute', 'deny']) {
        const again = await server.api('POST', `/api/v1/approvals/${id}/${action}`);
        assert.equal(again.status, 409, action);
        assert.equal(again.body.error.code, 'APPROVAL_USED', action);
      }
      assert.equal(posts().length, 1);
      // Once it ran, what it would send is deleted; the metadata stays.
      const afterRun = await server.api('GET', `/api/v1/approvals/${id}`);
      assert.equal(afterRun.body.request.retained, false);
      assert.equal(afterRun.body.request.body, null);
      assert.deepEqual(afterRun.body.request.headers, {});
      assert.equal(afterRun.body.approval.body_bytes, JSON.stringify({ note: secretBody }).length);
      const log = await server.api('GET', '/api/v1/request_log?door=approval');
      assert.equal(log.status, 200, log.text);
      assert.ok(log.body.entries.some((e: { status: number; door: string }) => e.status === 201 && e.door === 'approval'), log.text);
    });

    test('a denied call never runs; a decision cannot be changed', async () => {
      const before = posts().length;
      const id = errorOf(await post('{"deny":true}')).details.approval_id;
      const denied = await server.api('POST', `/api/v1/approvals/${id}/deny`);
      assert.equal(denied.status, 200);
      assert.equal(denied.body.approval.status, 'DENIED');
      assert.equal(denied.body.execution, null);
      const approve = await server.api('POST', `/api/v1/approvals/${id}/approve`);
      assert.equal(approve.status, 409);
      assert.equal(approve.body.error.code, 'APPROVAL_ALREADY_DECIDED');
      const execute = await server.api('POST', `/api/v1/approvals/${id}/execute`);
      assert.equal(execute.body.error.code, 'APPROVAL_DENIED');
      assert.equal(posts().length, before);
      // The audit trail has the request and the one decision (the refused second one changed nothing).
      await server.server.audit.flush();
      const entries = (await server.server.audit.repository.range(0, Number.MAX_SAFE_INTEGER, 0, 1_000_000)).filter((e) => e.target_id === id);
      assert.deepEqual(entries.map((e) => [e.action, e.outcome]), [['approval.request', 'ok'], ['approval.decide', 'denied']]);
      assert.equal(entries[1]!.actor_type, 'api_client');
    });

    test('a waiting caller is held until approval, then its own request runs the call once', async () => {
      const before = posts().length;
      const waiting = post('{"wait":"approve"}', { 'x-toolproxy-approval-wait': '30' });
      const id = await pendingApprovalId(server, '{"wait":"approve"}'.length);
      assert.equal(posts().length, before, 'nothing sent while held');
      const approved = await server.api('POST', `/api/v1/approvals/${id}/approve`);
      assert.equal(approved.status, 200);
      assert.equal(approved.body.approval.status, 'APPROVED');
      assert.equal(approved.body.execution, null, 'the waiting caller runs it, not the approver');
      const answered = await waiting;
      assert.equal(answered.status, 201);
      assert.deepEqual(JSON.parse(answered.body.toString('utf8')), { ok: true, method: 'POST' });
      assert.equal(posts().length, before + 1);
      assert.equal(posts().at(-1)!.body.toString('utf8'), '{"wait":"approve"}');
      const executed = await eventually(async () => {
        const shown = await server.api('GET', `/api/v1/approvals/${id}`);
        return shown.body.approval.status === 'EXECUTED' ? shown.body.approval : undefined;
      });
      assert.equal(executed.result_status, 201);
    });

    test('a waiting caller hears a denial as APPROVAL_DENIED', async () => {
      const before = posts().length;
      const waiting = post('{"wait":"deny"}', { 'x-toolproxy-approval-wait': '30' });
      const id = await pendingApprovalId(server, '{"wait":"deny"}'.length);
      assert.equal((await server.api('POST', `/api/v1/approvals/${id}/deny`)).status, 200);
      const answered = await waiting;
      assert.equal(answered.status, 403);
      assert.equal(errorOf(answered).code, 'APPROVAL_DENIED');
      assert.equal(posts().length, before);
    });

    test('a wait that runs out answers APPROVAL_REQUIRED; the approver then runs the call', async () => {
      const before = posts().length;
      const answered = await post('{"wait":"short"}', { 'x-toolproxy-approval-wait': '1' });
      assert.equal(answered.status, 403);
      const error = errorOf(answered);
      assert.equal(error.code, 'APPROVAL_REQUIRED');
      assert.equal(error.details.waited_seconds, 1);
      const approved = await server.api('POST', `/api/v1/approvals/${error.details.approval_id}/approve`);
      assert.equal(approved.body.execution.status, 201);
      assert.equal(posts().length, before + 1);
    });

    test('a waiting caller that leaves hands the call back to the approver, who runs it once', async () => {
      const before = posts().length;
      const request = http.request(`${server.url}/proxy/v1/charges`, {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${token}`, connection_name: 'crm', identifier: 'user_1', 'content-type': 'application/json', 'x-toolproxy-approval-wait': '30' },
      });
      request.on('error', () => undefined);
      request.end('{"wait":"leave"}');
      const id = await pendingApprovalId(server, '{"wait":"leave"}'.length);
      request.destroy();
      await eventually(async () => ((await server.api('GET', `/api/v1/approvals/${id}`)).body.approval.caller_waiting === false ? true : undefined));
      const approved = await server.api('POST', `/api/v1/approvals/${id}/approve`);
      assert.equal(approved.body.execution.status, 201, 'nobody waits: the approver runs it');
      assert.equal(posts().length, before + 1);
    });

    test('credentials are read when the call runs: a rotated key is used, a disconnected account refuses it', async () => {
      const before = posts().length;
      const created = await server.api('POST', '/api/v1/connected_accounts', { connection_name: 'crm', identifier: 'user_2', authorization_details: { static_auth: { details: { api_key: 'sk_old_key' } } } });
      assert.equal(created.status, 201, created.text);
      const as2 = { identifier: 'user_2', method: 'POST', body: '{"who":"user_2"}', headers: { 'content-type': 'application/json' } };
      const first = errorOf(await call(server, token, 'crm', '/v1/charges', as2)).details.approval_id;
      const rotated = await server.api('PATCH', '/api/v1/connections/crm/connected_accounts/user_2', { authorization_details: { static_auth: { details: { api_key: 'sk_new_key' } } } });
      assert.equal(rotated.status, 200, rotated.text);
      assert.equal((await server.api('POST', `/api/v1/approvals/${first}/approve`)).body.execution.status, 201);
      assert.equal(posts().at(-1)!.headers['x-api-key'], 'sk_new_key');

      const second = errorOf(await call(server, token, 'crm', '/v1/charges', as2)).details.approval_id;
      assert.equal((await server.api('POST', '/api/v1/connections/crm/connected_accounts/user_2/disconnect')).status, 200);
      const refused = await server.api('POST', `/api/v1/approvals/${second}/approve`);
      assert.equal(refused.status, 200, 'the decision stands; the run was refused');
      assert.equal(refused.body.execution.error.code, 'ACCOUNT_DISCONNECTED');
      assert.equal(refused.body.approval.status, 'EXECUTED');
      assert.equal(refused.body.approval.result_error, 'ACCOUNT_DISCONNECTED');
      assert.equal(posts().length, before + 1);
    });

    test('bad input: a malformed wait, a body over the limit, an unknown id, an expired approval', async () => {
      const before = posts().length;
      for (const wait of ['abc', '61', '-1', '1.5']) {
        const refused = await post('{}', { 'x-toolproxy-approval-wait': wait });
        assert.equal(refused.status, 400, wait);
        assert.equal(errorOf(refused).code, 'VALIDATION_FAILED');
      }
      const large = await post(JSON.stringify({ pad: 'x'.repeat(5000) }));
      assert.equal(large.status, 413);
      assert.equal(errorOf(large).code, 'PAYLOAD_TOO_LARGE');
      const unknown = await server.api('POST', '/api/v1/approvals/apr_nope/approve');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'APPROVAL_NOT_FOUND');
      assert.equal((await server.api('GET', '/api/v1/approvals/apr_nope')).body.error.code, 'APPROVAL_NOT_FOUND');

      const id = errorOf(await post('{"expire":true}')).details.approval_id;
      offsetMs += 3600_000 + 1000;
      try {
        const expired = await server.api('POST', `/api/v1/approvals/${id}/approve`);
        assert.equal(expired.status, 410);
        assert.equal(expired.body.error.code, 'APPROVAL_EXPIRED');
        const listed = await server.api('GET', '/api/v1/approvals?status=EXPIRED');
        assert.ok(listed.body.approvals.some((a: { id: string }) => a.id === id));
        assert.equal((await server.api('GET', '/api/v1/approvals?status=PENDING')).body.approvals.length, 0);
      } finally {
        offsetMs = 0;
      }
      assert.equal(posts().length, before);
    });

    test('a tool call (pipeline.collect) is held the same way and keeps its tool and execution', async () => {
      const before = posts().length;
      const accounts = await server.api('GET', '/api/v1/connected_accounts?connection_name=crm');
      const accountId = accounts.body.connected_accounts.find((a: { identifier: string }) => a.identifier === 'user_1').id as string;
      const refused = await server.server.pipeline
        .collect(
          { method: 'post', routing: { accountId }, pathAndQuery: '/v1/charges', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"tool":true}'), retries: 0 },
          { door: 'tool', actor: { type: 'api_client', id: 'tool-caller' }, toolName: 'crm_charge_create', executionId: 'exec_approval_1' },
          4096,
        )
        .catch((error: unknown) => error);
      assert.equal((refused as { code?: string }).code, 'APPROVAL_REQUIRED');
      const id = (refused as { details: { approval_id: string } }).details.approval_id;
      const shown = await server.api('GET', `/api/v1/approvals/${id}`);
      assert.equal(shown.body.approval.door, 'tool');
      assert.equal(shown.body.approval.tool_name, 'crm_charge_create');
      assert.equal(shown.body.approval.execution_id, 'exec_approval_1');
      assert.equal(shown.body.approval.requested_by, 'api_client:tool-caller');
      assert.equal(posts().length, before);
      const approved = await server.api('POST', `/api/v1/approvals/${id}/approve`);
      assert.equal(approved.body.execution.status, 201);
      assert.equal(posts().length, before + 1);
      assert.equal(posts().at(-1)!.body.toString('utf8'), '{"tool":true}');
      const log = await server.api('GET', '/api/v1/request_log?execution_id=exec_approval_1');
      assert.deepEqual(log.body.entries.map((e: { door: string; error_code: string | null }) => [e.door, e.error_code]).sort(), [['approval', null], ['tool', 'APPROVAL_REQUIRED']]);
    });

    test('the stored body is vault ciphertext: the canary is nowhere in the database', async () => {
      const secretBody = canary('stored');
      const id = errorOf(await post(JSON.stringify({ secret: secretBody }), { 'x-caller-secret': secretBody })).details.approval_id;
      if (database.options.kind === 'sqlite') {
        const dir = dirname(database.options.path);
        for (const file of readdirSync(dir)) assert.ok(!readFileSync(join(dir, file)).includes(secretBody), `${file} holds the body in clear`);
        const sqlite = new Database(database.options.path, { readonly: true });
        try {
          const row = sqlite.prepare('select body, headers from approvals where id = ?').get(id) as { body: string; headers: string };
          assert.match(row.body, ENVELOPE, 'an AES-GCM vault envelope, not an encoding of the body');
          assert.match(row.headers, ENVELOPE, 'the headers too');
        } finally {
          sqlite.close();
        }
      } else {
        const client = new pg.Client({ connectionString: database.options.url });
        await client.connect();
        try {
          const { rows } = await client.query('select * from approvals');
          assert.match(rows.find((row) => row.id === id).body, ENVELOPE, 'an AES-GCM vault envelope, not an encoding of the body');
          assert.match(rows.find((row) => row.id === id).headers, ENVELOPE, 'the headers too');
          assert.ok(!JSON.stringify(rows).includes(secretBody));
          assert.ok(!JSON.stringify(rows).includes(apiKey));
        } finally {
          await client.end();
        }
      }
      const listed = await server.api('GET', '/api/v1/approvals');
      assert.ok(!listed.text.includes(secretBody));
      assert.ok(!server.logs.join('\n').includes(secretBody), 'the body is never logged');
      assert.ok(!server.logs.join('\n').includes(apiKey));
    });
  });
}

/** The id of the one PENDING approval whose caller waits with a body of `bytes` bytes, once it is stored. */
async function pendingApprovalId(server: TestServer, bytes: number): Promise<string> {
  return eventually(async () => {
    const listed = await server.api('GET', '/api/v1/approvals?status=PENDING');
    return listed.body.approvals.find((a: { caller_waiting: boolean; body_bytes: number }) => a.caller_waiting && a.body_bytes === bytes)?.id as string | undefined;
  });
}
