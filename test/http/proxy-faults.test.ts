import assert from 'node:assert/strict';
import http from 'node:http';
import type net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { freePort, startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey, startRawUpstream } from '../proxy/fixtures.ts';

/**
 * Upstream faults (P13, P20): each one gives the caller a clear error code, or an aborted
 * response once the status line is out, and the server keeps serving other calls.
 */

type Raw = Awaited<ReturnType<typeof startRawUpstream>>;
let healthy: Upstream;
let faulty: Raw;
let server: TestServer;
let token: string;

/** Reads the request line, then misbehaves according to its path. */
function misbehave(socket: net.Socket): void {
  let head = '';
  const onData = (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (!head.includes('\r\n\r\n')) return;
    socket.off('data', onData);
    const path = head.split(' ')[1] ?? '';
    if (path.endsWith('/garbage')) socket.end('HELLO, THIS IS NOT HTTP\r\n\r\n');
    else if (path.endsWith('/close-before-headers')) socket.destroy();
    else if (path.endsWith('/reset-mid-body')) {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n${'x'.repeat(1000)}`, () => socket.resetAndDestroy());
    } else if (path.endsWith('/drip')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nx');
    else if (path.endsWith('/drip-forever')) {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n');
      const timer = setInterval(() => socket.write('x'), 50);
      socket.on('close', () => clearInterval(timer));
    }
    // '/never': keep the connection open and say nothing.
  };
  socket.on('data', onData);
}

async function logEntry(target: TestServer, path: string): Promise<any> {
  // The log is written off the request path; the list endpoint flushes it first.
  for (let attempt = 0; attempt < 50; attempt++) {
    const list = await target.api('GET', '/api/v1/request_log?limit=100');
    const entry = list.body.entries.find((e: { path: string }) => e.path === path);
    if (entry) return entry;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`no request log entry for ${path}`);
}

async function stillServes(target: TestServer, targetToken: string): Promise<void> {
  const response = await call(target, targetToken, 'healthy', '/v1/customers');
  assert.equal(response.status, 200, 'the next ordinary call works');
}

before(async () => {
  healthy = await startUpstream();
  faulty = await startRawUpstream(misbehave);
  server = await startTestServer({
    database: await createSqliteDatabase(),
    env: { TOOLPROXY_UPSTREAM_HEADERS_TIMEOUT_MS: '300', TOOLPROXY_UPSTREAM_BODY_TIMEOUT_MS: '300' },
  });
  await connectApiKey(server, { name: 'healthy', proxyUrl: healthy.url });
  await connectApiKey(server, { name: 'faulty', proxyUrl: faulty.url });
  token = await server.token();
});
after(async () => {
  await server.close();
  await healthy.close();
  await faulty.close();
});

describe('before the status line: a clear error code', () => {
  test('connection refused is 502 UPSTREAM_UNREACHABLE', async () => {
    const port = await freePort();
    await connectApiKey(server, { name: 'refused', proxyUrl: `http://127.0.0.1:${port}` });
    const response = await call(server, token, 'refused', '/v1/customers');
    assert.equal(response.status, 502);
    assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_UNREACHABLE');
    assert.doesNotMatch(response.body.toString(), /127\.0\.0\.1|ECONNREFUSED/, 'a 5xx body is the generic message (P20)');
    await stillServes(server, token);
  });

  test('invalid HTTP from the upstream is 502 UPSTREAM_ERROR', async () => {
    const response = await call(server, token, 'faulty', '/v1/garbage');
    assert.equal(response.status, 502);
    assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_ERROR');
    await stillServes(server, token);
  });

  test('a connection closed before any response is 502 UPSTREAM_ERROR', async () => {
    const response = await call(server, token, 'faulty', '/v1/close-before-headers');
    assert.equal(response.status, 502);
    assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_ERROR');
    await stillServes(server, token);
  });

  test('no response headers in time is 504 UPSTREAM_TIMEOUT (first byte)', async () => {
    const response = await call(server, token, 'faulty', '/v1/never');
    assert.equal(response.status, 504);
    assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_TIMEOUT');
    await stillServes(server, token);
  });
});

describe('after the status line: an aborted response, and the cause in the request log', () => {
  test('a reset mid-body aborts the response; the log says UPSTREAM_ERROR', async () => {
    const response = await call(server, token, 'faulty', '/v1/reset-mid-body');
    assert.equal(response.status, 200);
    assert.equal(response.aborted, true);
    assert.ok(response.body.length < 100_000);
    const entry = await logEntry(server, '/v1/reset-mid-body');
    assert.equal(entry.error_code, 'UPSTREAM_ERROR');
    assert.equal(entry.status, 200);
    await stillServes(server, token);
  });

  test('a body that stops (slow drip) aborts after the body timeout; the log says UPSTREAM_BODY_TIMEOUT', async () => {
    const response = await call(server, token, 'faulty', '/v1/drip');
    assert.equal(response.status, 200);
    assert.equal(response.aborted, true);
    assert.equal(response.body.toString(), 'x');
    assert.equal((await logEntry(server, '/v1/drip')).error_code, 'UPSTREAM_BODY_TIMEOUT');
    await stillServes(server, token);
  });

  test('a caller that goes away is logged as 499 CLIENT_CLOSED and the upstream call is abandoned', async () => {
    const connectionsBefore = faulty.connections();
    await new Promise<void>((resolve) => {
      const request = http.request(`${server.url}/proxy/v1/never?who=leaver`, {
        agent: false,
        headers: { authorization: `Bearer ${token}`, connection_name: 'faulty', identifier: 'user_1' },
      });
      request.on('error', () => resolve());
      request.end();
      // Once the upstream has the request, the caller leaves.
      const poll = setInterval(() => {
        if (faulty.connections() > connectionsBefore) {
          clearInterval(poll);
          request.destroy();
        }
      }, 5);
    });
    const entry = await logEntry(server, '/v1/never?who=…');
    assert.equal(entry.status, 499);
    assert.equal(entry.error_code, 'CLIENT_CLOSED');
    await stillServes(server, token);
  });
});

describe('the total deadline (TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS)', () => {
  let slow: TestServer;
  let slowToken: string;
  before(async () => {
    slow = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_UPSTREAM_TOTAL_TIMEOUT_MS: '1000' } });
    await connectApiKey(slow, { name: 'healthy', proxyUrl: healthy.url });
    await connectApiKey(slow, { name: 'faulty', proxyUrl: faulty.url });
    slowToken = await slow.token();
  });
  after(() => slow.close());

  test('no headers within the deadline is 504 UPSTREAM_DEADLINE_EXCEEDED', async () => {
    const response = await call(slow, slowToken, 'faulty', '/v1/never');
    assert.equal(response.status, 504);
    assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_DEADLINE_EXCEEDED');
    await stillServes(slow, slowToken);
  });

  test('a body still dripping at the deadline is cut off; the log says UPSTREAM_DEADLINE_EXCEEDED', async () => {
    const response = await call(slow, slowToken, 'faulty', '/v1/drip-forever');
    assert.equal(response.status, 200);
    assert.equal(response.aborted, true);
    assert.equal((await logEntry(slow, '/v1/drip-forever')).error_code, 'UPSTREAM_DEADLINE_EXCEEDED');
    await stillServes(slow, slowToken);
  });
});
