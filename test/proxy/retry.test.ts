import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { isToolproxyError } from '../../src/errors.ts';
import { MAX_RETRY_AFTER_MS, retriesRequested, retryDelayMs, withRetries } from '../../src/proxy/retry.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from './fixtures.ts';

/** Opt-in retries (DESIGN.md §7): idempotent methods only, on 429/502/503/504, Retry-After honoured. */

describe('retriesRequested', () => {
  test('is 0 unless the caller asks', () => {
    assert.equal(retriesRequested({}, 'GET'), 0);
    assert.equal(retriesRequested({ 'x-toolproxy-retries': '0' }, 'GET'), 0);
  });

  test('applies to idempotent methods (RFC 9110 §9.2.2)', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) assert.equal(retriesRequested({ 'x-toolproxy-retries': '3' }, method), 3, method);
  });

  test('never retries POST or PATCH unless the caller also sends x-toolproxy-retry-post: true', () => {
    for (const method of ['POST', 'PATCH']) {
      assert.equal(retriesRequested({ 'x-toolproxy-retries': '2' }, method), 0, method);
      assert.equal(retriesRequested({ 'x-toolproxy-retries': '2', 'x-toolproxy-retry-post': 'false' }, method), 0, method);
      assert.equal(retriesRequested({ 'x-toolproxy-retries': '2', 'x-toolproxy-retry-post': 'true' }, method), 2, method);
    }
  });

  test('refuses a count that is not 0-5 with INVALID_HEADER', () => {
    for (const value of ['6', '-1', '1.5', 'many', '', '10']) {
      assert.throws(() => retriesRequested({ 'x-toolproxy-retries': value }, 'GET'), (error: unknown) => isToolproxyError(error) && error.code === 'INVALID_HEADER', value);
    }
  });
});

describe('retryDelayMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  test('honours Retry-After in seconds and as an HTTP date', () => {
    assert.equal(retryDelayMs(1, '2', now, () => 0.5), 2000);
    assert.equal(retryDelayMs(1, '0', now, () => 0.5), 0);
    assert.equal(retryDelayMs(1, new Date(now + 5000).toUTCString(), now, () => 0.5), 5000);
    assert.equal(retryDelayMs(1, new Date(now - 5000).toUTCString(), now, () => 0.5), 0, 'a date in the past means now');
  });

  test('does not wait for a Retry-After beyond the cap: the response goes back instead', () => {
    assert.equal(retryDelayMs(1, String(MAX_RETRY_AFTER_MS / 1000 + 1), now, () => 0.5), undefined);
    assert.equal(retryDelayMs(1, new Date(now + 3_600_000).toUTCString(), now, () => 0.5), undefined);
  });

  test('property: without Retry-After, full jitter within an exponential, capped window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), fc.constantFrom(undefined, '', 'soon'), (attempt, random, header) => {
        const delay = retryDelayMs(attempt, header, now, () => random)!;
        assert.ok(delay >= 0 && delay < Math.min(5000, 200 * 2 ** (attempt - 1)), `${attempt}: ${delay}`);
      }),
    );
  });
});

describe('withRetries', () => {
  const response = (statusCode: number, headers: Record<string, string> = {}) => {
    let dumped = false;
    return { response: { statusCode, headers, body: { dump: async () => void (dumped = true) } }, dumped: () => dumped } as never as { response: any; dumped: () => boolean };
  };
  const clock = (slept: number[]) => ({ now: () => 0, random: () => 0, sleep: async (ms: number) => void slept.push(ms) });

  test('retries retryable statuses until success, reading each discarded body', async () => {
    const answers = [response(503, { 'retry-after': '1' }), response(429), response(200)];
    const used = [...answers];
    const slept: number[] = [];
    const result = await withRetries(async () => answers.shift()!, 3, Number.MAX_SAFE_INTEGER, clock(slept));
    assert.equal(result.response.statusCode, 200);
    assert.deepEqual(slept, [1000, 0]);
    assert.ok(used[0]!.dumped() && used[1]!.dumped() && !used[2]!.dumped());
  });

  test('returns the last response when retries run out, and never retries other statuses', async () => {
    const slept: number[] = [];
    const out = await withRetries(async () => response(502), 2, Number.MAX_SAFE_INTEGER, clock(slept));
    assert.equal(out.response.statusCode, 502);
    assert.equal(slept.length, 2);
    for (const status of [200, 400, 401, 404, 500, 501]) {
      let calls = 0;
      await withRetries(async () => (calls++, response(status)), 5, Number.MAX_SAFE_INTEGER, clock([]));
      assert.equal(calls, 1, String(status));
    }
  });

  test('stops when the wait would pass the deadline', async () => {
    let calls = 0;
    const out = await withRetries(async () => (calls++, response(503, { 'retry-after': '10' })), 5, 5_000, clock([]));
    assert.equal(out.response.statusCode, 503);
    assert.equal(calls, 1);
  });
});

