import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { AuditEntry } from '../../src/audit/audit-entry.ts';
import type { AuditRepository } from '../../src/audit/audit-repository.ts';
import { cli } from '../cli/run-cli.ts';
import { type TestDatabase, withTestDatabases } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * The audit trail through the real server (issue 14's "Done when"): every listed action leaves
 * one entry with its actor; a canary secret is in no entry and no export; 10,000 proxied calls
 * leave 10,000 entries; a blocked store holds, then refuses calls, and drops nothing; an edited
 * row makes `verify` (API and CLI) name it. On SQLite and Postgres.
 */

const databases: TestDatabase[] = await withTestDatabases();

const apiKeyConnector = (name: string, proxyUrl: string) => ({
  display_name: `${name} API`,
  proxy_url: proxyUrl,
  proxy_enabled: true,
  auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'API key', input_type: 'password', required: true }], auth_header_key_override: 'X-API-Key' }],
});

async function ok(response: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<any> {
  const r = await response;
  assert.equal(r.status, status, r.text);
  return r.body;
}

/** Every stored entry after `afterSeq`, in seq order. */
async function entriesAfter(server: TestServer, afterSeq: number): Promise<AuditEntry[]> {
  await server.server.audit.flush();
  return server.server.audit.repository.range(0, Number.MAX_SAFE_INTEGER, afterSeq, 1_000_000);
}

async function headSeq(server: TestServer): Promise<number> {
  await server.server.audit.flush();
  return (await server.server.audit.repository.head()).last_seq;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function proxied(server: TestServer, token: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string; connection?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/proxy${path}`, {
      method: options.method ?? 'GET',
      agent,
      headers: { authorization: `Bearer ${token}`, connection_name: options.connection ?? 'crm', identifier: 'user_1', ...options.headers },
    });
    request.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

for (const database of databases) {
  describe(`audit trail end to end on ${database.name}`, () => {
    let upstream: Upstream;
    let server: TestServer;
    let crm: string;
    const cliEnv = (): Record<string, string> =>
      database.options.kind === 'postgres' ? { DATABASE_URL: database.options.url, TOOLPROXY_DATA_DIR: server.dataDir } : { TOOLPROXY_DATA_DIR: dirname(database.options.path) };

    before(async () => {
      upstream = await startUpstream((_request, response) => json(response, 200, { ok: true }));
      // info: the debug level writes a line per proxied call, which would dominate the 10,000-call run.
      server = await startTestServer({ database, env: { LOG_LEVEL: 'info' }, audit: { options: { flushIntervalMs: 20 } } });
      crm = (await ok(server.api('POST', '/api/v1/custom-providers', apiKeyConnector('crm', upstream.url)), 201)).provider.identifier;
      await ok(server.api('POST', '/api/v1/connections', { name: 'crm', connector: crm }), 201);
      await ok(server.api('POST', '/api/v1/connected_accounts', { connection_name: 'crm', identifier: 'user_1', authorization_details: { static_auth: { details: { api_key: 'sk_live_setup' } } } }), 201);
    });
    after(async () => {
      await server.close();
      await upstream.close();
      await database.cleanup();
    });

    test('every listed action leaves exactly one entry, with its actor, target and outcome', async () => {
      const start = await headSeq(server);
      const token = await server.token();
      const connector = await ok(server.api('POST', '/api/v1/custom-providers', apiKeyConnector('billing', upstream.url)), 201);
      const identifier = connector.provider.identifier as string;
      await ok(server.api('PUT', `/api/v1/custom-providers/${identifier}`, { ...apiKeyConnector('billing', upstream.url), description: 'v2' }));
      await ok(server.api('POST', '/api/v1/connections', { name: 'billing', connector: identifier }), 201);
      await ok(server.api('PATCH', '/api/v1/connections/billing', { enabled: true }));
      const account = (await ok(server.api('POST', '/api/v1/connected_accounts', { connection_name: 'billing', identifier: 'u1', authorization_details: { static_auth: { details: { api_key: 'k1' } } } }), 201)).connected_account;
      await ok(server.api('PATCH', `/api/v1/connected_accounts/${account.id}`, { authorization_details: { static_auth: { details: { api_key: 'k2' } } } }));
      assert.equal(await proxied(server, token, '/v1/x', { connection: 'billing', headers: { identifier: 'u1' } }), 200);
      assert.equal(await proxied(server, token, '/v1/x', { connection: 'nope' }), 404);
      // Tool execution and MCP run through the same pipeline: their doors, driven here directly.
      const toolCall = (door: 'tool' | 'mcp', actor: { type: 'api_client' | 'mcp_client'; id: string }) =>
        server.server.pipeline.collect(
          { method: 'POST', routing: { accountId: account.id }, pathAndQuery: '/v1/customers', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"name":"x"}'), retries: 0 },
          { door, actor, toolName: 'create_customer', executionId: `exec_${door}` },
          1024,
        );
      assert.equal((await toolCall('tool', { type: 'api_client', id: server.clientId })).status, 200);
      assert.equal((await toolCall('mcp', { type: 'mcp_client', id: 'mcp_cl_1' })).status, 200);
      await ok(server.api('POST', `/api/v1/connected_accounts/${account.id}/disconnect`));
      // A hosted link: the account is created (by the API client), the credentials set by the link.
      const magic = await ok(server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'billing', identifier: 'u2' }));
      const link = `${server.url}${new URL(magic.link).pathname}`;
      await fetch(link);
      assert.equal((await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: 'k3' }) })).status, 200);
      const client = await ok(server.api('POST', '/api/v1/clients', { name: 'second' }), 201);
      await ok(server.api('DELETE', `/api/v1/clients/${client.client.client_id}`), 204);
      await ok(server.api('DELETE', `/api/v1/connected_accounts/${account.id}`), 204);
      await ok(server.api('DELETE', '/api/v1/connections/billing/connected_accounts/u2'), 204);
      await ok(server.api('DELETE', '/api/v1/connections/billing'), 204);
      await ok(server.api('DELETE', `/api/v1/custom-providers/${identifier}`), 204);

      const entries = await entriesAfter(server, start);
      const me = `api_client:${server.clientId}`;
      assert.deepEqual(
        entries.map((e) => `${e.action} ${e.actor_type === 'hosted_link' ? 'hosted_link' : `${e.actor_type}:${e.actor_id}`} ${e.target_type} ${e.outcome}`),
        [
          `connector.create ${me} connector ok`,
          `connector.update ${me} connector ok`,
          `connection.create ${me} connection ok`,
          `connection.update ${me} connection ok`,
          `account.create ${me} connected_account ok`,
          `credentials.set ${me} connected_account ok`,
          `proxy.call ${me} connected_account ok`,
          `proxy.call ${me} connection CONNECTION_NOT_FOUND`,
          `tool.call ${me} connected_account ok`,
          'tool.call mcp_client:mcp_cl_1 connected_account ok',
          `account.disconnected ${me} connected_account ok`,
          `account.create ${me} connected_account ok`,
          'credentials.set hosted_link connected_account ok',
          `api_client.create ${me} api_client ok`,
          `api_client.revoke ${me} api_client ok`,
          `account.deleted ${me} connected_account ok`,
          `account.deleted ${me} connected_account ok`,
          `connection.delete ${me} connection ok`,
          `connector.delete ${me} connector ok`,
        ],
      );
      const call = entries[6]!;
      assert.equal(call.target_id, account.id);
      assert.equal(call.status, 200);
      assert.deepEqual(JSON.parse(call.details!), { connection: 'billing', method: 'GET' });
      assert.deepEqual(JSON.parse(entries[8]!.details!), { connection: 'billing', door: 'tool', execution: 'exec_tool', method: 'POST', tool: 'create_customer' });
      assert.equal(JSON.parse(entries[9]!.details!).door, 'mcp');
      assert.match(entries[12]!.actor_id, /^as_/);
      assert.equal((await ok(server.api('GET', '/api/v1/audit/verify'))).ok, true);
    });

    test('canary: a secret in credentials and in a call\'s path, headers, query and body is in no entry, export or answer', async () => {
      const canary = `CANARY${randomBytes(8).toString('hex')}`;
      const start = await headSeq(server);
      const token = await server.token();
      await ok(server.api('POST', '/api/v1/connections', { name: 'canary', connector: crm }), 201);
      const account = (await ok(server.api('POST', '/api/v1/connected_accounts', { connection_name: 'canary', identifier: 'user_1', authorization_details: { static_auth: { details: { api_key: `${canary}-1` } } } }), 201)).connected_account;
      await ok(server.api('PATCH', `/api/v1/connected_accounts/${account.id}`, { authorization_details: { static_auth: { details: { api_key: `${canary}-2` } } } }));
      const magic = await ok(server.api('POST', '/api/v1/connected_accounts/magic_link', { connection_name: 'canary', identifier: 'user_2' }));
      const link = `${server.url}${new URL(magic.link).pathname}`;
      await fetch(link);
      assert.equal((await fetch(link, { method: 'POST', body: new URLSearchParams({ api_key: `${canary}-3` }) })).status, 200);
      for (const method of ['GET', 'POST']) {
        const status = await proxied(server, token, `/v1/${canary}/items?api_key=${canary}&q=1`, {
          method,
          connection: 'canary',
          headers: { 'x-api-token': canary, cookie: `session=${canary}`, 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: JSON.stringify({ secret: canary }) } : {}),
        });
        assert.equal(status, 200);
      }
      assert.ok(upstream.received.some((r) => r.headers['x-api-key'] === `${canary}-2`), 'the canary really went upstream');
      const entries = await entriesAfter(server, start);
      assert.ok(entries.length >= 6, `${entries.length} entries`);
      const from = new Date(0).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      const surfaces: Record<string, string> = {
        entries: JSON.stringify(entries),
        jsonl: (await server.api('GET', `/api/v1/audit/export?from=${from}&to=${to}&format=jsonl`)).text,
        csv: (await server.api('GET', `/api/v1/audit/export?from=${from}&to=${to}&format=csv`)).text,
        verify: (await server.api('GET', '/api/v1/audit/verify')).text,
        cli: (await cli(['audit', 'export', '--from', from, '--to', to, '--format', 'csv'], cliEnv())).stdout,
      };
      assert.ok(surfaces.jsonl!.includes(account.id) && surfaces.csv!.includes(account.id) && surfaces.cli!.includes(account.id), 'the exports hold the entries');
      for (const [name, text] of Object.entries(surfaces)) assert.ok(!text.includes(canary), `the canary is in the audit ${name}`);
    });

    test('export: bad ranges are refused with every problem listed', async () => {
      const bad = await server.api('GET', '/api/v1/audit/export?from=yesterday&to=0&format=xml');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'AUDIT_RANGE_INVALID');
      assert.deepEqual(bad.body.error.details.problems.map((p: { path: string }) => p.path), ['/from', '/format']);
      const run = await cli(['audit', 'export', '--from', '2026-01-02', '--to', '2026-01-01'], cliEnv());
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /--to must be after from/);
    });

    test('10,000 concurrent proxied calls leave exactly 10,000 proxy.call entries, and the chain verifies', async () => {
      const start = await headSeq(server);
      const token = await server.token();
      const total = 10_000;
      const started = performance.now();
      let next = 0;
      const statuses = new Map<number, number>();
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < total) {
            next++;
            const status = await proxied(server, token, '/v1/ping');
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      const ms = performance.now() - started;
      assert.deepEqual([...statuses], [[200, total]]);
      const entries = await entriesAfter(server, start);
      assert.equal(entries.filter((e) => e.action === 'proxy.call').length, total);
      assert.equal(entries.length, total);
      const verified = await server.server.audit.verify();
      assert.equal(verified.ok, true);
      process.stdout.write(`# ${database.name}: ${total} proxied calls with the audit trail on in ${ms.toFixed(0)} ms (${(total / (ms / 1000)).toFixed(0)} calls/s)\n`);
    });

    test('an edited or deleted row makes verify (API and CLI) fail and name the first bad entry', async () => {
      const last = await headSeq(server);
      const db = server.server.store.db as unknown as Kysely<any>;
      await db.updateTable('audit_entries').set({ actor_id: 'someone_else' }).where('seq', '=', last - 5).execute();
      const api = await ok(server.api('GET', '/api/v1/audit/verify'));
      assert.deepEqual({ ok: api.ok, seq: api.first_bad.seq, reason: api.first_bad.reason }, { ok: false, seq: last - 5, reason: 'edited' });
      const run = await cli(['audit', 'verify'], cliEnv());
      assert.equal(run.code, 1);
      assert.match(run.stdout, new RegExp(`entry ${last - 5} was changed`));
      await db.deleteFrom('audit_entries').where('seq', '=', last - 7).execute();
      const json = await cli(['audit', 'verify', '--json'], cliEnv());
      assert.equal(json.code, 1);
      assert.deepEqual(JSON.parse(json.stdout).first_bad.seq, last - 7);
      assert.equal(JSON.parse(json.stdout).first_bad.reason, 'missing');
    });
  });

  describe(`audit back-pressure on ${database.name}`, () => {
    test('a store that blocks: calls are held, then refused with AUDIT_UNAVAILABLE before reaching upstream; nothing is dropped', async () => {
      const { withTestDatabases: fresh } = await import('../helpers/databases.ts');
      const own = (await fresh()).find((d) => d.name === database.name)!;
      let release: (() => void) | undefined;
      let blocked = false;
      const upstream = await startUpstream((_request, response) => json(response, 200, { ok: true }));
      const server = await startTestServer({
        database: own,
        audit: {
          options: { maxPending: 5, holdMs: 500, flushIntervalMs: 10 },
          wrapRepository: (real): AuditRepository => ({
            ...real,
            append: async (entries) => {
              if (blocked) await new Promise<void>((resolve) => (release = resolve));
              return real.append(entries);
            },
          }),
        },
      });
      try {
        const crm = (await ok(server.api('POST', '/api/v1/custom-providers', apiKeyConnector('crm', upstream.url)), 201)).provider.identifier;
        await ok(server.api('POST', '/api/v1/connections', { name: 'crm', connector: crm }), 201);
        await ok(server.api('POST', '/api/v1/connected_accounts', { connection_name: 'crm', identifier: 'user_1', authorization_details: { static_auth: { details: { api_key: 'k' } } } }), 201);
        const token = await server.token();
        const start = await headSeq(server);
        blocked = true;
        const admitted: number[] = [];
        for (let i = 0; i < 5; i++) admitted.push(await proxied(server, token, `/v1/${i}`));
        assert.deepEqual(admitted, [200, 200, 200, 200, 200]);
        const sentBefore = upstream.received.length;
        // The queue (the batch being written included) is full, 5 of 5, and the store blocks: the next call waits 500 ms, then is refused.
        const refused = await fetch(`${server.url}/proxy/v1/refused`, { headers: { authorization: `Bearer ${token}`, connection_name: 'crm', identifier: 'user_1' } });
        assert.equal(refused.status, 503);
        assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'AUDIT_UNAVAILABLE');
        assert.equal(upstream.received.length, sentBefore, 'nothing reached upstream');
        assert.ok(server.logs.some((line) => line.includes('queue full')), 'the hold is logged');
        assert.equal(server.server.audit.stats.refused, 1);
        const metrics = (await server.api('GET', '/metrics')).text;
        assert.match(metrics, /^toolproxy_audit_refused_total 1$/m);
        assert.match(metrics, /^toolproxy_audit_pending [1-9]\d*$/m);
        // A change while blocked is queued, never refused.
        await ok(server.api('PATCH', '/api/v1/connections/crm', { enabled: true }));
        // The store comes back: a call held now goes through once the queue has room.
        const held = proxied(server, token, '/v1/held');
        blocked = false;
        release?.();
        assert.equal(await held, 200);
        const entries = await entriesAfter(server, start);
        assert.deepEqual(entries.map((e) => e.action).sort(), [...Array(6).fill('proxy.call'), 'connection.update'].sort());
        assert.equal((await server.server.audit.verify()).ok, true);
      } finally {
        blocked = false;
        release?.();
        await server.close();
        await upstream.close();
        await own.cleanup();
      }
    });
  });
}

after(() => agent.destroy());
