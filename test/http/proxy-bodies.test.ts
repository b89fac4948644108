import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { call, connectApiKey } from '../proxy/fixtures.ts';

/**
 * The request surface of the reference (agent-auth-features.md §4): method, query, JSON, form
 * data (URL-encoded and multipart), raw XML/SOAP and binary bodies, extra headers — all arrive
 * byte-exact upstream — and the response (status, headers, body) comes back unchanged. Large
 * bodies stream both ways without sitting in memory (P14).
 */

let upstream: Upstream;
let server: TestServer;
let token: string;

before(async () => {
  upstream = await startUpstream((request, response) => {
    const url = new URL(request.url, 'http://x');
    if (url.pathname.endsWith('/echo')) {
      // Echo the body with the caller's content type and a status chosen by the test.
      response.writeHead(Number(url.searchParams.get('status') ?? 200), {
        'content-type': request.headers['content-type'] ?? 'application/octet-stream',
        'content-length': request.body.length,
        'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Path=/'],
        'x-upstream-request-id': 'req_42',
        etag: '"v1"',
      });
      return void response.end(request.body);
    }
    if (url.pathname.endsWith('/empty')) return void response.writeHead(204, { 'x-empty': 'yes' }).end();
    if (url.pathname.endsWith('/not-modified')) return void response.writeHead(304, { etag: '"v1"' }).end();
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': 11 }).end('{"ok":true}');
  });
  server = await startTestServer({ database: await createSqliteDatabase() });
  await connectApiKey(server, { name: 'bodies', proxyUrl: `${upstream.url}/api` });
  token = await server.token();
});
after(async () => {
  await server.close();
  await upstream.close();
});

function lastReceived() {
  return upstream.received.at(-1)!;
}

describe('the request arrives upstream exactly as sent', () => {
  test('method, path and query parameters (encoded, repeated, UTF-8) pass through untouched', async () => {
    const query = '?a=1&b=x%20y&c=%E2%9C%93&arr=1&arr=2&empty=&flag';
    const response = await call(server, token, 'bodies', `/v1/items/it%2Fem${query}`, { method: 'OPTIONS' });
    assert.equal(response.status, 200);
    assert.equal(lastReceived().method, 'OPTIONS');
    assert.equal(lastReceived().url, `/api/v1/items/it%2Fem${query}`);
  });

  const bodies: Array<[string, string, Buffer]> = [
    ['JSON', 'application/json', Buffer.from(JSON.stringify({ name: 'Grace', tags: ['vip'], nested: { n: 1.5, u: 'ü✓' } }))],
    ['URL-encoded form data', 'application/x-www-form-urlencoded', Buffer.from('name=Grace+Hopper&tags=vip&tags=new&note=a%26b%3Dc')],
    ['XML / SOAP', 'text/xml; charset=utf-8', Buffer.from('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Ping>ü</Ping></soap:Body></soap:Envelope>')],
    ['binary (every byte value)', 'application/octet-stream', Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 256))],
  ];
  for (const [label, contentType, body] of bodies) {
    test(`${label} is byte-exact with its content type, and echoes back byte-exact`, async () => {
      const response = await call(server, token, 'bodies', '/v1/echo', { method: 'POST', headers: { 'content-type': contentType, soapaction: '"urn:Ping"' }, body });
      assert.equal(response.status, 200);
      assert.ok(lastReceived().body.equals(body));
      assert.equal(lastReceived().headers['content-type'], contentType);
      assert.equal(lastReceived().headers['content-length'], String(body.length));
      assert.equal(lastReceived().headers.soapaction, '"urn:Ping"');
      assert.ok(response.body.equals(body));
      assert.equal(response.headers['content-type'], contentType);
    });
  }

  test('multipart form data with a file part is byte-exact, boundary included', async () => {
    const boundary = '----toolproxy-test-boundary-7MA4YWxkTrZu0gW';
    const file = randomBytes(3000);
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nQ3 report ✓\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="r.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const response = await call(server, token, 'bodies', '/v1/echo', { method: 'PUT', headers: { 'content-type': contentType }, body });
    assert.equal(response.status, 200);
    assert.equal(lastReceived().method, 'PUT');
    assert.equal(lastReceived().headers['content-type'], contentType);
    assert.ok(lastReceived().body.equals(body));
  });

  test('a chunked upload (no Content-Length) streams through and is counted in the request log', async () => {
    const parts = [randomBytes(10_000), randomBytes(20_000), randomBytes(5)];
    const status = await new Promise<number>((resolve, reject) => {
      const request = http.request(`${server.url}/proxy/v1/echo?chunked=1`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, connection_name: 'bodies', identifier: 'user_1', 'content-type': 'application/octet-stream' },
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      for (const part of parts) request.write(part);
      request.end();
    });
    assert.equal(status, 200);
    assert.ok(lastReceived().body.equals(Buffer.concat(parts)));
    const log = await server.api('GET', '/api/v1/request_log?limit=5');
    const entry = log.body.entries.find((e: { path: string }) => e.path === '/v1/echo?chunked=…');
    assert.equal(entry.bytes_in, 30_005);
    assert.equal(entry.bytes_out, 30_005);
  });
});

