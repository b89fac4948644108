import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { dispatchTakes } from '../../src/http/proxy-dispatch.ts';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';
import { connectApiKey } from '../proxy/fixtures.ts';

/**
 * `/proxy` on HTTP/1.1 is served before Fastify (src/http/proxy-dispatch.ts); the Fastify route
 * stays for what the dispatch leaves to it, HTTP/2 and `app.inject`. Both doors must answer
 * alike: every request below goes once over a socket and once through `app.inject` (always the
 * Fastify route), and the answers are compared.
 */

let upstream: Upstream;
let server: TestServer;
let token: string;

before(async () => {
  upstream = await startUpstream((request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ method: request.method, url: request.url, body: request.body.toString('utf8'), key: request.headers['x-api-key'] }));
  });
  server = await startTestServer({ database: await createSqliteDatabase() });
  await connectApiKey(server, { name: 'crm', proxyUrl: upstream.url, identifier: 'alice' });
  token = await server.token();
});
after(async () => {
  await server.close();
  await upstream.close();
});

interface Answer {
  status: number;
  error: string | undefined;
  contentType: string | undefined;
  text: string;
}

function overSocket(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}${path}`, { method, agent: false, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, error: response.headers['x-toolproxy-error'] as string | undefined, contentType: response.headers['content-type'], text }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function throughFastify(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const response = await server.server.app.inject({ method: method as 'GET', url: path, headers, ...(body === undefined ? {} : { payload: body }) });
  return { status: response.statusCode, error: response.headers['x-toolproxy-error'] as string | undefined, contentType: response.headers['content-type'] as string | undefined, text: response.body };
}

const routed = () => ({ authorization: `Bearer ${token}`, connection_name: 'crm', identifier: 'alice' });

describe('/proxy before Fastify', () => {
  const cases: Array<{ name: string; method: string; path: string; headers: () => Record<string, string>; body?: string; taken: boolean }> = [
    { name: 'a GET', method: 'GET', path: '/proxy/v1/customers?limit=2', headers: routed, taken: true },
    { name: 'a POST with a JSON body', method: 'POST', path: '/proxy/v1/customers', headers: () => ({ ...routed(), 'content-type': 'application/json' }), body: '{"name":"Ada"}', taken: true },
    { name: 'a DELETE without a body', method: 'DELETE', path: '/proxy/v1/customers/1', headers: routed, taken: true },
    { name: 'no Authorization', method: 'GET', path: '/proxy/v1/customers', headers: () => ({ connection_name: 'crm', identifier: 'alice' }), taken: true },
    { name: 'a token that is not one of ours', method: 'GET', path: '/proxy/v1/customers', headers: () => ({ authorization: 'Bearer tpat_nope.nope', connection_name: 'crm', identifier: 'alice' }), taken: true },
    { name: 'no routing headers', method: 'GET', path: '/proxy/v1/customers', headers: () => ({ authorization: `Bearer ${token}` }), taken: true },
    { name: 'an unknown connection', method: 'GET', path: '/proxy/v1', headers: () => ({ ...routed(), connection_name: 'nope' }), taken: true },
    { name: 'a path that climbs out', method: 'GET', path: '/proxy//evil.example/x', headers: routed, taken: true },
    { name: 'a bad percent-escape (Fastify: INVALID_URL)', method: 'GET', path: '/proxy/%zz', headers: routed, taken: false },
    { name: 'an escaped dot segment', method: 'GET', path: '/proxy/%2e%2e/x', headers: routed, taken: false },
    { name: 'a malformed Content-Type (Fastify: 415)', method: 'POST', path: '/proxy/v1/customers', headers: () => ({ ...routed(), 'content-type': 'text/' }), body: 'x', taken: false },
    { name: 'a body without a Content-Type', method: 'PUT', path: '/proxy/v1/customers/1', headers: () => routed(), body: 'raw', taken: false },
    { name: 'a method the proxy refuses', method: 'TRACE', path: '/proxy/v1', headers: routed, taken: false },
    { name: 'a path that only starts like /proxy', method: 'GET', path: '/proxyx/v1', headers: routed, taken: false },
  ];

  for (const c of cases) {
    test(`${c.name}: ${c.taken ? 'served by the dispatch' : 'left to Fastify'}, answered as the Fastify route answers`, async () => {
      const headers = c.headers();
      const withLength = c.body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(c.body)) };
      assert.equal(dispatchTakes({ method: c.method, url: c.path, headers: withLength }), c.taken);
      const socket = await overSocket(c.method, c.path, headers, c.body);
      const fastify = await throughFastify(c.method, c.path, headers, c.body);
      assert.deepEqual(socket, fastify);
    });
  }

  test('the answer the upstream gave arrives whole, the credential injected', async () => {
    const answer = await overSocket('POST', '/proxy/v1/customers', { ...routed(), 'content-type': 'application/json' }, '{"name":"Ada"}');
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.text), { method: 'POST', url: '/v1/customers', body: '{"name":"Ada"}', key: 'sk_test_proxy' });
  });
});
