import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey, type RawResponse } from '../proxy/fixtures.ts';

/**
 * P19 (security-checklist.md §5): per-account and per-connection concurrency limits with bounded
 * queues, through the real server and a real loopback upstream whose `/slow` path answers only
 * when the test opens its gate (no sleeping, no timing guesses).
 */

interface SlowUpstream {
  upstream: Upstream;
  /** Slow calls the upstream is holding now, and the most it held at once. */
  held(): number;
  maxHeld(): number;
  /** Answers every held call and, until `close()`, each new one at once. */
  open(): void;
  /** Holds new `/slow` calls again. */
  shut(): void;
}

async function startSlowUpstream(): Promise<SlowUpstream> {
  let gateOpen = false;
  let waiting: http.ServerResponse[] = [];
  let maxHeld = 0;
  const upstream = await startUpstream((request, response) => {
    if (request.url.startsWith('/reset')) return void response.socket?.destroy();
    if (request.url.startsWith('/drip')) return void response.writeHead(200, { 'content-length': '1000' }).write('x');
    if (!request.url.includes('/slow') || gateOpen) return json(response, 200, { path: request.url });
    waiting.push(response);
    maxHeld = Math.max(maxHeld, waiting.length);
    response.on('close', () => (waiting = waiting.filter((r) => r !== response)));
  });
  return {
    upstream,
    held: () => waiting.length,
    maxHeld: () => maxHeld,
    open() {
      gateOpen = true;
      for (const response of waiting.splice(0)) json(response, 200, { path: '/slow' });
    },
    shut() {
      gateOpen = false;
      maxHeld = 0;
    },
  };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The two P19 gauges from GET /metrics. */
async function gauges(server: TestServer): Promise<{ inFlight: number; waiting: number }> {
  const text = (await server.api('GET', '/metrics')).text;
  const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { inFlight: value('toolproxy_proxy_calls_in_flight'), waiting: value('toolproxy_proxy_calls_waiting') };
}

function assertRefused(response: RawResponse, reason: 'queue_full' | 'queue_timeout', retryAfter: string): void {
  assert.equal(response.status, 429);
  assert.equal(response.headers['x-toolproxy-error'], 'CONCURRENCY_LIMIT_EXCEEDED');
  assert.equal(response.headers['retry-after'], retryAfter);
  const body = JSON.parse(response.body.toString('utf8'));
  assert.equal(body.error.code, 'CONCURRENCY_LIMIT_EXCEEDED');
  assert.equal(body.error.details.limit, 'account');
  assert.equal(body.error.details.reason, reason);
  assert.match(body.error.message, /TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT/);
}

async function addAccount(server: TestServer, connection: string, identifier: string): Promise<void> {
  const account = await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: connection,
    identifier,
    authorization_details: { static_auth: { details: { api_key: `sk_${identifier}` } } },
  });
  assert.equal(account.status, 201, account.text);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('P19: one account with 1,000 concurrent calls to a slow upstream cannot starve the others', () => {
  let slow: SlowUpstream;
  let server: TestServer;
  let token: string;

  before(async () => {
    slow = await startSlowUpstream();
    server = await startTestServer({
      database: await createSqliteDatabase(),
      // Defaults for the limits (64 per account, 256 queued); a queue timeout long enough that
      // nothing times out on a loaded machine; no debug line per call.
      env: { TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS: '60000', LOG_LEVEL: 'warn' },
    });
    await connectApiKey(server, { name: 'crm', proxyUrl: slow.upstream.url, identifier: 'account_a' });
    await addAccount(server, 'crm', 'account_b');
    await connectApiKey(server, { name: 'billing', proxyUrl: slow.upstream.url, identifier: 'account_c' });
    token = await server.token();
  });
  after(async () => {
    slow.open();
    await server.close();
    await slow.upstream.close();
  });

  test('account B keeps a low p99 while A is saturated; A gets 429s beyond its queue; every slot comes back', async (t) => {
    // B's calls reuse one warm connection each, so they never wait behind A's 1,000 connects.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const timedCall = async (connection: string, identifier: string) => {
      const started = performance.now();
      const response = await callWith(agent, server, token, connection, '/fast', identifier);
      assert.equal(response.status, 200, `${connection}/${identifier}: ${response.body.toString('utf8')}`);
      return performance.now() - started;
    };
    await timedCall('crm', 'account_b');
    await timedCall('billing', 'account_c');

    const calls = Array.from({ length: 1000 }, () => call(server, token, 'crm', '/slow', { identifier: 'account_a' }));
    let answered = 0;
    for (const pending of calls) void pending.then(() => answered++, () => answered++);
    await until('A holds its 64 slots at the upstream', () => slow.held() >= 64);

    // Meanwhile: B on the same connection, and C on another connection, one call after another.
    const latencies: number[] = [];
    const deadline = Date.now() + 20_000;
    while ((answered < 1000 - 64 - 256 || latencies.length < 40) && Date.now() < deadline) {
      latencies.push(await timedCall('crm', 'account_b'));
      latencies.push(await timedCall('billing', 'account_c'));
    }
    assert.equal(answered, 1000 - 64 - 256, 'every call beyond 64 in flight and 256 queued was answered at once');
    const p99 = percentile(latencies, 99);
    t.diagnostic(`B and C while A was saturated: p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms over ${latencies.length} calls`);
    assert.ok(p99 < 1000, `p99 of B and C was ${p99.toFixed(1)} ms over ${latencies.length} calls while A was saturated`);
    assert.equal(slow.maxHeld(), 64, 'A never had more than TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT calls upstream');
    assert.deepEqual(await gauges(server), { inFlight: 64, waiting: 256 });

    slow.open();
    const responses = await Promise.all(calls);
    const refused = responses.filter((r) => r.status === 429);
    assert.equal(responses.filter((r) => r.status === 200).length, 64 + 256, 'the calls in flight and in the queue all went through');
    assert.equal(refused.length, 1000 - 64 - 256);
    for (const response of refused) assertRefused(response, 'queue_full', '1');

    // No slot leaked: A can fill all 64 again, and the 65th waits instead of being refused.
    await until('every slot is back', async () => {
      const now = await gauges(server);
      return now.inFlight === 0 && now.waiting === 0;
    });
    slow.shut();
    const again = Array.from({ length: 65 }, () => call(server, token, 'crm', '/slow', { identifier: 'account_a' }));
    await until('A holds 64 slots again', () => slow.held() === 64);
    await until('the 65th call waits', async () => (await gauges(server)).waiting === 1);
    slow.open();
    for (const response of await Promise.all(again)) assert.equal(response.status, 200);
    agent.destroy();
  });
});

