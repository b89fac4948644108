import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * The proxy hardening battery (security-checklist.md §5), each item through the real server and
 * a real loopback upstream that records what actually arrived.
 */

const API_KEY = 'sk_hardening_secret_1';
let upstream: Upstream;
let elsewhere: Upstream;
let server: TestServer;
let token: string;

before(async () => {
  elsewhere = await startUpstream();
  upstream = await startUpstream((request, response) => {
    const path = request.url.split('?')[0]!;
    if (path.endsWith('/redirect-307')) return void response.writeHead(307, { location: `${elsewhere.url}/steal` }).end();
    if (path.endsWith('/redirect-302')) return void response.writeHead(302, { location: `${elsewhere.url}/steal?x=1` }).end();
    if (path.endsWith('/redirect-303')) return void response.writeHead(303, { location: '//evil.example/see-other' }).end();
    if (path.endsWith('/hop-by-hop')) {
      response.writeHead(200, {
        connection: 'close, X-Internal',
        'x-internal': '1',
        'proxy-authenticate': 'Basic realm="upstream"',
        'keep-alive': 'timeout=5',
        'x-kept': 'yes',
        'content-type': 'text/plain',
      });
      return void response.end('hop');
    }
    if (path.endsWith('/huge-header')) return void response.writeHead(200, { 'x-huge': 'a'.repeat(100 * 1024) }).end('x');
    json(response, 200, { ok: true });
  });
  server = await startTestServer({ database: await createSqliteDatabase() });
  await connectApiKey(server, { name: 'hard', proxyUrl: `${upstream.url}/api`, apiKey: API_KEY });
  token = await server.token();
});
after(async () => {
  await server.close();
  await upstream.close();
  await elsewhere.close();
});

/** Writes `head` as raw bytes (duplicate and oddly cased headers survive) and reads the answer. */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Written, not ended: a half-closed client may lose its response. The server closes after
    // answering (Connection: close, or the 400 of a parse error).
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('request headers (P5, P6, P7)', () => {
  test('drops Host, caller credentials, hop-by-hop, forwarding and our own headers; injects the key once', async () => {
    const port = Number(new URL(server.url).port);
    const before = upstream.received.length;
    const answer = await rawExchange(
      port,
      [
        'GET /proxy/v1/echo?limit=1 HTTP/1.1',
        'Host: evil.example',
        `Authorization: Bearer ${token}`,
        'connection_name: hard',
        'identifier: user_1',
        'Connection: close, X-Secret',
        'X-Secret: s',
        'Keep-Alive: timeout=5',
        'TE: trailers',
        'Proxy-Authorization: Basic Zm9vOmJhcg==',
        'Cookie: session=caller',
        'Forwarded: for=203.0.113.9',
        'X-Forwarded-For: 203.0.113.9',
        'X-Forwarded-Host: evil.example',
        'X-Real-IP: 203.0.113.9',
        'Via: 1.1 evil',
        'x-api-key: attacker',
        'X-API-KEY: attacker-2',
        'X-Api-Key: attacker-3',
        'x-toolproxy-retries: 0',
        'Accept: application/json',
        'X-Trace: t1',
        '',
        '',
      ].join('\r\n'),
    );
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.equal(upstream.received.length, before + 1);
    const seen = upstream.received.at(-1)!;
    assert.equal(seen.url, '/api/v1/echo?limit=1');
    assert.equal(seen.headers.host, `127.0.0.1:${upstream.port}`);
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    assert.deepEqual(names.filter((name) => name === 'x-api-key'), ['x-api-key'], 'exactly one credential header');
    assert.equal(seen.headers['x-api-key'], API_KEY);
    for (const name of [
      'authorization', 'x-secret', 'keep-alive', 'te', 'proxy-authorization', 'cookie', 'forwarded', 'x-forwarded-for',
      'x-forwarded-host', 'x-real-ip', 'via', 'connection_name', 'identifier', 'x-toolproxy-retries',
    ]) {
      assert.ok(!names.includes(name), `${name} reached the upstream`);
    }
    assert.equal(seen.headers['x-trace'], 't1');
    assert.equal(seen.headers.accept, 'application/json');
  });

  test("static headers (ext) are sent unless the caller sends its own, once, in any case; never in place of the credential", async () => {
    const connector = await server.api('POST', '/api/v1/custom-providers', {
      display_name: 'Versioned API',
      proxy_url: `${upstream.url}/api`,
      proxy_enabled: true,
      auth_patterns: [{
        type: 'BEARER',
        fields: [{ field_name: 'token', input_type: 'password', required: true }],
        static_headers: { 'Notion-Version': '2025-09-03', Accept: 'application/json' },
      }],
    });
    assert.equal(connector.status, 201, connector.text);
    assert.equal((await server.api('POST', '/api/v1/connections', { name: 'versioned', connector: connector.body.provider.identifier })).status, 201);
    const account = await server.api('POST', '/api/v1/connected_accounts', {
      connection_name: 'versioned',
      identifier: 'user_1',
      authorization_details: { static_auth: { details: { token: 'tok_versioned' } } },
    });
    assert.equal(account.status, 201, account.text);

    assert.equal((await call(server, token, 'versioned', '/v1/echo')).status, 200);
    let seen = upstream.received.at(-1)!;
    assert.equal(seen.headers['notion-version'], '2025-09-03');
    assert.equal(seen.headers.accept, 'application/json');
    assert.equal(seen.headers.authorization, 'Bearer tok_versioned');

    assert.equal((await call(server, token, 'versioned', '/v1/echo', { headers: { 'NOTION-VERSION': '2022-06-28', accept: 'text/csv' } })).status, 200);
    seen = upstream.received.at(-1)!;
    const names = seen.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    assert.deepEqual(names.filter((name) => name === 'notion-version' || name === 'accept'), ['notion-version', 'accept'], 'each once');
    assert.equal(seen.headers['notion-version'], '2022-06-28', "the caller's version wins");
    assert.equal(seen.headers.accept, 'text/csv');
    assert.equal(seen.headers.authorization, 'Bearer tok_versioned');
  });

  test("the caller's User-Agent passes unchanged; without one the upstream sees toolproxy's (GitHub refuses none)", async () => {
    assert.equal((await call(server, token, 'hard', '/v1/echo', { headers: { 'User-Agent': 'agent-sdk/2.1' } })).status, 200);
    assert.equal(upstream.received.at(-1)!.headers['user-agent'], 'agent-sdk/2.1');
    assert.equal((await call(server, token, 'hard', '/v1/echo')).status, 200);
    assert.match(upstream.received.at(-1)!.headers['user-agent'] ?? '', /^toolproxy\/\d+\.\d+\.\d+$/);
  });
});

