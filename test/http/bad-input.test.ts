import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createSqliteDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

/** Bad input gets a clear, stable error code and changes nothing. */

let upstream: Upstream;
let server: TestServer;
let now = Date.now();

const definition = (url: string) => ({
  display_name: 'Bad Input API',
  proxy_url: `${url}/base`,
  proxy_enabled: true,
  auth_patterns: [{ type: 'API_KEY', fields: [{ field_name: 'api_key', label: 'Key', input_type: 'password', required: true }] }],
});

before(async () => {
  upstream = await startUpstream();
  server = await startTestServer({ database: await createSqliteDatabase(), clock: () => now });
  const connector = await server.api('POST', '/api/v1/custom-providers', definition(upstream.url));
  await server.api('POST', '/api/v1/connections', { name: 'bad', connector: connector.body.provider.identifier });
  await server.api('POST', '/api/v1/connected_accounts', {
    connection_name: 'bad',
    identifier: 'active-user',
    authorization_details: { static_auth: { details: { api_key: 'k_active' } } },
  });
  await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'bad', identifier: 'pending-user' });
});
after(async () => {
  await server.close();
  await upstream.close();
});

/** Sends a raw request line so no client normalises the path first. */
function rawRequest(path: string, headers: Record<string, string>): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${server.url}/`, { method: 'GET', path, headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function proxyHeaders(identifier = 'active-user'): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await server.token()}`, connection_name: 'bad', identifier };
}

