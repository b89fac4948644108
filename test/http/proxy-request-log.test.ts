import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * The request log API (GET /api/v1/request_log, /stats) and GET /metrics, over real proxied
 * calls: what is recorded, what never is (query values, headers, credentials), filters, paging.
 */

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const SECRET = 'sk_live_never_logged_4711';
let upstream: Upstream;
let server: TestServer;
let token: string;
let now = Date.parse('2026-03-01T12:00:00Z');

before(async () => {
  upstream = await startUpstream((request, response) => {
    if (request.url.includes('/missing')) return json(response, 404, { error: 'nope' });
    if (request.url.includes('/broken')) return json(response, 500, { error: 'boom' });
    json(response, 200, { ok: true, pad: 'x'.repeat(100) });
  });
  server = await startTestServer({ database: await createSqliteDatabase(), clock: () => now, env: { TOOLPROXY_METRICS_TOKEN: METRICS_TOKEN } });
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, identifier: 'alice@example.com', apiKey: SECRET });
  await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: 'crm',
    identifier: 'bob@example.com',
    authorization_details: { static_auth: { details: { api_key: SECRET } } },
  });
  await connectApiKey(server, { name: 'billing', proxyUrl: upstream.url, identifier: 'alice@example.com', apiKey: SECRET });
  token = await server.token();

  // Calls at known times: two minutes ago, one minute ago, now.
  const at = async (minutesAgo: number, connection: string, identifier: string, path: string, method = 'GET') => {
    now = Date.parse('2026-03-01T12:00:00Z') - minutesAgo * 60_000;
    const response = await call(server, token, connection, path, { identifier, method, ...(method === 'POST' ? { body: '{"a":1}', headers: { 'content-type': 'application/json' } } : {}) });
    return response.status;
  };
  assert.equal(await at(2, 'crm', 'alice@example.com', `/v1/customers?limit=3&api_key=${SECRET}`), 200);
  assert.equal(await at(2, 'crm', 'bob@example.com', '/v1/missing'), 404);
  assert.equal(await at(1, 'crm', 'alice@example.com', '/v1/customers', 'POST'), 200);
  assert.equal(await at(1, 'billing', 'alice@example.com', '/v1/broken'), 500);
  assert.equal(await at(0, 'crm', 'nobody@example.com', '/v1/customers'), 404); // ACCOUNT_NOT_FOUND
  assert.equal(await at(0, 'crm', 'alice@example.com', '/v1/customers?x=1'), 200);
  now = Date.parse('2026-03-01T12:00:30Z');
});
after(async () => {
  await server.close();
  await upstream.close();
});