describe('retries through the server', () => {
  let upstream: Upstream;
  let server: TestServer;
  let token: string;
  const failuresLeft = new Map<string, number>();

  before(async () => {
    upstream = await startUpstream((request, response) => {
      const key = `${request.method} ${request.url}`;
      const left = failuresLeft.get(key) ?? 0;
      if (left > 0) {
        failuresLeft.set(key, left - 1);
        const status = request.url.includes('rate') ? 429 : 503;
        return json(response, status, { error: 'try later' }, { 'retry-after': request.url.includes('long') ? '3600' : '0' });
      }
      json(response, 200, { ok: true, body: request.body.toString() });
    });
    server = await startTestServer({ database: await createSqliteDatabase() });
    await connectApiKey(server, { name: 'retry', proxyUrl: upstream.url });
    token = await server.token();
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  const hits = (path: string) => upstream.received.filter((r) => r.url === path).length;

  test('a GET with x-toolproxy-retries: 3 outlasts two 503s; the header never reaches the upstream', async () => {
    failuresLeft.set('GET /v1/flaky', 2);
    const response = await call(server, token, 'retry', '/v1/flaky', { headers: { 'x-toolproxy-retries': '3' } });
    assert.equal(response.status, 200);
    assert.equal(hits('/v1/flaky'), 3);
    assert.ok(upstream.received.every((r) => r.headers['x-toolproxy-retries'] === undefined));
  });

  test('without the header the 503 comes straight back (retries are off by default)', async () => {
    failuresLeft.set('GET /v1/flaky-default', 1);
    const response = await call(server, token, 'retry', '/v1/flaky-default');
    assert.equal(response.status, 503);
    assert.equal(hits('/v1/flaky-default'), 1);
  });

  test('a POST is sent once unless the caller opts in; opted in, its body is replayed byte-exact', async () => {
    failuresLeft.set('POST /v1/rate-post', 1);
    const once = await call(server, token, 'retry', '/v1/rate-post', { method: 'POST', headers: { 'x-toolproxy-retries': '2', 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(once.status, 429);
    assert.equal(hits('/v1/rate-post'), 1);

    failuresLeft.set('POST /v1/rate-post-opt-in', 2);
    const body = JSON.stringify({ name: 'Grace', note: 'ü'.repeat(100) });
    const retried = await call(server, token, 'retry', '/v1/rate-post-opt-in', {
      method: 'POST',
      headers: { 'x-toolproxy-retries': '2', 'x-toolproxy-retry-post': 'true', 'content-type': 'application/json' },
      body,
    });
    assert.equal(retried.status, 200);
    const attempts = upstream.received.filter((r) => r.url === '/v1/rate-post-opt-in');
    assert.equal(attempts.length, 3);
    for (const attempt of attempts) {
      assert.equal(attempt.body.toString(), body);
      assert.equal(attempt.headers['content-length'], String(Buffer.byteLength(body)));
      assert.equal(attempt.headers['x-toolproxy-retry-post'], undefined);
    }
  });

  test('a Retry-After beyond the cap is not waited for: the 429 goes back after one attempt', async () => {
    failuresLeft.set('GET /v1/rate-long', 1);
    const response = await call(server, token, 'retry', '/v1/rate-long', { headers: { 'x-toolproxy-retries': '5' } });
    assert.equal(response.status, 429);
    assert.equal(response.headers['retry-after'], '3600');
    assert.equal(hits('/v1/rate-long'), 1);
  });

  test('a bad retry count is a 400 INVALID_HEADER and nothing is sent', async () => {
    const before = upstream.received.length;
    const response = await call(server, token, 'retry', '/v1/flaky', { headers: { 'x-toolproxy-retries': 'lots' } });
    assert.equal(response.status, 400);
    assert.equal(response.headers['x-toolproxy-error'], 'INVALID_HEADER');
    assert.equal(upstream.received.length, before);
  });
});