/** A server that lets one call per account in flight and one in its queue, in front of a slow upstream. */
function oneSlotServer(queueTimeoutMs: number): () => { slow: SlowUpstream; server: TestServer; token: string } {
  let slow: SlowUpstream;
  let server: TestServer;
  let token: string;
  before(async () => {
    slow = await startSlowUpstream();
    server = await startTestServer({
      database: await createSqliteDatabase(),
      env: { TOOLPROXY_PROXY_MAX_CONCURRENT_PER_ACCOUNT: '1', TOOLPROXY_PROXY_QUEUE_PER_ACCOUNT: '1', TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS: String(queueTimeoutMs) },
    });
    await connectApiKey(server, { name: 'crm', proxyUrl: slow.upstream.url });
    token = await server.token();
  });
  after(async () => {
    slow.open();
    await server.close();
    await slow.upstream.close();
  });
  return () => ({ slow, server, token });
}

describe('P19: the queue timeout', () => {
  const setup = oneSlotServer(1500);

  test('a call that waited longer than TOOLPROXY_PROXY_QUEUE_TIMEOUT_MS is refused with 429 and Retry-After; a full queue refuses at once', async () => {
    const { slow, server, token } = setup();
    slow.shut();
    const first = call(server, token, 'crm', '/slow');
    await until('the first call is upstream', () => slow.held() === 1);
    const started = performance.now();
    const queued = call(server, token, 'crm', '/slow');
    await until('the second call waits', async () => (await gauges(server)).waiting === 1);
    assertRefused(await call(server, token, 'crm', '/slow'), 'queue_full', '1');
    const timedOut = await queued;
    assert.ok(performance.now() - started >= 1400, 'it waited for the queue timeout');
    assertRefused(timedOut, 'queue_timeout', '2');
    slow.open();
    assert.equal((await first).status, 200);
    await until('every slot is back', async () => JSON.stringify(await gauges(server)) === JSON.stringify({ inFlight: 0, waiting: 0 }));
  });

});