describe('GET /api/v1/request_log', () => {
  test('lists every call newest first: method, path without query values, status, latency, bytes, account', async () => {
    const list = await server.api('GET', '/api/v1/request_log');
    assert.equal(list.status, 200, list.text);
    const entries = list.body.entries;
    assert.equal(entries.length, 6);
    assert.equal(list.body.next_before, null);
    assert.deepEqual(entries.map((e: { path: string }) => e.path), [
      '/v1/customers?x=…', '/v1/customers', '/v1/broken', '/v1/customers', '/v1/missing', '/v1/customers?limit=…&api_key=…',
    ]);
    const [newest] = entries;
    assert.equal(newest.method, 'GET');
    assert.equal(newest.status, 200);
    assert.equal(newest.connection_name, 'crm');
    assert.equal(newest.identifier, 'alice@example.com');
    assert.match(newest.account_id, /^ca_/);
    assert.equal(newest.created_at, '2026-03-01T12:00:00.000Z');
    assert.equal(typeof newest.latency_ms, 'number');
    assert.ok(newest.bytes_out > 100);
    assert.equal(newest.error_code, null);
    const post = entries[3];
    assert.equal(post.method, 'POST');
    assert.equal(post.bytes_in, 7);
    const refused = entries[1];
    assert.equal(refused.status, 404);
    assert.equal(refused.error_code, 'ACCOUNT_NOT_FOUND');
    assert.equal(refused.account_id, null);
    assert.equal(refused.identifier, null);
  });

  test('never records a query value, header or credential (S13)', async () => {
    const list = await server.api('GET', '/api/v1/request_log?limit=500');
    assert.ok(!list.text.includes(SECRET));
    assert.ok(!list.text.includes(token));
  });

  test('filters by connection, identifier, account id and status (exact, class, success, error)', async () => {
    const paths = async (query: string) => {
      const list = await server.api('GET', `/api/v1/request_log?${query}`);
      assert.equal(list.status, 200, `${query}: ${list.text}`);
      return list.body.entries.map((e: { status: number }) => e.status);
    };
    assert.deepEqual(await paths('connection_name=billing'), [500]);
    assert.deepEqual(await paths('identifier=bob%40example.com'), [404]);
    const alice = (await server.api('GET', '/api/v1/request_log?identifier=alice%40example.com&connection_name=crm')).body.entries;
    assert.equal(alice.length, 3);
    assert.deepEqual(await paths(`account_id=${alice[0].account_id}`), [200, 200, 200]);
    assert.deepEqual(await paths('status=404'), [404, 404]);
    assert.deepEqual(await paths('status=5xx'), [500]);
    assert.deepEqual(await paths('status=error'), [404, 500, 404]);
    assert.deepEqual(await paths('status=success'), [200, 200, 200]);
    assert.deepEqual(await paths('status=&connection_name=&identifier='), [200, 404, 500, 200, 404, 200], 'empty filters are no filters');
  });

  test('pages with limit and next_before', async () => {
    const first = await server.api('GET', '/api/v1/request_log?limit=4');
    assert.equal(first.body.entries.length, 4);
    assert.ok(first.body.next_before);
    const second = await server.api('GET', `/api/v1/request_log?limit=4&before=${first.body.next_before}`);
    assert.equal(second.body.entries.length, 2);
    assert.equal(second.body.next_before, null);
    const ids = [...first.body.entries, ...second.body.entries].map((e: { id: string }) => Number(e.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.equal(new Set(ids).size, 6);
  });

  test('refuses bad parameters and needs an app token', async () => {
    for (const query of ['status=2x', 'limit=0', 'limit=501', 'before=abc']) {
      const response = await server.api('GET', `/api/v1/request_log?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, 'VALIDATION_FAILED');
    }
    const anonymous = await fetch(`${server.url}/api/v1/request_log`);
    assert.equal(anonymous.status, 401);
  });
});

describe('GET /api/v1/request_log/stats', () => {
  test('buckets calls by time with count, errors and p50/p99 latency; empty buckets are null', async () => {
    const stats = await server.api('GET', '/api/v1/request_log/stats?window_minutes=5&bucket_seconds=60');
    assert.equal(stats.status, 200, stats.text);
    const buckets = stats.body.buckets as Array<{ start: string; count: number; errors: number; p50_ms: number | null; p99_ms: number | null }>;
    assert.equal(buckets.length, 5);
    assert.deepEqual(buckets.map((b) => b.start), ['11:56', '11:57', '11:58', '11:59', '12:00'].map((t) => `2026-03-01T${t}:00.000Z`));
    assert.deepEqual(buckets.map((b) => b.count), [0, 0, 2, 2, 2]);
    assert.deepEqual(buckets.map((b) => b.errors), [0, 0, 1, 1, 1]);
    assert.equal(buckets[0]!.p50_ms, null);
    for (const bucket of buckets.slice(2)) assert.ok(bucket.p50_ms! <= bucket.p99_ms!);
  });

  test('narrows to one connection', async () => {
    // Two 150 s buckets, the last one holding now (12:00:30): [11:57:30, 12:00:00) and [12:00:00, 12:02:30).
    const stats = await server.api('GET', '/api/v1/request_log/stats?window_minutes=5&bucket_seconds=150&connection_name=billing');
    assert.deepEqual(stats.body.buckets.map((b: { start: string; count: number }) => [b.start.slice(11, 19), b.count]), [['11:57:30', 1], ['12:00:00', 0]]);
  });

  test('refuses a window that would need more than 2,000 buckets', async () => {
    const stats = await server.api('GET', '/api/v1/request_log/stats?window_minutes=10080&bucket_seconds=1');
    assert.equal(stats.status, 400);
    assert.equal(stats.body.error.code, 'VALIDATION_FAILED');
  });

  test('both endpoints are in the OpenAPI document', async () => {
    const openapi = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(openapi.paths['/api/v1/request_log']);
    assert.ok(openapi.paths['/api/v1/request_log/stats']);
  });
});

describe('GET /metrics', () => {
  test('needs a token: an app token or TOOLPROXY_METRICS_TOKEN', async () => {
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 401);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 200);
    assert.equal((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });

  test('counts calls and latency per connection, with no identifier, path or secret in any label', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /toolproxy_proxy_requests_total\{connection="crm",status_class="2xx",code=""\} 3/);
    assert.match(text, /toolproxy_proxy_requests_total\{connection="crm",status_class="4xx",code=""\} 1/);
    assert.match(text, /toolproxy_proxy_requests_total\{connection="billing",status_class="5xx",code=""\} 1/);
    assert.match(text, /toolproxy_proxy_requests_total\{connection="\(none\)",status_class="4xx",code="ACCOUNT_NOT_FOUND"\} 1/);
    assert.match(text, /toolproxy_proxy_request_duration_seconds_bucket\{connection="crm",le="\+Inf"\} 4/);
    assert.match(text, /toolproxy_proxy_request_duration_seconds_count\{connection="billing"\} 1/);
    assert.match(text, /toolproxy_proxy_request_bytes_total\{connection="crm"\} 7/);
    assert.match(text, /toolproxy_process_resident_memory_bytes/);
    for (const never of ['alice', 'bob', 'nobody', '/v1/', SECRET, 'ca_']) assert.ok(!text.includes(never), `${never} in /metrics`);
  });
});
