import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Requests that never reach a route, sent byte for byte on a raw socket to a server listening as
 * `npm start` does (HTTP/1.1 and h2c on one port): each gets the documented error body with
 * `x-toolproxy-error` and `connection: close`, never a bare 400 or a silently closed socket.
 */

let server: TestServer;
let port: number;

before(async () => {
  server = await startTestServer({ database: await createSqliteDatabase(), dualProtocol: true });
  port = Number(new URL(server.url).port);
});
after(() => server.close());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  closed: boolean;
}

/** Writes `raw`, reads until the server closes the connection (or 3 s pass), and parses the answer. */
function exchange(raw: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => finish(false), 3000);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0);
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      let body: unknown;
      try {
        body = JSON.parse(rest.join('\r\n\r\n'));
      } catch {
        body = undefined;
      }
      resolve({ status, headers, body, closed });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => finish(true));
    socket.on('error', reject);
    socket.write(raw);
  });
}

function assertDocumented(response: RawResponse, status: number, code: string): void {
  assert.equal(response.status, status, JSON.stringify(response));
  assert.equal(response.headers['x-toolproxy-error'], code);
  assert.match(response.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(response.headers.connection, 'close');
  assert.equal(response.body?.error?.code, code);
  assert.equal(typeof response.body.error.message, 'string');
  assert.ok(response.closed, 'the server closes the connection after answering');
}

describe('requests the HTTP parser refuses', () => {
  test('an oversized header block: 431 HEADERS_TOO_LARGE', async () => {
    const response = await exchange(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assertDocumented(response, 431, 'HEADERS_TOO_LARGE');
  });

  test('a control character in a header value or name: 400 INVALID_HEADER, with the reason but not the bytes', async () => {
    const value = await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Secret: sk_\u0001live\r\n\r\n');
    assertDocumented(value, 400, 'INVALID_HEADER');
    assert.equal(value.body.error.details.reason, 'Invalid header value char');
    assert.ok(!JSON.stringify(value).includes('sk_'), 'the refused bytes are not echoed');
    assertDocumented(await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX\u0002A: b\r\n\r\n'), 400, 'INVALID_HEADER');
    assertDocumented(await exchange('GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'), 400, 'INVALID_HEADER');
  });

  test('a request line or framing the parser rejects: 400 MALFORMED_REQUEST with the reason', async () => {
    const cases: Array<[string, RegExp]> = [
      ['GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', /HTTP version/],
      ['GARBAGE\r\n\r\n', /method/i],
      ['POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', /Content-Length/],
      ['POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /Transfer-Encoding/],
    ];
    for (const [raw, reason] of cases) {
      const response = await exchange(raw);
      assertDocumented(response, 400, 'MALFORMED_REQUEST');
      assert.match(response.body.error.details.reason, reason);
    }
  });

  test('CONNECT: 405 METHOD_NOT_ALLOWED instead of a socket closed without an answer', async () => {
    const response = await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    assertDocumented(response, 405, 'METHOD_NOT_ALLOWED');
    assert.match(response.body.error.message, /not a forward proxy/);
  });

  test('none of them is logged at error level, and the server still answers', async () => {
    assert.deepEqual(server.logs.filter((line) => JSON.parse(line).level >= 50), []);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});

describe('POST /oauth/token answers every refusal in the RFC 6749 §5.2 shape', () => {
  const token = (contentType: string, body: string) => fetch(`${server.url}/oauth/token`, { method: 'POST', headers: { 'content-type': contentType }, body });

  test('an unreadable JSON body, a content type no parser takes and an oversized body are invalid_request', async () => {
    const cases: Array<[Response, number, string]> = [
      [await token('application/json', '{"grant_type":'), 400, 'MALFORMED_JSON'],
      [await token('application/xml', '<grant_type/>'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [await token('application/x-www-form-urlencoded', `grant_type=client_credentials&pad=${'a'.repeat(1_100_000)}`), 413, 'PAYLOAD_TOO_LARGE'],
    ];
    for (const [response, status, code] of cases) {
      assert.equal(response.status, status, code);
      assert.equal(response.headers.get('x-toolproxy-error'), code);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'error_description']);
      assert.equal(body.error, 'invalid_request');
      assert.equal(body.code, code);
      assert.equal(typeof body.error_description, 'string');
    }
  });

  test('a wrong grant type and unknown client keep their own OAuth error codes', async () => {
    const grant = await token('application/x-www-form-urlencoded', 'grant_type=password');
    assert.equal(grant.status, 400);
    assert.equal(((await grant.json()) as { error: string }).error, 'unsupported_grant_type');
    const client = await token('application/x-www-form-urlencoded', 'grant_type=client_credentials&client_id=x&client_secret=y');
    assert.equal(client.status, 401);
    assert.equal(client.headers.get('x-toolproxy-error'), 'INVALID_CLIENT');
    assert.equal(((await client.json()) as { error: string }).error, 'invalid_client');
  });
});