describe('P19: slots and places come back', () => {
  // Far longer than any wait below: a place freed by the queue timeout would not count.
  const setup = oneSlotServer(60_000);

  test('a call gives its slot back whether its account was unknown, the upstream failed or the caller hung up mid-body', async () => {
    const { server, token } = setup();
    const free = () => until('the slot is back', async () => JSON.stringify(await gauges(server)) === JSON.stringify({ inFlight: 0, waiting: 0 }));
    assert.equal((await call(server, token, 'crm', '/fast', { identifier: 'nobody' })).status, 404);
    await free();
    const reset = await call(server, token, 'crm', '/reset');
    assert.equal(reset.headers['x-toolproxy-error'], 'UPSTREAM_ERROR');
    await free();
    // The caller hangs up after the first body byte, while the upstream still owes 999.
    await new Promise<void>((resolve, reject) => {
      const request = http.request(`${server.url}/proxy/drip`, { agent: false, headers: { authorization: `Bearer ${token}`, connection_name: 'crm', identifier: 'user_1' } });
      request.on('response', (response) => response.once('data', () => (request.destroy(), resolve())));
      request.on('error', () => undefined);
      setTimeout(() => reject(new Error('no body byte')), 10_000).unref();
      request.end();
    });
    await free();
    // With a limit of 1, a leaked slot would leave this call waiting until its queue timeout.
    const started = performance.now();
    assert.equal((await call(server, token, 'crm', '/fast')).status, 200);
    assert.ok(performance.now() - started < 1000);
  });

  test('a client that disconnects while queued frees its place at once, and its call never reaches the upstream', async () => {
    const { slow, server, token } = setup();
    slow.shut();
    const receivedBefore = slow.upstream.received.length;
    const first = call(server, token, 'crm', '/slow');
    await until('the first call is upstream', () => slow.held() === 1);

    const leaving = http.request(`${server.url}/proxy/slow?leaving=1`, {
      agent: false,
      headers: { authorization: `Bearer ${token}`, connection_name: 'crm', identifier: 'user_1' },
    });
    leaving.on('error', () => undefined);
    leaving.end();
    await until('the leaving call waits', async () => (await gauges(server)).waiting === 1);
    leaving.destroy();
    await until('its place is freed', async () => (await gauges(server)).waiting === 0, 10_000);

    // The queue holds one call: had the place leaked, this one would be refused at once.
    const next = call(server, token, 'crm', '/slow?next=1');
    await until('the next call waits', async () => (await gauges(server)).waiting === 1);
    slow.open();
    assert.equal((await first).status, 200);
    assert.equal((await next).status, 200);
    const paths = slow.upstream.received.slice(receivedBefore).map((r) => r.url);
    assert.deepEqual(paths, ['/slow', '/slow?next=1']);
    await until('every slot is back', async () => JSON.stringify(await gauges(server)) === JSON.stringify({ inFlight: 0, waiting: 0 }));
  });
});

/** Like fixtures' `call`, over a given (keep-alive) agent. */
function callWith(agent: http.Agent, server: TestServer, token: string, connection: string, path: string, identifier: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/proxy${path}`, {
      agent,
      headers: { authorization: `Bearer ${token}`, connection_name: connection, identifier },
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), aborted: !response.complete }));
    });
    request.on('error', reject);
    request.end();
  });
}