describe('app authentication', () => {
  test('refuses a missing token (UNAUTHENTICATED)', async () => {
    const response = await fetch(`${server.url}/api/v1/connections`);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as any).error.code, 'UNAUTHENTICATED');
  });

  test('refuses a forged or tampered token (UNAUTHENTICATED)', async () => {
    const token = await server.token();
    for (const bad of ['nonsense', `${token.slice(0, -2)}xx`, token.replace('tpat_', 'tpat_A')]) {
      const response = await server.api('GET', '/api/v1/connections', undefined, { authorization: `Bearer ${bad}` });
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'UNAUTHENTICATED');
    }
  });

  test('refuses an expired token (TOKEN_EXPIRED)', async () => {
    const token = await server.token();
    now += 3601 * 1000;
    try {
      const response = await server.api('GET', '/api/v1/connections', undefined, { authorization: `Bearer ${token}` });
      assert.equal(response.status, 401);
      assert.equal(response.body.error.code, 'TOKEN_EXPIRED');
    } finally {
      now -= 3601 * 1000;
    }
  });

  test('refuses a wrong client secret with the RFC 6749 error shape', async () => {
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: server.clientId, client_secret: 'wrong' }),
    });
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { error: 'invalid_client', error_description: 'Unknown client_id or wrong client_secret.', code: 'INVALID_CLIENT' });
  });

  test('refuses other grant types', async () => {
    const response = await fetch(`${server.url}/oauth/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password' }) });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as any).error, 'unsupported_grant_type');
  });

  test('accepts client_secret_basic with form-urlencoded credentials (RFC 6749 §2.3.1)', async () => {
    const basic = Buffer.from(`${encodeURIComponent(server.clientId)}:${encodeURIComponent(server.clientSecret)}`).toString('base64');
    const response = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });
});

describe('management API input', () => {
  test('malformed JSON is MALFORMED_JSON and creates nothing', async () => {
    const response = await server.api('POST', '/api/v1/connections', '{"name": "x",');
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'MALFORMED_JSON');
    assert.equal((await server.api('GET', '/api/v1/connections/x')).status, 404);
  });

  test('an invalid connector definition lists every problem and saves nothing', async () => {
    const before = await server.api('GET', '/api/v1/providers');
    const response = await server.api('POST', '/api/v1/custom-providers', {
      display_name: '',
      proxy_url: 'file:///etc/passwd',
      auth_patterns: [{ type: 'SMOKE_SIGNALS' }],
    });
    assert.equal(response.status, 422);
    assert.equal(response.body.error.code, 'CONNECTOR_INVALID');
    const problems = response.body.error.details.problems as Array<{ path: string }>;
    assert.ok(problems.length >= 3, JSON.stringify(problems));
    for (const path of ['/display_name', '/proxy_url', '/auth_patterns/0/type']) {
      assert.ok(problems.some((p) => p.path === path), `a problem at ${path}: ${JSON.stringify(problems)}`);
    }
    const afterList = await server.api('GET', '/api/v1/providers');
    assert.equal(afterList.body.providers.length, before.body.providers.length);
  });

  test('unknown connection is CONNECTION_NOT_FOUND', async () => {
    const response = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'nope', identifier: 'u' });
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'CONNECTION_NOT_FOUND');
  });

  test('an oversized identifier is VALIDATION_FAILED and creates nothing', async () => {
    const response = await server.api('POST', '/api/v1/connected_accounts/get_or_create', { connection_name: 'bad', identifier: 'u'.repeat(256) });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'VALIDATION_FAILED');
    const list = await server.api('GET', '/api/v1/connected_accounts?connection_name=bad');
    assert.equal(list.body.connected_accounts.length, 2);
  });

  test('an oversized credential is INVALID_FIELD and stores nothing', async () => {
    const response = await server.api('POST', '/api/v1/connected_accounts', {
      connection_name: 'bad',
      identifier: 'big',
      authorization_details: { static_auth: { details: { api_key: 'k'.repeat(5000) } } },
    });
    assert.equal(response.status, 400);
    assert.equal(response.body.error.code, 'VALIDATION_FAILED');
    const lookedUp = await server.api('GET', '/api/v1/connections/bad/connected_accounts/big');
    assert.equal(lookedUp.body.error.code, 'ACCOUNT_NOT_FOUND');
  });

  test('an unknown credential field is INVALID_FIELD', async () => {
    const response = await server.api('POST', '/api/v1/connected_accounts', {
      connection_name: 'bad',
      identifier: 'extra',
      authorization_details: { static_auth: { details: { api_key: 'k', smuggled: 'x' } } },
    });
    assert.equal(response.status, 422);
    assert.equal(response.body.error.code, 'INVALID_FIELD');
    assert.deepEqual(response.body.error.details.problems, [{ path: '/smuggled', message: 'is not a field of this connector' }]);
  });

  test('a body over the limit is PAYLOAD_TOO_LARGE', async () => {
    const response = await server.api('POST', '/api/v1/custom-providers', { display_name: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(response.status, 413);
    assert.equal(response.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('an unknown route is ROUTE_NOT_FOUND', async () => {
    const response = await server.api('GET', '/api/v1/nothing');
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'ROUTE_NOT_FOUND');
  });
});

describe('proxy input', () => {
  test('unknown connection and unknown account are 404s, and nothing reaches upstream', async () => {
    const sent = upstream.received.length;
    const unknownConnection = await fetch(`${server.url}/proxy/v1/customers`, { headers: { ...(await proxyHeaders()), connection_name: 'missing' } });
    assert.equal(unknownConnection.status, 404);
    assert.equal(unknownConnection.headers.get('x-toolproxy-error'), 'CONNECTION_NOT_FOUND');
    const unknownAccount = await fetch(`${server.url}/proxy/v1/customers`, { headers: await proxyHeaders('ghost') });
    assert.equal(unknownAccount.status, 404);
    assert.equal(((await unknownAccount.json()) as any).error.code, 'ACCOUNT_NOT_FOUND');
    assert.equal(upstream.received.length, sent);
  });

  test('a pending account is ACCOUNT_NOT_ACTIVE with how to authorize', async () => {
    const response = await fetch(`${server.url}/proxy/v1/customers`, { headers: await proxyHeaders('pending-user') });
    assert.equal(response.status, 409);
    const body = (await response.json()) as any;
    assert.equal(body.error.code, 'ACCOUNT_NOT_ACTIVE');
    assert.equal(body.error.details.status, 'PENDING_AUTH');
    assert.match(body.error.message, /authorization link/);
  });

  test('missing routing headers are MISSING_ROUTING_HEADERS', async () => {
    const response = await fetch(`${server.url}/proxy/v1/customers`, { headers: { authorization: `Bearer ${await server.token()}` } });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as any).error.code, 'MISSING_ROUTING_HEADERS');
  });

  test('the dash form connection-name works too', async () => {
    const headers = await proxyHeaders();
    const response = await fetch(`${server.url}/proxy/v1/customers`, {
      headers: { authorization: headers.authorization!, 'connection-name': 'bad', identifier: 'active-user' },
    });
    assert.equal(response.status, 200);
  });

  test('the proxy needs an app token', async () => {
    const response = await fetch(`${server.url}/proxy/v1/customers`, { headers: { connection_name: 'bad', identifier: 'active-user' } });
    assert.equal(response.status, 401);
  });

  test('paths that would leave proxy_url are INVALID_PATH and never reach upstream (P1)', async () => {
    const sent = upstream.received.length;
    const attempts = [
      '/proxy/../admin',
      '/proxy/%2e%2e/admin',
      '/proxy/.%2E/admin',
      '/proxy//evil.example/x',
      '/proxy/\\evil.example/x',
      '/proxy/%5cevil.example',
      '/proxy/v1/%00',
      '/proxy/v1/%0d%0aInjected:%201',
      '/proxy@evil.example/x',
    ];
    for (const path of attempts) {
      const response = await rawRequest(path, await proxyHeaders());
      assert.ok([400, 404].includes(response.status), `${path} → ${response.status}`);
      if (response.status === 400) assert.equal(response.body.error.code, 'INVALID_PATH', path);
    }
    assert.equal(upstream.received.length, sent);
  });

  test('TRACE cannot be proxied (P18)', async () => {
    const token = await server.token();
    const sent = upstream.received.length;
    const result = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = http.request(`${server.url}/proxy/v1/customers`, { method: 'TRACE', headers: { authorization: `Bearer ${token}`, connection_name: 'bad', identifier: 'active-user' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      request.on('error', reject);
      request.end();
    });
    assert.equal(result.status, 400, result.text);
    assert.equal(JSON.parse(result.text).error.code, 'INVALID_METHOD');
    assert.equal(upstream.received.length, sent);
  });
});
