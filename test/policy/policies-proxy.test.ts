import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey, type RawResponse } from '../proxy/fixtures.ts';

/**
 * Issue 14: each policy kind end to end through `/proxy` on SQLite and Postgres, against a real
 * loopback upstream that must receive nothing when a call is refused.
 */

const databases = await withTestDatabases();

for (const database of databases) {
  describe(`policies through /proxy on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;
    let token: string;
    before(async () => {
      upstream = await startUpstream();
      server = await startTestServer({ database });
      token = await server.token();
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
      await database.cleanup();
    });

    /** A fresh connection with its own account and policy, so tests do not share buckets. */
    async function connectionWith(name: string, policy: unknown): Promise<void> {
      await connectApiKey(server, { name, proxyUrl: upstream.url });
      const put = await server.api('PUT', `/api/v1/connections/${name}/policy`, policy);
      assert.equal(put.status, 200, put.text);
    }

    /** `send` is refused with `code` (and `details`), and the upstream received nothing. */
    async function refused(send: () => Promise<RawResponse>, status: number, code: string, details?: Record<string, unknown>): Promise<RawResponse> {
      const before = upstream.received.length;
      const response = await send();
      assert.equal(response.status, status, response.body.toString());
      const body = JSON.parse(response.body.toString());
      assert.equal(body.error.code, code);
      if (details) assert.deepEqual(body.error.details, details);
      assert.equal(upstream.received.length, before, 'nothing reached upstream');
      return response;
    }

    test('paths.deny refuses naming the pattern, also when the path is encoded to slip past it', async () => {
      await connectionWith('deny', { paths: { deny: ['/v1/admin/**'] } });
      for (const path of ['/v1/admin/users', '/v1/%61dmin/users', '/v1//admin']) {
        await refused(() => call(server, token, 'deny', path), 403, 'POLICY_DENIED', { rule: 'paths.deny', pattern: '/v1/admin/**' });
      }
      assert.equal((await call(server, token, 'deny', '/v1/customers')).status, 200);
    });

    test('paths.allow refuses what no pattern matches', async () => {
      await connectionWith('allow', { paths: { allow: ['/v1/customers/**'] } });
      assert.equal((await call(server, token, 'allow', '/v1/customers')).status, 200);
      await refused(() => call(server, token, 'allow', '/v1/orders'), 403, 'POLICY_DENIED', { rule: 'paths.allow' });
    });

    test('allowed_methods and read_only refuse other methods', async () => {
      await connectionWith('methods', { allowed_methods: ['GET', 'POST'] });
      assert.equal((await call(server, token, 'methods', '/v1/customers', { method: 'POST', body: '{}' })).status, 201);
      await refused(() => call(server, token, 'methods', '/v1/customers/1', { method: 'DELETE' }), 403, 'POLICY_DENIED', { rule: 'allowed_methods' });
      await connectionWith('readonly', { read_only: true });
      assert.equal((await call(server, token, 'readonly', '/v1/customers')).status, 200);
      await refused(() => call(server, token, 'readonly', '/v1/customers', { method: 'POST', body: '{}' }), 403, 'POLICY_DENIED', { rule: 'read_only' });
    });

    test('tools_only refuses a raw /proxy call', async () => {
      await connectionWith('toolsonly', { tools_only: true });
      await refused(() => call(server, token, 'toolsonly', '/v1/customers'), 403, 'POLICY_DENIED', { rule: 'tools_only' });
    });

    test('max_request_body_bytes: a declared length over the cap is refused up front, a chunked one as it is read', async () => {
      await connectionWith('body', { max_request_body_bytes: 10 });
      await refused(() => call(server, token, 'body', '/v1/customers', { method: 'POST', body: 'x'.repeat(11) }), 403, 'POLICY_DENIED', { rule: 'max_request_body_bytes' });
      const chunked = { 'transfer-encoding': 'chunked' };
      await refused(() => call(server, token, 'body', '/v1/customers', { method: 'POST', body: 'x'.repeat(11), headers: chunked }), 403, 'POLICY_DENIED', { rule: 'max_request_body_bytes' });
      const fits = await call(server, token, 'body', '/v1/customers', { method: 'POST', body: '{"a":"b"}', headers: chunked });
      assert.equal(fits.status, 201, fits.body.toString());
      assert.equal(upstream.received.at(-1)?.body.toString(), '{"a":"b"}');
    });

    test('rate_limit: a burst of `requests`, then RATE_LIMITED with Retry-After', async () => {
      await connectionWith('rate', { rate_limit: { requests: 3, per_seconds: 3600 } });
      for (let i = 0; i < 3; i++) assert.equal((await call(server, token, 'rate', '/v1/customers')).status, 200);
      const response = await refused(() => call(server, token, 'rate', '/v1/customers'), 429, 'RATE_LIMITED');
      assert.ok(Number(response.headers['retry-after']) >= 1, `retry-after ${String(response.headers['retry-after'])}`);
    });

    test('an account policy narrows its connection, is refused when it would widen, and is shown as effective', async () => {
      await connectionWith('narrow', { allowed_methods: ['GET', 'POST'], paths: { deny: ['/v1/admin/**'] } });
      const list = await server.api('GET', '/api/v1/connected_accounts?connection_name=narrow&identifier=user_1');
      const id = list.body.connected_accounts[0].id as string;
      const widening = await server.api('PUT', `/api/v1/connected_accounts/${id}/policy`, { allowed_methods: ['GET', 'DELETE'], paths: { deny: [] } });
      assert.equal(widening.status, 422);
      assert.equal(widening.body.error.code, 'POLICY_WIDENS');
      assert.deepEqual(widening.body.error.details.problems.map((p: { path: string }) => p.path), ['/allowed_methods/1', '/paths/deny']);

      const narrowing = await server.api('PUT', `/api/v1/connected_accounts/${id}/policy`, { allowed_methods: ['GET'] });
      assert.equal(narrowing.status, 200, narrowing.text);
      await refused(() => call(server, token, 'narrow', '/v1/customers', { method: 'POST', body: '{}' }), 403, 'POLICY_DENIED', { rule: 'allowed_methods' });
      await refused(() => call(server, token, 'narrow', '/v1/admin'), 403, 'POLICY_DENIED', { rule: 'paths.deny', pattern: '/v1/admin/**' });

      const effective = await server.api('GET', `/api/v1/connected_accounts/${id}/effective_policy`);
      assert.equal(effective.status, 200);
      assert.equal(effective.body.layers.length, 2);
      assert.deepEqual(effective.body.account_policy, { allowed_methods: ['GET'] });

      assert.equal((await server.api('DELETE', `/api/v1/connected_accounts/${id}/policy`)).status, 204);
      assert.equal((await call(server, token, 'narrow', '/v1/customers', { method: 'POST', body: '{}' })).status, 201);
      assert.equal((await server.api('GET', `/api/v1/connected_accounts/${id}/policy`)).body.policy, null);
    });

    test('a bad policy is refused with every problem; unknown connections and accounts are 404', async () => {
      await connectApiKey(server, { name: 'bad', proxyUrl: upstream.url });
      const bad = await server.api('PUT', '/api/v1/connections/bad/policy', { read_only: true, allowed_methods: ['GET', 'POST'], paths: { allow: ['/a/**'], deny: ['/a/**'] } });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'POLICY_INVALID');
      assert.deepEqual(bad.body.error.details.problems.map((p: { path: string }) => p.path), ['/allowed_methods/1', '/paths/allow/0']);
      const zero = await server.api('PUT', '/api/v1/connections/bad/policy', { rate_limit: { requests: 0, per_seconds: 1 } });
      assert.equal(zero.body.error.code, 'POLICY_INVALID');
      const notJson = await server.api('PUT', '/api/v1/connections/bad/policy', [1]);
      assert.equal(notJson.body.error.code, 'POLICY_INVALID');
      assert.equal((await server.api('GET', '/api/v1/connections/bad/policy')).body.policy, null);
      assert.equal((await server.api('PUT', '/api/v1/connections/nope/policy', {})).status, 404);
      assert.equal((await server.api('GET', '/api/v1/connected_accounts/ca_nope/policy')).status, 404);
    });

    test('canary: a credential never appears in what the policy surfaces answer, log or store', async () => {
      const canary = `sk_canary_${Math.random().toString(36).slice(2)}`;
      await connectApiKey(server, { name: 'canary', proxyUrl: upstream.url, apiKey: canary });
      const id = (await server.api('GET', '/api/v1/connected_accounts?connection_name=canary&identifier=user_1')).body.connected_accounts[0].id as string;
      const answers = [
        await server.api('PUT', '/api/v1/connections/canary/policy', { read_only: true, rate_limit: { requests: 1, per_seconds: 60 } }),
        await server.api('PUT', `/api/v1/connected_accounts/${id}/policy`, { max_request_body_bytes: 1 }),
        await server.api('PUT', `/api/v1/connected_accounts/${id}/policy`, { read_only: false }),
        await server.api('GET', '/api/v1/connections/canary/policy'),
        await server.api('GET', `/api/v1/connected_accounts/${id}/effective_policy`),
      ].map((response) => response.text);
      answers.push((await call(server, token, 'canary', '/v1/customers')).body.toString());
      answers.push((await call(server, token, 'canary', '/v1/customers')).body.toString());
      answers.push((await call(server, token, 'canary', '/v1/customers', { method: 'POST', body: '{}' })).body.toString());
      for (const text of [...answers, ...server.logs]) assert.ok(!text.includes(canary), `canary in ${text.slice(0, 200)}`);
      // What the policy tables hold, read from the database itself.
      const stored = JSON.stringify(await server.server.store.policies.listAll());
      assert.ok(stored.includes('"read_only\\":true') && !stored.includes(canary), stored.slice(0, 300));
    });

    test('require_approval holds a matching call for a person (APPROVAL_REQUIRED, nothing sent), naming the rule', async () => {
      await connectionWith('approve', { require_approval: { methods: ['POST'], paths: ['/v1/charges/**'] } });
      assert.equal((await call(server, token, 'approve', '/v1/customers')).status, 200);
      const held = await refused(() => call(server, token, 'approve', '/v1/customers', { method: 'POST', body: '{}' }), 403, 'APPROVAL_REQUIRED');
      const byMethod = JSON.parse(held.body.toString()).error.details.approval_id as string;
      const byPath = JSON.parse((await refused(() => call(server, token, 'approve', '/v1/charges/ch_1'), 403, 'APPROVAL_REQUIRED')).body.toString()).error.details.approval_id as string;
      assert.equal((await server.api('GET', `/api/v1/approvals/${byMethod}`)).body.approval.rule, 'require_approval.methods');
      assert.equal((await server.api('GET', `/api/v1/approvals/${byPath}`)).body.approval.rule, 'require_approval.paths');
    });

    test('a policy goes with what it governs: deleting the account and the connection deletes their policies', async () => {
      await connectionWith('gone', { read_only: true });
      const id = (await server.api('GET', '/api/v1/connected_accounts?connection_name=gone&identifier=user_1')).body.connected_accounts[0].id as string;
      assert.equal((await server.api('PUT', `/api/v1/connected_accounts/${id}/policy`, { paths: { deny: ['/x'] } })).status, 200);
      assert.equal((await server.api('DELETE', '/api/v1/connections/gone/connected_accounts/user_1')).status, 204);
      assert.equal((await server.api('DELETE', '/api/v1/connections/gone')).status, 204);
      const stored = await server.server.store.policies.listAll();
      assert.ok(!stored.connections.some((row) => row.connection_name === 'gone'));
      assert.ok(!stored.accounts.some((row) => row.account_id === id));
      assert.equal((await server.api('GET', '/api/v1/connections/gone/policy')).body.error.code, 'CONNECTION_NOT_FOUND');
    });

    test('deleting a connection policy lifts it', async () => {
      await connectionWith('lifted', { read_only: true });
      await refused(() => call(server, token, 'lifted', '/v1/customers', { method: 'POST', body: '{}' }), 403, 'POLICY_DENIED');
      assert.equal((await server.api('DELETE', '/api/v1/connections/lifted/policy')).status, 204);
      assert.equal((await call(server, token, 'lifted', '/v1/customers', { method: 'POST', body: '{}' })).status, 201);
      // Both changes are in the audit trail, by the API client, without the document.
      await server.server.audit.flush();
      const entries = (await server.server.audit.repository.range(0, Number.MAX_SAFE_INTEGER, 0, 1_000_000))
        .filter((e) => e.action.startsWith('policy.') && e.target_id === 'lifted');
      assert.deepEqual(entries.map((e) => [e.action, e.target_type, e.actor_type]), [['policy.set', 'connection', 'api_client'], ['policy.delete', 'connection', 'api_client']]);
      assert.ok(!entries.some((e) => (e.details ?? '').includes('read_only')));
    });
  });
}
