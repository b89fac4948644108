import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ApprovalRequirement } from '../../src/approvals/approval-step.ts';
import { createPostgresDatabase, createSqliteDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';
import { eventually } from './eventually.ts';

/**
 * "Exactly once" across instances and restarts (docs/approvals.md): two instances on one
 * Postgres race to decide and to run the same approval, a decision on one wakes the caller held
 * by the other, and an approval approved before a restart runs once after it.
 */

const requirement: ApprovalRequirement = (call) => (call.method === 'GET' ? null : { rule: 'every non-GET' });
const errorOf = (response: { body: Buffer }) => JSON.parse(response.body.toString('utf8')).error;

let upstream: Upstream;
before(async () => {
  upstream = await startUpstream((request, response) => json(response, 201, { ok: true, body: request.body.toString('utf8') }));
});
after(async () => upstream?.close());
const sent = (marker: string) => upstream.received.filter((r) => r.body.toString('utf8').includes(marker)).length;

async function hold(server: TestServer, marker: string, headers: Record<string, string> = {}) {
  return call(server, await server.token(), 'crm', '/v1/charges', { method: 'POST', body: JSON.stringify({ marker }), headers: { 'content-type': 'application/json', ...headers } });
}

describe('two instances on one Postgres', () => {
  let database: TestDatabase | undefined;
  let a: TestServer;
  let b: TestServer;

  before(async () => {
    try {
      database = await createPostgresDatabase();
    } catch (error) {
      if (process.env.TOOLPROXY_REQUIRE_POSTGRES === '1') throw error;
      process.stderr.write('\n!!! Postgres not reachable: the multi-instance approval tests are SKIPPED\n\n');
      return;
    }
    const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    // The first instance migrates; the second starts after it on the same schema.
    a = await startTestServer({ database, env, approvalRequirement: requirement });
    b = await startTestServer({ database, env, approvalRequirement: requirement });
    await connectApiKey(a, { name: 'crm', proxyUrl: upstream.url });
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await database?.cleanup();
  });

  test('approving on both at once: one decision, one run', async (t) => {
    if (database === undefined) return t.skip('Postgres not reachable');
    const id = errorOf(await hold(a, 'race-approve')).details.approval_id;
    const answers = await Promise.all([a, b, a, b].map((server) => server.api('POST', `/api/v1/approvals/${id}/approve`)));
    const won = answers.filter((r) => r.status === 200);
    assert.equal(won.length, 1, answers.map((r) => r.text).join('\n'));
    assert.equal(won[0]!.body.execution.status, 201);
    for (const lost of answers.filter((r) => r.status !== 200)) assert.ok(['APPROVAL_ALREADY_DECIDED', 'APPROVAL_USED'].includes(lost.body.error.code), lost.text);
    assert.equal(sent('race-approve'), 1);
  });

  test('executing an approved call on both at once: it runs once, the others get APPROVAL_USED', async (t) => {
    if (database === undefined) return t.skip('Postgres not reachable');
    const id = errorOf(await hold(a, 'race-execute')).details.approval_id;
    // Approved, and nobody ran it (as when its waiting caller's instance stopped after the decision).
    assert.ok(await a.server.approvals.repository.decide(id, 'APPROVED', 'api_client:test', Date.now()));
    const answers = await Promise.all([a, b, a, b, a, b].map((server) => server.api('POST', `/api/v1/approvals/${id}/execute`)));
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 409, 409, 409, 409, 409]);
    for (const lost of answers.filter((r) => r.status !== 200)) assert.equal(lost.body.error.code, 'APPROVAL_USED');
    assert.equal(sent('race-execute'), 1);
    const shown = await b.api('GET', `/api/v1/approvals/${id}`);
    assert.equal(shown.body.approval.status, 'EXECUTED');
    assert.equal(shown.body.approval.result_status, 201);
  });

  test('a decision on one instance wakes the caller held by the other at once (change feed, not the poll)', async (t) => {
    if (database === undefined) return t.skip('Postgres not reachable');
    const waiting = hold(a, 'cross-instance', { 'x-toolproxy-approval-wait': '30' });
    const id = await eventually(async () => (await b.api('GET', '/api/v1/approvals?status=PENDING')).body.approvals.find((x: { caller_waiting: boolean }) => x.caller_waiting)?.id as string | undefined);
    const started = Date.now();
    const approved = await b.api('POST', `/api/v1/approvals/${id}/approve`);
    assert.equal(approved.body.execution, null);
    const answered = await waiting;
    const elapsed = Date.now() - started;
    assert.equal(answered.status, 201);
    assert.equal(sent('cross-instance'), 1);
    // The held caller re-reads every 2 s when no notification comes; the NOTIFY must beat that.
    assert.ok(elapsed < 1500, `woken after ${elapsed} ms`);
  });
});

describe('a restart between approval and execution', () => {
  let database: TestDatabase;
  const env = { TOOLPROXY_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  before(async () => {
    database = await createSqliteDatabase();
  });
  after(async () => database?.cleanup());

  test('the approved call runs once on the restarted server, its body still readable', async () => {
    const first = await startTestServer({ database, env, approvalRequirement: requirement });
    let id: string;
    try {
      await connectApiKey(first, { name: 'crm', proxyUrl: upstream.url });
      id = errorOf(await hold(first, 'restart')).details.approval_id;
      assert.ok(await first.server.approvals.repository.decide(id, 'APPROVED', 'api_client:test', Date.now()));
    } finally {
      await first.close();
    }
    assert.equal(sent('restart'), 0);
    const second = await startTestServer({ database, env, approvalRequirement: requirement });
    try {
      const executed = await second.api('POST', `/api/v1/approvals/${id}/execute`);
      assert.equal(executed.status, 200, executed.text);
      assert.equal(executed.body.execution.status, 201);
      assert.equal(sent('restart'), 1);
      assert.equal(upstream.received.at(-1)!.body.toString('utf8'), JSON.stringify({ marker: 'restart' }));
      const again = await second.api('POST', `/api/v1/approvals/${id}/execute`);
      assert.equal(again.body.error.code, 'APPROVAL_USED');
      assert.equal(sent('restart'), 1);
    } finally {
      await second.close();
    }
  });
});
