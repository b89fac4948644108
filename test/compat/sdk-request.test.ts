import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import {
  ScalekitClient,
  ScalekitConflictException,
  ScalekitInternalServerException,
  ScalekitNotFoundException,
  ScalekitUnauthorizedException,
} from '@scalekit-sdk/node';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { json, type ReceivedRequest, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { apiKeyConnection, staticAuth } from './setup.ts';

/**
 * `actions.request` (the Tool Proxy over HTTP/1.1, wire notes §6) and the SDK's authentication
 * as it really behaves: lazy token on the first RPC, re-authentication on 16 for RPCs only, raw
 * AxiosError for bad client credentials. The official SDK, unchanged, against our server.
 */

let upstream: Upstream;
let server: TestServer;
let offsetMs = 0;
let actions: ScalekitClient['actions'];

/** The upstream echoes what it received; two paths answer with errors of their own. */
function echo(request: ReceivedRequest, response: import('node:http').ServerResponse): void {
  if (request.url.startsWith('/api/v1/missing')) return json(response, 404, { error: { type: 'invalid_request_error', message: 'No such customer' } });
  if (request.url.startsWith('/api/v1/broken')) return json(response, 500, { error: { type: 'api_error', message: 'upstream exploded' } }, { 'retry-after': '7' });
  json(response, 200, { method: request.method, url: request.url, body: request.body.toString('utf8') }, { 'x-upstream': 'yes' });
}

async function failure(call: Promise<unknown>): Promise<any> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  assert.fail('expected the call to fail');
}

const tokenRequests = () => server.logs.filter((line) => line.includes('"url":"/oauth/token"') && line.includes('incoming request')).length;

before(async () => {
  upstream = await startUpstream(echo);
  server = await startTestServer({ dualProtocol: true, clock: () => Date.now() + offsetMs });
  await apiKeyConnection(server, 'acme', upstream.url);
  actions = new ScalekitClient(server.url, server.clientId, server.clientSecret).actions;
  // The app's own setup, as the reference flow does it: an RPC first (it fetches the token).
  await actions.createConnectedAccount({ connectionName: 'acme', identifier: 'alice', authorizationDetails: staticAuth({ api_key: 'key_alice' }) });
  await actions.getOrCreateConnectedAccount({ connectionName: 'acme', identifier: 'pending' });
});
after(async () => {
  await server.close();
  await upstream.close();
});

const call = (options: Record<string, unknown>) =>
  actions.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers', ...options } as Parameters<typeof actions.request>[0]);
const lastSeen = () => upstream.received.at(-1)!;