describe('redirects are returned, never followed (P12)', () => {
  for (const status of [307, 302, 303]) {
    test(`an upstream ${status} reaches the caller unchanged and the other origin sees no request`, async () => {
      const before = elsewhere.received.length;
      const response = await call(server, token, 'hard', `/v1/redirect-${status}`);
      assert.equal(response.status, status);
      assert.equal(response.headers['x-toolproxy-error'], undefined);
      const expected = { 307: `${elsewhere.url}/steal`, 302: `${elsewhere.url}/steal?x=1`, 303: '//evil.example/see-other' }[status];
      assert.equal(response.headers.location, expected);
      assert.equal(elsewhere.received.length, before);
    });
  }
});

describe('response headers (P14, P15)', () => {
  test('hop-by-hop fields, the fields Connection names and Proxy-Authenticate never reach the caller', async () => {
    const response = await call(server, token, 'hard', '/v1/hop-by-hop');
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'hop');
    assert.equal(response.headers['x-kept'], 'yes');
    assert.equal(response.headers['x-internal'], undefined);
    assert.equal(response.headers['proxy-authenticate'], undefined);
    assert.notEqual(response.headers['keep-alive'], 'timeout=5');
  });

  test('a 100 KiB upstream header block is UPSTREAM_ERROR, not buffered', async () => {
    const response = await call(server, token, 'hard', '/v1/huge-header');
    assert.equal(response.status, 502);
    assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_ERROR');
  });
});

describe('inbound parser strictness stays on (P16)', () => {
  const cases: Array<[string, string]> = [
    ['Content-Length with Transfer-Encoding', 'POST /proxy/v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two Content-Length values', 'POST /proxy/v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['a space before the colon', 'GET /proxy/v1/x HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n'],
    ['a bare LF', 'GET /proxy/v1/x HTTP/1.1\nHost: a\nX-A: b\n\n'],
    ['obs-fold', 'GET /proxy/v1/x HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n'],
  ];
  for (const [label, head] of cases) {
    test(`${label} is a 400 before any handler runs`, async () => {
      const before = upstream.received.length;
      const answer = await rawExchange(Number(new URL(server.url).port), head);
      assert.match(answer, /^HTTP\/1\.1 400 /);
      assert.equal(upstream.received.length, before);
    });
  }
});

describe('egress policy through the server (P9, P10, P20)', () => {
  let strict: TestServer;
  let strictToken: string;
  before(async () => {
    // No allow-list at all: production defaults.
    strict = await startTestServer({ database: await createSqliteDatabase(), env: { TOOLPROXY_EGRESS_ALLOW_CIDRS: '' } });
    strictToken = await strict.token();
  });
  after(() => strict.close());

  const hosts: Array<[string, string]> = [
    ['loopback literal', `http://127.0.0.1:${0}`],
    ['localhost (refused after DNS)', 'http://localhost:PORT'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:7f00:1]:PORT'],
    ['IPv6 loopback', 'http://[::1]:PORT'],
    ['unspecified', 'http://0.0.0.0:PORT'],
    ['cloud metadata', 'http://169.254.169.254'],
  ];
  hosts.forEach(([label, template], i) => {
    test(`${label} is UPSTREAM_ADDRESS_FORBIDDEN, the upstream sees nothing and no address is echoed`, async () => {
      const proxyUrl = template.replace(':0', `:${upstream.port}`).replace('PORT', String(upstream.port));
      await connectApiKey(strict, { name: `egress-${i}`, proxyUrl });
      const before = upstream.received.length;
      const response = await call(strict, strictToken, `egress-${i}`, '/v1/customers');
      assert.equal(response.status, 403, response.body.toString());
      assert.equal(response.headers['x-toolproxy-error'], 'UPSTREAM_ADDRESS_FORBIDDEN');
      const text = response.body.toString();
      assert.equal(JSON.parse(text).error.code, 'UPSTREAM_ADDRESS_FORBIDDEN');
      assert.doesNotMatch(text, /127\.0\.0\.1|169\.254|::1|0\.0\.0\.0|7f00|sk_test/);
      assert.equal(upstream.received.length, before);
    });
  });

  test('the same upstream is reachable on the server whose allow-list covers loopback (P10)', async () => {
    const response = await call(server, token, 'hard', '/v1/customers');
    assert.equal(response.status, 200);
  });
});