describe('the response comes back unchanged', () => {
  test('the upstream status, headers (several Set-Cookie) and body, even for an error status', async () => {
    const response = await call(server, token, 'bodies', '/v1/echo?status=418', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'teapot' });
    assert.equal(response.status, 418);
    assert.equal(response.headers['x-toolproxy-error'], undefined);
    assert.deepEqual(response.headers['set-cookie'], ['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
    assert.equal(response.headers['x-upstream-request-id'], 'req_42');
    assert.equal(response.headers.etag, '"v1"');
    assert.equal(response.headers['content-length'], '6');
    assert.equal(response.body.toString(), 'teapot');
  });

  test('204, 304 and HEAD have no body', async () => {
    const empty = await call(server, token, 'bodies', '/v1/empty', { method: 'DELETE' });
    assert.equal(empty.status, 204);
    assert.equal(empty.headers['x-empty'], 'yes');
    assert.equal(empty.body.length, 0);
    const notModified = await call(server, token, 'bodies', '/v1/not-modified', { headers: { 'if-none-match': '"v1"' } });
    assert.equal(notModified.status, 304);
    assert.equal(lastReceived().headers['if-none-match'], '"v1"');
    const head = await call(server, token, 'bodies', '/v1/anything', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '11');
    assert.equal(head.body.length, 0);
  });
});

describe('large bodies stream with bounded memory (a server process of its own)', () => {
  const MB = 1024 * 1024;
  const SIZE = 200 * MB;
  let big: http.Server;
  let origin: string;
  let child: ReturnType<typeof spawn>;
  let proxy: { port: number; token: string };
  let uploaded = 0;

  const status = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;

  before(async () => {
    // Generated on the fly and discarded on arrival: only the proxy could hold the bytes.
    const chunk = Buffer.alloc(64 * 1024, 7);
    big = http.createServer((request, response) => {
      if (request.method === 'POST') {
        request.on('data', (data: Buffer) => (uploaded += data.length));
        request.on('end', () => response.writeHead(200, { 'content-length': 2 }).end('ok'));
        return;
      }
      let left = SIZE;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(big.address() as AddressInfo).port}`;
    const script = fileURLToPath(new URL('../../bench/servers/toolproxy.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', script, origin], { env: { ...process.env, BENCH_ACCOUNTS: '1', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    proxy = await new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line.startsWith('{')) resolve(JSON.parse(line) as { port: number; token: string });
      });
    });
  });
  after(async () => {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    big.close();
  });

  const headers = () => ({ authorization: `Bearer ${proxy.token}`, connection_name: 'bench', identifier: 'user_0' });

  // Holding either body would need 200 MB. What remains is V8 freeing socket buffers lazily: it
  // collects them once about 64 MB of external memory has built up, however much is streamed
  // (bench/README.md: the same peak after 100 MB or 1 GB, and for a minimal undici proxy).
  test('200 MB down and 200 MB up: the server peak RSS grows by less than 100 MB', async (t) => {
    const rssBefore = status('VmRSS');
    const received = await new Promise<number>((resolve, reject) => {
      http.get(`http://127.0.0.1:${proxy.port}/proxy/big`, { headers: headers() }, (response) => {
        let n = 0;
        response.on('data', (data: Buffer) => (n += data.length));
        response.on('end', () => resolve(n));
        response.on('error', reject);
      });
    });
    assert.equal(received, SIZE);

    const chunk = Buffer.alloc(64 * 1024, 9);
    await new Promise<void>((resolve, reject) => {
      const request = http.request(`http://127.0.0.1:${proxy.port}/proxy/upload`, {
        method: 'POST',
        headers: { ...headers(), 'content-type': 'application/octet-stream', 'content-length': SIZE },
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve());
      });
      request.on('error', reject);
      let left = SIZE;
      const pump = () => {
        while (left > 0) {
          left -= chunk.length;
          if (!request.write(chunk)) return void request.once('drain', pump);
        }
        request.end();
      };
      pump();
    });
    assert.equal(uploaded, SIZE);
    const growth = status('VmHWM') - rssBefore;
    t.diagnostic(`peak RSS growth: ${(growth / MB).toFixed(1)} MB`);
    assert.ok(growth < 100 * MB, `peak RSS grew by ${(growth / MB).toFixed(1)} MB while streaming 400 MB`);
  });
});