describe('actions.request through the Tool Proxy', () => {
  test('GET with query parameters as axios serializes them (arrays, nested objects)', async () => {
    const result = await call({ queryParams: { limit: 3, expand: ['a', 'b'], obj: { x: 1 } } });
    assert.equal(result.status, 200);
    assert.equal(result.headers['x-upstream'], 'yes');
    assert.equal(result.data.method, 'GET');
    assert.equal(lastSeen().url, '/api/v1/customers?limit=3&expand%5B%5D=a&expand%5B%5D=b&obj%5Bx%5D=1');
    assert.equal(lastSeen().headers['x-api-key'], 'key_alice');
  });

  test('POST with a JSON body (method in any case)', async () => {
    const result = await call({ method: 'post', body: { name: 'Grace', tags: ['vip'] } });
    assert.equal(result.data.method, 'POST');
    assert.deepEqual(JSON.parse(result.data.body), { name: 'Grace', tags: ['vip'] });
    assert.match(String(lastSeen().headers['content-type']), /^application\/json/);
  });

  test('form data: an object with a form content type, and a pre-encoded string', async () => {
    await call({ method: 'POST', formData: { name: 'x', n: 2 }, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(lastSeen().body.toString(), 'name=x&n=2');
    assert.match(String(lastSeen().headers['content-type']), /^application\/x-www-form-urlencoded/);
    await call({ method: 'PUT', body: 'a=1&b=two' });
    assert.equal(lastSeen().method, 'PUT');
    assert.equal(lastSeen().body.toString(), 'a=1&b=two');
    assert.match(String(lastSeen().headers['content-type']), /^application\/x-www-form-urlencoded/);
  });

  test('custom headers reach the upstream; routing headers and the app token do not', async () => {
    await call({ method: 'DELETE', headers: { 'X-Custom': 'v1', 'X-Trace-Id': 'trace-9' } });
    const seen = lastSeen();
    assert.equal(seen.method, 'DELETE');
    assert.equal(seen.headers['x-custom'], 'v1');
    assert.equal(seen.headers['x-trace-id'], 'trace-9');
    assert.equal(seen.headers.connection_name, undefined);
    assert.equal(seen.headers.identifier, undefined);
    assert.equal(seen.headers.authorization, undefined);
  });

  test("the upstream's 404 and 500 reach the SDK as those statuses, bodies unchanged", async () => {
    const missing = await failure(call({ path: '/v1/missing/cus_9' }));
    assert.ok(missing instanceof ScalekitNotFoundException, inspect(missing));
    assert.deepEqual(missing.errDetails, { error: { type: 'invalid_request_error', message: 'No such customer' } });
    const broken = await failure(call({ path: '/v1/broken' }));
    assert.ok(broken instanceof ScalekitInternalServerException, inspect(broken));
    assert.equal(broken.httpStatus, 500);
    assert.deepEqual(broken.errDetails, { error: { type: 'api_error', message: 'upstream exploded' } });
  });
});

describe("the SDK's error types", () => {
  test('unknown account: ScalekitNotFoundException, from the RPCs and from the proxy', async () => {
    const before = upstream.received.length;
    const proxied = await failure(call({ identifier: 'nobody' }));
    assert.ok(proxied instanceof ScalekitNotFoundException, inspect(proxied));
    assert.equal(proxied.errDetails.error.code, 'ACCOUNT_NOT_FOUND');
    const rpc = await failure(actions.getConnectedAccount({ connectionName: 'acme', identifier: 'nobody' }));
    assert.ok(rpc instanceof ScalekitNotFoundException);
    assert.equal(rpc.errorCode, 'ACCOUNT_NOT_FOUND');
    assert.equal(upstream.received.length, before);
  });

  test('inactive account: the proxy refuses with 409, ScalekitConflictException ACCOUNT_NOT_ACTIVE', async () => {
    const before = upstream.received.length;
    const error = await failure(call({ identifier: 'pending' }));
    assert.ok(error instanceof ScalekitConflictException, inspect(error));
    assert.equal(error.errDetails.error.code, 'ACCOUNT_NOT_ACTIVE');
    assert.match(error.errDetails.error.message, /authorization link/);
    assert.equal(upstream.received.length, before);
  });

  test('bad client credentials: the token call fails with 401 invalid_client, as a raw AxiosError', async () => {
    const wrong = new ScalekitClient(server.url, server.clientId, 'tps_not-the-secret').actions;
    const error = await failure(wrong.getAuthorizationLink({ connectionName: 'acme', identifier: 'alice' }));
    assert.equal(error.name, 'AxiosError');
    assert.equal(error.response.status, 401);
    // RFC 6749 §5.2: `error` and `error_description`, plus our stable code.
    assert.equal(error.response.data.error, 'invalid_client');
    assert.equal(typeof error.response.data.error_description, 'string');
    assert.equal(error.response.data.code, 'INVALID_CLIENT');
    assert.equal(error.response.headers['x-toolproxy-error'], 'INVALID_CLIENT');
    assert.ok(!inspect(error, { depth: null }).includes('tps_not-the-secret'), 'the secret is not in the error');
    // And the server is none the worse for it.
    assert.equal((await actions.getConnectedAccount({ connectionName: 'acme', identifier: 'alice' })).connectedAccount?.identifier, 'alice');
  });

  test('a fresh client whose first call is request(): 401 ScalekitUnauthorizedException (it has no token yet)', async () => {
    const fresh = new ScalekitClient(server.url, server.clientId, server.clientSecret).actions;
    const error = await failure(fresh.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers' }));
    assert.ok(error instanceof ScalekitUnauthorizedException, inspect(error));
    assert.equal(error.errDetails.error.code, 'UNAUTHENTICATED');
    // Any RPC fetches the token (first call: 16, token, retry); request() works from then on.
    await fresh.listConnections();
    assert.equal((await fresh.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers' })).status, 200);
  });

  test('an expired app token: RPCs re-authenticate on their own; request() gets 401 until an RPC runs', async () => {
    const client = new ScalekitClient(server.url, server.clientId, server.clientSecret).actions;
    await client.listConnections();
    const tokensBefore = tokenRequests();
    offsetMs += 3601 * 1000; // past TOOLPROXY_TOKEN_TTL_SECONDS (3600)

    const expired = await failure(client.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers' }));
    assert.ok(expired instanceof ScalekitUnauthorizedException, inspect(expired));
    assert.equal(expired.errDetails.error.code, 'TOKEN_EXPIRED');

    const account = await client.getConnectedAccount({ connectionName: 'acme', identifier: 'alice' });
    assert.equal(account.connectedAccount?.identifier, 'alice');
    assert.equal(tokenRequests(), tokensBefore + 1, 'one new token, fetched after a 16');
    assert.ok(server.logs.some((line) => line.includes('"code":"TOKEN_EXPIRED"') && line.includes('"grpc_status":16')));
    assert.equal((await client.request({ connectionName: 'acme', identifier: 'alice', path: '/v1/customers' })).status, 200);
  });
});
